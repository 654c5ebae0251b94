"""Population stability index (PSI) per questionnaire field: training data against the latest applications.

The reference is rebuilt at drift time from what ModelVersion.training_data records, so nothing
extra is stored at training: "synthetic rows=N seed=S" regenerates the same rows with the built-in
generator (deterministic), "imported: ... batches 1-3" reads those batches' HistoricalApplication
rows. A model whose training data cannot be rebuilt is skipped with the reason.

Bins come from the reference: deciles for numbers (ages and tenures for dates), every value for
choices, the 20 most frequent spellings for text; missing answers are a bin of their own.
PSI = Σ (live − reference) · ln(live / reference) over bins, shares floored at 1e-4.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext, gettext_noop

from scoring.engine.dates import to_date, years_between
from scoring.engine.features import FeatureSpec
from scoring.engine.formatting import format_quantity
from scoring.engine.preprocessing import FeatureEncoder, is_missing, normalise_text
from scoring.engine.synthetic import generate_applications
from scoring.modelops.importing import historical_frame
from scoring.modelops.training import batch_ids, read_training_data
from scoring.models import Application, HistoricalApplication, ModelVersion

from .models import DriftMeasurement

log = logging.getLogger(__name__)

DEFAULT_LAST = 5000
MIN_SHARE = 1e-4
NUMBER_BINS = 10
TEXT_TOP = 20
# Bins of no value of their own; stored in Russian, shown in the reader's language (shown_label).
MISSING = gettext_noop("нет ответа")
OTHER = gettext_noop("другое")
ALL_VALUES = gettext_noop("все значения")

# A bin of numbers as interval_labels writes it, and its numbers in English ('1 000,5' -> '1,000.5').
INTERVAL = re.compile(r"^[<≥]?\s?[\d\s\u00a0,–-]+$")
ENGLISH_NUMBERS = str.maketrans({"\u00a0": ",", ",": "."})


class ReferenceUnavailable(Exception):
    """The model's training rows cannot be rebuilt; the message says why."""


@dataclass
class DriftRun:
    measurements: list[DriftMeasurement]
    skipped: dict  # ModelVersion id -> reason


def reference_frame(version: ModelVersion) -> pd.DataFrame:
    """The rows version was trained on, rebuilt from its training_data description (as
    modelops.training writes it and read_training_data reads it)."""
    read = read_training_data(version.training_data or "")
    if read and read[0] == "synthetic":
        _, rows, seed = read
        return generate_applications(rows, seed=int(seed), bank_codes=[version.bank.code])
    if read and read[0] == "imported":
        batches = set(batch_ids(read[2]))
        frame = historical_frame([version.bank.code])
        if batches:
            ids = list(HistoricalApplication.objects.order_by("batch_id", "row_number").values_list("batch_id", flat=True))
            frame = frame[np.isin(np.asarray(ids), list(batches))].reset_index(drop=True)
        if frame.empty:
            raise ReferenceUnavailable("the imported rows it was trained on are no longer stored")
        return frame
    raise ReferenceUnavailable(f"training data {version.training_data!r} cannot be rebuilt "
                               "(neither synthetic nor imported)")


def field_values(spec: FeatureSpec, values: list, days: list[dt.date]) -> np.ndarray:
    """Comparable values of one field: floats for numbers and dates (years since the date, counted to
    each row's day), text for choices, booleans and text fields; None where the answer is missing."""
    if spec.type in ("number", "integer"):
        return np.array([_float(v) for v in values], dtype=float)
    if spec.type == "date":
        out = np.full(len(values), np.nan)
        for i, (value, day) in enumerate(zip(values, days)):
            out[i] = years_between(to_date(value), day)
        return out
    if spec.type == "text":
        return np.array([None if is_missing(v) else (normalise_text(v) or None) for v in values], dtype=object)
    return np.array([None if is_missing(v) else str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v)
                     for v in values], dtype=object)


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def psi(reference: np.ndarray, live: np.ndarray) -> float:
    """PSI of two share vectors over the same bins (each summing to 1)."""
    reference = np.maximum(np.asarray(reference, dtype=float), MIN_SHARE)
    live = np.maximum(np.asarray(live, dtype=float), MIN_SHARE)
    return float(np.sum((live - reference) * np.log(live / reference)))


