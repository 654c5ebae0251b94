"""Scoring many applications for many banks in one vectorised pass, with SHAP contributions.

Contributions are XGBoost's exact TreeSHAP values (`pred_contribs`, the algorithm the shap
package's TreeExplainer implements), summed from encoded columns back to questionnaire fields,
in log-odds: base value + sum of contributions = the model's margin.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import xgboost as xgb


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

    models: bank code -> (FeatureEncoder, xgboost.Booster). Banks that share an encoder object
    share one encoding of the applications.
    """

    def __init__(self, models: dict):
        self.models = dict(models)
        self._sources = {}
        for code, (encoder, _booster) in self.models.items():
            if id(encoder) not in self._sources:
                self._sources[id(encoder)] = encoder.source_matrix()

    @property
    def bank_codes(self) -> list[str]:
        return list(self.models)

    def score(self, records: list[dict], *, as_of: dt.date, explain: bool = True) -> ScoreBatch:
        encoded: dict[int, xgb.DMatrix] = {}
        codes = self.bank_codes
        probabilities = np.empty((len(records), len(codes)))
        contributions, source_keys, base_values = {}, {}, {}
        for column, code in enumerate(codes):
            encoder, booster = self.models[code]
            if id(encoder) not in encoded:
                encoded[id(encoder)] = xgb.DMatrix(encoder.transform(records, as_of), missing=np.nan)
            matrix = encoded[id(encoder)]
            threads = (os.cpu_count() or 1) if len(records) >= THREADED_BATCH else 1
            booster.set_param({"nthread": threads})
            if explain:
                raw = booster.predict(matrix, pred_contribs=True, validate_features=False)
                margin = raw.sum(axis=1, dtype=np.float64)
                contributions[code] = raw[:, :-1].astype(np.float64) @ self._sources[id(encoder)]
                base_values[code] = raw[:, -1].astype(np.float64)
                source_keys[code] = encoder.source_keys
                probabilities[:, column] = 1.0 / (1.0 + np.exp(-margin))
            else:
                probabilities[:, column] = booster.predict(matrix, validate_features=False)
        return ScoreBatch(codes, probabilities, contributions, source_keys, base_values)

    def variant_probabilities(self, record: dict, *, as_of: dt.date, changes: dict) -> np.ndarray:
        """(n_variants, n_banks) probabilities for one application with some answers varied
        (FeatureEncoder.transform_variants): one vectorised pass per bank, no explanations."""
        encoded = {}
        codes = self.bank_codes
        size = len(next(iter(changes.values())))
        probabilities = np.empty((size, len(codes)))
        for column, code in enumerate(codes):
            encoder, booster = self.models[code]
            if id(encoder) not in encoded:
                encoded[id(encoder)] = encoder.transform_variants(record, as_of, changes)
            probabilities[:, column] = booster.inplace_predict(encoded[id(encoder)], missing=np.nan,
                                                               validate_features=False)
        return probabilities
