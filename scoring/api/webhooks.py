"""Webhooks: when scoring finishes, the integrator's callback URL receives the result, signed.

The body is JSON, signed as Standard Webhooks (standardwebhooks.com) sign it: `webhook-id` (the
delivery's id, the same on every retry), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature` = "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" under the API
client's secret (its UTF-8 bytes), so a receiver can refuse a replayed or stale message
(docs/api.md shows the check). The older X-Prescoring-Signature ("sha256=" + hex HMAC of the body
alone) is still sent for receivers written against it. The URL is checked and called by
scoring/api/callbacks.py (https, public addresses, no redirects). Every attempt is written to
WebhookDelivery, which administrators read in the admin; the Celery task retries with backoff.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from scoring.api import callbacks
from scoring.api.serializers import ApplicationSerializer
from scoring.models import ApiClient, Application, WebhookDelivery
from scoring.selectors import application_with_scores

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Prescoring-Signature"
DELIVERY_HEADER = "X-Prescoring-Delivery"
EVENT_HEADER = "X-Prescoring-Event"
EVENTS = {Application.Status.DONE: "application.scored", Application.Status.FAILED: "application.failed"}


WEBHOOK_ID_HEADER = "webhook-id"
WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"


def sign(secret: str, body: bytes) -> str:
    """The legacy X-Prescoring-Signature: the body alone (no protection against replays)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks' `webhook-signature`: "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()).decode()


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
    marked with callback_configured (selectors.users_with_callback) if read that way.
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
    message_id, timestamp = str(delivery.pk), int(time.time())
    status_code, error = callbacks.post(delivery.url, body, {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "prescoring-webhook/1",
        WEBHOOK_ID_HEADER: message_id,
        WEBHOOK_TIMESTAMP_HEADER: str(timestamp),
        WEBHOOK_SIGNATURE_HEADER: standard_signature(delivery.api_client.secret, message_id, timestamp, body),
        SIGNATURE_HEADER: sign(delivery.api_client.secret, body),
        DELIVERY_HEADER: message_id,
        EVENT_HEADER: delivery.payload.get("event", ""),
    }, timeout=settings.PRESCORING_API["WEBHOOK_TIMEOUT_SECONDS"])
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
