"""The four kinds of bank model the product trains, behind one interface, stored without pickle.

Every model answers in log-odds and explains itself additively: for a matrix X (n, n_columns) as
FeatureEncoder.transform returns it (NaN = not answered),

    contributions(X) -> (n, n_columns + 1), the last column the base value,
    contributions(X).sum(axis=1) == margin(X),  probability = sigmoid(margin).

- "xgboost" and "random_forest" (XGBoost's random forest): exact TreeSHAP (`pred_contribs`).
- "logreg": exact linear contributions w_j (x_j − mean_j) / scale_j around the training means
  (scale_j = 1 for 0/1 indicator columns).
- "mlp": one forward pass per column with that column reset to its training mean, rescaled so
  the contributions add up to margin − margin(means); an approximation, stated as such.

A fitted Platt calibration (a, b) maps every raw margin m to a·m + b; contributions scale by a and
the base value becomes a·base + b, so the identity above keeps holding after calibration.

Artifacts: b"PSM1" + 4-byte header length + JSON header + payload, where the payload is XGBoost's
UBJ model for the tree kinds and JSON numbers for the others: loading one never executes code.
Bytes without the prefix are a bare UBJ booster (artifacts stored before model selection existed).
"""
from __future__ import annotations

import json
import struct
import threading

import numpy as np
import xgboost as xgb
from scipy.special import expit

MAGIC = b"PSM1"
KINDS = ("logreg", "random_forest", "xgboost", "mlp")


