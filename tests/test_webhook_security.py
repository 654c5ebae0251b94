"""Webhooks cannot reach inside the bank (SSRF), are signed against replays (Standard Webhooks), and
never hold an officer's request (issue 16, finding 3). Receivers are real HTTP listeners on 127.0.0.1."""
import base64
import hashlib
import hmac
import json
import threading
import urllib.request

import pytest

from scoring.api import callbacks, webhooks
from scoring.models import ApiClient, ApiToken, WebhookDelivery
from scoring.services import runtime, submission
from tests.helpers import EXAMPLE_ANSWERS, Listener


def allow_local(settings, *, http=True, networks=("127.0.0.0/8",)):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "WEBHOOK_ALLOW_HTTP": http,
                               "WEBHOOK_ALLOWED_NETWORKS": list(networks)}


@pytest.mark.parametrize("url, reason", [
    ("http://93.184.216.34/hook", "only https"),
    ("ftp://93.184.216.34/hook", "only https"),
    ("https://127.0.0.1:8000/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://0.0.0.0/hook", "reserved"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://user:pw@93.184.216.34/hook", "user name"),
])
def test_callback_urls_into_the_bank_or_not_https_are_refused(settings, url, reason):
    allow_local(settings, http=False, networks=())
    with pytest.raises(callbacks.CallbackRefused, match=reason):
        callbacks.check_url(url)


def test_a_public_https_address_is_accepted(settings):
    allow_local(settings, http=False, networks=())
    target = callbacks.check_url("https://93.184.216.34:8443/hook?x=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/hook?x=1")


def test_an_allowed_network_lets_a_receiver_inside_the_bank_in(settings):
    allow_local(settings, http=False, networks=("10.20.0.0/16",))
    assert callbacks.check_url("https://10.20.3.4/hook").address == "10.20.3.4"
    with pytest.raises(callbacks.CallbackRefused):
        callbacks.check_url("https://10.21.3.4/hook")


def test_the_admin_refuses_an_internal_callback_url(admin_client, officer, settings):
    allow_local(settings, http=False, networks=())
    response = admin_client.post("/admin/scoring/apiclient/add/", {
        "user": officer.pk, "callback_url": "https://169.254.169.254/latest", "secret": "s" * 40})
    assert response.status_code == 200
    assert "callback_url" in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def scored_delivery(officer, url):
    ApiClient.objects.create(user=officer, callback_url=url, secret="integrator-secret")
    application, _ = submission.submit_application(officer=officer, answers=dict(EXAMPLE_ANSWERS))
    runtime.score_application(application_id=application.pk)
    return webhooks.create_delivery(application_id=application.pk)


def test_every_delivery_checks_the_address_again(models_ready, officer, settings):
    allow_local(settings)
    with Listener() as listener:
        delivery = scored_delivery(officer, listener.url)  # saved while 127.0.0.0/8 was allowed
        allow_local(settings, networks=())
        assert webhooks.attempt_delivery(delivery_id=delivery.pk, final=False) is False
    delivery.refresh_from_db()
    assert listener.requests == []
    assert delivery.last_error == "refused: the host resolves to a loopback address"


def test_redirects_are_not_followed(models_ready, officer, settings):
    allow_local(settings)
    with Listener() as target, Listener((307,), location=target.url) as redirecting:
        delivery = scored_delivery(officer, redirecting.url)
        assert webhooks.attempt_delivery(delivery_id=delivery.pk, final=False) is False
    delivery.refresh_from_db()
    assert len(redirecting.requests) == 1 and target.requests == []
    assert delivery.response_status == 307 and "redirects are not followed" in delivery.last_error


def test_a_failure_is_logged_without_the_systems_words(models_ready, officer, settings):
    allow_local(settings)
    with Listener() as listener:
        closed_url = listener.url
    delivery = scored_delivery(officer, closed_url)
    webhooks.attempt_delivery(delivery_id=delivery.pk, final=False)
    delivery.refresh_from_db()
    assert delivery.last_error == "could not connect"  # not "[Errno 111] Connection refused"


def verify_standard(secret: str, headers: dict, body: bytes) -> bool:
    """What an integrator does (docs/api.md): recompute the signature of id.timestamp.body."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", part) for part in headers["webhook-signature"].split())


def test_deliveries_are_signed_the_standard_webhooks_way(models_ready, officer, settings):
    allow_local(settings)
    with Listener() as listener:
        delivery = scored_delivery(officer, listener.url)
        assert webhooks.attempt_delivery(delivery_id=delivery.pk, final=False) is True
    request = listener.requests[0]
    headers, body = request["headers"], request["body"]
    assert headers["webhook-id"] == str(delivery.pk)
    assert verify_standard("integrator-secret", headers, body)
    assert not verify_standard("another-secret", headers, body)
    replayed = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 600)}
    assert not verify_standard("integrator-secret", replayed, body)  # a changed timestamp breaks it
    assert json.loads(body)["event"] == "application.scored"


@pytest.mark.django_db(transaction=True)
def test_an_unresponsive_receiver_does_not_hold_the_officers_request(models_ready, officer, live_server, settings):
    """On the embedded default (Celery eager) the delivery runs after the response is sent."""
    allow_local(settings)
    settings.PRESCORING_API = {**settings.PRESCORING_API, "WEBHOOK_TIMEOUT_SECONDS": 60}
    release = threading.Event()
    with Listener(hold=release) as listener:
        ApiClient.objects.create(user=officer, callback_url=listener.url)
        _token, key = ApiToken.issue(officer)
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/applications/", method="POST",
            data=json.dumps({"answers": dict(EXAMPLE_ANSWERS)}).encode(),
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as reply:  # the receiver holds for up to 30 s
                status, body = reply.status, json.loads(reply.read())
        finally:
            got_it = listener.received.wait(30)
            release.set()
    assert status in (201, 202) and body["status"] == "done"
    assert got_it, "the delivery was made once the response was out"
    assert WebhookDelivery.objects.filter(application_id=body["id"]).exists()
