"""Scoring through a real Celery worker process on the real broker and database (run by .ci/run)."""
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from prescoring.celery import app as celery_app
from scoring.models import Application, BankScore
from tests.faultproc import wait_for

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),  # role groups flushed by such tests are remade by user_in_role
    pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL") or connection.vendor == "sqlite",
                       reason="needs CELERY_BROKER_URL and a server database; .ci/run's second pass sets them"),
]


def database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def worker_process(django_db_setup):
    """One worker for the module's tests (its start-up, several seconds, paid once) on a queue of its
    own, so leftovers on the shared Redis never reach it; each test waits for its own tasks to finish.

    Every test flushes the database and stores new model versions: the worker reads the active
    versions for every task (CONFIG_CACHE_SECONDS=0), as it would otherwise keep the last test's,
    which no longer exist, for up to two seconds.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "PRESCORING_CONFIG_CACHE_SECONDS": "0"}
    name = f"{queue}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "prescoring", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", queue, "-n", name, "--without-gossip", "--without-mingle"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    process.queue = queue
    process.log = []  # the worker's output, line by line, read by a thread so the pipe never fills

    def read_output():
        for line in process.stdout:
            process.log.append(line)

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        wait_for(lambda: process.poll() is not None or celery_app.control.ping(destination=[name], timeout=0.5),
                 60, "the worker to answer a ping")
        assert process.poll() is None, "".join(process.log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def worker(worker_process, models_ready):
    """The module's worker, alive, with this process sending its tasks to the worker's queue."""
    assert worker_process.poll() is None, "".join(worker_process.log)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker_process.queue
    yield worker_process
    celery_app.conf.task_default_queue = "celery"
    celery_app.conf.task_always_eager = not settings.CELERY_BROKER_URL


def test_a_real_worker_scores_an_api_submission(worker, api, answers):
    response = api.post("/api/v1/applications/", {"answers": answers}, format="json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"  # the worker, not this process, scores it
    application_id = response.json()["id"]
    wait_for(lambda: Application.objects.get(pk=application_id).status in ("done", "failed"), 60, "scoring")
    detail = api.get(f"/api/v1/applications/{application_id}/").json()
    assert detail["status"] == "done", detail.get("error")
    assert len(detail["scores"]) == 5


def test_a_task_delivered_twice_leaves_one_set_of_scores(worker, officer, answers):
    from scoring.services import submission
    from scoring.tasks import score_application

    application, _ = submission.submit_application(officer=officer, answers=answers)  # not enqueued: no commit hook
    deliveries = [score_application.delay(str(application.pk)).id for _ in range(2)]

    def finished():
        # Celery's line for a task, or the worker's line for a batch (scoring.tasks.ScoringTask.run_batch).
        lines = [line for line in "".join(worker.log).splitlines() if "succeeded" in line or "scored a batch" in line]
        return all(any(f"[{task_id}]" in line for line in lines) for task_id in deliveries)

    wait_for(finished, 60, "both deliveries to be processed")
    application.refresh_from_db()
    assert application.status == "done"
    assert BankScore.objects.filter(application=application).count() == 5


def test_a_waiting_request_is_answered_when_the_worker_finishes(worker, api, answers, monkeypatch):
    from scoring.services import events

    # Were the worker's announcement lost, the request would re-read the status only after 30 s
    # and answer "queued" when its 10 s are over: this test sees the announcement itself.
    monkeypatch.setattr(events, "RECHECK_SECONDS", 30.0)
    application_id = api.post("/api/v1/applications/", {"answers": answers}, format="json").json()["id"]
    started = time.monotonic()
    response = api.get(f"/api/v1/applications/{application_id}/", {"wait": 10}, **{"wsgi.multithread": True})
    assert response.status_code == 200
    assert response.json()["status"] == "done" and len(response.json()["scores"]) == 5
    assert time.monotonic() - started < 10


def test_a_waited_submission_is_answered_with_the_result_when_the_worker_finishes(worker, api, answers,
                                                                                   monkeypatch):
    from scoring.services import events

    # As above: were the announcement missed, the answer would come only after the 10 s, unscored.
    monkeypatch.setattr(events, "RECHECK_SECONDS", 30.0)
    started = time.monotonic()
    response = api.post("/api/v1/applications/?wait=10", {"answers": answers}, format="json",
                        **{"wsgi.multithread": True})
    assert response.status_code == 202
    assert response.json()["status"] == "done" and len(response.json()["scores"]) == 5
    assert time.monotonic() - started < 10
    again = api.post("/api/v1/applications/?wait=10", {"answers": answers}, format="json",
                     **{"wsgi.multithread": True})
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]


def test_a_waited_submissions_answer_is_the_application_as_get_shows_it(worker, api, answers, monkeypatch):
    """The answer is built from the application the request stored and what the worker wrote, read with
    the scores (selectors.submitted_application_with_scores): it must be what GET reads back whole."""
    from scoring.services import events

    monkeypatch.setattr(events, "RECHECK_SECONDS", 30.0)
    client = {"full_name": "Петрова Анна Сергеевна", "phone": "+7 912 000-11-22"}
    answered = api.post("/api/v1/applications/?wait=10", {"answers": answers, "client": client}, format="json",
                        **{"wsgi.multithread": True})
    assert answered.status_code == 202, answered.content
    body = answered.json()
    assert body["status"] == "done" and len(body["scores"]) == 5
    assert body["client"]["full_name"] == client["full_name"] and body["recommendation"]
    assert body == api.get(f"/api/v1/applications/{body['id']}/").json()


def test_an_announcement_wakes_only_the_requests_waiting_for_that_application(db):
    from scoring.services import events

    assert events.redis_url(), "the real-worker pass sets CELERY_BROKER_URL or REDIS_URL"
    awaited, other = uuid.uuid4(), uuid.uuid4()
    with events.waiting_for(awaited) as waiter, events.waiting_for(other) as bystander:
        assert waiter is not None and waiter.subscriber.subscribed.is_set()
        events.application_finished(awaited)
        assert waiter.wait(10) is True
        assert bystander.wait(0.2) is False
