"""Loading configs/*.yaml into the database, idempotently."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from scoring.engine.config import load_yaml
from scoring.models import Bank, Feature

FEATURE_FIELDS = ("label", "label_en", "help_text", "type", "choices", "ordered", "min_value", "max_value",
                  "min_age", "max_age", "max_length", "required", "used_by_model", "active", "csv_column")
FEATURE_DEFAULTS = {"label_en": "", "help_text": "", "choices": [], "ordered": False, "min_value": None,
                    "max_value": None, "min_age": None, "max_age": None, "max_length": None,
                    "required": False, "used_by_model": True, "active": True, "csv_column": ""}


@transaction.atomic
def load_features(entries: list[dict]) -> tuple[int, int]:
    created = updated = 0
    for order, entry in enumerate(entries, start=1):
        values = {name: entry.get(name, FEATURE_DEFAULTS.get(name)) for name in FEATURE_FIELDS}
        values["order"] = entry.get("order", order * 10)
        feature = Feature(key=entry["key"], **values)
        feature.full_clean(exclude=["key"])
        _obj, was_created = Feature.objects.update_or_create(key=entry["key"], defaults=values)
        created += was_created
        updated += not was_created
    return created, updated


@transaction.atomic
def load_banks(entries: list[dict]) -> tuple[int, int]:
    created = updated = 0
    for entry in entries:
        values = {
            "name": entry["name"],
            "active": entry.get("active", True),
            "annual_rate": Decimal(str(entry["annual_rate"])),
            "min_amount": Decimal(str(entry["min_amount"])),
            "max_amount": Decimal(str(entry["max_amount"])),
            "terms": [int(t) for t in entry["terms"]],
            "approval_threshold": float(entry.get("approval_threshold", 0.5)),
            "csv_decision_column": entry.get("csv_decision_column", ""),
            "rules": entry.get("rules", []),
        }
        Bank(code=entry["code"], **values).full_clean(exclude=["code"])
        _obj, was_created = Bank.objects.update_or_create(code=entry["code"], defaults=values)
        created += was_created
        updated += not was_created
    return created, updated


def load_config(config_dir: Path | None = None) -> dict[str, tuple[int, int]]:
    config_dir = Path(config_dir or settings.PRESCORING["CONFIG_DIR"])
    with transaction.atomic():
        return {
            "features": load_features(load_yaml(config_dir / "features.yaml")["features"]),
            "banks": load_banks(load_yaml(config_dir / "banks.yaml")["banks"]),
        }
