"""Fairness per bank: approval-rate ratio (disparate impact) and ROC AUC by gender and by age band.

Two sources: the live applications (predicted approval per group counted by the database; AUC per
group from the scores that have a recorded bank answer) and an attribute-free training run, which
trains the bank's model on the same rows with and without gender and birth date and measures both
on the same held-out rows. Group metrics come from fairlearn's MetricFrame.
"""
from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from scoring.engine.dates import to_date, years_between
from scoring.engine.synthetic import generate_applications
from scoring.engine.training import KINDS, decision_labels, train_all_banks
from scoring.models import Bank, Feature
from scoring.services import phrases, product_config

from . import rollup, selectors
from .groups import ATTRIBUTES, age_band, gender_labels, group_label, group_metrics, live_group_quality, ratio
from .drift import ReferenceUnavailable, reference_frame
from .models import AttributeFreeTraining
from .tables import Column, Table
from .wording import data_source

log = logging.getLogger(__name__)

# Below this ratio of the lowest to the highest group approval rate, the four-fifths rule flags it.
DISPARATE_IMPACT_FLOOR = 0.8
PROTECTED = ("gender", "birth_date")
# Training data when the active model's own cannot be rebuilt.
FALLBACK_SYNTHETIC = {"rows": 20_000, "seed": 42}


def min_group() -> int:
    """Groups with fewer applications (or held-out rows) than this are shown but not compared."""
    return settings.PRESCORING_FAIRNESS_MIN_GROUP


def compared_ratio(groups: list[tuple[str, int, float]]) -> float | None:
    """ratio() over the groups (name, size, approval rate) of at least min_group() rows."""
    return ratio([rate for _g, n, rate in groups if n >= min_group()])


def live_fairness(filters: selectors.Filters) -> dict:
    """Tables: predicted approval rate by group and its ratio per bank (groups of min_group() or more
    applications; the missing answer is shown as «не указано» and not compared); live AUC by group."""
    genders = gender_labels()
    banks = {b.code: b for b in Bank.objects.order_by("code")}
    if filters.bank:
        banks = {code: b for code, b in banks.items() if code == filters.bank}
    tables = {}
    for attribute, title in ATTRIBUTES.items():
        per_bank: dict[str, list] = {}
        source = rollup if rollup.usable(filters, attribute) else selectors
        for row in source.predicted_approval_by_group(filters, attribute):
            if row["bank__code"] not in banks:
                continue
            known = row["group"] not in (None, "", selectors.UNKNOWN)
            per_bank.setdefault(row["bank__code"], []).append(
                (group_label(attribute, row["group"], genders), row["n"], row["likely"] / row["n"], known))
        rows, flags = [], []
        for code, groups in per_bank.items():
            value = compared_ratio([(g, n, rate) for g, n, rate, known in groups if known])
            details = "; ".join(
                f"{g}: {phrases.percent(rate, 1)} ("
                + ngettext("%(n)s заявка", "%(n)s заявок", n) % {"n": n}
                + (", " + gettext("не сравнивается") if not known or n < min_group() else "") + ")"
                for g, n, rate, known in groups)
            rows.append([banks[code].name, details, value])
            flags.append(value is not None and value < DISPARATE_IMPACT_FLOOR)
        tables[f"impact_{attribute}"] = Table(
            f"impact_{attribute}", _("Доля «скорее одобрит» по группам: %(a)s") % {"a": title},
            [Column(_("Банк")), Column(_("Группы: доля (заявок)")), Column(_("Отношение мин./макс."), "share")],
            rows, flags=flags)

    snapshot = rollup.live_group_quality_snapshot() if rollup.usable(filters) else None
    rows = snapshot if snapshot is not None else live_group_quality(filters)
    rows = [row for row in rows if not filters.bank or row[0] == filters.bank]
    tables["live_auc"] = Table(
        "live_auc", _("Качество по группам на реальных ответах банков"),
        [Column(_("Банк")), Column(_("Признак")), Column(_("Группа")), Column(_("Ответов"), "count"),
         Column(_("Доля прогноза «одобрит»"), "share"), Column(_("ROC AUC"), "ratio")],
        [[banks[r[0]].name if r[0] in banks else r[0], ATTRIBUTES.get(r[1], r[1]), group_label(r[1], r[2], genders),
          *r[3:]] for r in rows])
    return tables


# --- training without the protected attributes --------------------------------------------------

def training_frame_for(bank: Bank) -> tuple[pd.DataFrame, str]:
    """The rows the bank's active model was trained on (or the default synthetic set), and their description."""
    version = bank.active_model
    if version is not None:
        try:
            return reference_frame(version), version.training_data
        except ReferenceUnavailable as exc:
            log.info("training data of %s cannot be rebuilt (%s); using the synthetic default", version, exc)
    rows, seed = FALLBACK_SYNTHETIC["rows"], FALLBACK_SYNTHETIC["seed"]
    return generate_applications(rows, seed=seed, bank_codes=[bank.code]), f"synthetic rows={rows} seed={seed}"


