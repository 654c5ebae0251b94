"""Stored codes as the analytics pages say them: questionnaire field keys and a model's training data
description, in the active language with its own number format (the quality gate's verdict:
modelops.activation.gate_in_words)."""
from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from scoring.modelops.training import read_training_data
from scoring.models import Feature
from scoring.services import product_config


def decimal(value: float, places: int = 3) -> str:
    """A plain number in the active language: 0.8123 -> '0,812' in Russian, '0.812' in English."""
    return number_format(round(float(value), places), decimal_pos=places, use_l10n=True, force_grouping=True)


def field_labels() -> dict[str, str]:
    """Questionnaire field keys and derived feature keys -> their names in the active language."""
    labels = product_config.derived_labels()
    labels.update({f.key: f.display_label() for f in Feature.objects.all()})
    return labels


def value_labels(feature: Feature | None) -> dict[str, str]:
    """How a field's stored values are said (analytics.drift stores a bin by its value's text): a choice by
    its option's label in the active language, a yes/no field by да / нет; empty for other fields."""
    if feature is None:
        return {}
    if feature.type == "choice":
        return dict(feature.display_choice_pairs())
    if feature.type == "boolean":
        return {"true": gettext("да"), "false": gettext("нет")}
    return {}


def data_source(text: str) -> str:
    """A model's training data as stored ('synthetic rows=800 seed=11', 'imported: 2 000 rows, batches 1-3')
    in words: «синтетические данные: 800 строк»."""
    read = read_training_data(text)
    if read is None or read[0] == "outcomes":
        return text or gettext("не указано")
    source, rows, _detail = read
    count = ngettext("%(n)s строка", "%(n)s строк", rows) % {
        "n": number_format(rows, decimal_pos=0, use_l10n=True, force_grouping=True)}
    what = gettext("синтетические данные") if source == "synthetic" else gettext("загруженная история")
    return f"{what}: {count}"
