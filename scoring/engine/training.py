"""Training one model per bank: algorithm selection, tuning, calibration, held-out metrics.

Four algorithms compete (estimators.KINDS): logistic regression, a random forest, gradient-boosted
trees (XGBoost) and a multi-layer perceptron. Artifacts are JSON or XGBoost's UBJ inside a small
envelope (estimators.py): loading one cannot execute code (never pickle).

How a bank's model is made (train_bank), from a few hundred answered rows to hundreds of thousands:
1. 20 % of the answered rows are held out (by a hash of the row's key when keys are given). They
   serve only the reported metrics and the quality gate; nothing is chosen on them.
2. Every configuration (each algorithm's defaults, then TUNING_GRID for the leaders and for the
   logistic regression) is cross-validated on the same repeated stratified folds of the training
   rows: many repeats of 5 folds on a few hundred rows, one pass of 3 folds on a stratified sample
   of SELECTION_ROWS on large data (cv_plan). XGBoost stops early inside each fold.
3. The configuration with the best mean AUC wins, unless a simpler one (EXPLANATION_COST) is
   within one standard error of it (Nadeau and Bengio's correction for overlapping folds): a tie
   goes to the simpler model.
4. The winner is refitted on all the training rows (XGBoost with the folds' average best number of
   rounds) and Platt-calibrated on its out-of-fold margins, so no row is spent on a validation slice.
"""
from __future__ import annotations

import datetime as dt
import math
import time
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.special import expit
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_curve
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from .estimators import KINDS, BankModel, LinearModel, NeuralModel, TreeModel
from .features import FeatureSpec
from .metrics import bootstrap_auc_ci, fast_auc
from .preprocessing import DerivedSpec, FeatureEncoder

XGB_PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 3,
    "eta": 0.08,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
    "lambda": 1.0,
    # One thread: on a busy machine OpenMP threads spin against each other and training gets several
    # times slower (measured: a random forest 2 s with one thread, 40 s with two, under load).
    "nthread": 1,
}
# Boosting rounds: at most MAX_ROUNDS inside a fold, stopping after EARLY_STOPPING rounds without
# a better log loss on the fold's held-aside part; DEFAULT_ROUNDS when fit_model is given neither.
MAX_ROUNDS = 600
EARLY_STOPPING = 30
DEFAULT_ROUNDS = 300
RF_PARAMS = {"n_estimators": 100, "max_depth": 8, "subsample": 0.8, "colsample_bynode": 0.8,
             "min_child_weight": 5, "tree_method": "hist", "n_jobs": 1}
LOGREG_PARAMS = {"C": 1.0, "max_iter": 1000}
MLP_PARAMS = {"hidden_layer_sizes": (32,), "alpha": 1e-3, "learning_rate_init": 1e-3, "max_iter": 200,
              "early_stopping": True, "n_iter_no_change": 8}
TREE_KINDS = ("xgboost", "random_forest")
DEFAULT_DEPTH = {"xgboost": XGB_PARAMS["max_depth"], "random_forest": RF_PARAMS["max_depth"]}
# Settings tried after the defaults (the first of each list) for the algorithms that lead the
# defaults' comparison, and for the logistic regression always on up to TUNE_LOGREG_ROWS rows: it is
# the simplest model, which wins every tie, and on few rows its penalty is what keeps rare categories
# from overfitting (on thousands of rows C hardly matters, and its fits cost as much as a forest's).
# Depth-2 boosting is an additive model with pairwise interactions, the shape of a scorecard: on
# lending data it often generalises best, and TreeSHAP on it is the cheapest to explain.
# The logistic regression's C is the inverse penalty on standardised numbers and raw 0/1 indicators.
TUNING_GRID = {
    "xgboost": [{}, {"max_depth": 2, "learning_rate": 0.1},
                {"max_depth": 4, "min_child_weight": 5},
                {"max_depth": 5, "min_child_weight": 10},
                {"max_depth": 6, "min_child_weight": 20, "learning_rate": 0.05}],
    "random_forest": [{}, {"max_depth": 6}, {"max_depth": 10, "min_child_weight": 10}],
    "logreg": [{}, {"C": 0.1}, {"C": 0.3}, {"C": 3.0}],
    "mlp": [{}, {"hidden_layer_sizes": (64, 32)}, {"alpha": 1e-2}],
}
TUNE_LOGREG_ROWS = 4000
# Cross-validation (cv_plan): on at most SELECTION_ROWS training rows (a stratified sample of more);
# 5 folds up to SMALL_DATA rows, 3 above; round(REPEAT_ROWS / rows) repeats, 1 to MAX_REPEATS. On a
# few hundred rows one split's luck moves a fold's AUC by several hundredths: repeats average it out,
# and they cost little there. When a sample chose, the winner gets one more pass of CV_FOLDS folds
# over all the training rows for its rounds and its calibration (more rows need more rounds).
SELECTION_ROWS = 8000
CV_FOLDS = 3
SMALL_DATA_FOLDS = 5
SMALL_DATA = 1000
REPEAT_ROWS = 3000
MAX_REPEATS = 10
# Ties go to the model whose explanation costs least per application (exact TreeSHAP on deep forest
# trees is the dearest), then to the better CV AUC.
EXPLANATION_COST = ("logreg", "xgboost", "mlp", "random_forest")
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
    """A fitted, calibrated model, its JSON-serialisable held-out metrics and (not serialised) the held-out rows."""

    model: BankModel
    metrics: dict
    held_out: HeldOut | None = field(default=None, repr=False)

    @property
    def algorithm(self) -> str:
        return self.model.kind

    def to_bytes(self) -> bytes:
        return self.model.to_bytes()


