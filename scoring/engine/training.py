"""Training one XGBoost model per bank, with held-out metrics.

Artifacts are XGBoost's own UBJ format: loading one cannot execute code (never pickle).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from .features import FeatureSpec
from .preprocessing import DerivedSpec, FeatureEncoder

XGB_PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 4,
    "eta": 0.08,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
    "lambda": 1.0,
    "nthread": 2,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 30
# Fewer answers than this, or fewer of either kind, and the held-out metrics would mean nothing.
MIN_ANSWERED_ROWS = 100
MIN_ROWS_PER_CLASS = 10
CALIBRATION_BINS = 10
TOP_IMPORTANCE = 15


@dataclass
class HeldOut:
    """The rows a model was evaluated on and never trained on.

    rows: positions in the training frame (and in X as train_bank received it), in the split's order;
    labels: 1 approved / 0 refused for those rows; probabilities: the model's, for those rows.
    """

    rows: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray


@dataclass
class TrainedModel:
    """A fitted booster, its JSON-serialisable held-out metrics and (not serialised) the held-out rows."""

    booster: xgb.Booster
    metrics: dict
    held_out: HeldOut | None = field(default=None, repr=False)

    def to_bytes(self) -> bytes:
        return bytes(self.booster.save_raw(raw_format="ubj"))


def load_booster(artifact: bytes) -> xgb.Booster:
    """A booster from its UBJ bytes (XGBoost's own format; no code is executed)."""
    booster = xgb.Booster()
    booster.load_model(bytearray(artifact))
    booster.set_param({"nthread": 1})  # one application at a time: threads cost more than they save
    return booster


def fast_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties averaged), NaN when only one class is present."""
    y_true = np.asarray(y_true, dtype=bool)
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[y_true].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bootstrap_auc_ci(y_true, scores, *, rounds: int = 200, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the ROC AUC (resampling rows), as (low, high)."""
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


