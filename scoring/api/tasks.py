"""The API's Celery task: webhook deliveries, queued when scoring finishes (scoring.signals)."""
import logging

from celery import shared_task
from django.db import transaction

from scoring.api import webhooks

log = logging.getLogger(__name__)


def notify_integrator(sender=None, *, application_id, application=None, **kwargs) -> None:
    """Receiver of scoring.signals.scoring_finished: queue the callback, if the submitter has one."""
    delivery = webhooks.create_delivery(application_id=application_id, application=application)
    if delivery is not None:
        transaction.on_commit(lambda: enqueue_delivery(delivery.pk))


def enqueue_delivery(delivery_id: int) -> None:
    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # noqa: BLE001 - a broker failure leaves the delivery pending in the log
        log.exception("could not enqueue webhook delivery %s", delivery_id)


@shared_task(name="scoring.tasks.deliver_webhook", bind=True)  # options: settings.CELERY_TASK_ANNOTATIONS
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one scoring result to the callback URL; retried with exponential backoff until 2xx."""
    final = self.request.retries >= self.max_retries
    if webhooks.attempt_delivery(delivery_id=delivery_id, final=final):
        return "delivered"
    if final:
        return "failed"
    raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
