"""The original service's endpoints (2023), with its field names and date format."""
import pytest
from rest_framework.test import APIClient

from scoring.models import Application

OLD_BODY = {
    "birthdate": "1988-07-21 00:00:00.0000000", "education": "Высшее - специалист",
    "employment_status": "Работаю по найму полный рабочий день/служу", "value": "10 и более лет",
    "jobstartdate": "2015-03-01 00:00:00.0000000", "position": "Менеджер", "monthprofit": 145000.0,
    "monthexpense": 22500.0, "gender": 0, "family_status": "Женат / замужем", "childcount": 1, "snils": 1,
    "merch_code": 12, "loan_amount": 68000.0, "loan_term": 12, "goods_category": "Mobile_devices",
}


def upload(api, body, capture):
    with capture(execute=True):
        return api.post("/upload_features", body, format="json")


def test_upload_features_takes_the_old_field_names(api, models_ready, django_capture_on_commit_callbacks):
    response = upload(api, OLD_BODY, django_capture_on_commit_callbacks)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"task_id", "is_complete"} and body["is_complete"] is False
    application = Application.objects.get(pk=body["task_id"])
    assert application.answers["birth_date"] == "1988-07-21"
    assert application.answers["work_experience"] == "10 и более лет"
    assert application.answers["loan_term"] == "12" and application.answers["snils"] is True


def test_the_task_can_be_checked_and_its_result_read(api, models_ready, django_capture_on_commit_callbacks):
    task_id = upload(api, OLD_BODY, django_capture_on_commit_callbacks).json()["task_id"]
    assert api.get("/check_task", {"task_id": task_id}).json() is True
    assert api.get("/check_state", {"task_id": task_id}).json() is True
    result = api.get("/get_result", {"task_id": task_id}).json()
    assert result["task_id"] == task_id
    assert set(result) == {"task_id", "bank_a", "bank_b", "bank_c", "bank_d", "bank_e"}
    assert all(0 <= result[code] <= 1 for code in result if code != "task_id")


def test_missing_fields_are_allowed(api, models_ready, django_capture_on_commit_callbacks):
    response = upload(api, {"loan_amount": 50000, "loan_term": 6}, django_capture_on_commit_callbacks)
    assert response.status_code == 201
    task_id = response.json()["task_id"]
    assert api.get("/check_state", {"task_id": task_id}).json() is True
    assert Application.objects.get(pk=task_id).answers["birth_date"] is None


def test_a_task_still_queued_is_not_complete(api, models_ready):
    task_id = api.post("/upload_features", OLD_BODY, format="json").json()["task_id"]  # not committed: queued
    assert api.get("/check_task", {"task_id": task_id}).json() is False
    assert api.get("/check_state", {"task_id": task_id}).json() is False
    response = api.get("/get_result", {"task_id": task_id})
    assert response.status_code == 404 and response.json()["code"] == "not_ready"


@pytest.mark.parametrize("path", ["/check_task", "/check_state", "/get_result"])
@pytest.mark.parametrize("task_id", ["00000000-0000-0000-0000-000000000001", "not-a-task"])
def test_an_unknown_task_is_404(api, configured, path, task_id):
    response = api.get(path, {"task_id": task_id})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_wrong_value_is_reported_under_its_old_name(api, models_ready):
    response = api.post("/upload_features", {**OLD_BODY, "loan_term": 7, "birthdate": "вчера"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"loan_term", "birthdate"}


def test_legacy_endpoints_need_a_token(db):
    client = APIClient()
    assert client.post("/upload_features", OLD_BODY, format="json").status_code == 401
    response = client.get("/check_task", {"task_id": "00000000-0000-0000-0000-000000000001"})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_legacy_endpoints_are_marked_deprecated_in_the_schema(api, configured):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path, method in [("/upload_features", "post"), ("/check_task", "get"), ("/check_state", "get"),
                         ("/get_result", "get")]:
        assert paths[path][method]["deprecated"] is True
        assert paths[path][method]["tags"] == ["legacy"]
