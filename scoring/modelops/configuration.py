"""Loading a configuration directory into the database and exporting it back, both idempotently.

features.yaml: the questionnaire fields (with their CSV columns, units and English labels) and the
derived features; banks.yaml: the banks with product terms, thresholds, rules and decision columns,
and the product's currency; import.yaml: the rest of the import mapping (id column, which values mean
approval, refusal, error, ...). docs/configuration.md describes every key.
load_config stores all of it (fields and banks as rows, the rest as ConfigDocument rows: "derived",
"import", "product"), in one transaction, so every later command and page reads the directory that
was loaded, whichever it was. export_config writes what load_config reads, so export -> load ->
export gives the same files.
"""
from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from scoring.modelops import activation
from scoring.modelops.selectors import active_models_using, describe_versions
from scoring.services import audit, product_config
from scoring.engine.config import load_yaml
from scoring.engine.preprocessing import DERIVED_INPUTS, DerivedSpec
from scoring.models import Bank, ConfigDocument, Feature, ModelVersion

# The import mapping when configs/import.yaml is absent: the legacy file's (docs/data-format.md).
# missing_values: cell texts (after trimming, case-sensitive) that mean "no value" in every column,
# besides an empty cell; decision_date_column: a column with each row's decision day ("" = none);
# delimiter: the one character between columns.
DEFAULT_IMPORT = {
    "id_column": "SkillFactory_Id",
    "decision_values": {"success": ["success"], "denied": ["denied"], "error": ["error"]},
    "missing_values": ["", "NULL", "null", "None", "nan", "NaN", "NA", "N/A", "n/a", "#N/A"],
    "decision_date_column": "",
    "delimiter": ";",
}
DECISION_MEANINGS = ("success", "denied", "error")

FEATURE_FIELDS = ("label", "label_en", "help_text", "type", "choices", "ordered", "categorical", "min_value",
                  "max_value", "min_age", "max_age", "max_length", "required", "used_by_model", "active", "csv_column",
                  "unit", "unit_en")
FEATURE_DEFAULTS = {"label_en": "", "help_text": "", "choices": [], "ordered": False, "categorical": False,
                    "min_value": None, "max_value": None, "min_age": None, "max_age": None, "max_length": None,
                    "required": False, "used_by_model": True, "active": True, "csv_column": "",
                    "unit": "", "unit_en": ""}
# The keys of a derived feature in features.yaml (DerivedSpec's fields); and of each file's top level.
DERIVED_KEYS = tuple(f.name for f in dataclasses.fields(DerivedSpec))
# Field types a derived feature may read: it computes with numbers (a choice such as the term: its value).
DERIVED_INPUT_TYPES = ("number", "integer", "choice")
FEATURES_FILE_KEYS = ("features", "derived")
BANKS_FILE_KEYS = ("currency", "affordability", "banks")

# The option that lets a load switch off fields that active models read, named in the refusal.
DEACTIVATE_MODELS_OPTION = "--deactivate-models"


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


def _store_document(name: str, data) -> str | None:
    """Store one configuration document ("derived", "import", "product") with an audit entry like
    _store's; returns "created", "updated" or None (unchanged)."""
    data = json.loads(json.dumps(data))  # as the JSON column gives it back, so that a reload compares equal
    row = ConfigDocument.objects.filter(name=name).first()
    if not product_config.store(name, data):
        return None
    before = {"name": name, "data": row.data} if row is not None else None
    audit.record(actor=None, action="load_config", obj=ConfigDocument.objects.get(name=name),
                 before=before, after={"name": name, "data": data})
    return "updated" if row is not None else "created"


@transaction.atomic
def load_features(entries: list[dict], *, deactivate_models: bool = False) -> tuple[int, int]:
    created = updated = 0
    for order, entry in enumerate(entries, start=1):
        values = {name: entry.get(name, FEATURE_DEFAULTS.get(name)) for name in FEATURE_FIELDS}
        values["order"] = entry.get("order", order * 10)
        feature = Feature(key=entry["key"], **values)
        feature.full_clean(exclude=["key"])
        if not values["active"]:
            _release_field(entry["key"], deactivate_models=deactivate_models)
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


