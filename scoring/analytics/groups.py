"""Groups of applicants (gender, age band) and how a model does for each: approval rate at the
bank's threshold and AUC, from the training rows or from the live scores with a recorded answer."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _, ngettext
from fairlearn.metrics import MetricFrame, selection_rate

from scoring.engine.metrics import fast_auc
from scoring.models import Bank, Feature

from . import selectors

# Fewer labelled rows than this in a group: its AUC is not shown (too noisy to read).
MIN_GROUP_ROWS = 20
ATTRIBUTES = {"gender": _("Пол"), "age_band": _("Возраст")}


def age_band(ages) -> np.ndarray:
    """Age band labels (selectors.AGE_BANDS) for ages in years; '' where unknown."""
    ages = np.asarray(ages, dtype=float)
    out = np.full(len(ages), "", dtype=object)
    for low, high, label in selectors.AGE_BANDS:
        inside = ~np.isnan(ages)
        if low is not None:
            inside &= ages >= low
        if high is not None:
            inside &= ages < high
        out[inside] = label
    return out


def age_band_label(band) -> str:
    """An age band with its unit: '18–24 года', '65+ лет'; no band is «не указано»."""
    if band in (None, "", selectors.UNKNOWN):
        return str(_("не указано"))
    band = str(band)
    last = int("".join(ch if ch.isdigit() else " " for ch in band).split()[-1])
    return ngettext("%(band)s год", "%(band)s лет", last) % {"band": band}


def group_label(attribute: str, group, genders: dict | None = None) -> str:
    """A group's name on the page: the gender's label, the age band with its unit, «не указано»."""
    if group in (None, "", selectors.UNKNOWN, "null", "None"):
        return str(_("не указано"))
    if attribute == "gender":
        return (genders if genders is not None else gender_labels()).get(str(group), str(group))
    if attribute == "age_band":
        return age_band_label(group)
    return str(group)


def group_metrics(y, p, groups, threshold: float) -> list[dict]:
    """Per group: rows, approval rate at the threshold, AUC (None if one class or too few rows).

    y: 1/0 labels, p: probabilities, groups: a label per row ('' rows are left out).
    """
    y, p, groups = np.asarray(y, dtype=int), np.asarray(p, dtype=float), np.asarray(groups, dtype=object)
    keep = groups != ""
    y, p, groups = y[keep], p[keep], groups[keep]
    if len(y) == 0:
        return []

    def auc(y_true, y_score):
        return fast_auc(y_true, y_score) if len(y_true) >= MIN_GROUP_ROWS else math.nan

    def rate(y_true, y_pred):
        return selection_rate(y_true, y_pred >= threshold)

    frame = MetricFrame(metrics={"auc": auc, "approval_rate": rate, "count": lambda t, s: len(t)},
                        y_true=y, y_pred=p, sensitive_features=pd.Series(groups, name="group"))
    table = frame.by_group
    return [{"group": str(group), "n": int(row["count"]), "approval_rate": float(row["approval_rate"]),
             "auc": None if math.isnan(row["auc"]) else float(row["auc"])} for group, row in table.iterrows()]


def ratio(rates: list[float | None]) -> float | None:
    """Lowest over highest approval rate (1 = equal); None with fewer than two groups."""
    present = [r for r in rates if r is not None]
    if len(present) < 2 or max(present) == 0:
        return None
    return min(present) / max(present)


def gender_labels() -> dict:
    feature = Feature.objects.filter(key="gender").first()
    return dict(feature.display_choice_pairs()) if feature else {}


def live_group_quality(filters: selectors.Filters) -> list[list]:
    """[bank code, attribute, group, answers, predicted approval rate, AUC] from the scores with a recorded
    answer (row-level, so stored by the daily refresh rather than summed by day).

    A group is the gender's code or the age band: group_label names it in the reader's language when
    it is shown (the refresh runs in the default language, and its rows are read in any)."""
    rows = []
    for bank in Bank.objects.order_by("code"):
        labelled = selectors.live_labelled_scores(bank)
        if not labelled:
            continue
        p = [r[0] for r in labelled]
        y = [r[1] for r in labelled]
        for attribute, groups in (("gender", [str(r[2]) if r[2] not in (None, "") else "" for r in labelled]),
                                  ("age_band", age_band([r[3] if r[3] is not None else np.nan for r in labelled]))):
            for entry in group_metrics(y, p, groups, bank.approval_threshold):
                rows.append([bank.code, attribute, entry["group"], entry["n"], entry["approval_rate"], entry["auc"]])
    return rows


