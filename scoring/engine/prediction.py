"""Scoring many applications for many banks in one vectorised pass, with contributions.

Each bank's model (estimators.BankModel) explains itself additively in log-odds: for the tree
models XGBoost's exact TreeSHAP values (`pred_contribs`, the algorithm the shap package's
TreeExplainer implements). Contributions are summed from encoded columns back to questionnaire
fields: base value + sum of contributions = the model's (calibrated) margin.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .estimators import BankModel, TreeModel


# Below this many applications threads cost more than they save (one live application at a time).
THREADED_BATCH = 256


@dataclass
class ScoreBatch:
    """bank_codes: column order of `probabilities` (n_applications, n_banks);
    contributions[code]: (n_applications, len(source_keys[code])) in log-odds;
    base_values[code]: (n_applications,) the model's expected margin."""

    bank_codes: list[str]
    probabilities: np.ndarray
    contributions: dict[str, np.ndarray]
    source_keys: dict[str, list[str]]
    base_values: dict[str, np.ndarray]


class Scorer:
    """The active model of every bank, ready to score.

    models: bank code -> (FeatureEncoder, BankModel or a bare xgboost.Booster). Banks that share
    an encoder object share one encoding of the applications.
    """

    def __init__(self, models: dict):
        self.models = {code: (encoder, model if isinstance(model, BankModel) else TreeModel(model))
                       for code, (encoder, model) in models.items()}
        self._sources = {}
        for code, (encoder, _booster) in self.models.items():
            if id(encoder) not in self._sources:
                self._sources[id(encoder)] = encoder.source_matrix()

    @property
    def bank_codes(self) -> list[str]:
        return list(self.models)

    def score(self, records: list[dict], *, as_of: dt.date, explain: bool = True) -> ScoreBatch:
        encoded: dict[int, np.ndarray] = {}
        codes = self.bank_codes
        probabilities = np.empty((len(records), len(codes)))
        contributions, source_keys, base_values = {}, {}, {}
        threads = (os.cpu_count() or 1) if len(records) >= THREADED_BATCH else 1
        shared: dict = {}  # work on an encoded matrix that models sharing it can reuse (one DMatrix)
        for column, code in enumerate(codes):
            encoder, model = self.models[code]
            if id(encoder) not in encoded:
                encoded[id(encoder)] = encoder.transform(records, as_of)
            X = encoded[id(encoder)]
            if explain:
                raw = model.contributions(X, shared, threads=threads)
                margin = raw.sum(axis=1)
                contributions[code] = raw[:, :-1] @ self._sources[id(encoder)]
                base_values[code] = raw[:, -1].copy()
                source_keys[code] = encoder.source_keys
                probabilities[:, column] = expit(margin)
            else:
                probabilities[:, column] = model.predict_proba(X, threads=threads)
        return ScoreBatch(codes, probabilities, contributions, source_keys, base_values)

    def variant_probabilities(self, record: dict, *, as_of: dt.date, changes: dict) -> np.ndarray:
        """(n_variants, n_banks) probabilities for one application with some answers varied
        (FeatureEncoder.transform_variants): one vectorised pass per bank, no explanations."""
        encoded = {}
        codes = self.bank_codes
        size = len(next(iter(changes.values())))
        probabilities = np.empty((size, len(codes)))
        for column, code in enumerate(codes):
            encoder, model = self.models[code]
            if id(encoder) not in encoded:
                encoded[id(encoder)] = encoder.transform_variants(record, as_of, changes)
            probabilities[:, column] = model.predict_proba(encoded[id(encoder)])
        return probabilities
