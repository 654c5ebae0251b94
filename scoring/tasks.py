"""The domain's Celery tasks: scoring an application, and sending again what the broker lost.

Every task's options (retries, time limits, acknowledgement) are in settings: CELERY_TASK_* for what
all share, CELERY_TASK_ANNOTATIONS by task name. Services queue scoring through enqueue_scoring.
"""
import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from scoring.batching import ACK, BatchedTask, Item
from scoring import selectors
from scoring.services import runtime
from scoring.signals import scoring_finished

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


class ScoringTask(BatchedTask):
    """In a worker, the queued applications are scored in batches (score_batch): up to
    PRESCORING["SCORING_BATCH_SIZE"] in one pass and one transaction, gathered while they keep coming
    (SCORING_BATCH_GAP_MS) for at most SCORING_BATCH_WAIT_MS after the first; each message is
    acknowledged after its application is stored (scoring/batching.py)."""

    def batch_limits(self) -> tuple[int, float, float]:
        return (settings.PRESCORING["SCORING_BATCH_SIZE"], settings.PRESCORING["SCORING_BATCH_WAIT_MS"] / 1000,
                settings.PRESCORING["SCORING_BATCH_GAP_MS"] / 1000)

    def run_batch(self, items: list[Item]) -> list[str]:
        started = time.perf_counter()
        outcomes = score_batch(items)
        # One line per batch (Celery's own are two per task): its size, its time and its messages.
        log.info("scored a batch of %d in %.1f ms: %s", len(items), (time.perf_counter() - started) * 1000,
                 " ".join(f"[{item.task_id}]" for item in items))
        return outcomes


# Options (settings.CELERY_TASK_*, CELERY_TASK_ANNOTATIONS): acknowledged late and requeued when its
# worker is lost, so a worker killed mid-scoring leaves the message for another; time limits stop a
# scoring that hangs; a database outage is retried.
@shared_task(name="scoring.tasks.score_application", bind=True, base=ScoringTask)
def score_application(self, application_id: str) -> str:
    """Score one application for every active bank (idempotent: safe to deliver twice)."""
    def retry(exc, countdown):
        raise self.retry(exc=exc, countdown=countdown)

    return _score_one(application_id, self.request.retries, retry=retry)


def _score_one(application_id, retries: int, *, retry) -> str:
    """Score one application; retry(exc, countdown) is called to try again after a database outage."""
    try:
        application = runtime.score_application(application_id=application_id)
    except TRANSIENT as exc:
        if _retry_or_give_up(application_id, retries, exc, retry):
            return "retried"
        raise
    except runtime.ScoringError as exc:
        runtime.mark_failed(application_id=application_id, message=str(exc))
        _announce(application_id)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - any other error is final: say so on the application
        log.exception("scoring of application %s failed", application_id)
        runtime.mark_failed(application_id=application_id,
                            message=f"Не удалось оценить заявку: {exc.__class__.__name__}: {exc}")
        _announce(application_id)
        return "failed"
    if application is not None:
        _announce(application_id, application)
    return application.status if application else "missing"


def _retry_or_give_up(application_id, retries: int, exc, retry) -> bool:
    """After a database outage: retry(exc, countdown) while retries are left (True), else the
    application is failed with the reason (False)."""
    if retries < score_application.max_retries:
        # 1, 2, 4, then every RETRY_MAX_SECONDS: the application is finished within seconds of the
        # database being back (a bare self.retry waited Celery's default 180 s).
        retry(exc, retry_countdown(retries))
        return True
    runtime.mark_failed(application_id=application_id,
                        message="База данных недоступна; попробуйте отправить заявку ещё раз.")
    return False


