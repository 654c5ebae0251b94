"""Erasure of clients' personal data: the person's name and phone out of every table the product writes.

A client's full name and phone live in the Client row, and copies of them go wherever the product
keeps what it showed or sent:
- the applications' search copies (search_name, phone_digits): cleared with the client by
  ERASE_CLIENT, the on_delete of Application.client;
- webhook payloads (WebhookDelivery.payload): the application as the integrator received it;
- Django's admin log (LogEntry.object_repr is the client's name; change_message);
- the product's audit log (AuditEntry.object_repr and before/after snapshots of the client or its
  applications);
- stored Idempotency-Key responses (IdempotencyKey.response_body), should one ever carry a client.
Scoring batches keep only links to their applications, and imported history carries no client.

erase_clients() deletes the clients and masks every copy above in one transaction, and writes one
audit entry that names the clients by id and counts what was erased, never the name. The
applications stay, anonymous: answers, scores and outcomes feed calibration and retraining.
tests/test_erasure.py seeds a client through every way in and greps the whole database afterwards.
"""
from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from scoring.models import (
    Application,
    AuditEntry,
    Client,
    IdempotencyKey,
    WebhookDelivery,
)
from scoring.services import audit

# Why the data was erased (the audit entry says which); free text could carry the name itself.
REASONS = ("request", "retention")

# Keys of audit snapshots that hold a client's name or phone, or a copy of them.
PERSONAL_KEYS = ("full_name", "phone", "search_name", "phone_digits")
ERASED = "[удалено]"

# Clients erased per round of statements: keeps every IN (...) list short on any database.
CHUNK = 500


def erased_repr(client_id) -> str:
    """What the logs call an erased client instead of their name."""
    return f"клиент #{client_id} (удалён)"


def erase_clients(ids, *, actor=None, reason: str, details: dict | None = None) -> dict:
    """Delete these clients and mask their name and phone everywhere the product keeps them.

    ids: Client primary keys (unknown ones are ignored); actor: the user who erased (None for a
    command or the retention job); reason: one of REASONS; details: JSON-able facts added to the
    audit entry (retention's cutoff). Returns the audit entry's `after`: the client ids erased and
    how many rows of each table were changed. Nothing is written when no client matched.
    """
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
    wanted = sorted({int(pk) for pk in ids})
    counts = {"clients": 0, "applications": 0, "webhook_payloads": 0, "admin_log": 0, "audit_log": 0,
              "idempotency_responses": 0}
    erased: list[int] = []
    with transaction.atomic():
        for start in range(0, len(wanted), CHUNK):
            chunk = list(Client.objects.select_for_update().filter(pk__in=wanted[start:start + CHUNK])
                         .order_by("pk").values_list("pk", flat=True))
            if not chunk:
                continue
            applications = list(Application.objects.filter(client_id__in=chunk).values_list("pk", "officer_id"))
            application_ids = {str(pk) for pk, _officer in applications}
            officers = {officer for _pk, officer in applications}
            counts["webhook_payloads"] += _scrub_webhook_payloads(application_ids)
            counts["admin_log"] += _scrub_admin_log(chunk, application_ids)
            counts["audit_log"] += _scrub_audit_log(chunk, application_ids)
            counts["idempotency_responses"] += _scrub_idempotency_responses(application_ids, officers)
            # ERASE_CLIENT keeps the applications and clears their search copies of the name and phone.
            Client.objects.filter(pk__in=chunk).delete()
            counts["clients"] += len(chunk)
            counts["applications"] += len(applications)
            erased.extend(chunk)
        if not erased:
            return {"clients": [], "erased": counts, "reason": reason}
        after = {"clients": erased, "clients_erased": len(erased), "erased": counts, "reason": reason,
                 **(details or {})}
        audit.record(actor=actor, action="erase_personal_data", object_type="scoring.client",
                     object_id=str(erased[0]) if len(erased) == 1 else "",
                     object_repr=erased_repr(erased[0]) if len(erased) == 1 else f"{len(erased)} клиентов",
                     after=after)
    return after


