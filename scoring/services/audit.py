"""The audit log: one function that writes an entry; every change to banks, fields, rules and models,
and every view of personal data, goes through it."""
from django.db import models

from scoring.models import AuditEntry


def record(*, actor, action: str, obj: models.Model | None = None, object_type: str = "",
           before: dict | None = None, after: dict | None = None, object_id: str | None = None,
           object_repr: str | None = None) -> AuditEntry:
    """Write one entry. `before`/`after` are JSON-able snapshots (see snapshot()). object_id and
    object_repr, when given, replace the object's own (a client's str() is their name: never logged)."""
    if object_id is None:
        object_id = str(obj.pk) if obj is not None and obj.pk is not None else ""
    if object_repr is None:
        object_repr = str(obj) if obj is not None else ""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=object_id, object_repr=object_repr[:200],
        before=before, after=after,
    )


def record_personal_data_read(*, actor, client_ids, where: str, query: dict | None = None) -> AuditEntry | None:
    """One entry for one response that showed clients' names and phones unmasked (a page, an API
    answer, an admin page): who, when (the entry's time), which clients by id, where, and what was
    asked for (query: filters and a summary of a search, see search_summary(); never the name or
    phone searched for). One insert, whatever the number of clients; None when no client was shown.
    """
    shown = sorted({int(pk) for pk in client_ids if pk is not None})
    if not shown:
        return None
    return record(actor=actor, action="view_personal_data", object_type="scoring.client",
                  object_id=str(shown[0]) if len(shown) == 1 else "",
                  object_repr=f"{where}: {len(shown)}",
                  after={"where": where, "clients": shown, "query": query or {}})


def search_summary(text: str) -> str:
    """What a search was, without what it was for: '2 words', '7 digits' ('' for no search)."""
    text = (text or "").strip()
    if not text:
        return ""
    digits = sum(char.isdigit() for char in text)
    if digits and not any(char.isalpha() for char in text):
        return f"{digits} digits"
    return f"{len(text.split())} words"


# Fields whose values the audit log must not copy: webhook signing secrets, token digests, passwords.
SECRET_FIELDS = frozenset({"secret", "key_hash", "password"})


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The model's concrete field values as JSON-able data (binary fields left out)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if isinstance(field, models.BinaryField):
            continue
        value = field.value_from_object(obj)
        if field.name in SECRET_FIELDS:  # the log says a secret changed, never what it is
            value = "••• (changed)" if value else ""
        data[field.attname] = value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)
    return data
