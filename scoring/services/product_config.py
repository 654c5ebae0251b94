"""The loaded configuration beyond banks and fields (ConfigDocument rows), read through the config cache.

load_config writes three documents from one configuration directory: "derived" (the derived
features of features.yaml), "import" (import.yaml: id column, decision words, missing-value
markers, ...) and "product" (settings such as the currency). Everything that needs them reads
them here, so a configuration loaded from any directory is the one every command and page uses.
A database where load_config has not stored a document yet gets the default given by the caller.
"""
from __future__ import annotations

import copy

from scoring.models import ConfigDocument
from scoring.services import config_cache

# The product's currency when the configuration names none: the default questionnaire's roubles.
DEFAULT_CURRENCY = {"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}


def document(name: str, default=None):
    """The stored document `name` (a deep copy: callers may change it), or `default` when there is none."""
    def load():
        row = ConfigDocument.objects.filter(name=name).values_list("data", flat=True).first()
        return row
    data = config_cache.cached(f"config_document:{name}", load)
    return copy.deepcopy(default if data is None else data)


def store(name: str, data) -> bool:
    """Write document `name`; returns whether it changed. (Callers record the audit entry.)"""
    row = ConfigDocument.objects.filter(name=name).first()
    if row is not None and row.data == data:
        return False
    ConfigDocument.objects.update_or_create(name=name, defaults={"data": data})
    config_cache.clear()
    return True


def product() -> dict:
    """The "product" document: {"currency": {...}, ...}."""
    return document("product", {}) or {}


def currency() -> dict:
    """{"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}: the currency offers and amounts are shown in."""
    configured = product().get("currency") or {}
    if isinstance(configured, str):
        configured = {"code": configured, "symbol": configured, "symbol_en": configured}
    return {**DEFAULT_CURRENCY, **configured} if configured else dict(DEFAULT_CURRENCY)
