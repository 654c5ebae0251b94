"""The API keeps its published contract: schemathesis runs against a live server with every check it
has (`--checks all`) through its four phases: the schema's examples, coverage of each parameter's
edges, fuzzing with valid and invalid data, and the stateful phase, which follows the schema's
links from each answer to the next call (a submission to its detail, alternative, batch and legacy
result checks). No input may give a server error, every response must match the schema, schema-valid
data must be accepted and invalid data refused, and an identifier a response hands out must work.

The CLI is run as a process against pytest-django's live_server (a real HTTP listener; its own
pytest plugin does not run under pytest 9), deterministically (`--generation-deterministic`, one
worker), throttling off so that requests reach the logic, scoring in-process so results are ready.
"""
import re
import subprocess
import sys

import pytest
from django.utils import timezone

from scoring.api.schema import date_pattern
from scoring.models import ApiToken, Application, Feature, Outcome
from scoring.services import submission
from scoring.services.questionnaire import clean_value

# What JSON Schema cannot say, configured narrowly (docs/api.md, "Contract testing"):
CONFIG = """
# positive_data_acceptance: schema-valid data must be accepted. Refused with 400 all the same, by
# rules said in the schema's descriptions that OpenAPI 3.0's JSON Schema cannot express: on the
# questionnaire (single, batch, legacy), a job start not before the client's 16th birthday (a rule
# between two fields; the generated dates break it now and then); on the list, created_from after
# created_to (between two parameters).
[[operations]]
include-operation-id = ["applications_create", "batches_create", "legacy_upload_features", "applications_list"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# negative_data_rejection: a query over the middleware's limit is refused with 414 (a header: 431), in
# the error shape; a random run's long repeated parameters met it.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "431", "5xx"]

# negative_data_rejection: a batch over maxItems is refused with 413 (documented), not 400.
[[operations]]
include-operation-id = "batches_create"
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422", "428", "429", "431", "5xx"]

# Enough scenarios for every link to be followed.
[phases.stateful]
max-steps = 8

[phases.stateful.generation]
max-examples = 25
"""
PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_EXAMPLES = 10  # per operation and mode in fuzzing; the whole run takes about two minutes


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure_with_every_check(live_server, models_ready, administrator, settings,
                                                        tmp_path):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "THROTTLE_RATE": None, "BATCH_LIMIT": 2}
    token = ApiToken.issue(administrator)[1]
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
        f"{live_server.url}/api/schema/?format=json", "--header", f"Authorization: Token {token}",
        "--checks", "all", "--phases", ",".join(PHASES), "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic", "--workers", "1", "--suppress-health-check", "all",
        "--request-timeout", "30", "--no-color", "--output-truncate", "false",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    output = run.stdout + run.stderr
    print(output)  # the phases, links and test case counts, in the CI log (pytest -rP)
    assert run.returncode == 0, output
    operations = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", output)
    assert operations and int(operations[1]) == int(operations[2]) == int(operations[3]) >= 16, output
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ {phase}\b", output), output
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links and int(links[1]) >= 7, output  # the schema's links (and some inferred) were followed
    # POST /api/v1/outcomes/ was reached past its 404s: a link hands it a submitted application's id
    # (its generated ids were all unknown, so its logic was never run here).
    assert Outcome.objects.filter(application__officer=administrator).exists(), output


