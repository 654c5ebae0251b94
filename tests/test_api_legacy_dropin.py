"""The 2023 service's clients work unchanged but for the token (issue 19, finding 8)."""
import json

from scoring.models import Application
from tests.test_api_legacy import OLD_BODY


def test_upload_features_answers_201(api, models_ready, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/upload_features", OLD_BODY, format="json")
    assert response.status_code == 201 and set(response.json()) == {"task_id", "is_complete"}


def test_a_body_without_content_type_is_read_as_json(api, models_ready):
    response = api.generic("POST", "/upload_features", json.dumps(OLD_BODY).encode(), content_type="")
    assert response.status_code == 201
    assert Application.objects.get(pk=response.json()["task_id"]).answers["education"] == "Высшее - специалист"


def test_a_body_sent_as_text_plain_is_read_as_json(api, models_ready):
    response = api.generic("POST", "/upload_features", json.dumps(OLD_BODY), content_type="text/plain")
    assert response.status_code == 201


def test_unknown_fields_are_ignored_as_before(api, models_ready):
    response = api.post("/upload_features", {**OLD_BODY, "client_comment": "перезвонить", "SNILS_raw": 1},
                        format="json")
    assert response.status_code == 201


def test_the_old_readmes_escaped_slash_means_a_slash(api, models_ready):
    body = {**OLD_BODY, "employment_status": "Работаю по найму полный рабочий день\\/служу"}
    response = api.post("/upload_features", body, format="json")
    assert response.status_code == 201
    answers = Application.objects.get(pk=response.json()["task_id"]).answers
    assert answers["employment_status"] == "Работаю по найму полный рабочий день/служу"


def test_get_result_before_it_is_ready_is_404(api, models_ready):
    response = api.post("/upload_features", OLD_BODY, format="json")  # not scored: no commit callbacks run
    result = api.get(f"/get_result?task_id={response.json()['task_id']}")
    assert result.status_code == 404 and result.json()["code"] == "not_ready"


def test_a_trailing_slash_is_redirected_keeping_method_body_and_query(api, models_ready):
    posted = api.post("/upload_features/", OLD_BODY, format="json")
    assert posted.status_code == 307 and posted["Location"] == "/upload_features"
    checked = api.get("/check_task/?task_id=abc")
    assert checked.status_code == 307 and checked["Location"] == "/check_task?task_id=abc"