@dataclass
class CrossValidation:
    """One configuration cross-validated on folds shared with every other configuration it is compared with.

    fold_aucs: (folds × repeats,) ROC AUC of each fold, in the order of the splits;
    margins: (repeats, n) each row's out-of-fold raw margin (log-odds, uncalibrated) in each repeat;
    rounds: XGBoost's best number of rounds in each fold (empty for the other algorithms).
    """

    algorithm: str
    params: dict
    folds: int
    fold_aucs: np.ndarray
    margins: np.ndarray
    rounds: list[int]
    seconds: float

    @property
    def auc(self) -> float:
        return float(np.mean(self.fold_aucs))

    @property
    def mean_rounds(self) -> int | None:
        return int(round(float(np.mean(self.rounds)))) if self.rounds else None


ARTIFACT_FORMAT = "prescoring-psm1"
# The frame column that names each row stably across retrainings (stored history: the row's id).
ROW_KEY = "_row_key"


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
    auc = fast_auc(y_true, probabilities)
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


def global_importance(model: BankModel, X: np.ndarray, encoder: FeatureEncoder, *,
                      top: int = TOP_IMPORTANCE) -> list[dict]:
    """Mean |SHAP| per questionnaire field or derived feature over the rows of X, largest first.

    X: (n, len(encoder.columns)) as encoder.transform returns. Contributions of a field's
    one-hot columns are summed before taking the absolute value, so a field counts once.
    Returns up to `top` dicts {"feature": source key, "importance": mean |contribution| in log-odds}.
    """
    if len(X) == 0:
        return []
    raw = model.contributions(X)
    per_source = raw[:, :-1] @ encoder.source_matrix()  # last column: the bias
    mean_abs = np.abs(per_source).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")[:top]
    return [{"feature": encoder.source_keys[j], "importance": round(float(mean_abs[j]), 4)} for j in order]


