"""Fault tests on real services: a private Redis and PostgreSQL that the tests stop and restart, and
real Celery worker processes (run by .ci/run's second pass, which has a server database)."""
import os
import re
import time
import uuid

import pytest
from django.db import connection

from prescoring.celery import app as celery_app
from scoring.models import Application, BankScore
from tests.faultproc import (
    celery_beat, celery_worker, database_url, private_broker, wait_for, wait_for_worker,
)

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),  # role groups flushed by such tests are remade by user_in_role
    pytest.mark.skipif(connection.vendor == "sqlite",
                       reason="workers share the test database: needs PostgreSQL (.ci/run's second pass)"),
]


@pytest.fixture
def redis_server():
    with private_broker() as server:
        yield server


@pytest.fixture
def workers():
    started = []

    def start(broker_url, *, count=1, **kwargs):
        """`count` workers on broker_url, started together (their start-ups overlap), each answering a
        ping: the worker, or a list of them when count > 1."""
        names = [f"fault-{uuid.uuid4().hex[:8]}@localhost" for _ in range(count)]
        batch = [celery_worker(broker_url=broker_url, database_url=database_url(), queue="celery", name=name,
                               **kwargs) for name in names]
        started.extend(batch)
        for worker, name in zip(batch, names):
            wait_for_worker(celery_app, worker, name)
        return batch if count > 1 else batch[0]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def submitter(token_client, django_user_model, models_ready):
    """An API client for a user who may submit (a superuser: no dependence on the role groups' rows)."""
    user = django_user_model.objects.create_user(username=f"faults-{uuid.uuid4().hex[:6]}", is_superuser=True)
    api = token_client(user)
    api.user = user
    return api


def submit(api, answers, amount):
    response = api.post("/api/v1/applications/", {"answers": {**answers, "loan_amount": amount}}, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def delivered(output: str) -> int:
    """How many scoring messages the workers' logs say were run: one per Celery task line, or a batch's size."""
    return output.count("succeeded in") + sum(int(n) for n in re.findall(r"scored a batch of (\d+) in", output))


def status_of(application_id):
    return Application.objects.get(pk=application_id).status


def test_a_worker_killed_mid_scoring_leaves_the_application_to_the_next_worker(
        redis_server, workers, submitter, answers, tmp_path):
    doomed = workers(redis_server.url, extra_env={"PRESCORING_PAUSE_DIR": str(tmp_path)})
    application_id = submit(submitter, answers, 68000)["id"]
    wait_for(lambda: list(tmp_path.glob("started-*")), 60, "the worker to start scoring")
    assert status_of(application_id) == "scoring"

    doomed.kill()  # SIGKILL: the task is neither finished nor acknowledged
    assert status_of(application_id) == "scoring" and not BankScore.objects.filter(application_id=application_id).exists()

    replacement = workers(redis_server.url)  # returns once the worker answers a ping
    # Within 30 s of the new worker (issue 19): it sends again what has been scoring since before it
    # started, instead of waiting for the broker's visibility timeout.
    try:
        wait_for(lambda: status_of(application_id) == "done", 30, "the replacement worker to score it")
    except AssertionError:
        print("REPLACEMENT OUTPUT:\n", replacement.output)
        raise
    assert BankScore.objects.filter(application_id=application_id).count() == 5  # one set, never two
    assert "scoring.tasks.score_application" in replacement.output, replacement.output


def test_a_worker_killed_mid_batch_loses_nothing_and_scores_nothing_twice(
        redis_server, workers, submitter, answers, tmp_path):
    """Issue 18: a batch of applications, marked scoring together and stored in one transaction, is
    neither half-stored nor lost when its worker dies in the middle; the next worker scores each once."""
    from scoring.services import submission

    # Queued before the worker starts, so that it finds a backlog, as a worker does after a busy moment.
    items = [{"answers": {**answers, "loan_amount": 40000 + 1000 * i}} for i in range(12)]
    batch = submission.submit_batch(officer=submitter.user, items=items)
    ids = list(batch.items.values_list("application_id", flat=True))
    # Not waited for with a ping: a solo worker held in the middle of its batch cannot answer one.
    doomed = celery_worker(broker_url=redis_server.url, database_url=database_url(), queue="celery",
                           name=f"doomed-{uuid.uuid4().hex[:8]}@localhost",
                           extra_env={"PRESCORING_PAUSE_DIR": str(tmp_path)})
    try:
        wait_for(lambda: list(tmp_path.glob("started-*")) or not doomed.alive(), 90, "the worker to start scoring")
    except AssertionError:
        doomed.stop()
        raise
    assert doomed.alive(), doomed.output
    in_batch = Application.objects.filter(pk__in=ids, status="scoring").count()
    assert in_batch > 1, "the worker took the queued applications one at a time, not as a batch"

    doomed.kill()  # SIGKILL in the middle of the batch: nothing of it stored, nothing acknowledged
    assert not BankScore.objects.filter(application_id__in=ids).exists()
    assert Application.objects.filter(pk__in=ids, status="done").count() == 0

    workers(redis_server.url)
    wait_for(lambda: Application.objects.filter(pk__in=ids, status="done").count() == len(ids), 30,
             "the replacement worker to score the whole batch")
    per_application = {pk: BankScore.objects.filter(application_id=pk).count() for pk in ids}
    assert set(per_application.values()) == {5}, per_application
    print(f"\nthe killed worker's batch held {in_batch} of {len(ids)} applications")


def test_applications_submitted_while_redis_is_down_are_scored_after_it_returns(
        redis_server, workers, submitter, answers, client, tmp_path):
    workers(redis_server.url)
    redis_server.stop()

    started = time.monotonic()
    ids = [submit(submitter, answers, amount)["id"] for amount in (61000, 62000, 63000)]
    assert time.monotonic() - started < 15, "a submission must not hang on a dead broker"
    for application_id in ids:
        assert submitter.get(f"/api/v1/applications/{application_id}/").json()["status"] == "queued"
    client.force_login(submitter.user)
    page = client.get(f"/applications/{ids[0]}/").content.decode()
    assert "Заявка в очереди на оценку" in page

    redis_server.start()  # the same port: the worker reconnects by itself
    # Beat with the production defaults (every 10 s, queued for 20 s): finished within 30 s (issue 19).
    beat = celery_beat({**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": redis_server.url}, tmp_path)
    try:
        wait_for(lambda: all(status_of(i) == "done" for i in ids), 30,
                 "the periodic re-enqueue to get every queued application scored")
    finally:
        beat.stop()
    assert Application.objects.filter(pk__in=ids).count() == 3
    for application_id in ids:
        assert BankScore.objects.filter(application_id=application_id).count() == 5


def test_the_same_task_delivered_twice_to_two_workers_leaves_one_set_of_scores(
        redis_server, workers, submitter, answers):
    from scoring.services import submission
    from scoring.tasks import score_application

    first, second = workers(redis_server.url, count=2)
    application, _ = submission.submit_application(officer=submitter.user, answers=answers)  # sent once on commit
    for _ in range(4):
        score_application.delay(str(application.pk))
    # Celery's line per task, or the worker's line per batch with its size (ScoringTask.run_batch).
    wait_for(lambda: delivered(first.output + second.output) >= 5, 90, "all five deliveries")
    application.refresh_from_db()
    assert application.status == "done"
    assert BankScore.objects.filter(application=application).count() == 5