def _release_field(feature_key: str, *, deactivate_models: bool = False) -> None:
    """Let field feature_key be switched off. Active models that read it refuse that (the message names
    them and the option), or, with deactivate_models, are deactivated (one audit entry each)."""
    if not Feature.objects.filter(key=feature_key, active=True).exists():
        return
    users = active_models_using(feature_key)
    if users and not deactivate_models:
        raise ValidationError(f"field {feature_key} cannot be deactivated: active models use it "
                              f"({describe_versions(users)}); load with {DEACTIVATE_MODELS_OPTION} to deactivate "
                              f"them (or run manage.py deactivate_models first)")
    for version in users:
        activation.deactivate(version, actor=None)


def validate_derived(entries, fields: dict[str, str]) -> list[dict]:
    """features.yaml's `derived:` as stored: the entries as written, after checking each one.

    fields: key -> type of the active fields the models read (a derived feature computed from any
    other field would be dropped from training without a word). ValidationError names the entry.
    """
    if entries in (None, []):
        return []
    if not isinstance(entries, list):
        raise ValidationError("features.yaml: derived must be a list of derived features")
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("key"):
            raise ValidationError(f"features.yaml: derived feature #{position} needs a key")
        where = f"features.yaml: derived feature {entry['key']}"
        unknown = sorted(set(entry) - set(DERIVED_KEYS))
        if unknown:
            raise ValidationError(f"{where}: unknown keys {', '.join(map(str, unknown))} "
                                  f"(a derived feature has {', '.join(DERIVED_KEYS)})")
        if entry["key"] in fields or Feature.objects.filter(key=entry["key"]).exists():
            raise ValidationError(f"{where}: a questionnaire field has the same key")
        if entry["key"] in seen:
            raise ValidationError(f"{where}: declared twice")
        seen.add(entry["key"])
        if not isinstance(entry.get("inputs"), dict):
            raise ValidationError(f"{where}: inputs must map the kind's arguments to field keys")
        try:
            DerivedSpec.from_dict(entry)
        except (KeyError, TypeError, ValueError) as exc:
            kinds = "; ".join(f"{kind} ({', '.join(sorted(needed))})" for kind, needed in DERIVED_INPUTS.items())
            problem = str(exc).removeprefix(f"{entry['key']}: ")
            raise ValidationError(f"{where}: {problem} — kinds and their inputs: {kinds}")
        for argument, source in entry["inputs"].items():
            if source not in fields:
                raise ValidationError(f"{where}: input {argument} names {source!r}, which is no active field "
                                      f"the models use")
            if fields[source] not in DERIVED_INPUT_TYPES:
                raise ValidationError(f"{where}: input {argument} names {source!r}, a {fields[source]} field; "
                                      f"a derived feature computes with {', '.join(DERIVED_INPUT_TYPES)} fields")
    return entries


def _refuse_unknown_keys(data: dict, allowed: tuple[str, ...], file_name: str) -> None:
    unknown = sorted(str(key) for key in set(data) - set(allowed))
    if unknown:
        raise ValidationError(f"{file_name}: unknown top-level keys {', '.join(unknown)} "
                              f"(it has {', '.join(allowed)})")