def decision_labels(decisions: pd.Series) -> np.ndarray:
    """1 approved ('success'), 0 refused ('denied'), NaN for no answer ('error', empty)."""
    text = decisions.astype("string").str.strip().str.lower().fillna("")
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
               p_true: np.ndarray | None = None, algorithms: tuple[str, ...] = KINDS,
               row_keys: np.ndarray | None = None, categorical: tuple[int, ...] = ()) -> TrainedModel:
    """Choose, tune, fit and calibrate one bank's model; evaluate it on rows it never saw.

    X: (n, n_columns) float32 from FeatureEncoder.transform; y: 1/0/NaN per row;
    p_true: the generator's true probabilities, for the oracle AUC on the same held-out rows.
    The answered rows are split 80 % training / 20 % held out. Everything is chosen by repeated
    stratified cross-validation on the training rows (choose_configuration, see the module
    docstring); the chosen configuration is refitted on all of them and Platt-calibrated on its
    out-of-fold margins. The held-out rows serve only the metrics (and so the quality gate).
    row_keys: a stable identity per row of X (e.g. the stored row's id). When given, a row is held
    out by a hash of its key, not by the seed, so every retraining on the same history holds out the
    same rows and a new model can be compared fairly with an active one that never trained on them.
    categorical: positions of the columns holding category codes (FeatureEncoder.categorical_columns).
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
    if row_keys is not None:
        held = stable_holdout(np.asarray(row_keys)[positions])
        train, test = index[~held], index[held]
    else:
        train, test = train_test_split(index, test_size=0.2, random_state=seed, stratify=y)

    started = time.perf_counter()
    sample = _selection_sample(y, train, seed)
    splits = cv_splits(y[sample], seed)
    chosen, compared = choose_configuration(X[sample], y[sample], splits, algorithms=algorithms, seed=seed,
                                            categorical=categorical)
    final = chosen
    if len(sample) < len(train):
        # The sample chose; all the rows say how many rounds and how confident the margins are.
        final = cross_validate(chosen.algorithm, chosen.params, X[train], y[train],
                               cv_splits(y[train], seed, folds=CV_FOLDS, repeats=1), seed=seed,
                               categorical=categorical)
    model = fit_model(chosen.algorithm, chosen.params, X[train], y[train], seed=seed, categorical=categorical,
                      rounds=final.mean_rounds)
    cv_labels = np.tile(y[train] if final is not chosen else y[sample], len(final.margins))
    cv_margins = final.margins.ravel()
    model.calibration = platt_scaling(cv_margins, cv_labels)
    calibrated = expit(model.calibration[0] * cv_margins + model.calibration[1])
    seconds = time.perf_counter() - started

    probabilities = model.predict_proba(X[test])
    metrics = evaluate(y[test], probabilities, seed=seed)
    defaults = [c for c in compared if not c.params]
    metrics.update({
        "algorithm": chosen.algorithm,
        "params": chosen.params,
        # Each algorithm with its defaults, and the other settings tried, by mean CV AUC.
        "selection": [{"algorithm": c.algorithm, "cv_auc": round(c.auc, 4),
                       "cv_auc_std": round(float(np.std(c.fold_aucs)), 4), "seconds": round(c.seconds, 2)}
                      for c in defaults],
        "tuning": [{"algorithm": c.algorithm, "params": c.params, "cv_auc": round(c.auc, 4)}
                   for c in compared if c.params],
        # The choice among every configuration: how far behind the best, within one standard error or not.
        "final_round": tie_table(compared),
        # How the choice was made (folds × repeats on `rows` rows) and the pass that set XGBoost's
        # rounds (one per fold) and the calibration: the same one, or all `final_rows` training rows.
        "cv": {"folds": chosen.folds, "repeats": len(chosen.margins), "rows": int(len(sample)),
               "metric": "roc_auc", "final_rows": int(final.margins.shape[1]), "rounds": final.rounds},
        # Platt scaling on every out-of-fold margin of that pass (`rows` of them): no calibration slice.
        "calibration_fit": {
            "method": "platt", "a": round(model.calibration[0], 4), "b": round(model.calibration[1], 4),
            "rows": int(len(cv_margins)),
            "brier_cv_before": round(float(brier_score_loss(cv_labels, expit(cv_margins))), 4),
            "brier_cv_after": round(float(brier_score_loss(cv_labels, calibrated)), 4),
        },
        "n_train": int(len(train)), "n_selection": int(len(sample)),
        "training_seconds": round(seconds, 2),
        "roc_curve": roc_points(y[test], probabilities),
        "held_out_predictions": held_out_sample(y[test], probabilities, seed=seed),
    })
    if isinstance(model, TreeModel):
        metrics["rounds"] = int(model.booster.num_boosted_rounds())
    if p_true is not None:
        metrics["oracle_auc"] = round(fast_auc(y[test], p_true[test]), 4)
    held_out = HeldOut(rows=positions[test], labels=y[test], probabilities=probabilities)
    return TrainedModel(model=model, metrics=metrics, held_out=held_out)


def stable_holdout(keys: np.ndarray, share: float = 0.2) -> np.ndarray:
    """Boolean mask: the rows whose key hashes into the held-out `share` (the same for the same key, always)."""
    digests = np.fromiter((zlib.crc32(str(key).encode()) for key in keys), dtype=np.uint64, count=len(keys))
    return (digests % 1000) < int(share * 1000)


def _selection_sample(y: np.ndarray, train: np.ndarray, seed: int) -> np.ndarray:
    """At most SELECTION_ROWS of the training rows, stratified: enough to rank the algorithms, fast."""
    if len(train) <= SELECTION_ROWS:
        return train
    sample, _rest = train_test_split(train, train_size=SELECTION_ROWS, random_state=seed, stratify=y[train])
    return np.sort(sample)


def cv_plan(rows: int) -> tuple[int, int]:
    """(folds, repeats) of the cross-validation on `rows` rows (see SELECTION_ROWS and below)."""
    folds = SMALL_DATA_FOLDS if rows <= SMALL_DATA else CV_FOLDS
    repeats = int(min(MAX_REPEATS, max(1, math.floor(REPEAT_ROWS / rows + 0.5))))
    return folds, repeats


def cv_splits(y: np.ndarray, seed: int, *, folds: int | None = None,
              repeats: int | None = None) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """Repeated stratified folds of rows 0..len(y)-1: one list of (train, valid) index pairs per repeat.

    folds/repeats default to cv_plan; the folds never outnumber the rarer class's rows, so every
    fold holds both kinds of answer and has an AUC.
    """
    planned_folds, planned_repeats = cv_plan(len(y))
    folds, repeats = folds or planned_folds, repeats or planned_repeats
    folds = max(2, min(folds, int(np.bincount(y, minlength=2).min())))
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    pairs = list(splitter.split(np.zeros(len(y)), y))
    return [pairs[r * folds:(r + 1) * folds] for r in range(repeats)]


def cross_validate(algorithm: str, params: dict, X: np.ndarray, y: np.ndarray,
                   splits: list[list[tuple[np.ndarray, np.ndarray]]], *, seed: int,
                   categorical: tuple[int, ...] = ()) -> CrossValidation:
    """One configuration fitted on every fold's training part (fit_model; XGBoost stops early on the
    fold's held-aside part) and scored on the held-aside part, in raw margins."""
    started = time.perf_counter()
    margins = np.full((len(splits), len(y)), np.nan)
    aucs, rounds = [], []
    for repeat, pairs in enumerate(splits):
        for fit, valid in pairs:
            model = fit_model(algorithm, params, X[fit], y[fit], X[valid], y[valid], seed=seed,
                              categorical=categorical)
            margins[repeat, valid] = model.raw_margin(X[valid])
            aucs.append(fast_auc(y[valid], margins[repeat, valid]))
            if algorithm == "xgboost":
                rounds.append(int(model.booster.num_boosted_rounds()))
    return CrossValidation(algorithm, dict(params), len(splits[0]), np.array(aucs), margins, rounds,
                           time.perf_counter() - started)


