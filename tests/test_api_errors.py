"""Every API error has one JSON shape: {status, code, detail, errors?}."""
import pytest
from rest_framework.test import APIClient

from scoring.models import ApiToken


URL = "/api/v1/applications/"


@pytest.fixture
def token(api, officer):
    """The token the officer's API client sends (stored hashed)."""
    return ApiToken.objects.get(user=officer)


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    assert set(body) <= {"status", "code", "detail", "errors"}
    return body


def test_400_lists_errors_by_field(api, configured, answers):
    del answers["month_profit"]
    body = assert_error(api.post(URL, {"answers": answers, "client": {"phone": "звоните"}}, format="json"),
                        400, "invalid")
    assert body["errors"] == {"answers": {"month_profit": ["Обязательное поле."]},
                              "client": {"phone": ["Введите телефон: цифры, пробелы, скобки, дефис."]}}


def test_400_for_a_body_that_is_not_an_object(api, configured):
    body = assert_error(api.post(URL, [1, 2], format="json"), 400, "invalid")
    assert "non_field_errors" in body["errors"]


def test_401_without_a_token(db):
    assert_error(APIClient().get("/api/v1/banks/"), 401, "not_authenticated")


def test_401_with_a_wrong_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000")
    assert_error(client.get("/api/v1/banks/"), 401, "authentication_failed")


def test_403_for_a_role_without_the_right(token_client, analyst, configured, answers):
    assert_error(token_client(analyst).post(URL, {"answers": answers}, format="json"), 403, "permission_denied")


def test_404_for_an_unknown_application(api, db):
    assert_error(api.get(f"{URL}00000000-0000-0000-0000-000000000001/"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/applications/not-a-uuid/", "/api/v2/"])
def test_404_for_an_unknown_api_address(api, db, path):
    assert_error(api.get(path), 404, "not_found")


def test_pages_keep_their_html_404(officer_client):
    response = officer_client.get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


def test_405_for_a_wrong_method(api, db):
    assert_error(api.delete(URL), 405, "method_not_allowed")


def test_415_for_a_body_that_is_not_json(api, configured):
    assert_error(api.post(URL, "answers=1", content_type="application/x-www-form-urlencoded"), 415,
                 "unsupported_media_type")


def test_400_for_broken_json(api, configured):
    assert_error(api.post(URL, "{oops", content_type="application/json"), 400, "parse_error")


def test_429_when_a_token_sends_too_many_requests(api, token, db, settings):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "THROTTLE_RATE": "3/minute"}
    statuses = [api.get("/api/v1/banks/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/banks/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_the_throttle_counts_each_token_apart(api, token_client, db, settings, other_officer):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "THROTTLE_RATE": "2/minute"}
    for _ in range(3):
        api.get("/api/v1/banks/")
    assert token_client(other_officer).get("/api/v1/banks/").status_code == 200


def test_a_server_error_under_the_api_is_json(db, monkeypatch, officer_client):
    """An unexpected exception still answers in the error shape (and is logged), not an HTML page."""
    from scoring.api.views import catalogue as views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.Bank.objects, "filter", broken)
    officer_client.raise_request_exception = False
    response = officer_client.get("/api/v1/banks/")
    body = assert_error(response, 500, "server_error")
    assert "boom" not in body["detail"]


def test_the_schema_documents_the_error_shape(api, configured):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["status", "code", "detail"]
    create = schema["paths"]["/api/v1/applications/"]["post"]["responses"]
    for code in ("400", "401", "403", "409", "415", "429"):
        assert create[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "413" in schema["paths"]["/api/v1/applications/batch/"]["post"]["responses"]


def test_a_body_over_the_size_limit_is_413(api, configured, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"applications": [' + ",".join(['{"answers": {"position": "' + "x" * 1000 + '"}}'] * 1100) + "]}"
    response = api.post("/api/v1/applications/batch/", body, content_type="application/json")
    body = assert_error(response, 413, "payload_too_large")
    assert "1 МБ" in body["detail"]


def test_every_message_a_drf_field_answers_with_is_russian(db):
    """DRF's own Russian catalogue leaves some in English; locale/ru translates them
    (scoring/api/drf_messages.py). A DRF upgrade that adds or rewords one fails here."""
    import inspect

    from django.utils import translation
    from rest_framework import exceptions, fields, relations, serializers

    from scoring.api import drf_messages

    def russian(text):
        return any("а" <= c.lower() <= "я" for c in text)

    with translation.override("ru"):
        messages = [(klass.__name__, key, str(message))
                    for module in (fields, serializers, relations)
                    for _name, cls in inspect.getmembers(module, inspect.isclass)
                    for klass in cls.__mro__
                    for key, message in getattr(klass, "default_error_messages", {}).items() if str(message)]
        messages.append(("ValidationError", "default", str(exceptions.ValidationError.default_detail)))
        assert len(messages) > 100
        assert [message for message in messages if not russian(message[2])] == []
        assert all(russian(translation.gettext(message)) for message in drf_messages.MESSAGES)


def test_an_invalid_uuid_in_a_query_is_refused_in_russian(api, db):
    response = api.get("/api/v1/outcomes/", {"application": "abc"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"application": ["Требуется UUID, например 3fa85f64-5717-4562-b3fc-2c963f66afa6."]}