def binned_shares(reference: np.ndarray, live: np.ndarray, numeric: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(bin labels, reference shares, live shares), bins made from the reference."""
    if numeric:
        ref_present = reference[~np.isnan(reference)]
        edges = np.unique(np.quantile(ref_present, np.linspace(0, 1, NUMBER_BINS + 1)[1:-1])) if len(ref_present) else []
        labels = interval_labels(edges) + [MISSING]

        def shares(values):
            present = ~np.isnan(values)
            counts = np.bincount(np.searchsorted(edges, values[present], side="right"), minlength=len(edges) + 1)
            counts = np.append(counts, (~present).sum())
            return counts / max(len(values), 1)
        return labels, shares(reference), shares(live)
    ref_series = pd.Series(reference, dtype=object).fillna(MISSING)
    live_series = pd.Series(live, dtype=object).fillna(MISSING)
    categories = list(ref_series.value_counts().index[:TEXT_TOP])
    labels = [str(c) for c in categories] + [OTHER]

    def shares(series):
        mapped = series.where(series.isin(categories), OTHER)
        counts = mapped.value_counts().reindex(categories + [OTHER], fill_value=0).to_numpy()
        return counts / max(len(series), 1)
    return labels, shares(ref_series), shares(live_series)


def interval_labels(edges) -> list[str]:
    """Bin names for sorted inner edges, written in Russian: ['< 1 000', '1 000 – 2 500,5', '≥ 2 500,5']
    (4 significant digits, never an exponent)."""
    if len(edges) == 0:
        return [ALL_VALUES]
    bounds = [format_quantity(float(f"{e:.4g}")) for e in edges]
    return [f"< {bounds[0]}"] + [f"{a} – {b}" for a, b in zip(bounds, bounds[1:])] + [f"≥ {bounds[-1]}"]


def shown_label(label) -> str:
    """A bin's label for the page: the missing answer «не указано» and the other bins without a value
    of their own in the active language; an interval's numbers in its number format."""
    if label == MISSING:
        return gettext("не указано")
    if label in (OTHER, ALL_VALUES):
        return gettext(label)
    label = str(label)
    if INTERVAL.match(label) and get_format("DECIMAL_SEPARATOR") == ".":
        return label.translate(ENGLISH_NUMBERS)
    return label


def latest_applications(last: int) -> tuple[list[dict], list[dt.date]]:
    """Answers and local submission days of the last `last` applications (newest first)."""
    rows = list(Application.objects.order_by("-created_at", "pk").values_list("answers", "created_at")[:last])
    return [answers for answers, _at in rows], [timezone.localtime(at).date() for _a, at in rows]


def compute_drift(*, last: int = DEFAULT_LAST, now: dt.datetime | None = None) -> DriftRun:
    """Measure and store PSI per field for every active model against the last `last` applications."""
    now = now or timezone.now()
    answers, days = latest_applications(last)
    measurements, skipped = [], {}
    if not answers:
        return DriftRun([], {})
    references: dict[str, pd.DataFrame] = {}
    for version in ModelVersion.objects.filter(active=True, bank__active=True).select_related("bank").defer("artifact"):
        try:
            if version.training_data not in references:
                references[version.training_data] = reference_frame(version)
            frame = references[version.training_data]
        except ReferenceUnavailable as exc:
            skipped[version.pk] = str(exc)
            log.warning("drift of model %s not measured: %s", version.pk, exc)
            continue
        as_of = frame.attrs.get("as_of") or timezone.localdate()
        specs = FeatureEncoder.from_dict(version.encoder).specs
        for spec in specs:
            if spec.key not in frame.columns:
                continue
            reference = field_values(spec, frame[spec.key].tolist(), [as_of] * len(frame))
            live = field_values(spec, [a.get(spec.key) for a in answers], days)
            labels, ref_shares, live_shares = binned_shares(reference, live, numeric=reference.dtype != object)
            measurements.append(DriftMeasurement(
                model_version=version, feature=spec.key, psi=round(psi(ref_shares, live_shares), 4),
                bins=[{"label": label, "reference": round(float(r), 4), "live": round(float(lv), 4)}
                      for label, r, lv in zip(labels, ref_shares, live_shares)],
                reference_source=(version.training_data or "")[:300], reference_rows=len(frame),
                live_rows=len(answers), computed_at=now,
            ))
    with transaction.atomic():
        DriftMeasurement.objects.bulk_create(measurements)
    return DriftRun(measurements, skipped)
