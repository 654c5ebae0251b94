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
# Below this many applications, the matrices of an encoder at several banks' rates are explained as one
# stacked matrix (one DMatrix); from it on, each separately (explaining every row for every bank costs more).
STACKED_BELOW = 8


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
    an encoder object share one encoding of the applications; an encoder that computes the payment
    features at each bank's rate (FeatureEncoder.bank_rate) recomputes only those columns per rate.
    rates: bank code -> annual rate in per cent, the default of score's and variant_probabilities'
    `rates` (a bank without one gets REFERENCE_RATE).
    """

    def __init__(self, models: dict, rates: dict | None = None):
        self.models = {code: (encoder, model if isinstance(model, BankModel) else TreeModel(model))
                       for code, (encoder, model) in models.items()}
        self.rates = dict(rates or {})
        self._sources = {}
        for code, (encoder, _booster) in self.models.items():
            if id(encoder) not in self._sources:
                self._sources[id(encoder)] = encoder.source_matrix()

    @property
    def bank_codes(self) -> list[str]:
        return list(self.models)

    def _rate(self, code: str, rates: dict | None) -> float | None:
        return (self.rates if rates is None else rates).get(code)

    def score(self, records: list[dict], *, as_of: dt.date, explain: bool = True,
              rates: dict | None = None) -> ScoreBatch:
        """Every bank's probabilities (and, with explain, contributions) for records.

        rates: bank code -> annual rate in per cent, for the encoders that use the bank's rate
        (the Scorer's own rates when None).
        """
        codes = self.bank_codes
        probabilities = np.empty((len(records), len(codes)))
        contributions, source_keys, base_values = {}, {}, {}
        threads = (os.cpu_count() or 1) if len(records) >= THREADED_BATCH else 1
        shared: dict = {}  # work on an encoded matrix that models sharing it can reuse (one DMatrix)
        matrices = self._matrices(records, as_of, rates, stack=explain and len(records) < STACKED_BELOW)
        for column, code in enumerate(codes):
            encoder, model = self.models[code]
            X, rows = matrices[code]
            if explain:
                raw = model.contributions(X, shared, threads=threads)[rows]
                margin = raw.sum(axis=1)
                contributions[code] = raw[:, :-1] @ self._sources[id(encoder)]
                base_values[code] = raw[:, -1].copy()
                source_keys[code] = encoder.source_keys
                probabilities[:, column] = expit(margin)
            else:
                probabilities[:, column] = model.predict_proba(X[rows], threads=threads)
        return ScoreBatch(codes, probabilities, contributions, source_keys, base_values)

    def _matrices(self, records, as_of: dt.date, rates: dict | None, *, stack: bool) -> dict:
        """bank code -> (matrix, rows of it that are the bank's): one encoding per encoder, with its
        payment columns recomputed per rate where it uses the banks' rates (FeatureEncoder.with_rate).

        stack: the matrices of one encoder at its several rates are stacked into one, so that its
        banks still share one DMatrix: building one costs more than explaining a few more rows.
        """
        encoded: dict[int, np.ndarray] = {}
        at_rate: dict[tuple, np.ndarray] = {}  # (encoder, rate) -> its matrix, shared by banks at that rate
        keys = {}
        for code in self.bank_codes:
            encoder = self.models[code][0]
            if id(encoder) not in encoded:
                encoded[id(encoder)] = encoder.transform(records, as_of)
            rate = encoder.effective_rate(self._rate(code, rates)) if encoder.depends_on_rate else None
            keys[code] = key = (id(encoder), rate)
            if key not in at_rate:
                X = encoded[id(encoder)]
                at_rate[key] = X if rate is None else encoder.with_rate(X, records, rate)
        everything = slice(None)
        if not stack:
            return {code: (at_rate[key], everything) for code, key in keys.items()}
        n = len(records)
        by_encoder: dict[int, list] = {}
        for key in at_rate:
            by_encoder.setdefault(key[0], []).append(key)
        blocks = {}
        for encoder_keys in by_encoder.values():
            if len(encoder_keys) == 1:
                blocks[encoder_keys[0]] = (at_rate[encoder_keys[0]], everything)
                continue
            matrix = np.vstack([at_rate[key] for key in encoder_keys])
            for i, key in enumerate(encoder_keys):
                blocks[key] = (matrix, slice(i * n, (i + 1) * n))
        return {code: blocks[key] for code, key in keys.items()}

    def variant_probabilities(self, record: dict, *, as_of: dt.date, changes: dict,
                              rates: dict | None = None) -> np.ndarray:
        """(n_variants, n_banks) probabilities for one application with some answers varied
        (FeatureEncoder.transform_variants): one vectorised pass per bank, no explanations.
        rates: as in score."""
        encoded, bases = {}, {}
        codes = self.bank_codes
        size = len(next(iter(changes.values())))
        probabilities = np.empty((size, len(codes)))
        for column, code in enumerate(codes):
            encoder, model = self.models[code]
            key = (id(encoder), encoder.effective_rate(self._rate(code, rates)))
            if key not in encoded:
                if id(encoder) not in bases:
                    bases[id(encoder)] = encoder.transform([record], as_of)[0]
                encoded[key] = encoder.transform_variants(record, as_of, changes, rate=key[1],
                                                          base=bases[id(encoder)])
            probabilities[:, column] = model.predict_proba(encoded[key])
        return probabilities
