"""Issue 16, finding 1: erasing a client leaves their name and phone nowhere in the database.

One person, «Сидоренко Аглая Фёдоровна, +7 912 765-43-21», comes in through every way the product
takes a client (the officer's questionnaire, the API with an Idempotency-Key, a batch, a webhook to
a real listener on 127.0.0.1, an admin edit) and is read through every page that shows them; a
legacy submission and an import of a history file with a name column go alongside. Then the
client is erased (the command, retention, the admin action) and every text and JSON column of
every model of every installed app is searched for the surname, the first name and the phone's
last seven digits.
"""
import io
import json
import logging
import runpy
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from scoring.models import ApiClient, Application, AuditEntry, Client, WebhookDelivery
from scoring.services import audit, erasure
from tests.helpers import ROOT, legacy_row, write_csv
from tests.helpers import Listener
from tests.test_webhook_security import allow_local

NAME, PHONE = "Сидоренко Аглая Фёдоровна", "+7 912 765-43-21"
# What must not survive: the surname, the first name, the phone's last seven digits in any spelling.
TRACES = ("Сидоренко", "сидоренко", "Аглая", "аглая", "7654321", "765-43-21", "765 43 21")


def traces_in_database() -> dict[str, set[str]]:
    """{model label: the traces found in it}, over every char, text and JSON column of every model."""
    found = {}
    for model in apps.get_models():
        columns = [field.attname for field in model._meta.concrete_fields
                   if isinstance(field, (models.CharField, models.TextField, models.JSONField))]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            for value in row:
                text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
                hits = {trace for trace in TRACES if trace in text}
                if hits:
                    found.setdefault(model._meta.label_lower, set()).update(hits)
    return found


def form_answers(answers) -> dict:
    return {**answers, "snils": "true" if answers["snils"] else "false"}


@pytest.fixture
def seeded(settings, officer, administrator, admin_user, models_ready, answers, token_client, client,
           django_capture_on_commit_callbacks, tmp_path):
    """The person's client id, after every way in and every read; their applications are scored."""
    allow_local(settings)
    api = token_client(officer)
    with Listener() as listener:
        ApiClient.objects.create(user=officer, callback_url=listener.url)
        # The officer's questionnaire: the client as typed, under a first spelling of the name.
        client.force_login(officer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/applications/new/", {**form_answers(answers), "full_name": "Сидоренко Аглая",
                                                          "phone": PHONE})
        assert response.status_code == 302
        first = Application.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
        person = first.client_id
        # The API (waiting for the result, with an Idempotency-Key) and a batch, other loan amounts.
        with django_capture_on_commit_callbacks(execute=True):
            created = api.post("/api/v1/applications/?wait=5", {
                "answers": {**answers, "loan_amount": 70000}, "client": {"full_name": NAME, "phone": PHONE}},
                format="json", headers={"Idempotency-Key": "erasure-api"})
            batch = api.post("/api/v1/applications/batch/", {"applications": [
                {"answers": {**answers, "loan_amount": 71000}, "client": {"full_name": NAME, "phone": PHONE}}]},
                format="json", headers={"Idempotency-Key": "erasure-batch"})
            legacy = api.post("/upload_features", {"loan_amount": 72000, "loan_term": 12}, format="json")
        assert created.status_code == 202 and created.json()["client"]["full_name"] == NAME
        assert batch.status_code == 202 and legacy.status_code == 201
        assert listener.received.is_set(), "the webhooks were delivered to the listener"
    assert any(NAME in request["body"].decode() for request in listener.requests)
    # The same person's later applications came with their own Client rows: all of them are the person.
    ids = sorted(Client.objects.filter(full_name__startswith="Сидоренко").values_list("pk", flat=True))
    assert person in ids and len(ids) == 3
    # An administrator (superuser) corrects the first client's name in the admin.
    client.force_login(admin_user)
    change = reverse("admin:scoring_client_change", args=[person])
    edited = client.post(change, {"full_name": NAME, "phone": PHONE})
    assert edited.status_code == 302
    # Reads: the officer's list (searched by name), the detail page, the API list and detail, admin pages.
    client.force_login(officer)
    assert client.get("/applications/", {"q": "Сидоренко"}).status_code == 200
    assert client.get(f"/applications/{first.pk}/").status_code == 200
    assert api.get("/api/v1/applications/").status_code == 200
    client.force_login(administrator)
    for url in (change, reverse("admin:scoring_client_history", args=[person])):
        assert client.get(url).status_code == 200, url
    client.force_login(admin_user)  # applications in the admin: superusers only
    assert client.get(reverse("admin:scoring_application_change", args=[first.pk])).status_code == 200
    # A lender's history file with a name column: the import keeps no client.
    from scoring.modelops.importing import import_decisions_csv

    header = ["FIO", "Phone", *legacy_row()]
    import_decisions_csv(path=write_csv(tmp_path / "history.csv", [{**legacy_row(), "FIO": NAME, "Phone": PHONE}],
                                        header=header))
    return ids


def test_the_seeding_leaves_the_person_in_the_places_that_erasure_must_reach(seeded):
    found = traces_in_database()
    assert {"scoring.client", "scoring.application", "scoring.webhookdelivery", "admin.logentry"} <= set(found)


