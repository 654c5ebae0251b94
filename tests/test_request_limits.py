"""Every request body is capped before anything reads it, authentication included (issue 16, finding 6)."""
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

SIX_MB = 6 * 1024 * 1024


def spooled_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("*.upload*")}


def test_a_large_anonymous_multipart_post_to_login_is_refused_unread(client, db):
    before = spooled_files()
    response = client.post("/login/", {"username": "x", "password": "y",
                                       "file": SimpleUploadedFile("big.bin", b"\0" * SIX_MB)})
    assert response.status_code == 413
    assert spooled_files() == before  # nothing written to disk


def test_a_large_api_body_is_413_in_the_error_shape(api, db):
    response = api.post("/api/v1/applications/", data=b"{" + b" " * SIX_MB + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_an_ordinary_login_still_works(client, officer):
    response = client.post("/login/", {"username": "officer1", "password": "pw-officer1"})
    assert response.status_code == 302


@pytest.mark.parametrize("size, allowed", [(SIX_MB, True), (30 * 1024 * 1024, False)])
def test_the_history_upload_takes_files_up_to_its_own_limit(admin_client, size, allowed):
    response = admin_client.post("/admin/scoring/importbatch/upload/",
                                 {"file": SimpleUploadedFile("history.csv", b"a;b\n" + b"1;2\n" * (size // 4))})
    assert (response.status_code != 413) is allowed


def test_an_over_long_authorization_header_is_431_in_the_error_shape(client, db):
    response = client.get("/api/v1/banks/", HTTP_AUTHORIZATION="Token " + "x" * 10_000)
    assert response.status_code == 431
    assert response.json()["code"] == "header_too_large" and "Authorization" in response.json()["detail"]


def test_an_over_long_query_is_414_in_the_error_shape(api, db):
    response = api.get("/api/v1/applications/?q=" + "x" * 5_000)
    assert response.status_code == 414 and response.json()["code"] == "uri_too_long"


def test_gunicorn_leaves_these_limits_to_the_application():
    """Its own limits (which answer in HTML) are above the application's."""
    import runpy

    from prescoring.middleware import MAX_HEADER_VALUE, MAX_QUERY_STRING
    from tests.helpers import ROOT

    conf = runpy.run_path(str(ROOT / "configs" / "gunicorn.conf.py"))
    assert conf["limit_request_line"] > MAX_QUERY_STRING + 100
    assert conf["limit_request_field_size"] > MAX_HEADER_VALUE + 100


def test_every_api_operation_documents_the_414_and_431_the_middleware_answers(api, db):
    """A random schemathesis run sent a 5 KB query to GET /api/v1/outcomes/ and got the documented
    error shape with a status the schema did not list."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items() if isinstance(operation, dict) and "responses" in operation]
    assert len(operations) >= 16
    for path, method, operation in operations:
        for code in ("414", "431"):
            assert operation["responses"][code]["content"]["application/json"]["schema"] == \
                {"$ref": "#/components/schemas/Error"}, (path, method, code)
