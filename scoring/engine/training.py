"""Training one model per bank: algorithm selection, tuning, calibration, held-out metrics.

Four algorithms compete (estimators.KINDS): logistic regression, a random forest, gradient-boosted
trees (XGBoost) and a multi-layer perceptron. Artifacts are JSON or XGBoost's UBJ inside a small
envelope (estimators.py): loading one cannot execute code (never pickle).
"""
from __future__ import annotations

import datetime as dt
import time
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_curve
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

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
MAX_ROUNDS = 600
EARLY_STOPPING = 30
# The same defaults for cross-validation (scikit-learn names); n_estimators as early stopping finds on average.
XGB_SKLEARN = {"max_depth": 3, "learning_rate": 0.08, "n_estimators": 300, "subsample": 0.8,
               "colsample_bytree": 0.8, "min_child_weight": 5, "reg_lambda": 1.0, "tree_method": "hist",
               "n_jobs": 1}
RF_PARAMS = {"n_estimators": 100, "max_depth": 8, "subsample": 0.8, "colsample_bynode": 0.8,
             "min_child_weight": 5, "tree_method": "hist", "n_jobs": 1}
LOGREG_PARAMS = {"C": 1.0, "max_iter": 500}
MLP_PARAMS = {"hidden_layer_sizes": (32,), "alpha": 1e-3, "learning_rate_init": 1e-3, "max_iter": 200,
              "early_stopping": True, "n_iter_no_change": 8}