def score_batch(items: list[Item]) -> list[str]:
    """A worker's batch of scoring messages (ScoringTask): every application scored in one engine pass
    and stored in one transaction (runtime.score_applications); what they need is as for one.

    If the batch fails, each application is scored on its own, so one that cannot be scored fails
    alone, with its reason, and the others are stored. A database outage sends every message again
    with the retry's countdown (a new message, as Celery's retry does). Every message is then
    acknowledged: the database says what is done, and the periodic re-send covers the rest.
    """
    from django.db import close_old_connections, connection

    def close_broken_or_old():
        # What the prerun and postrun signals do for a task: a broken or old connection is replaced.
        # Never inside a caller's transaction (a test's, or a caller that runs the batch itself).
        if not connection.in_atomic_block:
            close_old_connections()

    close_broken_or_old()
    outcomes = [ACK] * len(items)
    ids = []
    for item in items:
        application_id = item.kwargs.get("application_id", item.args[0] if item.args else None)
        ids.append(str(application_id) if application_id is not None else None)
    try:
        try:
            scored = runtime.score_applications([pk for pk in ids if pk is not None])
        except TRANSIENT as exc:
            log.warning("database unavailable scoring a batch of %d: %s", len(items), exc)
            for item, application_id in zip(items, ids, strict=True):
                if application_id is not None:
                    try:
                        _retry_or_give_up(application_id, item.retries, exc, _send_again(application_id, item))
                    except TRANSIENT:  # the database is still down: logged; the periodic re-send covers it
                        log.exception("could not mark application %s failed", application_id)
            return outcomes
        except Exception:  # noqa: BLE001 - one of them, perhaps: each on its own
            log.exception("a batch of %d failed; scoring its applications one by one", len(items))
            for item, application_id in zip(items, ids, strict=True):
                if application_id is not None:
                    _one_of_batch(application_id, item, _send_again(application_id, item))
            return outcomes
        for application_id in dict.fromkeys(pk for pk in ids if pk is not None):
            application = scored.get(application_id)
            if application is not None:
                _announce(application_id, application)
        return outcomes
    finally:
        close_broken_or_old()


def _one_of_batch(application_id, item: Item, retry) -> None:
    try:
        _score_one(application_id, item.retries, retry=retry)
    except Exception:  # noqa: BLE001 - the database is down past the retries: logged, acknowledged
        log.exception("could not score application %s", application_id)


def _send_again(application_id, item: Item):
    """The retry of a batch's message, as Celery's retry for a task: retry(exc, countdown) sends the same
    task again after the countdown, one retry more, to the queue the message came from."""
    def retry(exc, countdown):
        try:
            score_application.apply_async((application_id,), countdown=countdown, retry=False,
                                          **item.retry_options())
        except Exception:  # noqa: BLE001 - the broker too: the periodic re-send sends it again
            log.exception("could not queue the retry of application %s (%s)", application_id, exc)
    return retry


# The longest wait between two attempts at a scoring the database refused (an outage).
RETRY_MAX_SECONDS = 5


def retry_countdown(retries: int) -> int:
    return min(2 ** retries, RETRY_MAX_SECONDS)


def _announce(application_id, application=None) -> None:
    """Tell the listeners (the API's webhooks); a listener's problem never fails the scoring."""
    for receiver, result in scoring_finished.send_robust(sender=score_application, application_id=application_id,
                                                          application=application):
        if isinstance(result, Exception):
            log.error("a listener of scoring_finished (%s) failed for application %s: %r",
                      getattr(receiver, "__qualname__", receiver), application_id, result,
                      exc_info=(type(result), result, result.__traceback__))


def enqueue_scoring(application_id) -> bool:
    """Send the scoring task; if the broker is down the application stays queued, not lost
    (requeue_stale_applications sends it again later). Returns whether the broker took it."""
    try:
        # Without a retry policy a dead broker fails at once instead of holding the request.
        score_application.apply_async((str(application_id),), retry=False)
    except Exception:  # noqa: BLE001 - any broker failure leaves the application queued
        log.exception("could not enqueue scoring of application %s; it stays queued", application_id)
        return False
    return True


@shared_task(name="scoring.tasks.requeue_stale_applications")
def requeue_stale_applications(older_than_seconds: int | None = None, stuck_after_seconds: int | None = None) -> int:
    """Send again every application still queued after older_than_seconds (PRESCORING
    ["REQUEUE_AFTER_SECONDS"]) or still scoring after stuck_after_seconds (PRESCORING
    ["STUCK_SCORING_SECONDS"]). Run by Celery beat every few seconds, and by every worker as it starts.

    Catches what the broker lost or never took (Redis down at submission, a message dropped) and what
    a killed worker was scoring (its unacknowledged message would come back only after the broker's
    visibility timeout, an hour). A scoring takes milliseconds, so one "scoring" for half a minute has
    lost its worker; scoring is idempotent, so one sent twice is scored once. Returns how many were sent.
    """
    age = older_than_seconds if older_than_seconds is not None else settings.PRESCORING["REQUEUE_AFTER_SECONDS"]
    stuck_after = (stuck_after_seconds if stuck_after_seconds is not None
                   else settings.PRESCORING["STUCK_SCORING_SECONDS"])
    now = timezone.now()
    stale = selectors.stale_application_ids(queued_before=now - timedelta(seconds=age),
                                            scoring_before=now - timedelta(seconds=stuck_after))
    sent = sum(1 for application_id in stale if enqueue_scoring(application_id))
    if sent:
        log.info("sent %s stale applications to scoring again", sent)
    return sent
