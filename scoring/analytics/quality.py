"""Model quality per model version, from its stored held-out metrics and the recorded outcomes.

Reads ModelVersion.metrics as training stores it: auc, auc_ci_low/high, pr_auc, brier, log_loss,
n_train/n_valid/n_test, approval_rate_test, oracle_auc, calibration (list of bins), importance
(list of {feature, importance}), and, when training stores them, roc_curve {fpr, tpr, thresholds}
and held_out_predictions {y, p}. A missing key is shown as "нет данных", never guessed.
"""
from __future__ import annotations

import numpy as np
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from scoring.models import ModelVersion
from scoring.services import phrases

from . import charts, rollup, selectors
from .tables import Column, Table
from .wording import decimal, field_labels

HELD_OUT_FIGURES = [
    ("auc", _("ROC AUC"), "ratio"),
    ("auc_ci_low", _("ROC AUC, нижняя граница 95 % ДИ"), "ratio"),
    ("auc_ci_high", _("ROC AUC, верхняя граница 95 % ДИ"), "ratio"),
    ("oracle_auc", _("ROC AUC истинной вероятности (предел)"), "ratio"),
    ("pr_auc", _("PR AUC"), "ratio"),
    ("brier", _("Брайер"), "ratio"),
    ("log_loss", _("Логистическая потеря"), "ratio"),
    ("approval_rate_test", _("Доля одобрений в отложенной выборке"), "share"),
    ("n_train", _("Строк обучения"), "count"),
    ("n_valid", _("Строк ранней остановки"), "count"),
    ("n_test", _("Строк отложенной выборки"), "count"),
]


def confusion_at(y, p, threshold: float) -> dict:
    """Counts at a threshold (approval predicted when p >= threshold) and the rates they give."""
    y = np.asarray(y, dtype=int)
    predicted = np.asarray(p, dtype=float) >= threshold
    tp = int((predicted & (y == 1)).sum())
    fp = int((predicted & (y == 0)).sum())
    fn = int((~predicted & (y == 1)).sum())
    tn = int((~predicted & (y == 0)).sum())
    total = tp + fp + fn + tn
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "accuracy": (tp + tn) / total if total else None}


def model_quality(version: ModelVersion) -> dict:
    """Tables and charts of one model version; a table is None when its data is not stored."""
    metrics = version.metrics or {}
    labels = field_labels()
    tables, chart = {}, {}

    tables["held_out"] = Table("held_out", _("Метрики на отложенной выборке"),
                               [Column(_("Показатель")), Column(_("Значение"), "mixed")],
                               [[label, (metrics[key], kind)] for key, label, kind in HELD_OUT_FIGURES
                                if metrics.get(key) is not None])

    roc = metrics.get("roc_curve")
    if roc and roc.get("fpr") and roc.get("tpr"):
        thresholds = roc.get("thresholds") or [None] * len(roc["fpr"])
        tables["roc"] = Table("roc", _("ROC-кривая"),
                              [Column(_("Доля ложных одобрений (FPR)"), "share"),
                               Column(_("Доля верных одобрений (TPR)"), "share"), Column(_("Порог"), "share")],
                              [[f, t, _finite(h)] for f, t, h in zip(roc["fpr"], roc["tpr"], thresholds)])
        auc = metrics.get("auc")
        chart["roc"] = charts.unit_square_chart([("AUC " + (decimal(auc) if auc is not None else "—"), roc["fpr"],
                                                  roc["tpr"])],
                                                title=str(_("ROC-кривая")), x_label="FPR", y_label="TPR")
    else:
        tables["roc"] = None

    calibration = metrics.get("calibration") or []
    tables["calibration"] = Table(
        "calibration", _("Калибровка на отложенной выборке"),
        [Column(_("Интервал вероятности")), Column(_("Заявок"), "count"), Column(_("Средний прогноз"), "share"),
         Column(_("Фактическая доля одобрений"), "share")],
        [[band(b["low"], b["high"]), b["n"], b.get("mean_predicted"), b.get("observed_rate")]
         for b in calibration],
    ) if calibration else None
    if calibration:
        filled = [b for b in calibration if b.get("n")]
        chart["calibration"] = charts.unit_square_chart(
            [(str(_("модель")), [b["mean_predicted"] for b in filled], [b["observed_rate"] for b in filled])],
            title=str(_("Калибровка")), x_label=str(_("прогноз")), y_label=str(_("факт")), markers=True)

    held_out = metrics.get("held_out_predictions")
    threshold = version.bank.approval_threshold
    if held_out and held_out.get("y") and held_out.get("p"):
        counts = confusion_at(held_out["y"], held_out["p"], threshold)
        tables["confusion"] = Table(
            "confusion", _("Матрица ошибок при пороге банка %(t)s (%(rows)s)") % {
                "t": phrases.percent(threshold), "rows": ngettext("%(n)s строка", "%(n)s строк", len(held_out["y"]))
                % {"n": len(held_out["y"])}},
            [Column(_("Факт \\ прогноз")), Column(_("Прогноз: одобрит"), "count"), Column(_("Прогноз: откажет"), "count")],
            [[_("Одобрено"), counts["tp"], counts["fn"]], [_("Отказ"), counts["fp"], counts["tn"]]],
        )
        tables["confusion_rates"] = Table(
            "confusion_rates", _("Точность при пороге банка"), [Column(_("Показатель")), Column(_("Значение"), "share")],
            [[_("Точность прогноза «одобрит» (precision)"), counts["precision"]],
             [_("Полнота (recall)"), counts["recall"]], [_("Доля верных ответов (accuracy)"), counts["accuracy"]]],
        )
    else:
        tables["confusion"] = tables["confusion_rates"] = None

    importance = metrics.get("importance") or []
    tables["importance"] = Table(
        "importance", _("Важность полей (среднее |SHAP|, логарифм шансов)"),
        [Column(_("Поле")), Column(_("Важность"), "ratio")],
        [[labels.get(i["feature"], i["feature"]), i["importance"]] for i in importance],
    ) if importance else None
    if importance:
        top = max(i["importance"] for i in importance) or 1.0
        chart["importance"] = charts.bar_chart([(r[0], r[1] / top) for r in tables["importance"].rows], maximum=1.0,
                                               title=str(_("Важность полей, доля от самого важного")))

    live = (rollup if rollup.is_ready() else selectors).live_calibration(version)
    tables["live_calibration"] = Table(
        "live_calibration", _("Калибровка на реальных ответах банка"),
        [Column(_("Интервал вероятности")), Column(_("Ответов"), "count"), Column(_("Средний прогноз"), "share"),
         Column(_("Фактическая доля одобрений"), "share")],
        [[band(int(r["band"]) / 10, (int(r["band"]) + 1) / 10), r["n"], r["mean_predicted"],
          r["approved"] / r["n"] if r["n"] else None] for r in live],
    )
    if live:
        chart["live_calibration"] = charts.unit_square_chart(
            [(str(_("реальные ответы")), [r[2] for r in tables["live_calibration"].rows],
              [r[3] for r in tables["live_calibration"].rows])],
            title=str(_("Калибровка на реальных ответах")), x_label=str(_("прогноз")), y_label=str(_("факт")),
            markers=True)
    return {"tables": tables, "charts": chart}


def band(low: float, high: float) -> str:
    """A probability interval in per cent: '10–20 %'."""
    return gettext("%(low)s–%(high)s %%") % {"low": round(low * 100), "high": round(high * 100)}


def _finite(value):
    return None if value is None or not np.isfinite(value) else value