def validate_import_mapping(data: dict) -> dict:
    """The import mapping with defaults filled in; ValidationError when a key is unknown, a value means
    two things (a decision word twice, or a word that is also a missing-value marker), a marker is an
    unquoted YAML null, or the delimiter is not one plain character."""
    data = data or {}
    unknown_keys = sorted(set(data) - set(DEFAULT_IMPORT))
    if unknown_keys:
        raise ValidationError(f"import.yaml: unknown keys {', '.join(map(str, unknown_keys))} "
                              f"(known: {', '.join(DEFAULT_IMPORT)})")
    mapping = {**DEFAULT_IMPORT, **data}
    values = {**DEFAULT_IMPORT["decision_values"], **(mapping.get("decision_values") or {})}
    unknown = sorted(set(values) - set(DECISION_MEANINGS))
    if unknown:
        raise ValidationError(f"import.yaml: decision_values keys must be {', '.join(DECISION_MEANINGS)}, "
                              f"not {', '.join(unknown)}")

    markers = mapping["missing_values"]
    if markers is None:
        markers = []
    if isinstance(markers, str):
        markers = [markers]
    if not isinstance(markers, (list, tuple)):
        raise ValidationError("import.yaml: missing_values must be a list of texts")
    if any(marker is None for marker in markers):
        # YAML reads an unquoted null, Null, NULL or ~ as "nothing", not as the text.
        raise ValidationError("import.yaml: missing_values holds an unquoted null/NULL/~; quote every marker, "
                              "e.g. 'NULL'")
    markers = list(dict.fromkeys(str(marker).strip() for marker in markers))

    seen: dict[str, str] = {}
    for meaning in DECISION_MEANINGS:
        words = values.get(meaning) or []
        if isinstance(words, str):
            words = [words]
        values[meaning] = [str(w).strip() for w in words]
        for word in values[meaning]:
            if word.lower() in seen:
                raise ValidationError(f"import.yaml: value {word!r} means both {seen[word.lower()]} and {meaning}")
            if word in markers:
                raise ValidationError(f"import.yaml: value {word!r} means both {meaning} and a missing value")
            seen[word.lower()] = meaning

    delimiter = str(mapping["delimiter"] if mapping["delimiter"] is not None else "")
    if len(delimiter) != 1 or delimiter in "\"\r\n" or delimiter.isalnum():
        raise ValidationError(f"import.yaml: delimiter must be one character such as ';', ',', '|' or a tab "
                              f"(written \"\\t\"), not {delimiter!r}")
    date_column = mapping["decision_date_column"]
    return {"id_column": str(mapping["id_column"]), "decision_values": values, "missing_values": markers,
            "decision_date_column": str(date_column).strip() if date_column is not None else "",
            "delimiter": delimiter}


def import_mapping(config_dir: Path | None = None) -> dict:
    """The import mapping as validate_import_mapping gives it: {"id_column": ..., "decision_values":
    {meaning: [values]}, ...}.

    Without config_dir: the one load_config stored (the "import" document). A database where it has
    never stored one (loaded by a version before the documents) reads PRESCORING_CONFIG_DIR's
    import.yaml as that version did, and the legacy file's defaults (docs/data-format.md) when there
    is none. With config_dir: that directory's import.yaml (load_config checks it before storing).
    """
    if config_dir is None:
        stored = product_config.document(product_config.IMPORT)
        if stored is not None:
            return validate_import_mapping(stored)
        config_dir = settings.PRESCORING["CONFIG_DIR"]
    path = Path(config_dir) / "import.yaml"
    return validate_import_mapping(load_yaml(path) if path.exists() else {})


@transaction.atomic
def deactivate_missing(*, feature_keys: list[str], bank_codes: list[str],
                       deactivate_models: bool = False) -> dict[str, int]:
    """For a configuration that replaces the current one: switch off the fields and banks it leaves out."""
    features = list(Feature.objects.filter(active=True).exclude(key__in=feature_keys))
    banks = list(Bank.objects.filter(active=True).exclude(code__in=bank_codes))
    for feature in features:
        _release_field(feature.key, deactivate_models=deactivate_models)
    for obj in features + banks:
        _store(type(obj), {"pk": obj.pk}, {"active": False})
    return {"features": len(features), "banks": len(banks)}


