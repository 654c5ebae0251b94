import threading

import pytest
from django.db import connection

from scoring.models import Application, IdempotencyKey, Outcome

URL = "/api/v1/applications/"


def test_the_same_key_and_body_get_the_same_response(api, models_ready, answers):
    first = api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    second = api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == 202
    assert second.status_code == 202 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(api, models_ready, answers):
    api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
    response = api.post(URL, {"answers": {**answers, "loan_amount": 70000}}, format="json",
                        HTTP_IDEMPOTENCY_KEY="order-2")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused" and response.json()["status"] == 409
    assert Application.objects.count() == 1


def test_a_refused_request_does_not_use_up_the_key(api, models_ready, answers):
    bad = api.post(URL, {"answers": {**answers, "loan_term": "7"}}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 202


def test_keys_are_per_user(token_client, api, models_ready, answers, other_officer):
    api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    other = token_client(other_officer).post(URL, {"answers": {**answers, "loan_amount": 90000}}, format="json",
                                             HTTP_IDEMPOTENCY_KEY="shared")
    assert other.status_code == 202
    assert Application.objects.count() == 2


def test_the_answers_hash_still_deduplicates_without_a_key(api, models_ready, answers):
    first = api.post(URL, {"answers": answers}, format="json")
    second = api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="new-key")
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]


def test_an_overlong_key_is_refused(api, models_ready, answers):
    response = api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]


def test_outcomes_accept_a_key_too(api, models_ready, answers, officer):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=officer, answers=answers)
    body = {"application": str(application.pk), "bank": "bank_a", "result": "approved", "amount": "68000", "term": 12}
    first = api.post("/api/v1/outcomes/", body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    again = api.post("/api/v1/outcomes/", body, format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    assert first.status_code == 201 and again.status_code == 201 and again.json() == first.json()
    assert Outcome.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_one_key_make_one_application(models_ready, officer, answers, token_client):
    """Two threads, each with its own database connection, send the same key at the same moment."""
    barrier = threading.Barrier(2)
    responses = []

    def send(client):
        barrier.wait()
        try:
            responses.append(client.post(URL, {"answers": answers}, format="json",
                                         HTTP_IDEMPOTENCY_KEY="same-moment"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(token_client(officer),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == 2
    assert sorted(r.status_code for r in responses) == [202, 202]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Application.objects.count() == 1
    assert IdempotencyKey.objects.filter(key="same-moment").count() == 1


def test_old_keys_are_purged_by_the_command(api, models_ready, answers, officer):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    api.post(URL, {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    api.post(URL, {"answers": {**answers, "loan_amount": 50000}}, format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(days=31))
    call_command("purge_idempotency_keys", "--days", "30")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