def behind(best: CrossValidation, other: CrossValidation) -> tuple[float, float]:
    """How far `other`'s mean CV AUC is below `best`'s, and one standard error of that difference.

    The folds are the same for both, so the difference is taken fold by fold. Folds overlap in
    their training rows, which makes the plain standard error too small; Nadeau and Bengio's
    correction (2003) multiplies the variance by 1/J + n_valid/n_fit = 1/J + 1/(folds − 1).
    """
    differences = best.fold_aucs - other.fold_aucs
    if len(differences) < 2:
        return float(differences.mean()), 0.0
    variance = float(np.var(differences, ddof=1)) * (1 / len(differences) + 1 / (best.folds - 1))
    return float(differences.mean()), math.sqrt(variance)


def explanation_cost(entry) -> tuple:
    """Sort key of a configuration (a CrossValidation or a dict with "algorithm" and "params") by what
    explaining one application costs: the algorithm (EXPLANATION_COST), then for trees their depth
    (TreeSHAP's cost grows with the square of it)."""
    algorithm, params = (entry["algorithm"], entry["params"]) if isinstance(entry, dict) else \
        (entry.algorithm, entry.params)
    return EXPLANATION_COST.index(algorithm), params.get("max_depth", DEFAULT_DEPTH.get(algorithm, 0))