def _product_settings(banks_file: dict) -> dict:
    """The "product" document from banks.yaml's top level: {"currency": {code, symbol, symbol_en},
    "affordability": {enabled, min_remainder}}."""
    try:
        return {"currency": product_config.normalise_currency(banks_file.get("currency")),
                "affordability": product_config.normalise_affordability(banks_file.get("affordability"))}
    except ValueError as exc:
        raise ValidationError(f"banks.yaml: {exc}")


def load_config(config_dir: Path | None = None, *, replace: bool = False,
                deactivate_models: bool = False) -> dict[str, tuple[int, int]]:
    """Load everything in config_dir (PRESCORING_CONFIG_DIR by default), in one transaction: the fields,
    the banks with their rules, the derived features, the import mapping and the product settings.

    Everything is checked before anything is kept: a wrong entry anywhere refuses the whole load
    (ValidationError, KeyError, ValueError, FileNotFoundError). replace=True also deactivates the fields
    and banks the files leave out, so that another lender's questionnaire replaces the current one.
    A field that active models read is switched off only with deactivate_models=True, which deactivates
    those models (audited); their banks then score nothing until trained on the new questionnaire.
    Returns name -> (created, updated) for "features", "banks" and "documents", and
    "deactivated_models" -> the ids of the versions it deactivated.
    """
    config_dir = Path(config_dir or settings.PRESCORING["CONFIG_DIR"])
    features_file = load_yaml(config_dir / "features.yaml")
    banks_file = load_yaml(config_dir / "banks.yaml")
    _refuse_unknown_keys(features_file, FEATURES_FILE_KEYS, "features.yaml")
    _refuse_unknown_keys(banks_file, BANKS_FILE_KEYS, "banks.yaml")
    features, banks = features_file["features"], banks_file["banks"]
    mapping = import_mapping(config_dir)  # refuse a broken mapping now rather than at the next import
    product = _product_settings(banks_file)
    with transaction.atomic():
        active_before = set(ModelVersion.objects.filter(active=True).values_list("pk", flat=True))
        result = {"features": load_features(features, deactivate_models=deactivate_models),
                  "banks": load_banks(banks)}
        if replace:
            deactivate_missing(feature_keys=[f["key"] for f in features], bank_codes=[b["code"] for b in banks],
                               deactivate_models=deactivate_models)
        model_fields = dict(Feature.objects.filter(active=True, used_by_model=True).values_list("key", "type"))
        derived = validate_derived(features_file.get("derived"), model_fields)
        changes = [_store_document(name, data) for name, data in (
            (product_config.DERIVED, derived), (product_config.IMPORT, mapping), (product_config.PRODUCT, product))]
        result["documents"] = (changes.count("created"), changes.count("updated"))
        active_after = set(ModelVersion.objects.filter(active=True).values_list("pk", flat=True))
        result["deactivated_models"] = sorted(active_before - active_after)
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


def export_config(config_dir: Path | None = None) -> list[Path]:
    """Write the loaded configuration as the YAML files load_config reads, into config_dir
    (PRESCORING_CONFIG_DIR by default): the fields and derived features, the banks (with rules) and
    the currency, the import mapping. Everything comes from the database, whichever directory it was
    loaded from."""
    config_dir = Path(config_dir or settings.PRESCORING["CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    features = {"features": feature_entries()}
    derived = product_config.derived_entries()
    if derived:
        features["derived"] = derived
    banks = {"currency": product_config.currency(), "affordability": product_config.affordability(),
             "banks": bank_entries()}
    written = [config_dir / "features.yaml", config_dir / "banks.yaml", config_dir / "import.yaml"]
    _dump(features, written[0], "# Exported by manage.py export_config: the questionnaire and derived features "
                                "(docs/configuration.md).\n")
    _dump(banks, written[1], "# Exported by manage.py export_config: the currency, the affordability rule and the partner banks.\n")
    _dump(import_mapping(), written[2],
          "# Exported by manage.py export_config: the import mapping beyond the columns.\n")
    return written
