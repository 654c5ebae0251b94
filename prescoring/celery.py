import logging
import os
from typing import ClassVar

from celery import Celery, bootsteps
from celery.worker.consumer import Consumer as CeleryConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")

app = Celery("prescoring")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Consumer(CeleryConsumer):
    """The worker's consumer, made to survive and recover from losing the broker quickly (issue 19)."""

    # Celery's own back-off grows by 2 s per attempt up to 30 s: after a 30 s Redis outage the worker
    # came back 18 s after Redis did. An attempt against a broker that is down costs one refused connection.
    RECONNECT_SECONDS: ClassVar[dict] = {"interval_start": 1, "interval_step": 1, "interval_max": 2}

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection
        conn.ensure_connection = lambda *args, **kwargs: ensure(*args, **{**self.RECONNECT_SECONDS, **kwargs})
        return super().ensure_connected(conn)

    def on_connection_error_after_connected(self, exc):
        """Do not put unacknowledged messages back while closing the lost connection. kombu 5.7 tries,
        fails (the broker is gone), leaves a channel open, detaches the transport, and the next close
        of that channel raises AttributeError("'NoneType' object has no attribute 'hostname'"),
        which ended the worker ("Unrecoverable error"). The messages stay in Redis's unacknowledged
        set (returned after the visibility timeout), and FinishWhatWasLeft sends their applications
        again as soon as the worker is connected."""
        transport = self.connection.transport if self.connection else None
        for channel in [*getattr(transport, "channels", ()), *getattr(transport, "_avail_channels", ())]:
            if getattr(channel, "_qos", None) is not None:
                channel._qos.restore_at_shutdown = False
        super().on_connection_error_after_connected(exc)


app.conf.worker_consumer = "prescoring.celery:Consumer"


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


class FinishWhatWasLeft(bootsteps.StartStopStep):
    """Each time a worker connects to the broker (it starts after a crash, a kill or a deploy, or it is
    back after losing the broker), it sends again the applications queued or scoring since before:
    a killed worker's unacknowledged message would return only after the broker's visibility timeout
    (an hour), and what was queued in a Redis that restarted empty is gone; beat's periodic re-enqueue
    would take up to half a minute more. A duplicate of a live scoring is harmless: scoring is
    idempotent. Queued as a task, so the check runs in a pool process, not in the consumer."""

    requires: ClassVar[set] = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, c) -> None:
        from django.conf import settings

        from scoring.tasks import requeue_stale_applications

        seconds = settings.PRESCORING["WORKER_START_STUCK_SECONDS"]
        try:
            # A few quick attempts: the producer's pooled connection may still be the one the outage broke.
            requeue_stale_applications.apply_async(
                kwargs={"older_than_seconds": seconds, "stuck_after_seconds": seconds},
                retry=True, retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 0.5})
        except Exception:  # noqa: BLE001 - the broker just went away again: beat will do it
            logging.getLogger(__name__).exception("could not queue the requeue of what was left")


app.steps["consumer"].add(FinishWhatWasLeft)