def test_the_schema_links_each_submission_to_what_comes_next(api, configured):
    """OpenAPI links (issue 19, finding 7): from upload_features to the legacy checks, from a new
    application to its detail, from a batch to its progress, with the id taken from the answer."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    legacy = schema["paths"]["/upload_features"]["post"]["responses"]["201"]["links"]
    assert legacy["GetResult"] == {"operationId": "legacy_get_result",
                                   "parameters": {"task_id": "$response.body#/task_id"}}
    assert {"CheckTask", "CheckState"} <= set(legacy)
    created = schema["paths"]["/api/v1/applications/"]["post"]["responses"]
    links = [response["links"] for code, response in created.items() if "links" in response]
    assert links and all(link["GetApplication"]["operationId"] == "applications_retrieve" for link in links)
    assert all(link["RecordOutcome"] == {"operationId": "outcomes_record",
                                         "requestBody": {"application": "$response.body#/id"}} for link in links)
    batch = schema["paths"]["/api/v1/applications/batch/"]["post"]["responses"]["202"]["links"]
    assert batch["GetBatch"] == {"operationId": "batches_retrieve", "parameters": {"batch_id": "$response.body#/id"}}
    operation_ids = {op.get("operationId") for path in schema["paths"].values() for op in path.values()
                     if isinstance(op, dict)}
    for link in [*legacy.values(), *links[0].values(), *batch.values()]:
        assert link["operationId"] in operation_ids  # every link names a real operation


def test_a_date_pattern_holds_every_day_of_its_years_and_no_other_year(configured):
    """The schema's date patterns (what schemathesis generates from) hold only dates the questionnaire
    takes, on any day of the year: the first and last day of its first and last years."""
    today = timezone.localdate()
    for feature in Feature.objects.filter(active=True, type="date"):
        pattern = re.compile(date_pattern(feature))
        years = [year for year in range(today.year - 120, today.year + 2) if pattern.match(f"{year}-06-15")]
        assert years == list(range(years[0], years[-1] + 1)), feature.key
        for day in (f"{years[0]}-01-01", f"{years[0]}-12-31", f"{years[-1]}-01-01", f"{years[-1]}-12-31",
                    f"{years[-1]}-02-28", f"{years[-1]}-04-30"):
            assert pattern.match(day), (feature.key, day)
            clean_value(feature, day, today)  # raises if refused
        for day in (f"{years[-1]}-02-30", f"{years[-1]}-04-31", f"{years[-1]}-13-01", f"{years[-1] + 1}-06-15"):
            assert not pattern.match(day), (feature.key, day)


def test_a_blank_optional_answer_is_no_answer_as_the_schema_says(api, models_ready, answers):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    job_start = schema["components"]["schemas"]["Answers"]["properties"]["job_start_date"]
    assert {"type": "string", "pattern": "^\\s*$", "description": "Пусто: ответа нет."} in job_start["anyOf"]
    response = api.post("/api/v1/applications/", {"answers": {**answers, "job_start_date": " "}}, format="json")
    assert response.status_code == 202
    assert Application.objects.get(pk=response.json()["id"]).answers["job_start_date"] is None


def test_an_alternative_of_answers_that_no_longer_pass_is_a_conflict(api, scored):
    """The body is right (400 only for its own amount and term); the original cannot take one."""
    bad_term = api.post(f"/api/v1/applications/{scored.pk}/alternatives/", {"loan_amount": 30000, "loan_term": 7},
                        format="json")
    assert bad_term.status_code == 400 and bad_term.json()["errors"]["non_field_errors"][0].startswith("loan_term:")
    Application.objects.filter(pk=scored.pk).update(answers={**scored.answers, "birth_date": "1900-01-01"})
    response = api.post(f"/api/v1/applications/{scored.pk}/alternatives/", {"loan_amount": 30000, "loan_term": 24},
                        format="json")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "birth_date" in response.json()["detail"]
    assert not Application.objects.filter(parent=scored).exists()


def test_an_outcome_for_an_application_out_of_sight_is_404(api, models_ready, answers, other_officer):
    """A well-formed body (a known bank) naming someone else's application: not found, as a GET of it."""
    others, _ = submission.submit_application(officer=other_officer, answers=answers)
    response = api.post("/api/v1/outcomes/", {"application": str(others.pk), "bank": "bank_a", "result": "approved"},
                        format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("phone", ["+7 900 123-45-67", "8 (900) 1234567", "0389\n", " 0389", "+7 9"])
def test_a_phone_is_taken_exactly_when_the_schema_pattern_holds_it(api, models_ready, answers, phone):
    """Found by the positive check: "0389\n" held the pattern and was refused once the field trimmed it."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    pattern = schema["components"]["schemas"]["ClientRequest"]["properties"]["phone"]["oneOf"][0]["pattern"]
    response = api.post("/api/v1/applications/", {"answers": answers, "client": {"phone": phone}}, format="json")
    assert response.status_code in (200, 202, 400)
    assert (response.status_code != 400) == bool(re.fullmatch(pattern.strip("^$"), phone)), response.json()


def test_upload_features_promises_json_alone(api, configured):
    """Any body is read as JSON (the 2023 clients send none), but the schema must not offer YAML or forms."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]["/upload_features"]["post"]["requestBody"]["content"]) == {"application/json"}
