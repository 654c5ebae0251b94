"""Scale-out (issue 18): two Celery worker processes with their own hostnames consume one queue on a
real Redis broker and share the test database; every application is scored by one of them, once."""
import re
import socket

import pytest
from django.db import connection
from django.db.models import Count

from prescoring.celery import app as celery_app
from scoring.models import Application, Bank, BankScore
from scoring.services import submission
from tests.faultproc import celery_worker, database_url, private_broker, wait_for, wait_for_worker

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite",
                       reason="workers share the test database: needs PostgreSQL (.ci/run's second pass)"),
]

APPLICATIONS = 200


@pytest.fixture
def broker():
    with private_broker() as server:
        yield server


def batches(worker) -> list[int]:
    """The sizes of the batches the worker scored (its line for each, scoring.tasks.ScoringTask.run_batch)."""
    return [int(size) for size in re.findall(r"scored a batch of (\d+) in", worker.output)]


def scored_by(worker) -> int:
    return sum(batches(worker))


def test_two_workers_on_one_queue_score_every_application_once(broker, models_ready, officer, answers):
    # As `docker compose up --scale worker=2` would run them: one queue, a hostname each (-n a@%h, b@%h).
    workers = [celery_worker(broker_url=broker.url, database_url=database_url(), queue="celery", name=f"{n}@%h")
               for n in ("a", "b")]
    try:
        for worker, n in zip(workers, ("a", "b")):
            wait_for_worker(celery_app, worker, f"{n}@{socket.gethostname()}")

        items = [{"answers": {**answers, "loan_amount": 30000 + 100 * i}} for i in range(APPLICATIONS)]
        batch = submission.submit_batch(officer=officer, items=items)  # each queued at the commit
        ids = list(batch.items.values_list("application_id", flat=True))
        assert len(ids) == APPLICATIONS

        wait_for(lambda: Application.objects.filter(pk__in=ids, status=Application.Status.DONE).count() == len(ids),
                 120, f"both workers to score all {APPLICATIONS} applications")
        wait_for(lambda: sum(scored_by(w) for w in workers) >= APPLICATIONS, 30, "the workers' logs of each task")
    finally:
        for worker in workers:
            worker.stop()

    # Nothing lost, nothing scored twice: one score per active bank for each application, no more.
    banks = Bank.objects.filter(active=True).count()
    per_application = (BankScore.objects.filter(application_id__in=ids).values("application_id")
                       .annotate(n=Count("id"), distinct_banks=Count("bank_id", distinct=True)))
    assert len(per_application) == APPLICATIONS
    assert all(row["n"] == row["distinct_banks"] == banks for row in per_application), per_application
    # Each message went to one worker: as many scorings as applications, shared by both.
    counts = [scored_by(worker) for worker in workers]
    print(f"\nscored by worker a / b: {counts[0]} / {counts[1]}; batch sizes a: {batches(workers[0])}, "
          f"b: {batches(workers[1])}")
    assert sum(counts) == APPLICATIONS and min(counts) > 0, counts
