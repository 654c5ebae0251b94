"""The loaded configuration beyond banks and fields (ConfigDocument rows), read through the config cache.

load_config writes three documents from one configuration directory: "derived" (the derived
features of features.yaml), "import" (import.yaml: id column, decision words, missing-value
markers, ...) and "product" (settings such as the currency, banks.yaml's `currency:`). Everything
that needs them reads them here, so a configuration loaded from any directory is the one every
command and page uses.

A database where load_config has never stored a document (one loaded by a version before the
documents existed) reads the derived features from the files of PRESCORING["CONFIG_DIR"], as that
version did, until load_config runs again; the import mapping does the same in
modelops/configuration.import_mapping, and the product settings default to roubles.
"""
from __future__ import annotations

import copy
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language

from scoring.engine.config import load_yaml
from scoring.engine.preprocessing import DerivedSpec
from scoring.models import ConfigDocument
from scoring.services import config_cache

# The product's currency when the configuration names none: the default questionnaire's roubles.
DEFAULT_CURRENCY = {"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}

DERIVED, IMPORT, PRODUCT = "derived", "import", "product"


def document(name: str, default=None):
    """The stored document `name` (a deep copy: callers may change it), or `default` when there is none."""
    def load():
        row = ConfigDocument.objects.filter(name=name).values_list("data", flat=True).first()
        return row
    data = config_cache.cached(f"config_document:{name}", load)
    return copy.deepcopy(default if data is None else data)


def is_stored(name: str) -> bool:
    """Whether load_config has stored document `name` (an empty one counts: it says "none")."""
    return document(name) is not None


def store(name: str, data) -> bool:
    """Write document `name`; returns whether it changed. (Callers record the audit entry.)"""
    row = ConfigDocument.objects.filter(name=name).first()
    if row is not None and row.data == data:
        return False
    ConfigDocument.objects.update_or_create(name=name, defaults={"data": data})
    config_cache.clear()
    return True


def config_dir_file(name: str) -> Path:
    """A file of the configuration directory (PRESCORING_CONFIG_DIR, configs/ by default)."""
    return Path(settings.PRESCORING["CONFIG_DIR"]) / name


def derived_entries() -> list[dict]:
    """The derived features as written in features.yaml's `derived:` (key, label, label_en, kind, inputs)."""
    stored = document(DERIVED)
    if stored is not None:
        return list(stored)
    path = config_dir_file("features.yaml")
    return list(load_yaml(path).get("derived") or []) if path.exists() else []


def derived_specs() -> list[DerivedSpec]:
    """The derived features the next training computes (engine objects)."""
    return [DerivedSpec.from_dict(entry) for entry in derived_entries()]


def derived_labels() -> dict[str, str]:
    """The derived features' keys -> their names in the active language (label_en on English pages)."""
    english = (get_language() or "").startswith("en")
    return {spec.key: (spec.label_en if english and spec.label_en else spec.label) or spec.key
            for spec in derived_specs()}


def product() -> dict:
    """The "product" document: {"currency": {...}, ...}."""
    return document(PRODUCT, {}) or {}


def normalise_currency(configured) -> dict:
    """A currency as configured ("EUR", or {code, symbol, symbol_en} with symbols optional) as the full
    {"code", "symbol", "symbol_en"}; ValueError says what is wrong."""
    if configured in (None, "", {}):
        return dict(DEFAULT_CURRENCY)
    if isinstance(configured, str):
        configured = {"code": configured}
    if not isinstance(configured, dict):
        raise ValueError("currency: a code (EUR) or {code, symbol, symbol_en}")
    unknown = sorted(set(configured) - set(DEFAULT_CURRENCY))
    if unknown:
        raise ValueError(f"currency: unknown keys {', '.join(unknown)} (code, symbol, symbol_en)")
    code = str(configured.get("code") or "").strip()
    if not code:
        raise ValueError("currency: code is required (e.g. EUR)")
    symbol = str(configured.get("symbol") or code).strip()
    return {"code": code, "symbol": symbol, "symbol_en": str(configured.get("symbol_en") or code).strip()}


def currency(settings_document: dict | None = None) -> dict:
    """{"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}: the currency offers and amounts are shown in.
    settings_document: product() when the caller has read it already."""
    configured = (product() if settings_document is None else settings_document).get("currency")
    try:
        return normalise_currency(configured)  # what load_config stores: the same full block
    except ValueError:  # stored by hand and wrong: the default questionnaire's roubles
        return dict(DEFAULT_CURRENCY)


# The product's affordability rule when the configuration names none: on, nothing may be left short.
DEFAULT_AFFORDABILITY = {"enabled": True, "min_remainder": 0}


def normalise_affordability(configured) -> dict:
    """banks.yaml's `affordability:` ({enabled, min_remainder}, both optional) as the full block;
    ValueError says what is wrong."""
    if configured in (None, {}):
        return dict(DEFAULT_AFFORDABILITY)
    if not isinstance(configured, dict):
        raise ValueError("affordability: {enabled: true|false, min_remainder: amount a month}")
    unknown = sorted(set(configured) - set(DEFAULT_AFFORDABILITY))
    if unknown:
        raise ValueError(f"affordability: unknown keys {', '.join(unknown)} (enabled, min_remainder)")
    enabled = configured.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError("affordability: enabled must be true or false")
    minimum = configured.get("min_remainder", 0)
    if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or minimum < 0:
        raise ValueError("affordability: min_remainder must be a number ≥ 0 (amount a month)")
    return {"enabled": enabled, "min_remainder": minimum}


def affordability(settings_document: dict | None = None) -> dict:
    """{"enabled": bool, "min_remainder": amount}: the product's affordability rule (on by default).
    settings_document: product() when the caller has read it already."""
    configured = (product() if settings_document is None else settings_document).get("affordability")
    try:
        return normalise_affordability(configured)
    except ValueError:  # stored by hand and wrong: the safe default, which refuses unaffordable loans
        return dict(DEFAULT_AFFORDABILITY)
