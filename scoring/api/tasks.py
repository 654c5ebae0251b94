"""The API's Celery task: webhook deliveries, queued when scoring finishes (scoring.signals).

With a worker, a delivery is a task like any other. On the embedded default Celery is eager and a
queued task runs where it is queued: inside the officer's request, which an unresponsive receiver
once held for 70 s. There, deliveries queued during a request wait until the request is finished
(Django's request_finished: the response has been sent) and run then; outside a request (a
command, a test calling the services) they run at once.
"""
import logging
import threading

from celery import shared_task
from django.core.signals import request_finished, request_started
from django.db import transaction

from scoring.api import webhooks

log = logging.getLogger(__name__)

_request = threading.local()


def notify_integrator(sender=None, *, application_id, application=None, **kwargs) -> None:
    """Receiver of scoring.signals.scoring_finished: queue the callback, if the submitter has one."""
    delivery = webhooks.create_delivery(application_id=application_id, application=application)
    if delivery is not None:
        transaction.on_commit(lambda: enqueue_delivery(delivery.pk))


def enqueue_delivery(delivery_id: int) -> None:
    if deliver_webhook.app.conf.task_always_eager and getattr(_request, "deferred", None) is not None:
        _request.deferred.append(delivery_id)  # runs once the response is out (deliver_deferred)
        return
    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # noqa: BLE001 - a broker failure leaves the delivery pending in the log
        log.exception("could not enqueue webhook delivery %s", delivery_id)


def start_deferring(sender=None, **kwargs) -> None:
    """request_started: deliveries queued from now on wait for the response."""
    _request.deferred = []


def deliver_deferred(sender=None, **kwargs) -> None:
    """request_finished: the response is out; run what this request queued."""
    deferred, _request.deferred = getattr(_request, "deferred", None), None
    for delivery_id in deferred or ():
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # noqa: BLE001 - logged; the delivery stays pending in the log
            log.exception("webhook delivery %s failed after the request", delivery_id)


def connect() -> None:
    request_started.connect(start_deferring, dispatch_uid="api-webhooks-defer")
    request_finished.connect(deliver_deferred, dispatch_uid="api-webhooks-deliver")


@shared_task(name="scoring.tasks.deliver_webhook", bind=True)  # options: settings.CELERY_TASK_ANNOTATIONS
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one scoring result to the callback URL; retried with exponential backoff until 2xx."""
    final = self.request.retries >= self.max_retries
    if webhooks.attempt_delivery(delivery_id=delivery_id, final=final):
        return "delivered"
    if final:
        return "failed"
    raise self.retry(countdown=webhooks.backoff_seconds(self.request.retries))