TREE_KINDS = ("xgboost", "random_forest")
DEFAULT_DEPTH = {"xgboost": XGB_PARAMS["max_depth"], "random_forest": RF_PARAMS["max_depth"]}
# Settings tried for the winner only; the first of each is the default used in selection.
# Depth-2 boosting is an additive model with pairwise interactions, the shape of a scorecard: on
# lending data it often generalises best, and TreeSHAP on it is the cheapest to explain.
TUNING_GRID = {
    "xgboost": [{}, {"max_depth": 2, "learning_rate": 0.1, "n_estimators": 300},
                {"max_depth": 4, "min_child_weight": 5, "n_estimators": 250},
                {"max_depth": 5, "min_child_weight": 10, "n_estimators": 250},
                {"max_depth": 6, "min_child_weight": 20, "learning_rate": 0.05, "n_estimators": 350}],
    "random_forest": [{}, {"max_depth": 6}, {"max_depth": 10, "min_child_weight": 10}],
    "logreg": [{}, {"C": 0.1}, {"C": 10.0}],
    "mlp": [{}, {"hidden_layer_sizes": (64, 32)}, {"alpha": 1e-2}],
}
# Cross-validation for selection and tuning runs on at most this many of the fit rows.
SELECTION_ROWS = 8000
CV_FOLDS = 3
# How many of the best algorithms by CV are refitted on all the fit rows for the final choice, at
# least; any other within SELECTION_MARGIN of the best joins them: three folds of 8 000 rows cannot
# tell such algorithms apart (their fold-to-fold deviation is about that large), and they do not
# gain equally from all the rows (boosting gains most).
FINALISTS = 2
SELECTION_MARGIN = 0.01
# Validation AUCs closer than this are a tie: two fits of the same data differ by about this much
# on ~5 000 rows (the quality gate's MAX_AUC_LOSS is the same). Ties go to the model whose
# explanation costs least per application (exact TreeSHAP on deep forest trees is the dearest).
TIE_AUC = 0.005
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
    The answered rows are split 70 % fit / 10 % validation (early stopping and Platt calibration) /
    20 % held out for the metrics. The algorithms are compared by stratified cross-validation on
    (a sample of) the fit rows (select_algorithm), the best one's settings are tuned the same way
    (tune), then it is fitted on all the fit rows and calibrated on the validation rows.
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
        rest, test = index[~held], index[held]
    else:
        rest, test = train_test_split(index, test_size=0.2, random_state=seed, stratify=y)
    fit, valid = train_test_split(rest, test_size=0.125, random_state=seed, stratify=y[rest])

    started = time.perf_counter()
    sample = _selection_sample(y, fit, seed)
    selection = select_algorithm(X[sample], y[sample], algorithms=algorithms, seed=seed, categorical=categorical)
    ranked = sorted(selection, key=lambda r: -r["cv_auc"])
    leader = ranked[0]["algorithm"]
    params, tuning = tune(leader, X[sample], y[sample], seed=seed, default_auc=ranked[0]["cv_auc"],
                          categorical=categorical)
    # A sample ranks the algorithms, but they do not gain equally from all the rows (boosting gains
    # most): the best ones (FINALISTS, SELECTION_MARGIN) are refitted on every fit row and the
    # validation rows decide.
    # Settings tuned on the sample may not suit all the rows, so the leader's defaults run too.
    entries = [(leader, params)] + ([(leader, {})] if params else [])
    entries += [(entry["algorithm"], {}) for position, entry in enumerate(ranked[1:], start=1)
                if position < FINALISTS or entry["cv_auc"] >= ranked[0]["cv_auc"] - SELECTION_MARGIN]
    final_round = []
    for algorithm, settings in entries:
        candidate = fit_model(algorithm, settings, X[fit], y[fit], X[valid], y[valid], seed=seed,
                              categorical=categorical)
        final_round.append({"algorithm": algorithm, "params": settings, "model": candidate,
                            "valid_auc": round(fast_auc(y[valid], candidate.raw_margin(X[valid])), 4)})
    # Within TIE_AUC of the best, the model that is cheaper to explain per application wins.
    top = max(f["valid_auc"] for f in final_round)
    winner = min((f for f in final_round if f["valid_auc"] >= top - TIE_AUC), key=explanation_cost)
    best, params, model = winner["algorithm"], winner["params"], winner["model"]
    uncalibrated = model.predict_proba(X[valid])
    model.calibration = platt_scaling(model.raw_margin(X[valid]), y[valid])
    calibrated = model.predict_proba(X[valid])
    seconds = time.perf_counter() - started

    probabilities = model.predict_proba(X[test])
    metrics = evaluate(y[test], probabilities, seed=seed)
    metrics.update({
        "algorithm": best,
        "params": params,
        "selection": selection,
        "tuning": tuning,
        "final_round": [{k: v for k, v in f.items() if k != "model"} for f in final_round],
        "calibration_fit": {
            "method": "platt", "a": round(model.calibration[0], 4), "b": round(model.calibration[1], 4),
            "brier_valid_before": round(float(brier_score_loss(y[valid], uncalibrated)), 4),
            "brier_valid_after": round(float(brier_score_loss(y[valid], calibrated)), 4),
        },
        "n_train": int(len(fit)), "n_valid": int(len(valid)), "n_selection": int(len(sample)),
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


def _selection_sample(y: np.ndarray, fit: np.ndarray, seed: int) -> np.ndarray:
    """At most SELECTION_ROWS of the fit rows, stratified: enough to rank the algorithms, fast."""
    if len(fit) <= SELECTION_ROWS:
        return fit
    sample, _rest = train_test_split(fit, train_size=SELECTION_ROWS, random_state=seed, stratify=y[fit])
    return np.sort(sample)


def explanation_cost(entry: dict) -> tuple:
    """Sort key of a final-round entry by what explaining one application costs: the algorithm
    (EXPLANATION_COST), then for trees their depth (TreeSHAP's cost grows with the square of it)."""
    depth = entry["params"].get("max_depth", DEFAULT_DEPTH.get(entry["algorithm"], 0))
    return EXPLANATION_COST.index(entry["algorithm"]), depth


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


def _candidate(algorithm: str, params: dict, seed: int, *, n_columns: int = 0, categorical: tuple[int, ...] = ()):
    """An unfitted scikit-learn-style estimator for cross-validation (for the tree kinds, of all
    n_columns columns, the categorical ones marked)."""
    if algorithm == "xgboost":
        return xgb.XGBClassifier(**{**XGB_SKLEARN, **params}, random_state=seed,
                                 **_tree_types(n_columns, categorical))
    if algorithm == "random_forest":
        return xgb.XGBRFClassifier(**{**RF_PARAMS, **params}, random_state=seed,
                                   **_tree_types(n_columns, categorical))
    if algorithm == "logreg":
        return make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), StandardScaler(),
                             LogisticRegression(**{**LOGREG_PARAMS, **params}))
    if algorithm == "mlp":
        return make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), StandardScaler(),
                             MLPClassifier(**{**MLP_PARAMS, **params}, random_state=seed))
    raise ValueError(f"unknown algorithm {algorithm!r}")


