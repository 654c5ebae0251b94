"""The domain's Celery tasks: scoring an application, and sending again what the broker lost.

Every task's options (retries, time limits, acknowledgement) are in settings: CELERY_TASK_* for what
all share, CELERY_TASK_ANNOTATIONS by task name. Services queue scoring through enqueue_scoring.
"""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from scoring import selectors
from scoring.services import runtime
from scoring.signals import scoring_finished

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


# Options (settings.CELERY_TASK_*, CELERY_TASK_ANNOTATIONS): acknowledged late and requeued when its
# worker is lost, so a worker killed mid-scoring leaves the message for another; time limits stop a
# scoring that hangs; a database outage is retried.
@shared_task(name="scoring.tasks.score_application", bind=True)
def score_application(self, application_id: str) -> str:
    """Score one application for every active bank (idempotent: safe to deliver twice)."""
    try:
        application = runtime.score_application(application_id=application_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            # 1, 2, 4, then every RETRY_MAX_SECONDS: the application is finished within seconds of the
            # database being back (a bare self.retry waited Celery's default 180 s).
            raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries))
        runtime.mark_failed(application_id=application_id,
                            message="База данных недоступна; попробуйте отправить заявку ещё раз.")
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