def choose_configuration(X: np.ndarray, y: np.ndarray, splits, *, algorithms=KINDS, seed: int = 42,
                         categorical: tuple[int, ...] = ()) -> tuple[CrossValidation, list[CrossValidation]]:
    """The configuration to deploy and every one compared, all cross-validated on `splits`.

    Each algorithm runs with its defaults; the best of them and any within one standard error
    (behind) try their TUNING_GRID, and so does the logistic regression on up to TUNE_LOGREG_ROWS
    rows. The best mean CV AUC wins,
    but every configuration within one standard error of it ties, and a tie goes to the cheapest to
    explain (explanation_cost), then to the better AUC.
    """
    def run(algorithm, params):
        return cross_validate(algorithm, params, X, y, splits, seed=seed, categorical=categorical)

    compared = [run(algorithm, {}) for algorithm in algorithms]
    leader = max(compared, key=lambda c: c.auc)
    tuned = {c.algorithm for c in compared if c is leader or _tied(leader, c)}
    if len(y) <= TUNE_LOGREG_ROWS:
        tuned |= {"logreg"} & set(algorithms)
    for algorithm in algorithms:
        if algorithm in tuned:
            compared += [run(algorithm, params) for params in TUNING_GRID[algorithm] if params]
    return choose(compared), compared


def choose(compared: list[CrossValidation]) -> CrossValidation:
    """The configuration with the best mean CV AUC, unless others are within one standard error of it
    (behind): then the cheapest of them to explain (explanation_cost), the better AUC among equals."""
    best = max(compared, key=lambda c: c.auc)
    return min((c for c in compared if c is best or _tied(best, c)), key=lambda c: (explanation_cost(c), -c.auc))


def _tied(best: CrossValidation, other: CrossValidation) -> bool:
    gap, error = behind(best, other)
    return gap <= error


def tie_table(compared: list[CrossValidation]) -> list[dict]:
    """Every configuration compared, JSON-serialisable: {"algorithm", "params", "cv_auc", "behind" (the
    best's mean CV AUC minus this one's), "se" (one standard error of that), "tie" (behind <= se)}."""
    best = max(compared, key=lambda c: c.auc)
    table = []
    for c in compared:
        gap, error = behind(best, c)
        table.append({"algorithm": c.algorithm, "params": c.params, "cv_auc": round(c.auc, 4),
                      "behind": round(gap, 4), "se": round(error, 4), "tie": bool(gap <= error)})
    return table


def select_algorithm(X: np.ndarray, y: np.ndarray, *, algorithms=KINDS, seed: int = 42,
                     categorical: tuple[int, ...] = ()) -> list[dict]:
    """Every algorithm with its default settings, by repeated stratified CV (cv_plan) on all of X:
    [{"algorithm", "cv_auc", "cv_auc_std", "seconds"}], in the order given."""
    splits = cv_splits(np.asarray(y, dtype=int), seed)
    results = []
    for algorithm in algorithms:
        c = cross_validate(algorithm, {}, X, np.asarray(y, dtype=int), splits, seed=seed, categorical=categorical)
        results.append({"algorithm": algorithm, "cv_auc": round(c.auc, 4),
                        "cv_auc_std": round(float(np.std(c.fold_aucs)), 4), "seconds": round(c.seconds, 2)})
    return results


def model_columns(algorithm: str, n_columns: int, categorical: tuple[int, ...]) -> np.ndarray:
    """The columns an algorithm is fitted on. Trees take them all and split category codes as
    categories; the linear and neural models leave the codes out (a store number is not a quantity),
    and fit_model gives those columns a zero weight so the stored model still takes every column."""
    if algorithm in TREE_KINDS or not categorical:
        return np.arange(n_columns)
    return np.array([i for i in range(n_columns) if i not in set(categorical)], dtype=int)


def _tree_types(n_columns: int, categorical: tuple[int, ...]) -> dict:
    """XGBoost's arguments that mark the categorical columns (none when there are none)."""
    if not categorical:
        return {}
    return {"feature_types": ["c" if i in set(categorical) else "q" for i in range(n_columns)],
            "enable_categorical": True}


