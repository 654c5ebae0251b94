import pytest
from rest_framework.test import APIClient

from scoring.models import Application, BankScore
from scoring.services import submission

URL = "/api/v1/applications/"


def test_it_requires_authentication(db, answers):
    client = APIClient()
    response = client.post(URL, {"answers": answers}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert client.get(f"{URL}00000000-0000-0000-0000-000000000001/").status_code == 401


def test_a_bad_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get(f"{URL}00000000-0000-0000-0000-000000000001/").status_code == 401


def test_it_creates_scores_and_returns_the_result(api, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(URL, {"answers": answers, "client": {"full_name": "Иванов Иван"}}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "url"}
    assert body["url"].endswith(f"/api/v1/applications/{body['id']}/")

    detail = api.get(body["url"]).json()
    assert detail["status"] == "done"
    assert detail["answers"]["loan_term"] == "12"
    assert {s["bank"] for s in detail["scores"]} == {"bank_a", "bank_b", "bank_c", "bank_d", "bank_e"}
    probabilities = [s["probability"] for s in detail["scores"]]
    assert probabilities == sorted(probabilities, reverse=True)
    for score in detail["scores"]:
        assert 0 <= score["probability"] <= 1
        assert score["verdict"] in {"likely", "uncertain", "unlikely"}
        assert score["bank_name"]
        assert score["reasons"] and set(score["reasons"][0]) == {"feature", "label", "contribution", "direction", "effect_pp", "text"}


def test_bad_input_gets_field_errors(api, models_ready, answers):
    answers.update({"loan_term": "7", "month_profit": "много"})
    del answers["birth_date"]
    response = api.post(URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert set(body["errors"]["answers"]) == {"loan_term", "month_profit", "birth_date"}
    assert body["errors"]["answers"]["birth_date"] == ["Обязательное поле."]
    assert Application.objects.count() == 0


@pytest.mark.parametrize("payload", [[], "text", {"answers": "x"}, {"answers": []}, {}])
def test_malformed_bodies_get_400(api, models_ready, payload):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "parse_error"}


def test_invalid_json_gets_400(api, models_ready):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_the_same_answers_return_the_existing_application(api, models_ready, answers,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(URL, {"answers": answers}, format="json")
    second = api.post(URL, {"answers": dict(reversed(answers.items()))}, format="json")
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and second.json()["status"] == "done"
    assert Application.objects.count() == 1 and BankScore.objects.count() == 5


def test_another_users_application_is_not_found(api, models_ready, answers, other_officer):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=other_officer, answers=answers)
    response = api.get(f"{URL}{application.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_schema_describes_the_questionnaire(api, configured):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    answers = schema["components"]["schemas"]["Answers"]
    assert answers["properties"]["loan_term"]["enum"] == ["6", "12", "18", "24"]
    assert "birth_date" in answers["required"] and "position" not in answers["required"]
    assert "/api/v1/applications/" in schema["paths"]


def test_the_docs_page_uses_no_cdn(officer_client, configured):
    html = officer_client.get("/api/docs/").content.decode()
    assert "swagger" in html.lower()
    assert "cdn" not in html.lower() and "https://" not in html


def test_session_auth_works_for_the_browser(officer, models_ready, answers):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer)
    assert strict.post(URL, {"answers": answers}, content_type="application/json").status_code == 403
    browser = Client()
    browser.force_login(officer)
    assert browser.post(URL, {"answers": answers}, content_type="application/json").status_code == 202


@pytest.mark.django_db
def test_it_shows_a_queued_application_without_a_recommendation(api, officer, models_ready, answers):

    application, _ = submission.submit_application(officer=officer, answers=answers)  # not committed: stays queued
    response = api.get(f"/api/v1/applications/{application.pk}/")
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["recommendation"] is None
