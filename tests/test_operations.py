"""Operations: health probes, re-enqueue of stale applications, retention, upload limits."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from scoring.services import submission
from scoring import tasks as scoring_tasks
from scoring.models import Application, AuditEntry, Client


def test_liveness_answers_without_a_database(client):
    response = client.get("/health/live/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_fails_while_no_model_is_loaded(client, configured):
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["models"] == "missing"
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readiness_passes_with_database_broker_and_models(client, models_ready):
    response = client.get("/health/ready/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["models"] == "ok"
    assert response.json()["checks"]["broker"] in ("ok", "eager")


@pytest.mark.django_db
def test_readiness_fails_when_the_broker_is_unreachable(client, models_ready):
    # Port 9 (discard) on loopback: nothing listens there.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
        from prescoring.celery import app

        # Celery's broker_url prefers the CELERY_BROKER_URL variable; the write URL wins over both.
        previous = app.conf.get("broker_write_url")
        app.conf.broker_write_url = "redis://127.0.0.1:9/0"
        try:
            response = client.get("/health/ready/")
        finally:
            app.conf.broker_write_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unreachable"


def _age(application, seconds):
    Application.objects.filter(pk=application.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_it_requeues_an_application_left_queued(officer, models_ready, answers):
    # Not committed in this test's transaction, so never sent: as if the broker had been down.
    application, _ = submission.submit_application(officer=officer, answers=answers)
    assert Application.objects.get(pk=application.pk).status == "queued"
    assert scoring_tasks.requeue_stale_applications(older_than_seconds=60) == 0  # too fresh: the broker has it
    _age(application, 120)
    assert scoring_tasks.requeue_stale_applications(older_than_seconds=60) == 1
    application.refresh_from_db()
    assert application.status == "done" and application.scores.count() == 5  # eager: scored at once


@pytest.mark.django_db
def test_it_requeues_an_application_whose_worker_was_lost_within_seconds(officer, models_ready, answers, settings):
    """A worker killed mid-scoring leaves the application "scoring": sent again after
    STUCK_SCORING_SECONDS (20 s), not after the broker's hour-long visibility timeout."""
    application, _ = submission.submit_application(officer=officer, answers=answers)
    Application.objects.filter(pk=application.pk).update(status="scoring")
    _age(application, 5)
    assert scoring_tasks.requeue_stale_applications() == 0  # a scoring may be running
    _age(application, settings.PRESCORING["STUCK_SCORING_SECONDS"] + 1)
    assert scoring_tasks.requeue_stale_applications() == 1
    application.refresh_from_db()
    assert application.status == "done" and application.scores.count() == 5


def test_a_database_outage_is_retried_within_seconds():
    assert [scoring_tasks.retry_countdown(n) for n in range(6)] == [1, 2, 4, 5, 5, 5]


