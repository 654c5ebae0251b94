"""ROC AUC, computed one way for the whole project: training, the quality gate, evaluation,
version comparison and the fairness groups all call fast_auc (no Django here)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def fast_auc(y_true, scores) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula.

    y_true: 1/0 (or True/False) per row, the positive class being 1; scores: higher means more
    likely positive. Tied scores get their average rank, so a constant score gives exactly 0.5
    (the same value as sklearn's roc_auc_score, up to the last bits of a float). NaN when the rows
    hold only one class; callers that show "no value" as None convert at the call.
    """
    y_true = np.asarray(y_true, dtype=bool)
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[y_true].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bootstrap_auc_ci(y_true, scores, *, rounds: int = 200, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of fast_auc (resampling rows), as (low, high); resamples
    holding one class only are skipped."""
    rng = np.random.default_rng(seed)
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    values = []
    for _ in range(rounds):
        idx = rng.integers(0, len(y_true), len(y_true))
        value = fast_auc(y_true[idx], scores[idx])
        if not math.isnan(value):
            values.append(value)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))