def cross_validated_auc(algorithm: str, params: dict, X: np.ndarray, y: np.ndarray, *, seed: int,
                        categorical: tuple[int, ...] = ()) -> tuple[float, float]:
    """Mean and standard deviation of ROC AUC over CV_FOLDS stratified folds."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    X = X[:, model_columns(algorithm, X.shape[1], categorical)]
    aucs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for train, valid in folds.split(X, y):
            estimator = _candidate(algorithm, params, seed, n_columns=X.shape[1],
                                   categorical=categorical).fit(X[train], y[train])
            aucs.append(fast_auc(y[valid], estimator.predict_proba(X[valid])[:, 1]))
    return float(np.mean(aucs)), float(np.std(aucs))


def select_algorithm(X: np.ndarray, y: np.ndarray, *, algorithms=KINDS, seed: int = 42,
                     categorical: tuple[int, ...] = ()) -> list[dict]:
    """Every algorithm with its default settings, by cross-validated AUC: [{"algorithm", "cv_auc",
    "cv_auc_std", "seconds"}], in the order given."""
    results = []
    for algorithm in algorithms:
        started = time.perf_counter()
        mean, std = cross_validated_auc(algorithm, {}, X, y, seed=seed, categorical=categorical)
        results.append({"algorithm": algorithm, "cv_auc": round(mean, 4), "cv_auc_std": round(std, 4),
                         "seconds": round(time.perf_counter() - started, 2)})
    return results


def tune(algorithm: str, X: np.ndarray, y: np.ndarray, *, seed: int = 42,
         default_auc: float | None = None, categorical: tuple[int, ...] = ()) -> tuple[dict, list[dict]]:
    """The best of TUNING_GRID[algorithm] by cross-validated AUC: (params, [{"params", "cv_auc"}]).

    default_auc: the defaults' CV AUC when selection already measured it on the same rows and folds.
    """
    tried = []
    for params in TUNING_GRID[algorithm]:
        if not params and default_auc is not None:
            tried.append({"params": {}, "cv_auc": default_auc})
            continue
        mean, _std = cross_validated_auc(algorithm, params, X, y, seed=seed, categorical=categorical)
        tried.append({"params": params, "cv_auc": round(mean, 4)})
    best = max(tried, key=lambda t: t["cv_auc"])
    return dict(best["params"]), tried


def fit_model(algorithm: str, params: dict, X_fit, y_fit, X_valid, y_valid, *, seed: int = 42,
              categorical: tuple[int, ...] = ()) -> BankModel:
    """The chosen algorithm fitted on the fit rows, as a BankModel (uncalibrated).

    Gradient boosting stops early on the validation rows; the others fit the fit rows only.
    """
    n_columns = X_fit.shape[1]
    if algorithm == "xgboost":
        booster_params = {**XGB_PARAMS, "seed": seed, **_booster_names(params)}
        types = _tree_types(n_columns, categorical)
        threads = booster_params["nthread"]
        dfit = xgb.DMatrix(X_fit, label=y_fit, missing=np.nan, nthread=threads, **types)
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
    scaler, final = estimator.steps[1][1], estimator.steps[2][1]
    # The imputer filled gaps with the column mean, which the scaler then centred on: a missing
    # answer is z = 0, exactly what the stored model does with NaN. Columns left out (category
    # codes) come back with mean 0, scale 1 and no weight: whatever they hold changes nothing.
    mean = _widen(scaler.mean_, used, n_columns, 0.0)
    scale = _widen(np.where(scaler.scale_ > 0, scaler.scale_, 1.0), used, n_columns, 1.0)
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
    """scikit-learn names of XGBoost settings -> the names xgb.train takes."""
    names = {"learning_rate": "eta", "reg_lambda": "lambda", "n_estimators": None}
    out = {}
    for key, value in params.items():
        target = names.get(key, key)
        if target:
            out[target] = value
    return out


def platt_scaling(margins: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) of the logistic fit P(approve) = sigmoid(a·margin + b) on held-aside rows (Platt, 1999)."""
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
                    algorithms: tuple[str, ...] = KINDS) -> tuple[FeatureEncoder, dict[str, TrainedModel]]:
    """One encoder fitted on the frame's answers and one model per bank.

    frame: one row per application, a column per field key and `<code>_decision` per bank
    (optionally `<code>_p_true`, and ROW_KEY: a stable id per row, see train_bank's row_keys);
    as_of: the day the applications were made.
    Each model's metrics also hold "importance" (global_importance on its held-out rows), and its
    held_out.rows are positions in frame (frame.iloc), for comparing other models on the same rows.
    """
    as_of = as_of or frame.attrs.get("as_of") or dt.date.today()
    row_keys = frame[ROW_KEY].to_numpy() if ROW_KEY in frame else None
    keys = [s.key for s in specs if s.used_by_model]
    records = frame[keys].to_dict("records")
    encoder = FeatureEncoder(specs, derived).fit(records)
    X = encoder.transform(records, as_of)
    models = {}
    for code in bank_codes:
        p_true = frame[f"{code}_p_true"].to_numpy() if f"{code}_p_true" in frame else None
        model = train_bank(X, decision_labels(frame[f"{code}_decision"]), encoder.columns, row_keys=row_keys,
                           seed=seed, p_true=p_true, algorithms=algorithms,
                           categorical=encoder.categorical_columns)
        model.metrics["importance"] = global_importance(model.model, X[model.held_out.rows], encoder)
        models[code] = model
    return encoder, models
