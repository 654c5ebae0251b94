import pytest

from scoring.models import Application, ScoringBatch

URL = "/api/v1/applications/batch/"


def variants(answers, count):
    return [{"answers": {**answers, "loan_amount": 40000 + 1000 * i}} for i in range(count)]


def test_a_batch_is_accepted_with_ids_and_a_url(api, models_ready, answers):
    response = api.post(URL, {"applications": variants(answers, 3)}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["total"] == 3 and len(body["applications"]) == 3
    assert body["url"].endswith(f"/api/v1/applications/batch/{body['id']}/")
    assert {a["id"] for a in body["applications"]} == {str(pk) for pk in Application.objects.values_list("pk", flat=True)}


def test_the_batch_reports_progress_and_results(api, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        url = api.post(URL, {"applications": variants(answers, 3)}, format="json").json()["url"]
    body = api.get(url).json()
    assert body["is_complete"] is True
    assert body["progress"] == {"total": 3, "queued": 0, "scoring": 0, "done": 3, "failed": 0, "finished": 3,
                                "percent": 100.0}
    assert [a["position"] for a in body["applications"]] == [0, 1, 2]
    for item in body["applications"]:
        assert item["status"] == "done" and item["action"] in {"send", "do_not_send"}
        assert {s["bank"] for s in item["scores"]} == {"bank_a", "bank_b", "bank_c", "bank_d", "bank_e"}


def test_a_batch_not_yet_scored_shows_it(api, models_ready, answers):
    url = api.post(URL, {"applications": variants(answers, 2)}, format="json").json()["url"]  # not committed
    body = api.get(url).json()
    assert body["is_complete"] is False
    assert body["progress"]["queued"] == 2 and body["progress"]["percent"] == 0.0


def test_over_the_limit_is_413_with_a_clear_message(api, models_ready, answers):
    response = api.post(URL, {"applications": [{"answers": answers}] * 1001}, format="json")
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large" and "1001" in body["detail"] and "1000" in body["detail"]
    assert not ScoringBatch.objects.exists()


def test_the_limit_comes_from_settings(api, models_ready, answers, settings):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "BATCH_LIMIT": 2}
    assert api.post(URL, {"applications": variants(answers, 3)}, format="json").status_code == 413
    assert api.post(URL, {"applications": variants(answers, 2)}, format="json").status_code == 202


def test_one_bad_questionnaire_refuses_the_whole_batch_with_its_position(api, models_ready, answers):
    items = variants(answers, 3)
    items[1]["answers"]["loan_term"] = "7"
    items[2] = "not an object"
    response = api.post(URL, {"applications": items}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]["applications"]
    assert set(errors) == {"1", "2"} and "loan_term" in errors["1"]["answers"]
    assert not Application.objects.exists() and not ScoringBatch.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"applications": []}, {"applications": "x"}, []])
def test_a_batch_needs_a_list_of_questionnaires(api, models_ready, payload):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_another_officers_batch_is_not_found(token_client, api, models_ready, answers, other_officer, analyst):
    url = api.post(URL, {"applications": variants(answers, 1)}, format="json").json()["url"]
    assert token_client(other_officer).get(url).status_code == 404
    assert token_client(analyst).get(url).status_code == 200


def test_analysts_cannot_submit_a_batch(token_client, models_ready, answers, analyst):
    response = token_client(analyst).post(URL, {"applications": variants(answers, 1)}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
