"""Exploring a training data set: per field its distribution, missing share and each bank's approval
rate per value or band, and correlations between numeric fields.

The data set is the imported history (HistoricalApplication) or a sample of the synthetic
generator. It is profiled with pandas in one vectorised pass and the profile is cached until the
data changes (new import) or for a day, so the page reads a stored result.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from scoring.engine.synthetic import generate_applications
from scoring.engine.training import decision_labels
from scoring.modelops.importing import historical_frame
from scoring.models import Bank, Feature, HistoricalApplication

from . import charts
from .drift import INTERVAL, MISSING, OTHER, field_values, interval_labels, shown_label
from .tables import Column, Table

SOURCES = {"imported": _("загруженная история"), "synthetic": _("синтетические данные")}
SYNTHETIC_ROWS = 5000
SYNTHETIC_SEED = 42
NUMBER_BINS = 8
TEXT_TOP = 15
CACHE_SECONDS = 24 * 3600


def _frame(source: str, bank_codes: list[str]) -> pd.DataFrame:
    if source == "synthetic":
        return generate_applications(SYNTHETIC_ROWS, seed=SYNTHETIC_SEED, bank_codes=bank_codes)
    return historical_frame(bank_codes)


def _signature(source: str, bank_codes: list[str], feature_keys: list[str]) -> str:
    if source == "synthetic":
        data = f"{SYNTHETIC_ROWS}:{SYNTHETIC_SEED}"
    else:
        stats = HistoricalApplication.objects.aggregate(n=Count("pk"), last=Max("pk"))
        data = f"{stats['n']}:{stats['last']}"
    digest = hashlib.sha1(f"{data}:{','.join(bank_codes)}:{','.join(feature_keys)}".encode()).hexdigest()
    return f"analytics:profile:v2:{source}:{digest}"


def bin_labels(values: np.ndarray, numeric: bool, *, bins: int = NUMBER_BINS, top: int = TEXT_TOP) -> tuple[list[str], np.ndarray]:
    """(ordered bin labels, bin label per row): quantile bands for numbers, values (top ones) otherwise."""
    if numeric:
        present = values[~np.isnan(values)]
        edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) if len(present) else np.array([])
        names = interval_labels(edges)
        index = np.searchsorted(edges, np.nan_to_num(values), side="right")
        labels = np.array(names, dtype=object)[index]
        labels[np.isnan(values)] = MISSING
        return names + [MISSING], labels
    series = pd.Series(values, dtype=object)
    counts = series.dropna().value_counts()
    kept = list(counts.index[:top])
    labels = series.where(series.isin(kept), OTHER).where(series.notna(), MISSING).to_numpy()
    return [str(k) for k in kept] + [OTHER, MISSING], labels


def cached_profile(source: str) -> dict | None:
    """The data set's profile if it is computed for the data as it is now, else None (the page
    offers to compute it: tasks.request_profile)."""
    banks, features = _inputs()
    return cache.get(_signature(source, banks, [f.key for f in features]))


def _inputs() -> tuple[list[str], list[Feature]]:
    banks = list(Bank.objects.filter(active=True).order_by("code").values_list("code", flat=True))
    return banks, list(Feature.objects.filter(active=True).order_by("order", "id"))


def profile(source: str) -> dict:
    """{"rows", "banks", "fields": [...], "correlation": {...}} of the data set, cached until it changes.

    fields: {"key", "label", "type", "missing_share", "bins": [{"label", "count", "share",
    "approval": {bank: rate or None}}]}; correlation: {"keys", "labels", "matrix"} of numeric fields.
    Labels are stored in Russian whatever the language of the request that filled the cache;
    exploration_tables shows them in the reader's language.
    """
    banks, features = _inputs()
    key = _signature(source, banks, [f.key for f in features])
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = _profile(_frame(source, banks), banks, features)
    cache.set(key, result, CACHE_SECONDS)
    return result


def _profile(frame: pd.DataFrame, banks: list[str], features: list[Feature]) -> dict:
    rows = len(frame)
    as_of = frame.attrs.get("as_of") or timezone.localdate()
    # fillna: engine.training.decision_labels cannot compare a missing (NA) decision with text.
    labels = {code: decision_labels(frame[f"{code}_decision"].fillna("")) for code in banks
              if f"{code}_decision" in frame}
    fields, numeric = [], {}
    for feature in features:
        if feature.key not in frame.columns:
            continue
        spec = feature.to_spec()
        values = field_values(spec, frame[feature.key].tolist(), [as_of] * rows)
        is_numeric = values.dtype != object
        if is_numeric:
            numeric[feature.key] = values
        elif spec.type == "choice":
            as_numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
            if np.isnan(as_numbers).sum() == pd.isna(pd.Series(values, dtype=object)).sum() and rows:
                numeric[feature.key] = as_numbers  # a choice of numbers (the term) correlates as a number
        order, bins = bin_labels(values, is_numeric)
        grouped = pd.DataFrame({"bin": bins, **{code: y for code, y in labels.items()}}).groupby("bin", sort=False)
        counts = grouped.size()
        approval = grouped[list(labels)].mean() if labels else pd.DataFrame(index=counts.index)
        display = dict(feature.choice_pairs()) if spec.type == "choice" else {}
        entries = []
        for name in order:
            if name not in counts.index:
                continue
            entries.append({
                "label": display.get(name, name), "count": int(counts[name]), "share": float(counts[name]) / rows,
                "approval": {code: _none_if_nan(approval.at[name, code]) for code in labels},
            })
        missing = int(counts.get(MISSING, 0))
        fields.append({"key": feature.key, "label": feature.label, "type": spec.type,
                       "missing_share": missing / rows if rows else 0.0, "bins": entries})
    correlation = {"keys": [], "labels": [], "matrix": []}
    if numeric and rows:
        matrix = pd.DataFrame(numeric).corr()
        by_key = {f.key: f for f in features}
        correlation = {"keys": list(matrix.columns),
                       "labels": [by_key[key].label for key in matrix.columns],
                       "matrix": [[_none_if_nan(v) for v in row] for row in matrix.to_numpy()]}
    return {"rows": rows, "banks": list(labels), "fields": fields, "correlation": correlation}


def _axis_label(feature: Feature) -> str:
    """A numeric field's name on the correlation axes, in the active language: dates count years since them."""
    label = feature.display_label()
    return label + " (" + gettext("лет") + ")" if feature.type == "date" else label