class BankModel:
    """Base: subclasses give raw_margin and raw_contributions (uncalibrated)."""

    kind = ""

    def __init__(self, calibration: tuple[float, float] = (1.0, 0.0)):
        self.calibration = (float(calibration[0]), float(calibration[1]))

    # --- what subclasses provide -------------------------------------------------------------
    # `threads`: how many threads one call may use (only the tree kinds use more than one). It is an
    # argument, not a setting of the model: one loaded model serves concurrent calls (the threads of
    # a web process scoring on the embedded default), and none may change what another one uses.
    def raw_margin(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        raise NotImplementedError

    def raw_contributions(self, X: np.ndarray, shared: dict | None = None, threads: int = 1) -> np.ndarray:
        raise NotImplementedError

    def _payload(self) -> tuple[dict, bytes]:
        raise NotImplementedError

    # --- the common interface ----------------------------------------------------------------
    def margin(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        a, b = self.calibration
        return a * self.raw_margin(X, threads=threads).astype(np.float64) + b

    def predict_proba(self, X: np.ndarray, threads: int = 1) -> np.ndarray:
        """(n,) probability of approval."""
        return expit(self.margin(X, threads=threads))

    def contributions(self, X: np.ndarray, shared: dict | None = None, threads: int = 1) -> np.ndarray:
        """`shared`: a dict kept for one scoring pass, where models given the same X may share
        work on it (the tree models share one DMatrix)."""
        a, b = self.calibration
        raw = self.raw_contributions(X, shared=shared, threads=threads).astype(np.float64)
        raw[:, :-1] *= a
        raw[:, -1] = a * raw[:, -1] + b
        return raw

    def to_bytes(self) -> bytes:
        header, payload = self._payload()
        header = json.dumps({"kind": self.kind, "calibration": list(self.calibration), **header}).encode()
        return MAGIC + struct.pack("<I", len(header)) + header + payload


class TreeModel(BankModel):
    """An XGBoost booster: gradient-boosted trees ("xgboost") or a random forest ("random_forest")."""

    def __init__(self, booster: xgb.Booster, kind: str = "xgboost", calibration=(1.0, 0.0)):
        super().__init__(calibration)
        booster.set_param({"nthread": 1})  # one application at a time: threads cost more than they save
        self.booster = booster
        self.kind = kind
        # One booster per thread count, each configured once before any call sees it: changing a
        # booster's parameters while another thread predicts with it fails inside XGBoost ("Check
        # failed: !this->need_configuration_"), which a Celery thread pool showed.
        self._boosters = {1: booster}
        self._boosters_lock = threading.Lock()

    def _booster(self, threads: int) -> xgb.Booster:
        booster = self._boosters.get(threads)
        if booster is None:
            with self._boosters_lock:
                booster = self._boosters.get(threads)
                if booster is None:
                    booster = self.booster.copy()
                    booster.set_param({"nthread": threads})
                    self._boosters[threads] = booster
        return booster

    def raw_margin(self, X, threads: int = 1):
        return self._booster(threads).inplace_predict(X, missing=np.nan, validate_features=False,
                                                      predict_type="margin")

    def raw_contributions(self, X, shared: dict | None = None, threads: int = 1):
        # Banks trained on the same fields score the same encoded matrix: one DMatrix serves them all
        # (X stays alive in the caller for the whole pass, so its id names it). The DMatrix takes its
        # own thread count: left to OpenMP's default (every core), its threads spun against the other
        # processes of a busy machine (one application took 40-70 ms instead of 5 under load).
        key = ("dmatrix", id(X), threads)
        matrix = shared.get(key) if shared is not None else None
        if matrix is None:
            matrix = xgb.DMatrix(X, missing=np.nan, nthread=threads)
            if shared is not None:
                shared[key] = matrix
        return self._booster(threads).predict(matrix, pred_contribs=True, validate_features=False)

    def _payload(self):
        return {}, bytes(self.booster.save_raw(raw_format="ubj"))


class _Standardised(BankModel):
    """Models that see each column standardised, with a missing answer at the training mean.

    mean, scale: (n_columns,) training mean and divisor per column. Training (IndicatorScaler in
    training.py) stores scale 1 for 0/1 indicator columns (one-hot choices, yes/no answers) so the
    penalty treats a rare category's effect as it should; older artifacts with every column
    standardised load and predict unchanged.
    """

    def __init__(self, mean, scale, calibration=(1.0, 0.0)):
        super().__init__(calibration)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)

    def standardise(self, X: np.ndarray) -> np.ndarray:
        Z = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        Z[np.isnan(Z)] = 0.0
        return Z


class LinearModel(_Standardised):
    """Logistic regression on standardised columns: margin = coef · z + intercept."""

    kind = "logreg"

    def __init__(self, mean, scale, coef, intercept, calibration=(1.0, 0.0)):
        super().__init__(mean, scale, calibration)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    def raw_margin(self, X, threads: int = 1):
        return self.standardise(X) @ self.coef + self.intercept

    def raw_contributions(self, X, shared: dict | None = None, threads: int = 1):
        Z = self.standardise(X)
        out = np.empty((len(Z), Z.shape[1] + 1))
        out[:, :-1] = Z * self.coef
        out[:, -1] = self.intercept
        return out

    def _payload(self):
        return {}, json.dumps({"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                               "coef": self.coef.tolist(), "intercept": self.intercept}).encode()


class NeuralModel(_Standardised):
    """A multi-layer perceptron (ReLU hidden layers, logistic output) evaluated with NumPy."""

    kind = "mlp"

    def __init__(self, mean, scale, weights, biases, calibration=(1.0, 0.0)):
        super().__init__(mean, scale, calibration)
        self.weights = [np.asarray(w, dtype=np.float64) for w in weights]
        self.biases = [np.asarray(b, dtype=np.float64) for b in biases]

    def _forward(self, Z: np.ndarray) -> np.ndarray:
        hidden = Z
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            hidden = np.maximum(hidden @ w + b, 0.0)
        return (hidden @ self.weights[-1] + self.biases[-1])[:, 0]

    def raw_margin(self, X, threads: int = 1):
        return self._forward(self.standardise(X))

    def raw_contributions(self, X, shared: dict | None = None, threads: int = 1):
        Z = self.standardise(X)
        n, k = Z.shape
        full = self._forward(Z)
        base = float(self._forward(np.zeros((1, k)))[0])
        # Row block j of `occluded` is Z with column j reset to the mean (0 once standardised).
        occluded = np.repeat(Z[None, :, :], k, axis=0)
        occluded[np.arange(k), :, np.arange(k)] = 0.0
        drops = full[None, :] - self._forward(occluded.reshape(k * n, k)).reshape(k, n)
        drops = drops.T  # (n, k)
        total, target = drops.sum(axis=1), full - base
        scale = np.divide(target, total, out=np.zeros_like(total), where=np.abs(total) > 1e-12)
        contributions = drops * scale[:, None]
        lonely = np.abs(total) <= 1e-12  # no single column moves the margin: spread it evenly
        contributions[lonely] = (target[lonely] / k)[:, None]
        out = np.empty((n, k + 1))
        out[:, :-1] = contributions
        out[:, -1] = base
        return out

    def _payload(self):
        return {}, json.dumps({"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                               "weights": [w.tolist() for w in self.weights],
                               "biases": [b.tolist() for b in self.biases]}).encode()


def load_model(artifact: bytes) -> BankModel:
    """A model from its stored bytes (see the module docstring); raises ValueError when unreadable."""
    artifact = bytes(artifact)
    if not artifact.startswith(MAGIC):
        return TreeModel(_booster_from(artifact), "xgboost")
    (length,) = struct.unpack("<I", artifact[4:8])
    header = json.loads(artifact[8:8 + length])
    payload = artifact[8 + length:]
    kind, calibration = header["kind"], tuple(header.get("calibration", (1.0, 0.0)))
    if kind in ("xgboost", "random_forest"):
        return TreeModel(_booster_from(payload), kind, calibration)
    data = json.loads(payload)
    if kind == "logreg":
        return LinearModel(data["mean"], data["scale"], data["coef"], data["intercept"], calibration)
    if kind == "mlp":
        return NeuralModel(data["mean"], data["scale"], data["weights"], data["biases"], calibration)
    raise ValueError(f"unknown model kind {kind!r}")


def _booster_from(raw: bytes) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster
