import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")

app = Celery("prescoring")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The request id travels with the task, so the worker's log lines name the request that queued it.
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_process_init, worker_ready  # noqa: E402,I001

from prescoring.observability import request_id_var, task_id_var  # noqa: E402


@before_task_publish.connect
def _attach_request_id(headers=None, **kwargs):
    if headers is not None and request_id_var.get() != "-":
        headers.setdefault("request_id", request_id_var.get())


@task_prerun.connect
def _enter_task_context(task_id=None, task=None, **kwargs):
    task_id_var.set(task_id or "-")
    request_id_var.set(getattr(task.request, "request_id", None) or "-")


@task_postrun.connect
def _leave_task_context(**kwargs):
    task_id_var.set("-")
    request_id_var.set("-")


@task_prerun.connect
@task_postrun.connect
def _close_broken_or_old_connections(task=None, **kwargs) -> None:
    """Between tasks, what Django does between requests (CELERY_DB_REUSE_MAX keeps connections):
    a connection that failed or outlived CONN_MAX_AGE is closed, the next query opens a new one."""
    if task is None or getattr(task.request, "is_eager", False):
        return  # inside the caller's request (embedded default), perhaps in its transaction
    from django.db import close_old_connections

    close_old_connections()


@worker_ready.connect
@worker_process_init.connect
def _settle_worker(**kwargs) -> None:
    """A worker (or a prefork child) has loaded what it keeps: leave it out of full garbage
    collections (prescoring/gc_tuning.py); the scoring models it loads later are few objects."""
    from scoring import tasks  # noqa: F401 - the tasks and everything they import

    from prescoring.gc_tuning import settle

    settle()


@worker_ready.connect
def _finish_what_a_lost_worker_left(sender=None, **kwargs) -> None:
    """A worker that starts (after a crash, a kill, a deploy) sends again the applications that have
    been scoring for a few seconds or queued: a killed worker's unacknowledged message would return
    only after the broker's visibility timeout (an hour). A duplicate of a live scoring is harmless:
    scoring is idempotent. Queued as a task, so the check runs in a pool process, not here."""
    from django.conf import settings

    from scoring.tasks import requeue_stale_applications

    seconds = settings.PRESCORING["WORKER_START_STUCK_SECONDS"]
    try:
        requeue_stale_applications.apply_async(
            kwargs={"older_than_seconds": seconds, "stuck_after_seconds": seconds}, retry=False)
    except Exception:  # noqa: BLE001 - the broker just went away again: beat will do it
        logging.getLogger(__name__).exception("could not queue the start-up requeue")
