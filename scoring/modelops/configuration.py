"""Loading configs/*.yaml into the database and exporting it back, both idempotently.

features.yaml: the questionnaire fields (with their CSV columns) and the derived features;
banks.yaml: the banks with product terms, thresholds, rules and decision columns;
import.yaml: the rest of the import mapping (id column, which values mean approval, refusal, error).
export_config writes what load_config reads, so export -> load -> export gives the same files.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from scoring.modelops.selectors import active_models_using, describe_versions
from scoring.services import audit
from scoring.engine.config import load_yaml
from scoring.models import Bank, Feature

# The import mapping when configs/import.yaml is absent: the legacy file's (docs/data-format.md).
DEFAULT_IMPORT = {
    "id_column": "SkillFactory_Id",
    "decision_values": {"success": ["success"], "denied": ["denied"], "error": ["error"]},
}
DECISION_MEANINGS = ("success", "denied", "error")

FEATURE_FIELDS = ("label", "label_en", "help_text", "type", "choices", "ordered", "categorical", "min_value",
                  "max_value", "min_age", "max_age", "max_length", "required", "used_by_model", "active", "csv_column")
FEATURE_DEFAULTS = {"label_en": "", "help_text": "", "choices": [], "ordered": False, "categorical": False,
                    "min_value": None, "max_value": None, "min_age": None, "max_age": None, "max_length": None,
                    "required": False, "used_by_model": True, "active": True, "csv_column": ""}


def _snapshot_of(obj) -> dict | None:
    return audit.snapshot(obj) if obj is not None else None


def _store(model, lookup: dict, values: dict) -> bool:
    """Create or update one bank or field from the files; returns whether it was created.

    Configuration loads change banks and fields too: each change is logged (no actor: it is a command).
    """
    before = _snapshot_of(model.objects.filter(**lookup).first())
    obj, created = model.objects.update_or_create(**lookup, defaults=values)
    obj.refresh_from_db()  # stored values (Decimal places, JSON) so that an unchanged reload compares equal
    after = audit.snapshot(obj)
    if after != before:
        audit.record(actor=None, action="load_config", obj=obj, before=before, after=after)
    return created


@transaction.atomic
def load_features(entries: list[dict]) -> tuple[int, int]:
    created = updated = 0
    for order, entry in enumerate(entries, start=1):
        values = {name: entry.get(name, FEATURE_DEFAULTS.get(name)) for name in FEATURE_FIELDS}
        values["order"] = entry.get("order", order * 10)
        feature = Feature(key=entry["key"], **values)
        feature.full_clean(exclude=["key"])
        if not values["active"]:
            _refuse_if_used(entry["key"])
        was_created = _store(Feature, {"key": entry["key"]}, values)
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
        was_created = _store(Bank, {"code": entry["code"]}, values)
        created += was_created
        updated += not was_created
    return created, updated


def _refuse_if_used(feature_key: str) -> None:
    if not Feature.objects.filter(key=feature_key, active=True).exists():
        return
    users = active_models_using(feature_key)
    if users:
        raise ValidationError(f"field {feature_key} cannot be deactivated: active models use it "
                              f"({describe_versions(users)})")


def validate_import_mapping(data: dict) -> dict:
    """The import mapping with defaults filled in; ValidationError when a value means two things."""
    mapping = {**DEFAULT_IMPORT, **(data or {})}
    values = {**DEFAULT_IMPORT["decision_values"], **(mapping.get("decision_values") or {})}
    unknown = sorted(set(values) - set(DECISION_MEANINGS))
    if unknown:
        raise ValidationError(f"import.yaml: decision_values keys must be {', '.join(DECISION_MEANINGS)}, "
                              f"not {', '.join(unknown)}")
    seen: dict[str, str] = {}
    for meaning in DECISION_MEANINGS:
        words = values.get(meaning) or []
        if isinstance(words, str):
            words = [words]
        values[meaning] = [str(w).strip() for w in words]
        for word in values[meaning]:
            if word.lower() in seen:
                raise ValidationError(f"import.yaml: value {word!r} means both {seen[word.lower()]} and {meaning}")
            seen[word.lower()] = meaning
    return {"id_column": str(mapping["id_column"]), "decision_values": values}


def import_mapping(config_dir: Path | None = None) -> dict:
    """configs/import.yaml (or the legacy file's defaults, docs/data-format.md):
    {"id_column": ..., "decision_values": {meaning: [values]}}."""
    path = Path(config_dir or settings.PRESCORING["CONFIG_DIR"]) / "import.yaml"
    return validate_import_mapping(load_yaml(path) if path.exists() else {})


@transaction.atomic
def deactivate_missing(*, feature_keys: list[str], bank_codes: list[str]) -> dict[str, int]:
    """For a configuration that replaces the current one: switch off the fields and banks it leaves out."""
    features = list(Feature.objects.filter(active=True).exclude(key__in=feature_keys))
    banks = list(Bank.objects.filter(active=True).exclude(code__in=bank_codes))
    for feature in features:
        _refuse_if_used(feature.key)
    for obj in features + banks:
        _store(type(obj), {"pk": obj.pk}, {"active": False})
    return {"features": len(features), "banks": len(banks)}


def load_config(config_dir: Path | None = None, *, replace: bool = False) -> dict[str, tuple[int, int]]:
    """Load features.yaml, banks.yaml and check import.yaml. replace=True also deactivates the fields and
    banks the files leave out, so that another lender's questionnaire replaces the current one."""
    config_dir = Path(config_dir or settings.PRESCORING["CONFIG_DIR"])
    features = load_yaml(config_dir / "features.yaml")["features"]
    banks = load_yaml(config_dir / "banks.yaml")["banks"]
    import_mapping(config_dir)  # refuse a broken mapping now rather than at the next import
    with transaction.atomic():
        result = {"features": load_features(features), "banks": load_banks(banks)}
        if replace:
            deactivate_missing(feature_keys=[f["key"] for f in features], bank_codes=[b["code"] for b in banks])
        return result


# --- export --------------------------------------------------------------------------------------

def _plain_number(value):
    """Decimal('4000.00') -> 4000, 0.5 -> 0.5: numbers as a person writes them in YAML."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def feature_entries() -> list[dict]:
    entries = []
    for position, feature in enumerate(Feature.objects.order_by("order", "id"), start=1):
        entry = {"key": feature.key}
        for name in FEATURE_FIELDS:
            value = getattr(feature, name)
            if name in ("min_value", "max_value"):
                value = _plain_number(value)
            if value != FEATURE_DEFAULTS.get(name, object()):
                entry[name] = value
        if feature.order != position * 10:
            entry["order"] = feature.order
        entries.append(entry)
    return entries


def bank_entries() -> list[dict]:
    entries = []
    for bank in Bank.objects.order_by("code"):
        entry = {
            "code": bank.code, "name": bank.name, "active": bank.active,
            "annual_rate": f"{Decimal(bank.annual_rate):.2f}",
            "min_amount": _plain_number(bank.min_amount), "max_amount": _plain_number(bank.max_amount),
            "terms": [int(t) for t in bank.terms], "approval_threshold": float(bank.approval_threshold),
        }
        if bank.csv_decision_column:
            entry["csv_decision_column"] = bank.csv_decision_column
        if bank.rules:
            entry["rules"] = bank.rules
        entries.append(entry)
    return entries


def _dump(data: dict, path: Path, header: str) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
    path.write_text(header + text, encoding="utf-8")


def export_config(config_dir: Path, *, source_dir: Path | None = None) -> list[Path]:
    """Write the database's fields, banks (with rules) and import mapping as YAML that load_config reads.

    The derived features and the import mapping are configuration only (not in the database):
    they are copied from source_dir (the configuration in use by default).
    """
    config_dir, source_dir = Path(config_dir), Path(source_dir or settings.PRESCORING["CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    source_features = source_dir / "features.yaml"
    derived = load_yaml(source_features).get("derived", []) if source_features.exists() else []
    features = {"features": feature_entries()}
    if derived:
        features["derived"] = derived
    written = [config_dir / "features.yaml", config_dir / "banks.yaml", config_dir / "import.yaml"]
    _dump(features, written[0], "# Exported by manage.py export_config: the questionnaire and derived features.\n")
    _dump({"banks": bank_entries()}, written[1], "# Exported by manage.py export_config: partner banks.\n")
    _dump(import_mapping(source_dir), written[2],
          "# Exported by manage.py export_config: id column and the values meaning approval, refusal, error.\n")
    return written
