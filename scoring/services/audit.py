"""The audit log: one function that writes an entry; every change to banks, fields, rules and models,
and every view of personal data, goes through it."""
from django.db import models

from scoring.models import AuditEntry


def record(*, actor, action: str, obj: models.Model | None = None, object_type: str = "",
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Write one entry. `before`/`after` are JSON-able snapshots (see snapshot())."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before, after=after,
    )


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The model's concrete field values as JSON-able data (binary fields left out)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if isinstance(field, models.BinaryField):
            continue
        value = field.value_from_object(obj)
        data[field.attname] = value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)
    return data
