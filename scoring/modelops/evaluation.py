"""Measuring the active models on a labelled file: how well would they have predicted these decisions?

The file is a historical-decisions CSV (docs/data-format.md) read exactly as import reads it
(modelops/importing: history_mapping, read_history, check_row): the configured columns, decision
words, missing-value markers, decision-date column and delimiter, and history's rules for the
answers (an unreadable value is missing, an implausible one or an unseen category is kept). Only
rows without a usable bank decision are skipped and counted. The rest are scored by the active
model of every bank, exactly as live applications are, with each row's ages counted to its own
decision day, and compared with the banks' decisions ('success' = 1, 'denied' = 0; 'error' and
empty are not answers).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from django.utils import timezone

from scoring.engine.metrics import fast_auc
from scoring.modelops.importing import ImportRefused, check_row, history_mapping, read_history, shifted_date
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
    (line number, {"decisions" or bank code: [messages]}) for each row left out (no usable decision);
    rows_flagged counts the scored rows with a value import would flag (read as missing, or kept)."""

    file_name: str
    as_of: dt.date
    rows_total: int
    rows_empty: int
    rows_scored: int
    banks: list[BankEvaluation]
    skipped: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    banks_without_model: list[str] = field(default_factory=list)
    rows_flagged: int = 0

    def as_dict(self) -> dict:
        """{bank code: BankEvaluation.as_dict()}: the figures only, for `manage.py evaluate --json`."""
        return {bank.code: bank.as_dict() for bank in self.banks}


def evaluate_file(*, path: str | Path, as_of: dt.date) -> FileEvaluation:
    """Score every row of a labelled CSV that has a usable decision with the active models and measure
    them per bank.

    as_of: the day the applications were made, for the rows without a decision-date column value;
    ages and tenures are counted to each row's day. Raises EvaluationRefused with a message for the
    person running it.
    """
    path = Path(path)
    try:
        mapping = history_mapping()
        parsed = read_history(path, mapping)
    except ImportRefused as exc:
        raise EvaluationRefused(str(exc)) from None

    today = max(as_of, timezone.localdate())
    date_keys = [f.key for f in mapping.features if f.type == "date"]
    records, rows, skipped, flagged = [], [], [], 0
    for row in parsed.rows:
        checked = check_row(row, mapping, decided_on=as_of, today=today)
        if checked.skip is not None:
            skipped.append((checked.row_number, checked.skip))
            continue
        flagged += bool(checked.flags)
        # The scorer counts ages to as_of: move a row decided on another day by the difference.
        days = (as_of - checked.day).days
        answers = dict(checked.answers)
        for key in date_keys:
            answers[key] = shifted_date(answers.get(key), days)
        records.append(answers)
        rows.append(checked)
    if not records:
        raise EvaluationRefused(f"{path.name}: no row with a usable bank decision to score "
                                f"({len(skipped)} skipped, {len(parsed.empty_rows)} empty)")

    try:
        loaded = load_models()
    except ScoringError as exc:
        raise EvaluationRefused(str(exc)) from None
    batch = loaded.scorer.score(records, as_of=as_of, explain=False)

    banks = []
    for column, code in enumerate(batch.bank_codes):
        if code not in mapping.column_for_bank:  # an active model of a bank the file has no column for
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
        banks_without_model=sorted(set(mapping.column_for_bank) - set(batch.bank_codes)), rows_flagged=flagged,
    )


def _oracle_auc(labels: np.ndarray, values: list[float | None]) -> float | None:
    """The AUC of the true probabilities written in the file (check_row kept the valid ones), or None
    unless every row has one."""
    if not values or any(value is None for value in values):
        return None
    return _rounded(fast_auc(labels, np.array(values, dtype=float)))


def _rounded(value: float) -> float | None:
    """Four decimals, None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else round(float(value), 4)