def calibration_table(y_true: np.ndarray, probabilities: np.ndarray, *, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Predicted against observed approval in equal-width bins of predicted probability.

    One dict per bin, lowest first: {"low", "high"} its bounds (the last bin includes 1.0),
    "n" the rows in it, "mean_predicted" and "observed_rate" (None for an empty bin).
    A calibrated model has mean_predicted ≈ observed_rate in every well-filled bin.
    """
    y_true = np.asarray(y_true, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1], right=False), 0, bins - 1)
    table = []
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        table.append({
            "low": round(float(edges[b]), 2),
            "high": round(float(edges[b + 1]), 2),
            "n": n,
            "mean_predicted": round(float(probabilities[inside].mean()), 4) if n else None,
            "observed_rate": round(float(y_true[inside].mean()), 4) if n else None,
        })
    return table


def evaluate(y_true: np.ndarray, probabilities: np.ndarray, *, seed: int = 0) -> dict:
    """Held-out metrics, JSON-serialisable: ROC AUC with a bootstrap 95 % CI, PR AUC (average
    precision, approval as the positive class), Brier score, log loss, sizes and a calibration table."""
    y_true = np.asarray(y_true, dtype=float)
    probabilities = np.clip(np.asarray(probabilities, dtype=float), 1e-6, 1 - 1e-6)
    auc = roc_auc_score(y_true, probabilities)
    low, high = bootstrap_auc_ci(y_true, probabilities, seed=seed)
    return {
        "auc": round(float(auc), 4),
        "auc_ci_low": round(low, 4),
        "auc_ci_high": round(high, 4),
        "pr_auc": round(float(average_precision_score(y_true, probabilities)), 4),
        "brier": round(float(brier_score_loss(y_true, probabilities)), 4),
        "log_loss": round(float(log_loss(y_true, probabilities, labels=[0, 1])), 4),
        "n_test": int(len(y_true)),
        "approval_rate_test": round(float(y_true.mean()), 4),
        "calibration": calibration_table(y_true, probabilities),
    }


def global_importance(booster: xgb.Booster, X: np.ndarray, encoder: FeatureEncoder, *,
                      top: int = TOP_IMPORTANCE) -> list[dict]:
    """Mean |SHAP| per questionnaire field or derived feature over the rows of X, largest first.

    X: (n, len(encoder.columns)) as encoder.transform returns. Contributions of a field's
    one-hot columns are summed before taking the absolute value, so a field counts once.
    Returns up to `top` dicts {"feature": source key, "importance": mean |contribution| in log-odds}.
    """
    if len(X) == 0:
        return []
    raw = booster.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True, validate_features=False)
    per_source = raw[:, :-1].astype(np.float64) @ encoder.source_matrix()  # last column: the bias
    mean_abs = np.abs(per_source).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")[:top]
    return [{"feature": encoder.source_keys[j], "importance": round(float(mean_abs[j]), 4)} for j in order]


def decision_labels(decisions: pd.Series) -> np.ndarray:
    """1 approved ('success'), 0 refused ('denied'), NaN for no answer ('error', empty)."""
    text = decisions.astype("string").str.strip().str.lower()
    return np.where(text == "success", 1.0, np.where(text == "denied", 0.0, np.nan))


def training_problem(y: np.ndarray) -> str | None:
    """Why labels y (1/0/NaN per row) cannot train a model with meaningful held-out metrics, or None."""
    y = np.asarray(y, dtype=float)
    answered = y[~np.isnan(y)]
    approvals, refusals = int((answered == 1).sum()), int((answered == 0).sum())
    if len(answered) < MIN_ANSWERED_ROWS:
        return f"only {len(answered)} answered rows (at least {MIN_ANSWERED_ROWS} needed)"
    if min(approvals, refusals) < MIN_ROWS_PER_CLASS:
        return (f"{approvals} approvals and {refusals} refusals "
                f"(at least {MIN_ROWS_PER_CLASS} of each needed)")
    return None


def train_bank(X: np.ndarray, y: np.ndarray, columns: list[str], *, seed: int = 42,
               p_true: np.ndarray | None = None) -> TrainedModel:
    """Fit one bank's model on rows with an answer; 20 % held out for the metrics, 10 % for early stopping.

    X: (n, n_columns) float32 from FeatureEncoder.transform; y: 1/0/NaN per row;
    p_true: the generator's true probabilities, for the oracle AUC on the same held-out rows.
    The returned model's held_out names the held-out rows by their position in X.
    Raises ValueError (training_problem's reason) when y cannot train a model.
    """
    problem = training_problem(y)
    if problem:
        raise ValueError(f"not enough answers to train on: {problem}")
    positions = np.flatnonzero(~np.isnan(y))
    X, y = X[positions], y[positions].astype(int)
    if p_true is not None:
        p_true = np.asarray(p_true, dtype=float)[positions]
    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=0.2, random_state=seed, stratify=y)
    fit, valid = train_test_split(rest, test_size=0.125, random_state=seed, stratify=y[rest])
    dfit = xgb.DMatrix(X[fit], label=y[fit], feature_names=_safe_names(columns))
    dvalid = xgb.DMatrix(X[valid], label=y[valid], feature_names=_safe_names(columns))
    booster = xgb.train({**XGB_PARAMS, "seed": seed}, dfit, num_boost_round=MAX_ROUNDS,
                        evals=[(dvalid, "valid")], early_stopping_rounds=EARLY_STOPPING, verbose_eval=False)
    booster = booster[: booster.best_iteration + 1]
    probabilities = booster.predict(xgb.DMatrix(X[test], feature_names=_safe_names(columns)))
    metrics = evaluate(y[test], probabilities, seed=seed)
    metrics.update({"n_train": int(len(fit)), "n_valid": int(len(valid)), "rounds": int(booster.num_boosted_rounds())})
    if p_true is not None:
        metrics["oracle_auc"] = round(float(roc_auc_score(y[test], p_true[test])), 4)
    held_out = HeldOut(rows=positions[test], labels=y[test], probabilities=probabilities)
    return TrainedModel(booster=booster, metrics=metrics, held_out=held_out)


def _safe_names(columns: list[str]) -> list[str]:
    # XGBoost refuses '[', ']' and '<' in feature names; keep the rest readable.
    return [c.replace("[", "(").replace("]", ")").replace("<", "lt ") for c in columns]


def train_all_banks(frame: pd.DataFrame, specs: list[FeatureSpec], bank_codes: list[str], *,
                    derived: list[DerivedSpec] = (), seed: int = 42,
                    as_of: dt.date | None = None) -> tuple[FeatureEncoder, dict[str, TrainedModel]]:
    """One encoder fitted on the frame's answers and one model per bank.

    frame: one row per application, a column per field key and `<code>_decision` per bank
    (optionally `<code>_p_true`); as_of: the day the applications were made.
    Each model's metrics also hold "importance" (global_importance on its held-out rows), and its
    held_out.rows are positions in frame (frame.iloc), for comparing other models on the same rows.
    """
    as_of = as_of or frame.attrs.get("as_of") or dt.date.today()
    keys = [s.key for s in specs if s.used_by_model]
    records = frame[keys].to_dict("records")
    encoder = FeatureEncoder(specs, derived).fit(records)
    X = encoder.transform(records, as_of)
    models = {}
    for code in bank_codes:
        p_true = frame[f"{code}_p_true"].to_numpy() if f"{code}_p_true" in frame else None
        model = train_bank(X, decision_labels(frame[f"{code}_decision"]), encoder.columns,
                           seed=seed, p_true=p_true)
        model.metrics["importance"] = global_importance(model.booster, X[model.held_out.rows], encoder)
        models[code] = model
    return encoder, models
