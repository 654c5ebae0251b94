"""Webhooks: when scoring finishes, the integrator's callback URL receives the result, signed.

The body is JSON; the header X-Prescoring-Signature carries "sha256=" and the hex HMAC-SHA256 of
the exact body bytes under the API client's secret. Every attempt is written to WebhookDelivery,
which administrators read in the admin; the Celery task retries with exponential backoff.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from scoring.api.serializers import ApplicationSerializer
from scoring.models import ApiClient, Application, WebhookDelivery
from scoring.selectors import application_with_scores

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Prescoring-Signature"
DELIVERY_HEADER = "X-Prescoring-Delivery"
EVENT_HEADER = "X-Prescoring-Event"
EVENTS = {Application.Status.DONE: "application.scored", Application.Status.FAILED: "application.failed"}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff_seconds(retries: int) -> int:
    """Wait before the next attempt: base, 2×base, 4×base… capped (WEBHOOK_RETRY_BASE/MAX_SECONDS)."""
    base = settings.PRESCORING_API["WEBHOOK_RETRY_BASE_SECONDS"]
    return int(min(base * 2 ** retries, settings.PRESCORING_API["WEBHOOK_RETRY_MAX_SECONDS"]))


def result_payload(application: Application, event: str, delivery_id: int) -> dict:
    application = application_with_scores(application.officer, application.pk)
    with translation.override(settings.LANGUAGE_CODE):  # texts in the default language, whoever triggered it
        data = ApplicationSerializer(application, context={"user": application.officer}).data
    return {"event": event, "delivery_id": delivery_id, "application": json.loads(json.dumps(data, default=str))}


def create_delivery(*, application_id, application: Application | None = None) -> WebhookDelivery | None:
    """A notification to send, if the application's submitter has a callback URL (once per outcome);
    None when there is nothing to send. The caller queues it (scoring/api/tasks.py).

    `application`, if given, is the application as its scoring just left it (saves reading it again),
    annotated with selectors.callback_configured() if read that way.
    """
    if application is None:
        application = Application.objects.filter(pk=application_id).first()
    if application is None or application.status not in EVENTS:
        return None
    if getattr(application, "callback_configured", True) is False:
        return None
    api_client = ApiClient.objects.filter(user_id=application.officer_id).exclude(callback_url="").first()
    if api_client is None:
        return None
    event = EVENTS[application.status]
    if WebhookDelivery.objects.filter(application=application, api_client=api_client,
                                      payload__event=event).exists():
        return None  # a redelivered scoring task: already notified
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(api_client=api_client, application=application,
                                                  url=api_client.callback_url, payload={})
        delivery.payload = result_payload(application, event, delivery.pk)
        delivery.save(update_fields=["payload"])
    return delivery


def attempt_delivery(*, delivery_id: int, final: bool) -> bool:
    """POST the payload once and log the attempt. True when the receiver answered 2xx."""
    delivery = WebhookDelivery.objects.select_related("api_client").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDelivery.Status.DELIVERED:
        return True
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    request = urllib.request.Request(delivery.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "prescoring-webhook/1",
        SIGNATURE_HEADER: sign(delivery.api_client.secret, body),
        DELIVERY_HEADER: str(delivery.pk),
        EVENT_HEADER: delivery.payload.get("event", ""),
    })
    status_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.PRESCORING_API["WEBHOOK_TIMEOUT_SECONDS"]) as reply:
            status_code = reply.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except Exception as exc:  # noqa: BLE001 - any network failure is a failed attempt, logged
        error = f"{exc.__class__.__name__}: {exc}"
    delivered = status_code is not None and 200 <= status_code < 300
    delivery.attempts += 1
    delivery.response_status = status_code
    delivery.last_error = error[:2000]
    if delivered:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, timezone.now()
    elif final:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(update_fields=["attempts", "response_status", "last_error", "status", "delivered_at"])
    return delivered