class IndicatorScaler(TransformerMixin, BaseEstimator):
    """Centres every column on its training mean and divides it by its standard deviation, except the
    indicator columns (training values only 0, 1 or missing: one-hot choices, yes/no answers), which
    keep scale 1. A missing value becomes 0, the mean, exactly as the stored models treat NaN.

    Why not standardise an indicator: a category of share p has standard deviation sqrt(p(1 − p)), so
    standardising multiplies its column by 1/sqrt(p(1 − p)) (10 for p = 1 %), and the penalty then
    shrinks a rare category's effect far less than a common one's: the opposite of what few rows warrant.
    mean_, scale_: (n_columns,) as LinearModel and NeuralModel store them; indicator_: which kept scale 1.
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        answered = ~np.isnan(X)
        count = answered.sum(axis=0)
        filled = np.where(answered, X, 0.0)
        mean = np.divide(filled.sum(axis=0), count, out=np.zeros(X.shape[1]), where=count > 0)
        spread = np.where(answered, X - mean, 0.0)
        std = np.sqrt(np.divide((spread ** 2).sum(axis=0), count, out=np.zeros(X.shape[1]), where=count > 0))
        self.indicator_ = np.all(~answered | (X == 0) | (X == 1), axis=0)
        self.mean_ = mean
        self.scale_ = np.where(self.indicator_ | ~(std > 1e-12), 1.0, std)
        return self

    def transform(self, X):
        Z = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        Z[np.isnan(Z)] = 0.0
        return Z


def _candidate(algorithm: str, params: dict, seed: int, *, n_columns: int = 0, categorical: tuple[int, ...] = ()):
    """An unfitted scikit-learn-style estimator of a kind other than "xgboost" (which fit_model trains
    with xgb.train): the random forest of all n_columns columns, the categorical ones marked."""
    if algorithm == "random_forest":
        return xgb.XGBRFClassifier(**{**RF_PARAMS, **params}, random_state=seed,
                                   **_tree_types(n_columns, categorical))
    if algorithm == "logreg":
        return make_pipeline(IndicatorScaler(), LogisticRegression(**{**LOGREG_PARAMS, **params}))
    if algorithm == "mlp":
        return make_pipeline(IndicatorScaler(), MLPClassifier(**{**MLP_PARAMS, **params}, random_state=seed))
    raise ValueError(f"unknown algorithm {algorithm!r}")


def fit_model(algorithm: str, params: dict, X_fit, y_fit, X_valid=None, y_valid=None, *, seed: int = 42,
              categorical: tuple[int, ...] = (), rounds: int | None = None) -> BankModel:
    """The algorithm with `params` fitted on the fit rows, as a BankModel (uncalibrated).

    Gradient boosting stops early on the validation rows when given (at most MAX_ROUNDS rounds),
    else runs `rounds` rounds (DEFAULT_ROUNDS when None); the other algorithms ignore both.
    """
    n_columns = X_fit.shape[1]
    if algorithm == "xgboost":
        booster_params = {**XGB_PARAMS, "seed": seed, **_booster_names(params)}
        types = _tree_types(n_columns, categorical)
        threads = booster_params["nthread"]
        dfit = xgb.DMatrix(X_fit, label=y_fit, missing=np.nan, nthread=threads, **types)
        if X_valid is None:
            booster = xgb.train(booster_params, dfit, num_boost_round=rounds or DEFAULT_ROUNDS)
            return TreeModel(booster, "xgboost")
        dvalid = xgb.DMatrix(X_valid, label=y_valid, missing=np.nan, nthread=threads, **types)
        booster = xgb.train(booster_params, dfit, num_boost_round=MAX_ROUNDS, evals=[(dvalid, "valid")],
                            early_stopping_rounds=EARLY_STOPPING, verbose_eval=False)
        return TreeModel(booster[: booster.best_iteration + 1], "xgboost")
    used = model_columns(algorithm, n_columns, categorical)
    estimator = _candidate(algorithm, params, seed, n_columns=n_columns, categorical=categorical)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        estimator.fit(X_fit[:, used], y_fit)
    if algorithm == "random_forest":
        return TreeModel(estimator.get_booster(), "random_forest")
    scaler, final = estimator.steps[0][1], estimator.steps[1][1]
    # A missing answer is z = 0 after the scaler, exactly what the stored model does with NaN.
    # Columns left out (category codes) come back with mean 0, scale 1 and no weight: whatever they
    # hold changes nothing.
    mean = _widen(scaler.mean_, used, n_columns, 0.0)
    scale = _widen(scaler.scale_, used, n_columns, 1.0)
    if algorithm == "logreg":
        return LinearModel(mean, scale, _widen(final.coef_[0], used, n_columns, 0.0), final.intercept_[0])
    first = np.zeros((n_columns, final.coefs_[0].shape[1]))
    first[used] = final.coefs_[0]
    return NeuralModel(mean, scale, [first, *final.coefs_[1:]], final.intercepts_)


def _widen(values: np.ndarray, used: np.ndarray, n_columns: int, fill: float) -> np.ndarray:
    """values of the `used` columns spread over all n_columns, `fill` in the others."""
    wide = np.full(n_columns, fill, dtype=np.float64)
    wide[used] = values
    return wide


def _booster_names(params: dict) -> dict:
    """scikit-learn names of XGBoost settings -> the names xgb.train takes (rounds are not a setting:
    early stopping finds them)."""
    names = {"learning_rate": "eta", "reg_lambda": "lambda", "n_estimators": None}
    out = {}
    for key, value in params.items():
        target = names.get(key, key)
        if target:
            out[target] = value
    return out


def platt_scaling(margins: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) of the logistic fit P(approve) = sigmoid(a·margin + b) on margins of rows the model did
    not see (out-of-fold) (Platt, 1999)."""
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(np.asarray(margins, dtype=np.float64).reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def roc_points(y_true: np.ndarray, probabilities: np.ndarray, *, points: int = 101) -> dict:
    """The ROC curve thinned to at most `points` points: {"fpr", "tpr", "thresholds"}."""
    fpr, tpr, thresholds = roc_curve(y_true, probabilities)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(points, len(fpr))).round().astype(int))
    thresholds = np.clip(thresholds[keep], 0.0, 1.0)
    return {"fpr": [round(float(v), 4) for v in fpr[keep]], "tpr": [round(float(v), 4) for v in tpr[keep]],
            "thresholds": [round(float(v), 4) for v in thresholds]}