def without_clients(data, application_ids: set[str]):
    """`data` (a JSON value) with the client of each listed application replaced by None.

    An application appears in payloads and responses as a dict with its "id" and a "client" (as
    ApplicationSerializer writes it); other applications' clients are left alone. Returns
    (new data, whether anything changed).
    """
    changed = False

    def walk(value):
        nonlocal changed
        if isinstance(value, dict):
            result = {key: walk(item) for key, item in value.items()}
            if str(result.get("id")) in application_ids and result.get("client") is not None:
                result["client"], changed = None, True
            return result
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return walk(data), changed


def _scrub_webhook_payloads(application_ids: set[str]) -> int:
    deliveries = list(WebhookDelivery.objects.filter(application_id__in=application_ids).only("pk", "payload"))
    changed = []
    for delivery in deliveries:
        delivery.payload, dirty = without_clients(delivery.payload, application_ids)
        if dirty:
            changed.append(delivery)
    WebhookDelivery.objects.bulk_update(changed, ["payload"])
    return len(changed)


def _scrub_admin_log(client_ids: list[int], application_ids: set[str]) -> int:
    """The admin's history: a client's entries are renamed and lose their messages; an application's
    keep their name (its id) and lose their messages."""
    client_type = ContentType.objects.get_for_model(Client)
    application_type = ContentType.objects.get_for_model(Application)
    entries = list(LogEntry.objects.filter(content_type=client_type, object_id__in=[str(pk) for pk in client_ids]))
    entries += list(LogEntry.objects.filter(content_type=application_type, object_id__in=application_ids))
    for entry in entries:
        if entry.content_type_id == client_type.pk:
            entry.object_repr = erased_repr(entry.object_id)
        entry.change_message = ""
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])
    return len(entries)


def _masked_snapshot(snapshot):
    if not isinstance(snapshot, dict):
        return snapshot, False
    masked = {key: (ERASED if key in PERSONAL_KEYS and value not in (None, "") else value)
              for key, value in snapshot.items()}
    return masked, masked != snapshot


def _scrub_audit_log(client_ids: list[int], application_ids: set[str]) -> int:
    """Entries about the clients (or their applications): names in object_repr and snapshots masked.
    Entries that name clients by id alone (views, erasures) stay as they are: evidence of access."""
    client_keys = [str(pk) for pk in client_ids]
    entries = list(AuditEntry.objects.filter(object_type="scoring.client", object_id__in=client_keys)) + list(
        AuditEntry.objects.filter(object_type="scoring.application", object_id__in=application_ids))
    changed = []
    for entry in entries:
        entry.before, before_changed = _masked_snapshot(entry.before)
        entry.after, after_changed = _masked_snapshot(entry.after)
        repr_changed = entry.object_type == "scoring.client" and entry.object_repr != erased_repr(entry.object_id)
        if repr_changed:
            entry.object_repr = erased_repr(entry.object_id)
        if before_changed or after_changed or repr_changed:
            changed.append(entry)
    AuditEntry.objects.bulk_update(changed, ["before", "after", "object_repr"])
    return len(changed)


def _scrub_idempotency_responses(application_ids: set[str], officers: set[int]) -> int:
    """Stored responses of the applications' submitters. Today they carry ids and statuses only
    (the test proves it); this keeps a future response with a client from outliving the erasure."""
    if not application_ids:
        return 0
    changed = []
    stored = (IdempotencyKey.objects.filter(user_id__in=officers, response_body__isnull=False)
              .only("pk", "response_body"))
    for record in stored.iterator(chunk_size=1000):
        record.response_body, dirty = without_clients(record.response_body, application_ids)
        if dirty:
            changed.append(record)
    IdempotencyKey.objects.bulk_update(changed, ["response_body"])
    return len(changed)