def _none_if_nan(value):
    value = float(value)
    return None if np.isnan(value) else value


def exploration_tables(result: dict) -> tuple[dict, dict]:
    """(tables, charts) of a profile: one table per field, the missing shares, the correlations."""
    bank_names = dict(Bank.objects.values_list("code", "name"))
    features = {f.key: f for f in Feature.objects.all()}

    def name(key, stored):
        return features[key].display_label() if key in features else stored

    def value(field, label):
        # Choice labels are in the catalogue, as on the questionnaire; other values are data.
        if field["type"] == "choice" and isinstance(label, str) and label not in (MISSING, OTHER):
            return gettext(label)
        if field["type"] == "date" and INTERVAL.match(str(label)):  # years since the date: its unit
            last = int(re.findall(r"\d+", str(label))[-1])
            return f"{shown_label(label)} {ngettext('год', 'лет', last)}"
        return shown_label(label)

    tables, chart = {}, {}
    tables["missing"] = Table("missing", _("Пропуски по полям"),
                              [Column(_("Поле")), Column(_("Доля пропусков"), "share")],
                              [[name(f["key"], f["label"]), f["missing_share"]] for f in result["fields"]])
    for field in result["fields"]:
        key = f"field_{field['key']}"
        bins = [{**b, "label": value(field, b["label"])} for b in field["bins"]]
        tables[key] = Table(
            key, name(field["key"], field["label"]),
            [Column(_("Значение или интервал")), Column(_("Строк"), "count"), Column(_("Доля"), "share"),
             *[Column(_("Одобрение: %(bank)s") % {"bank": bank_names.get(code, code)}, "share")
               for code in result["banks"]]],
            [[b["label"], b["count"], b["share"], *[b["approval"].get(code) for code in result["banks"]]]
             for b in bins],
        )
        chart[key] = charts.bar_chart([(str(b["label"]), b["share"]) for b in bins],
                                      title=str(_("Распределение: %(f)s") % {"f": name(field["key"], field["label"])}))
    corr = result["correlation"]
    labels = [_axis_label(features[key]) if key in features else stored
              for key, stored in zip(corr["keys"], corr["labels"])]
    tables["correlation"] = Table("correlation", _("Корреляции числовых полей (Пирсон)"),
                                  [Column(_("Поле")), *[Column(label, "ratio") for label in labels]],
                                  [[label, *row] for label, row in zip(labels, corr["matrix"])])
    if labels:
        chart["correlation"] = charts.heatmap(labels, corr["matrix"], title=str(_("Корреляции")))
    return tables, chart