def held_out_sample(y_true: np.ndarray, probabilities: np.ndarray, *, seed: int = 0, size: int = 2000) -> dict:
    """Up to `size` held-out (label, probability) pairs, for confusion matrices at any threshold."""
    rows = np.arange(len(y_true))
    if len(rows) > size:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))
    return {"y": [int(v) for v in y_true[rows]], "p": [round(float(v), 4) for v in probabilities[rows]]}


def train_all_banks(frame: pd.DataFrame, specs: list[FeatureSpec], bank_codes: list[str], *,
                    derived: list[DerivedSpec] = (), seed: int = 42, as_of: dt.date | None = None,
                    algorithms: tuple[str, ...] = KINDS,
                    rates: dict[str, float] | None = None) -> tuple[FeatureEncoder, dict[str, TrainedModel]]:
    """One encoder fitted on the frame's answers and one model per bank.

    frame: one row per application, a column per field key and `<code>_decision` per bank
    (optionally `<code>_p_true`, and ROW_KEY: a stable id per row, see train_bank's row_keys);
    as_of: the day the applications were made; rates: bank code -> the bank's annual rate in per
    cent. With rates, the encoder computes the payment features at each bank's own rate
    (FeatureEncoder.bank_rate) and each bank's model learns from its own payments, as it will score;
    without, at REFERENCE_RATE for all.
    Each model's metrics also hold "importance" (global_importance on its held-out rows), and its
    held_out.rows are positions in frame (frame.iloc), for comparing other models on the same rows.
    """
    as_of = as_of or frame.attrs.get("as_of") or dt.date.today()
    row_keys = frame[ROW_KEY].to_numpy() if ROW_KEY in frame else None
    keys = [s.key for s in specs if s.used_by_model]
    records = frame[keys].to_dict("records")
    encoder = FeatureEncoder(specs, derived, bank_rate=rates is not None).fit(records)
    X = encoder.transform(records, as_of)
    by_rate: dict[float, np.ndarray] = {}  # banks at one rate share one matrix
    models = {}
    for code in bank_codes:
        rate = encoder.effective_rate((rates or {}).get(code))
        if rate not in by_rate:
            by_rate[rate] = encoder.with_rate(X, records, rate)
        X_bank = by_rate[rate]
        p_true = frame[f"{code}_p_true"].to_numpy() if f"{code}_p_true" in frame else None
        model = train_bank(X_bank, decision_labels(frame[f"{code}_decision"]), encoder.columns, row_keys=row_keys,
                           seed=seed, p_true=p_true, algorithms=algorithms,
                           categorical=encoder.categorical_columns)
        model.metrics["importance"] = global_importance(model.model, X_bank[model.held_out.rows], encoder)
        models[code] = model
    return encoder, models
