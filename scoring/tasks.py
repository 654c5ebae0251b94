import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from scoring import services, webhooks

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


# acks_late + reject_on_worker_lost: a worker killed mid-scoring leaves the message on the broker,
# so another worker scores the application; the time limits stop a scoring that hangs.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5, retry_backoff=True,
             retry_backoff_max=60, soft_time_limit=100, time_limit=120)
def score_application(self, application_id: str) -> str:
    """Score one application for every active bank (idempotent: safe to deliver twice)."""
    try:
        application = services.score_application(application_id=application_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc)
        services.mark_failed(application_id=application_id,
                             message="База данных недоступна; попробуйте отправить заявку ещё раз.")
        raise
    except services.ScoringError as exc:
        services.mark_failed(application_id=application_id, message=str(exc))
        _notify(application_id)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - any other error is final: say so on the application
        log.exception("scoring of application %s failed", application_id)
        services.mark_failed(application_id=application_id,
                             message=f"Не удалось оценить заявку: {exc.__class__.__name__}: {exc}")
        _notify(application_id)
        return "failed"
    if application is not None:
        _notify(application_id, application)
    return application.status if application else "missing"


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def requeue_stale_applications() -> int:
    """Run by Celery beat: queued applications the broker never delivered are sent again."""
    sent = services.requeue_stale_applications()
    if sent:
        log.info("sent %s stale applications to scoring again", sent)
    return sent


# Training several banks on 20 000 rows takes minutes, far over the scoring tasks' default limit.
@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def train_models(run_id: int) -> str:
    """The admin's "train now": train the run's banks and record progress on the TrainingRun row."""
    from scoring import model_versions
    from scoring.models import TrainingRun

    try:
        run = model_versions.run_training(run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - any failure is shown on the run's page
        log.exception("training run %s failed", run_id)
        model_versions.finish_run(TrainingRun.objects.get(pk=run_id), TrainingRun.Status.FAILED,
                               f"Обучение не удалось: {exc.__class__.__name__}: {exc}")
        return "failed"
    return run.status


def _notify(application_id, application=None) -> None:
    """Tell the integrator's callback URL, if any; a webhook problem never fails the scoring."""
    try:
        webhooks.notify_scoring_finished(application_id=application_id, application=application)
    except Exception:  # noqa: BLE001 - the result is stored; the delivery log shows what went wrong
        log.exception("could not queue the webhook for application %s", application_id)


@shared_task(bind=True, acks_late=True, max_retries=settings.PRESCORING_API["WEBHOOK_MAX_RETRIES"])
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one scoring result to the callback URL; retried with exponential backoff until 2xx."""
    final = self.request.retries >= self.max_retries
    if webhooks.attempt_delivery(delivery_id=delivery_id, final=final):
        return "delivered"
    if final:
        return "failed"
    raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
