"""Webhooks, delivered to a real HTTP server started by the test on 127.0.0.1."""
import hashlib
import hmac
import json

import pytest

from scoring.services import runtime, submission
from scoring.api import webhooks
from scoring.models import ApiClient, WebhookDelivery
from scoring.api.tasks import deliver_webhook
from tests.helpers import Listener


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receivers here listen on 127.0.0.1 over http: allowed only by these two settings."""
    settings.PRESCORING_API = {**settings.PRESCORING_API, "WEBHOOK_ALLOW_HTTP": True,
                               "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"]}


def verify(secret: str, body: bytes, header: str) -> bool:
    """What an integrator does (docs/api.md)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def scored_delivery(officer, answers, callback_url):
    """The webhook delivery (not yet attempted) of an application of the officer's, scored, for an
    integration client with callback_url."""
    ApiClient.objects.create(user=officer, callback_url=callback_url)
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    return webhooks.create_delivery(application_id=application.pk)


def test_a_scored_application_is_posted_to_the_callback_url_signed(models_ready, officer, answers,
                                                                    django_capture_on_commit_callbacks):
    with Listener() as receiver:
        api_client = ApiClient.objects.create(user=officer, callback_url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            application, _ = submission.submit_application(officer=officer, answers=answers)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(api_client.secret, request["body"], request["headers"][webhooks.SIGNATURE_HEADER])
    assert not verify("another secret", request["body"], request["headers"][webhooks.SIGNATURE_HEADER])
    payload = json.loads(request["body"])
    assert payload["event"] == "application.scored"
    assert payload["application"]["id"] == str(application.pk)
    assert payload["application"]["status"] == "done"
    assert {s["bank"] for s in payload["application"]["scores"]} == {"bank_a", "bank_b", "bank_c", "bank_d",
                                                                    "bank_e"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1 and delivery.response_status == 200
    assert request["headers"][webhooks.DELIVERY_HEADER] == str(delivery.pk)


def test_the_standard_webhooks_verifier_accepts_a_delivery_as_the_docs_say(models_ready, officer, answers):
    """The Standard Webhooks team's own library (not this project's code) checks a real delivery, with
    the key derived as docs/api.md says; a changed body, another secret or an old timestamp fail."""
    import base64

    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    with Listener() as receiver:
        delivery = scored_delivery(officer, answers, receiver.url)
        deliver_webhook(delivery.pk)
    request = receiver.requests[0]
    secret = ApiClient.objects.get(user=officer).secret
    verifier = Webhook(base64.b64encode(secret.encode()).decode())
    headers = dict(request["headers"])
    payload = verifier.verify(request["body"], headers)
    assert payload["event"] == "application.scored" and payload["delivery_id"] == delivery.pk
    with pytest.raises(WebhookVerificationError):
        verifier.verify(request["body"].replace(b"application.scored", b"application.failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(b"another secret").decode()).verify(request["body"], headers)
    stale = {**headers, webhooks.WEBHOOK_TIMESTAMP_HEADER: str(int(headers[webhooks.WEBHOOK_TIMESTAMP_HEADER]) - 600)}
    with pytest.raises(WebhookVerificationError):
        verifier.verify(request["body"], stale)


def test_a_failed_delivery_is_retried_until_the_receiver_accepts(models_ready, officer, answers,
                                                                django_capture_on_commit_callbacks):
    with Listener((500, 503, 200)) as receiver:
        ApiClient.objects.create(user=officer, callback_url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            submission.submit_application(officer=officer, answers=answers)
    assert len(receiver.requests) == 3
    assert len({r["body"] for r in receiver.requests}) == 1  # the same signed body each time
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 3


def test_a_delivery_that_never_succeeds_is_logged_as_failed(models_ready, officer, answers, settings):
    with Listener((500,)) as receiver:
        delivery = scored_delivery(officer, answers, receiver.url)
        deliver_webhook.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    attempts = deliver_webhook.max_retries + 1
    assert len(receiver.requests) == attempts
    assert delivery.status == "failed" and delivery.attempts == attempts
    assert delivery.response_status == 500 and delivery.last_error == "HTTP 500"


def test_an_unreachable_receiver_is_a_failed_attempt_not_an_error(models_ready, officer, answers):
    with Listener() as receiver:
        url = receiver.url
    delivery = scored_delivery(officer, answers, url)  # the server is closed now
    assert webhooks.attempt_delivery(delivery_id=delivery.pk, final=False) is False
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error


def test_retries_back_off_exponentially(settings):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "WEBHOOK_RETRY_BASE_SECONDS": 30,
                               "WEBHOOK_RETRY_MAX_SECONDS": 3600}
    assert [webhooks.backoff_seconds(n) for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_no_callback_url_means_no_delivery(models_ready, officer, answers, django_capture_on_commit_callbacks):
    ApiClient.objects.create(user=officer, callback_url="")
    with django_capture_on_commit_callbacks(execute=True):
        submission.submit_application(officer=officer, answers=answers)
    assert not WebhookDelivery.objects.exists()


def test_a_redelivered_scoring_task_does_not_notify_twice(models_ready, officer, answers):
    with Listener() as receiver:
        ApiClient.objects.create(user=officer, callback_url=receiver.url)
        application, _ = submission.submit_application(officer=officer, answers=answers)
        runtime.score_application(application_id=application.pk)
        assert webhooks.create_delivery(application_id=application.pk) is not None
        assert webhooks.create_delivery(application_id=application.pk) is None
    assert WebhookDelivery.objects.count() == 1


def test_a_failed_scoring_is_notified_too(configured, officer, answers, django_capture_on_commit_callbacks):
    with Listener() as receiver:
        ApiClient.objects.create(user=officer, callback_url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            submission.submit_application(officer=officer, answers=answers)  # no trained models: fails
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["event"] == "application.failed" and payload["application"]["status"] == "failed"
    assert payload["application"]["error"]


def test_administrators_read_the_delivery_log_but_cannot_edit_it(admin_client, models_ready, officer, answers):
    with Listener() as receiver:
        delivery = scored_delivery(officer, answers, receiver.url)
        webhooks.attempt_delivery(delivery_id=delivery.pk, final=True)
    listing = admin_client.get("/admin/scoring/webhookdelivery/")
    assert listing.status_code == 200 and receiver.url in listing.content.decode()
    page = admin_client.get(f"/admin/scoring/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and 'name="url"' not in page.content.decode()
    assert admin_client.get("/admin/scoring/webhookdelivery/add/").status_code == 403
    assert admin_client.get("/admin/scoring/apiclient/add/").status_code == 200


def test_officers_cannot_open_the_delivery_log(officer_client):
    assert officer_client.get("/admin/scoring/webhookdelivery/").status_code == 302
