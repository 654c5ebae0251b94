"""GET /api/v1/applications/{id}/?wait=N: the answer comes when the application is finished, or after N s.

Here scoring is eager, so a submitted application is finished before anyone asks; the real wait
for a worker, woken through Redis, is in tests/test_real_worker.py.
"""
import time

import pytest
from scoring.services import submission

URL = "/api/v1/applications/"
THREADED = {"wsgi.multithread": True}  # as gunicorn's gthread worker and runserver say; the test client does not


@pytest.fixture
def queued(officer, models_ready, answers):
    application, _ = submission.submit_application(officer=officer, answers=answers)  # not committed: stays queued
    return application


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_finished_application_is_answered_at_once(api, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application_id = api.post(URL, {"answers": answers}, format="json").json()["id"]
    response, seconds = timed(lambda: api.get(f"{URL}{application_id}/", {"wait": 10}, **THREADED))
    assert response.status_code == 200
    assert response.json()["status"] == "done" and len(response.json()["scores"]) == 5
    assert seconds < 5


def test_an_unfinished_application_is_answered_when_the_wait_is_over(api, queued):
    response, seconds = timed(lambda: api.get(f"{URL}{queued.pk}/", {"wait": 1}, **THREADED))
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["scores"] == []
    assert seconds >= 1


def test_without_wait_it_answers_at_once(api, queued):
    response, seconds = timed(lambda: api.get(f"{URL}{queued.pk}/", {"wait": 0}, **THREADED))
    assert response.json()["status"] == "queued"
    assert seconds < 1


def test_a_server_of_single_threaded_workers_does_not_wait(api, queued):
    response, seconds = timed(lambda: api.get(f"{URL}{queued.pk}/", {"wait": 10}))  # wsgi.multithread False
    assert response.json()["status"] == "queued"
    assert seconds < 5


def test_a_process_with_all_its_waiting_slots_taken_answers_at_once(api, queued, settings):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "WAIT_MAX_REQUESTS": 0}
    response, seconds = timed(lambda: api.get(f"{URL}{queued.pk}/", {"wait": 10}, **THREADED))
    assert response.json()["status"] == "queued"
    assert seconds < 5


def test_someone_elses_application_is_not_found_without_waiting(other_officer, models_ready, answers, api):
    application, _ = submission.submit_application(officer=other_officer, answers=answers)
    response, seconds = timed(lambda: api.get(f"{URL}{application.pk}/", {"wait": 10}, **THREADED))
    assert response.status_code == 404
    assert seconds < 5


@pytest.mark.parametrize("value", ["-1", "11", "soon", "1.5"])
def test_a_wrong_wait_is_a_field_error(api, queued, value):
    response = api.get(f"{URL}{queued.pk}/", {"wait": value}, **THREADED)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "wait" in response.json()["errors"]


def test_the_schema_documents_wait(client_as, admin_user):
    schema = client_as(admin_user).get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/applications/{application_id}/"]["get"]["parameters"]
    wait = next(p for p in parameters if p["name"] == "wait")
    assert wait["in"] == "query" and wait["schema"]["maximum"] == 10 and wait["schema"]["minimum"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_waited_submission_listens_before_it_is_queued(api, models_ready, answers, monkeypatch):
    """The path of a server with workers: the request picks the new application's id and listens for
    it before the INSERT. Here the "worker" is eager scoring at the commit, and with no channel on
    the embedded default the wait finds the result by re-reading."""
    monkeypatch.setattr(submission, "scoring_runs_inline", lambda: False)
    response = api.post(f"{URL}?wait=5", {"answers": answers}, format="json", **THREADED)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "done" and len(body["scores"]) == 5 and body["outcomes"] == []
    again = api.post(f"{URL}?wait=5", {"answers": answers}, format="json", **THREADED)
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # a repeat: the same one