@pytest.mark.django_db
def test_it_leaves_scored_applications_alone(officer, models_ready, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application, _ = submission.submit_application(officer=officer, answers=answers)
    assert Application.objects.get(pk=application.pk).status == "done"
    _age(application, 3600)
    assert scoring_tasks.requeue_stale_applications(older_than_seconds=60) == 0


@pytest.mark.django_db
def test_retention_erases_clients_whose_last_application_is_old(old_and_recent_clients, answers):
    old, _recent = old_and_recent_clients
    call_command("enforce_retention", days=365)
    assert list(Client.objects.values_list("full_name", flat=True)) == ["Новый Клиент"]
    old.refresh_from_db()
    assert old.client is None and old.answers == answers  # the questionnaire stays, anonymous
    assert AuditEntry.objects.get(action="erase_personal_data").after["clients_erased"] == 1


@pytest.mark.django_db
def test_retention_dry_run_erases_nothing(officer, answers):
    application, _ = submission.submit_application(officer=officer, answers=answers, client={"full_name": "Клиент"})
    Application.objects.filter(pk=application.pk).update(created_at=timezone.now() - timedelta(days=400))
    call_command("enforce_retention", days=365, dry_run=True)
    assert Client.objects.count() == 1


def test_it_refuses_an_oversized_upload(settings):
    settings.PRESCORING = {**settings.PRESCORING, "MAX_UPLOAD_BYTES": 100}
    from scoring.modelops.uploads import validate_csv_upload

    with pytest.raises(ValidationError) as error:
        validate_csv_upload(SimpleUploadedFile("history.csv", b"a;b\n" * 100, content_type="text/csv"))
    assert error.value.code == "too_large"


@pytest.mark.parametrize("name,content,content_type", [
    ("history.xlsx", b"a;b\n", "text/csv"),
    ("history.csv", b"a;b\n", "image/png"),
    ("history.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv"),
])
def test_it_refuses_an_upload_that_is_not_csv(name, content, content_type):
    from scoring.modelops.uploads import validate_csv_upload

    with pytest.raises(ValidationError):
        validate_csv_upload(SimpleUploadedFile(name, content, content_type=content_type))


def test_it_accepts_a_csv_upload():
    from scoring.modelops.uploads import validate_csv_upload

    validate_csv_upload(SimpleUploadedFile("history.csv", "ФИО;сумма\n".encode(), content_type="text/csv"))


@pytest.mark.django_db
def test_the_import_refuses_an_oversized_file_before_reading_it(configured, tmp_path, settings):
    from scoring.modelops.importing import ImportRefused, import_decisions_csv

    settings.PRESCORING = {**settings.PRESCORING, "MAX_UPLOAD_BYTES": 1024}
    path = tmp_path / "big.csv"
    path.write_bytes(b"x;" * 1000)
    with pytest.raises(ImportRefused, match="больше"):
        import_decisions_csv(path=path)


@pytest.mark.django_db
def test_a_database_outage_is_a_retryable_503_in_the_api(api, monkeypatch):
    from django.db import OperationalError

    from scoring.api.views import applications as api_views

    def down(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    api.raise_request_exception = False
    monkeypatch.setattr(api_views.selectors, "application_with_scores", down)
    response = api.get("/api/v1/applications/00000000-0000-0000-0000-000000000001/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"


def application_list_failing_with(client, monkeypatch, error: Exception):
    """The officer's list of applications when reading them raises error."""
    from scoring.officer import views

    def failing(*args, **kwargs):
        raise error

    client.raise_request_exception = False
    monkeypatch.setattr(views.selectors, "applications_for", failing)
    return client.get("/applications/")


@pytest.mark.django_db
def test_a_database_outage_is_a_503_page_not_a_500(officer_client, monkeypatch):
    from django.db import InterfaceError

    response = application_list_failing_with(officer_client, monkeypatch, InterfaceError("connection already closed"))
    assert response.status_code == 503 and "временно недоступен" in response.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_a_500(officer_client, monkeypatch):
    assert application_list_failing_with(officer_client, monkeypatch, RuntimeError("bug")).status_code == 500


def test_a_task_carries_the_request_id_that_queued_it():
    """Through Celery's signals, as the publisher and the worker send them (prescoring/celery.py connects them)."""
    from types import SimpleNamespace

    from celery.signals import before_task_publish, task_postrun, task_prerun

    from prescoring.observability import request_id_var, task_id_var

    headers = {}
    token = request_id_var.set("submit-req-12345")
    before_task_publish.send(sender="scoring.tasks.score_application", headers=headers)
    request_id_var.reset(token)
    assert headers == {"request_id": "submit-req-12345"}

    class Task:  # the task the worker runs; an eager request, which the connection housekeeping leaves alone
        request = SimpleNamespace(is_eager=True, **headers)

    task = Task()
    task_prerun.send(sender=task, task_id="task-42", task=task, args=(), kwargs={})
    assert (request_id_var.get(), task_id_var.get()) == ("submit-req-12345", "task-42")
    task_postrun.send(sender=task, task_id="task-42", task=task, args=(), kwargs={}, retval=None, state="SUCCESS")
    assert (request_id_var.get(), task_id_var.get()) == ("-", "-")
