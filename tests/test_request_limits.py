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


@pytest.mark.parametrize("query, header, status, code", [
    (20_000, 0, 414, "uri_too_long"),       # over gunicorn's 8190 cap of limit_request_line
    (5_000, 0, 414, "uri_too_long"),
    (0, 20_000, 431, "header_too_large"),
])
def test_gunicorn_as_the_image_runs_it_leaves_these_limits_to_the_application(query, header, status, code):
    """A real listener: gunicorn with configs/gunicorn.conf.py, as the Dockerfile starts it. Its own
    limits answer in HTML; the application's answer in the API's error shape. A random schemathesis
    run found gunicorn answering a 10 KB query itself: it takes a limit_request_line of 8190 or more
    as 8190, whatever the file said (16384)."""
    import http.client
    import json
    import os

    from tests.faultproc import gunicorn

    web, base = gunicorn(dict(os.environ))
    try:
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
        headers = {"X-Long": "x" * header} if header else {}
        connection.request("GET", "/api/v1/banks/" + ("?q=" + "x" * query if query else ""), headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        web.stop()
    assert response.status == status, body[:300]
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body)["code"] == code


def test_a_body_without_a_length_is_411_not_read_as_empty(api, db):
    response = api.generic("POST", "/api/v1/applications/", HTTP_TRANSFER_ENCODING="chunked",
                           CONTENT_TYPE="application/json")
    assert response.status_code == 411
    assert response.json()["code"] == "length_required" and "Content-Length" in response.json()["detail"]


def test_a_chunked_submission_to_gunicorn_is_told_to_send_its_length():
    """A real listener and a client streaming its body (Transfer-Encoding: chunked, as Java's, .NET's or
    Node's clients do for a body of unknown length). Django reads no body without a Content-Length,
    and the API answered "answers: Обязательное поле." about a body that had them. The refusal comes
    before authentication, as the other limits' do (no token here: the same body with its length
    goes on to be refused for the missing token)."""
    import http.client
    import json
    import os

    from tests.faultproc import gunicorn
    from tests.helpers import EXAMPLE_ANSWERS

    body = json.dumps({"answers": EXAMPLE_ANSWERS}).encode()
    web, base = gunicorn(dict(os.environ))
    try:
        answers = []
        # One keep-alive connection: the refused body, left unread, must not be taken for the next
        # request (gunicorn reads past it).
        connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)
        for chunked in (True, False):
            connection.request("POST", "/api/v1/applications/", body=iter([body[:100], body[100:]]) if chunked else body,
                               headers={"Content-Type": "application/json"}, encode_chunked=chunked)
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["code"]))
        connection.close()
    finally:
        web.stop()
    assert answers == [(411, "length_required"), (401, "not_authenticated")]


def test_every_api_operation_documents_the_411_414_and_431_the_middleware_answers(api, db):
    """A random schemathesis run sent a 5 KB query to GET /api/v1/outcomes/ and got the documented
    error shape with a status the schema did not list."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items() if isinstance(operation, dict) and "responses" in operation]
    assert len(operations) >= 16
    for path, method, operation in operations:
        for code in ("411", "414", "431"):
            assert operation["responses"][code]["content"]["application/json"]["schema"] == \
                {"$ref": "#/components/schemas/Error"}, (path, method, code)