def run_attribute_free_training(*, run_id: int, frame: pd.DataFrame | None = None, source: str = "",
                                seed: int = 42) -> AttributeFreeTraining:
    """Train run.bank with every field and without the protected ones on the same rows; store both AUCs
    and the group metrics on the same held-out rows. frame/source override the training data (tests)."""
    run = AttributeFreeTraining.objects.select_related("bank").get(pk=run_id)
    try:
        if frame is None:
            frame, source = training_frame_for(run.bank)
        active = run.bank.active_model
        # The active model's algorithm, so both models answer "what do these fields cost this model".
        algorithms = (active.algorithm,) if active is not None and active.algorithm in KINDS else KINDS
        result = compare_with_and_without(frame, bank=run.bank, excluded=run.excluded, seed=seed,
                                          algorithms=algorithms)
    except (ValueError, KeyError) as exc:
        run.status, run.error, run.finished_at = AttributeFreeTraining.Status.FAILED, str(exc)[:2000], timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    run.training_data = source[:300]
    run.auc_with, run.auc_without = result["with"]["auc"], result["without"]["auc"]
    run.metrics, run.status, run.finished_at = result, AttributeFreeTraining.Status.DONE, timezone.now()
    run.save(update_fields=["training_data", "auc_with", "auc_without", "metrics", "status", "finished_at"])
    return run


def compare_with_and_without(frame: pd.DataFrame, *, bank: Bank, excluded, seed: int = 42,
                             algorithms: tuple[str, ...] = KINDS) -> dict:
    """{"with": {...}, "without": {...}}: held-out AUC and group metrics of two models trained with the
    engine's train_all_banks on the same frame and seed (so on the same split), one without `excluded`."""
    as_of = frame.attrs.get("as_of") or timezone.localdate()
    column = f"{bank.code}_decision"
    # Imported history leaves a bank's decision empty (None) where the file had none; the engine's
    # decision_labels reads text only, so empty becomes "" (no answer) before training.
    frame = frame.assign(**{column: frame[column].fillna("")})
    frame.attrs["as_of"] = as_of
    derived = product_config.derived_specs()
    specs = [f.to_spec() for f in Feature.objects.filter(active=True, used_by_model=True)]
    blind = [s for s in specs if s.key not in excluded]
    result = {}
    for name, chosen in (("with", specs), ("without", blind)):
        _encoder, models = train_all_banks(frame, chosen, [bank.code], derived=derived, seed=seed, as_of=as_of,
                                           algorithms=algorithms)
        model = models[bank.code]
        held = model.held_out
        rows = frame.iloc[held.rows]
        ages = _ages(rows.get("birth_date"), as_of)
        result[name] = {
            "auc": model.metrics["auc"], "auc_ci_low": model.metrics.get("auc_ci_low"),
            "auc_ci_high": model.metrics.get("auc_ci_high"), "n_test": model.metrics.get("n_test"),
            "fields": [s.key for s in chosen],
            "gender": group_metrics(held.labels, held.probabilities,
                                    rows["gender"].fillna("").astype(str).to_numpy() if "gender" in rows else [],
                                    bank.approval_threshold),
            "age_band": group_metrics(held.labels, held.probabilities, age_band(ages), bank.approval_threshold),
        }
    labels = decision_labels(frame[f"{bank.code}_decision"].fillna(""))
    result["rows"] = int((~np.isnan(labels)).sum())
    return result


def _ages(birth_dates, as_of: dt.date) -> np.ndarray:
    if birth_dates is None:
        return np.array([])
    return np.array([years_between(to_date(value), as_of) for value in birth_dates], dtype=float)


def attribute_free_tables(runs: list[AttributeFreeTraining]) -> dict:
    """The latest finished run per bank as tables: AUC with and without, and groups' ratios."""
    genders = gender_labels()
    summary, groups = [], []
    for run in runs:
        summary.append([run.bank.name, run.auc_with, run.auc_without, run.auc_cost, run.metrics.get("rows"),
                        data_source(run.training_data), run.finished_at])
        for name, label in (("with", _("со всеми полями")), ("without", _("без пола и даты рождения"))):
            for attribute in ATTRIBUTES:
                entries = run.metrics.get(name, {}).get(attribute, [])
                value = compared_ratio([(e["group"], e["n"], e["approval_rate"]) for e in entries])
                for entry in entries:
                    groups.append([run.bank.name, label, ATTRIBUTES[attribute],
                                   group_label(attribute, entry["group"], genders), entry["n"],
                                   entry["approval_rate"], entry["auc"],
                                   value if entry["n"] >= min_group() else None])
    return {
        "attribute_free": Table(
            "attribute_free", _("Обучение без защищённых полей: цена в AUC"),
            [Column(_("Банк")), Column(_("AUC со всеми полями"), "ratio"), Column(_("AUC без пола и возраста"), "ratio"),
             Column(_("Потеря AUC"), "ratio"), Column(_("Строк с ответом"), "count"), Column(_("Данные")),
             Column(_("Рассчитано"), "datetime")], summary),
        "attribute_free_groups": Table(
            "attribute_free_groups", _("Группы на отложенной выборке: с защищёнными полями и без"),
            [Column(_("Банк")), Column(_("Модель")), Column(_("Признак")), Column(_("Группа")),
             Column(_("Строк"), "count"), Column(_("Доля прогноза «одобрит»"), "share"), Column(_("ROC AUC"), "ratio"),
             Column(_("Отношение мин./макс."), "share")], groups,
            flags=[row[-1] is not None and row[-1] < DISPARATE_IMPACT_FLOOR for row in groups]),
    }
