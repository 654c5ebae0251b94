"""The API keeps its published contract: schemathesis generates requests from /api/schema/ (valid ones
and invalid ones) and checks that no input gives a server error and that every response matches the
schema (documented status, content type, body).

Hypothesis drives schemathesis's strategies directly, operation by operation, inside one test that
has the database: schemathesis's own pytest loader for fixtures does not run under pytest 9.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from django.core import signals
from django.db import close_old_connections

from prescoring.wsgi import application
from scoring.models import ApiToken

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}  # per operation: about a minute in all


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calls through the WSGI app must not close the test's database connection at the end of each
    request (Django's own test client does the same), or PostgreSQL loses the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, models_ready, administrator, answers, settings, django_capture_on_commit_callbacks,
               wsgi_keeps_the_test_connection):
    from scoring.services import submission

    settings.PRESCORING_API = {**settings.PRESCORING_API, "THROTTLE_RATE": None, "BATCH_LIMIT": 5}
    with django_capture_on_commit_callbacks(execute=True):
        submission.submit_application(officer=administrator, answers=answers)
    headers = {"Authorization": f"Token {ApiToken.issue(administrator)[1]}"}
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application,
                                            headers={**headers, "Accept": "application/vnd.oai.openapi+json"})
    return loaded, headers


def test_no_input_breaks_the_api_contract(api_schema):
    loaded, headers = api_schema
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) >= 16
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def call(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid request to generate.
                assert mode == GenerationMode.NEGATIVE, operation.label


def test_the_schema_links_each_submission_to_what_comes_next(api, configured):
    """OpenAPI links (issue 19, finding 7): from upload_features to the legacy checks, from a new
    application to its detail, with the id taken from the answer."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    legacy = schema["paths"]["/upload_features"]["post"]["responses"]["201"]["links"]
    assert legacy["GetResult"] == {"operationId": "legacy_get_result",
                                   "parameters": {"task_id": "$response.body#/task_id"}}
    assert {"CheckTask", "CheckState"} <= set(legacy)
    created = schema["paths"]["/api/v1/applications/"]["post"]["responses"]
    links = [response["links"] for code, response in created.items() if "links" in response]
    assert links and all(link["GetApplication"]["operationId"] == "applications_retrieve" for link in links)
    operation_ids = {op.get("operationId") for path in schema["paths"].values() for op in path.values()
                     if isinstance(op, dict)}
    for link in [*legacy.values(), *links[0].values()]:
        assert link["operationId"] in operation_ids  # every link names a real operation