def test_the_command_erases_the_person_everywhere(seeded):
    out = io.StringIO()
    call_command("erase_client", *map(str, seeded), stdout=out)
    assert traces_in_database() == {}
    assert f"erased clients {', '.join(map(str, seeded))}" in out.getvalue()
    entry = AuditEntry.objects.get(action="erase_personal_data")
    assert entry.after["clients"] == seeded and entry.after["reason"] == "request"
    assert entry.after["erased"]["clients"] == 3 and entry.after["erased"]["applications"] == 3
    assert entry.after["erased"]["webhook_payloads"] == 3 and entry.after["erased"]["admin_log"] >= 1
    # The applications stay, anonymous, with their answers and scores.
    assert Application.objects.filter(client__isnull=True).count() == 4  # the legacy one never had a client
    assert all(application.scores.count() == 5 for application in Application.objects.all())
    payload = WebhookDelivery.objects.first().payload
    assert payload["application"]["client"] is None and payload["application"]["scores"]
    assert LogEntry.objects.get(object_id=str(seeded[0])).object_repr == f"клиент #{seeded[0]} (удалён)"


def test_retention_erases_the_person_everywhere(seeded):
    Application.objects.update(created_at=timezone.now() - timedelta(days=400))
    call_command("enforce_retention", days=365, stdout=io.StringIO())
    assert traces_in_database() == {}
    entry = AuditEntry.objects.get(action="erase_personal_data")
    assert entry.after["reason"] == "retention" and entry.after["clients_erased"] == 3


def test_the_admin_action_asks_then_erases_the_person_everywhere(seeded, client, administrator):
    client.force_login(administrator)  # the role, not a superuser
    changelist = reverse("admin:scoring_client_changelist")
    selection = {"action": "erase_personal_data", "_selected_action": [str(pk) for pk in seeded]}
    confirmation = client.post(changelist, selection)
    page = confirmation.content.decode()
    assert confirmation.status_code == 200 and "Сидоренко А. Ф." in page and "Аглая" not in page
    assert Client.objects.filter(pk__in=seeded).count() == 3  # nothing erased before the confirmation
    erased = client.post(changelist, {**selection, "confirm": "yes"})
    assert erased.status_code == 302
    assert traces_in_database() == {}
    assert AuditEntry.objects.get(action="erase_personal_data").actor == administrator


def test_the_admin_action_is_not_offered_without_the_erasure_permission(client, administrator, officer, answers,
                                                                       configured):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                   client={"full_name": NAME, "phone": PHONE})
    administrator.groups.clear()
    administrator.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_client", "view_personal_data"]))
    client.force_login(administrator)
    changelist = reverse("admin:scoring_client_changelist")
    assert "erase_personal_data" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "erase_personal_data", "_selected_action": [application.client_id],
                             "confirm": "yes"})
    assert Client.objects.filter(pk=application.client_id).exists()


def test_a_deletion_in_the_admin_is_an_erasure(client, admin_user, officer, answers, configured):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                   client={"full_name": NAME, "phone": PHONE})
    client.force_login(admin_user)
    url = reverse("admin:scoring_client_delete", args=[application.client_id])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert traces_in_database() == {}  # the admin log's deletion entry named the client; no longer


def test_old_audit_snapshots_of_the_client_are_masked(officer, answers, configured):
    from scoring.services import submission

    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                   client={"full_name": NAME, "phone": PHONE})
    person = Client.objects.get(pk=application.client_id)
    # As a change logged with snapshots (by an older version, or another path) would hold them.
    audit.record(actor=None, action="update", obj=person, before=audit.snapshot(person), after=audit.snapshot(person))
    audit.record(actor=None, action="update", obj=application, after=audit.snapshot(application))
    assert "scoring.auditentry" in traces_in_database()
    erasure.erase_clients([person.pk], reason="request")
    assert traces_in_database() == {}
    entry = AuditEntry.objects.get(action="update", object_type="scoring.client")
    assert entry.before["full_name"] == erasure.ERASED and entry.before["id"] == person.pk


def test_the_command_refuses_unknown_clients(officer, answers, configured):
    with pytest.raises(CommandError, match="no such clients: 999"):
        call_command("erase_client", "999", stdout=io.StringIO())
    assert not AuditEntry.objects.filter(action="erase_personal_data").exists()


def test_the_erasure_takes_only_a_known_reason(db):
    with pytest.raises(ValueError):
        erasure.erase_clients([1], reason="Сидоренко asked")  # free text could carry the name


# --- access logs ---------------------------------------------------------------------------------

def test_the_access_log_leaves_out_query_strings_and_referrers(tmp_path):
    """gunicorn, configured as the image runs it, logs a search of the list by its path alone."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    assert '"--config", "configs/gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    settings_file = runpy.run_path(str(ROOT / "configs" / "gunicorn.conf.py"))
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", settings_file["access_log_format"])
    logger = Logger(config)

    class Response:
        status, sent, headers = "200 OK", 512, [("X-Request-ID", "req-12345678")]

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/applications/?q=Сидоренко+765-43-21",
               "PATH_INFO": "/applications/", "QUERY_STRING": "q=Сидоренко+765-43-21",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.5",
               "HTTP_REFERER": "https://prescoring.example/applications/?q=Сидоренко"}
    logger.access(Response(), {}, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert '"GET /applications/ HTTP/1.1" 200 512' in line and "req-12345678" in line
    assert not any(trace in line for trace in TRACES) and "q=" not in line
    logging.getLogger("gunicorn.access").handlers.clear()
