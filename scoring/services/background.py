"""Long work started from a page (training, attribute-free comparison): a Celery task where there is
a broker; a thread of the web process on the embedded default, where Celery runs tasks eagerly and
would otherwise hold the officer's request for minutes. The page polls the run's row either way."""
import logging
import threading

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)


def start(task, *args) -> None:
    """Run task(*args) without blocking the request. Call it after the run's row is committed."""
    if not (task.app.conf.task_always_eager and settings.PRESCORING_BACKGROUND_THREADS):
        task.delay(*args)
        return
    threading.Thread(target=_run, args=(task, args), name=f"background:{task.name}", daemon=True).start()


def _run(task, args) -> None:
    try:
        task.apply(args=args)  # the task records its own failure on its run's row
    except Exception:  # noqa: BLE001 - a thread has nobody to raise to
        log.exception("background %s%r failed", task.name, args)
    finally:
        connections.close_all()  # this thread's connections, not the request's
