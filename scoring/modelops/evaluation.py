"""Measuring the active models on a labelled file: how well would they have predicted these decisions?

The file is a historical-decisions CSV (docs/data-format.md) read through the same configuration
mapping as import (Feature.csv_column, Bank.csv_decision_column). Each row's answers go through
the questionnaire validator; rows it refuses are skipped and counted, not guessed at. The rest
are scored by the active model of every bank, exactly as live applications are, and compared with
the banks' decisions ('success' = 1, 'denied' = 0; 'error' and empty are not answers).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoring.engine.csvformat import CsvFormatError, read_decisions_csv
from scoring.engine.metrics import fast_auc
from scoring.modelops.importing import DECISIONS, ImportRefused, column_mappings
from scoring.services.questionnaire import validate_answers
from scoring.services.runtime import ScoringError, load_models


class EvaluationRefused(Exception):
    """The file cannot be evaluated (unreadable, missing columns, no valid rows, no active models)."""


@dataclass
class BankEvaluation:
    """One bank's active model on the file's answered rows.

    n: rows with 'success' or 'denied'; auc: ROC AUC (None when the rows hold only one kind of
    decision); brier: mean squared error of the probability (None when n is 0); oracle_auc: the
    AUC of the file's `<...>_p_true` probabilities on the same rows, when every one of them has one.
    """

    code: str
    version: int
    n: int
    auc: float | None
    brier: float | None
    oracle_auc: float | None = None

    def as_dict(self) -> dict:
        """{"auc", "brier", "n", "version"} and "oracle_auc" only when the file has the probabilities."""
        result = {"auc": self.auc, "brier": self.brier, "n": self.n, "version": self.version}
        if self.oracle_auc is not None:
            result["oracle_auc"] = self.oracle_auc
        return result


@dataclass
class FileEvaluation:
    """What evaluate_file found. rows_total counts every data line, empty ones too; skipped lists
    (line number, {field key or bank code: [messages]}) for each row left out."""

    file_name: str
    as_of: dt.date
    rows_total: int
    rows_empty: int
    rows_scored: int
    banks: list[BankEvaluation]
    skipped: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    banks_without_model: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """{bank code: BankEvaluation.as_dict()}: the figures only, for `manage.py evaluate --json`."""
        return {bank.code: bank.as_dict() for bank in self.banks}


def evaluate_file(*, path: str | Path, as_of: dt.date) -> FileEvaluation:
    """Score every valid row of a labelled CSV with the active models and measure them per bank.

    as_of: the day the applications were made; ages and tenures are counted to it and dates are
    validated against it. Raises EvaluationRefused with a message for the person running it.
    """
    path = Path(path)
    try:
        features, column_for_feature, column_for_bank = column_mappings()
        parsed = read_decisions_csv(path, column_for_feature=column_for_feature, column_for_bank=column_for_bank)
    except (ImportRefused, CsvFormatError) as exc:
        raise EvaluationRefused(str(exc)) from None

    records, rows, skipped = [], [], []
    for row in parsed.rows:
        answers, errors = validate_answers(row.answers, features, today=as_of, allow_unknown=False)
        for code, decision in row.decisions.items():
            if decision is not None and decision not in DECISIONS:
                errors[code] = [f"Решение «{decision}»: ожидается success, denied, error или пустое поле."]
        if errors:
            skipped.append((row.row_number, errors))
        else:
            records.append(answers)
            rows.append(row)
    if not records:
        raise EvaluationRefused(f"{path.name}: no row with valid answers to score "
                                f"({len(skipped)} skipped, {len(parsed.empty_rows)} empty)")

    try:
        loaded = load_models()
    except ScoringError as exc:
        raise EvaluationRefused(str(exc)) from None
    batch = loaded.scorer.score(records, as_of=as_of, explain=False)

    banks = []
    for column, code in enumerate(batch.bank_codes):
        if code not in column_for_bank:  # an active model of a bank the file has no column for
            continue
        decisions = [row.decisions.get(code) for row in rows]
        answered = np.array([d in ("success", "denied") for d in decisions])
        labels = np.array([d == "success" for d in decisions])[answered].astype(float)
        probabilities = batch.probabilities[answered, column]
        banks.append(BankEvaluation(
            code=code, version=loaded.versions[code], n=int(answered.sum()),
            auc=_rounded(fast_auc(labels, probabilities)),
            brier=_rounded(float(np.mean((probabilities - labels) ** 2))) if len(labels) else None,
            oracle_auc=_oracle_auc(labels, [row.p_true.get(code) for row, a in zip(rows, answered) if a]),
        ))
    return FileEvaluation(
        file_name=path.name, as_of=as_of, rows_total=parsed.rows_total, rows_empty=len(parsed.empty_rows),
        rows_scored=len(records), banks=sorted(banks, key=lambda bank: bank.code), skipped=skipped,
        banks_without_model=sorted(set(column_for_bank) - set(batch.bank_codes)),
    )


def _oracle_auc(labels: np.ndarray, texts: list[str | None]) -> float | None:
    """The AUC of the true probabilities written in the file, or None unless every row has a valid one."""
    values = []
    for text in texts:
        try:
            value = float(text.replace(",", ".")) if text is not None else math.nan
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:  # NaN fails too
            return None
        values.append(value)
    if not values:
        return None
    return _rounded(fast_auc(labels, np.array(values)))


def _rounded(value: float) -> float | None:
    """Four decimals, None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else round(float(value), 4)
