"""Celery tasks of analytics: the daily figures, the daily drift measurement, a data set's profile
and attribute-free training runs. The ones a page starts run through services.background: a worker,
or a thread of the web process on the embedded default, never inside the request."""
import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from scoring.models import Bank
from scoring.services import background

from . import drift, exploration, fairness, jobs, rollup
from .models import AttributeFreeTraining

log = logging.getLogger(__name__)


# These go over whole tables or train models: settings.CELERY_TASK_ANNOTATIONS gives them long limits.


@shared_task(name="scoring.analytics.tasks.compute_drift")
def compute_drift(last: int | None = None) -> int:
    """Measure PSI of every active model's fields against the latest applications (Celery beat, daily;
    the drift page's button)."""
    try:
        run = drift.compute_drift(last=last or drift.DEFAULT_LAST)
    finally:
        jobs.mark_finished(DRIFT_JOB)
    for version_id, reason in run.skipped.items():
        log.warning("drift of model %s skipped: %s", version_id, reason)
    return len(run.measurements)


@shared_task(name="scoring.analytics.tasks.profile_data")
def profile_data(source: str) -> int:
    """Profile one data set of the exploration page (exploration.SOURCES) into the cache; its rows."""
    try:
        return exploration.profile(source)["rows"]
    finally:
        jobs.mark_finished(profile_job(source))


DRIFT_JOB = "drift"


def profile_job(source: str) -> str:
    return f"profile:{source}"


def _request(job: str, task, *args) -> bool:
    """Start task(*args) in the background unless job is already running; whether it started."""
    if not jobs.mark_started(job):
        return False
    try:
        background.start(task, *args)
    except Exception:
        jobs.forget(job)  # e.g. the broker is down: the next click may try again
        raise
    return True


def request_drift() -> bool:
    """Start measuring drift unless it is already running; whether it started."""
    return _request(DRIFT_JOB, compute_drift)


def request_profile(source: str) -> bool:
    """Start profiling a data set unless it is already being profiled; whether it started."""
    return _request(profile_job(source), profile_data, source)


@shared_task(name="scoring.analytics.tasks.train_without_protected_attributes")
def train_without_protected_attributes(run_id: int) -> str:
    """Train one bank with and without gender and birth date and store both AUCs."""
    return fairness.run_attribute_free_training(run_id=run_id).status


@shared_task(name="scoring.analytics.tasks.refresh_analytics")
def refresh_analytics() -> int:
    """Rebuild the daily figures behind the analytics pages (Celery beat, every few minutes)."""
    return rollup.refresh()


# A queued run older than this is taken for lost (its task's hard time limit is an hour).
STALE_RUN = timedelta(hours=2)


def request_attribute_free_training(*, bank: Bank) -> tuple[AttributeFreeTraining, bool]:
    """Queue a comparison run for bank, unless one is already queued or running: (the run, whether
    it is new). One at a time per bank: each run trains two models on the whole history, and an
    analyst's repeated clicks must not fill the workers. The task starts after the commit, in the
    background (services.background): the request does not wait for the training."""
    with transaction.atomic():
        Bank.objects.select_for_update().filter(pk=bank.pk).first()  # two clicks at once: one run
        running = (AttributeFreeTraining.objects.filter(bank=bank, status=AttributeFreeTraining.Status.QUEUED,
                                                        created_at__gte=timezone.now() - STALE_RUN)
                   .order_by("-created_at").first())
        if running is not None:
            return running, False
        run = AttributeFreeTraining.objects.create(bank=bank, excluded=list(fairness.PROTECTED))
        transaction.on_commit(lambda: background.start(train_without_protected_attributes, run.pk))
    return run, True


