"""Importing a lender's history of bank decisions (the CSV of docs/data-format.md) and reading it back for training.

A file is imported all or nothing: if any non-empty row is refused, nothing is stored and the
report lists every refused row with its reasons, so the lender fixes the file and sends it again.
Columns are found through the configuration (Feature.csv_column, Bank.csv_decision_column), and
every row goes through the same validator as the officer's form and the API.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.services import audit
from scoring.modelops.configuration import import_mapping
from scoring.engine.csvformat import CsvFormatError, DecisionRow, p_true_column, read_decisions_csv
from scoring.engine.dates import to_date
from scoring.engine.training import ROW_KEY
from scoring.models import Bank, Feature, HistoricalApplication, ImportBatch
from scoring.services.questionnaire import active_features, validate_answers

DECISIONS = ("success", "denied", "error")
BULK_SIZE = 1000


class ImportRefused(Exception):
    """The file as a whole cannot be imported (unreadable, wrong columns, already imported, ...).
    The message says why, in the active language, for the person who sent it."""


@dataclass
class ImportReport:
    """What happened to one file.

    rows_total counts every data line (empty ones too); rows_valid those that passed validation;
    rows_imported those stored (0 on a dry run or when the file was refused); rejected lists
    (row_number, {field key or bank code: [messages]}) for every refused row.
    """

    file_name: str
    sha256: str
    dry_run: bool
    rows_total: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    rows_empty: int = 0
    rejected: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    batch: ImportBatch | None = None

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    @property
    def accepted(self) -> bool:
        """True when every non-empty row is valid (stored, unless this was a dry run)."""
        return not self.rejected

    def rejection_lines(self) -> list[tuple[int, str, str, str]]:
        """(row number, key, CSV column or '', message): one line per reason, in file order."""
        return [(row_number, key, self.columns.get(key, ""), message)
                for row_number, reasons in self.rejected for key, messages in reasons.items() for message in messages]


def column_mappings() -> tuple[list[Feature], dict[str, str], dict[str, str]]:
    """The active features, {feature key: CSV column} and {bank code: decision column} from the configuration.

    Raises ImportRefused when the configuration cannot describe a file: no fields or banks
    (load_config has not run), or a required field without a CSV column (every row would fail).
    """
    features = active_features()
    column_for_feature = {f.key: f.csv_column for f in features if f.csv_column}
    column_for_bank = dict(Bank.objects.filter(active=True).exclude(csv_decision_column="")
                           .order_by("code").values_list("code", "csv_decision_column"))
    if not column_for_feature or not column_for_bank:
        raise ImportRefused(_("В настройках нет полей анкеты или банков с колонками CSV: "
                              "сначала выполните manage.py load_config."))
    unmapped = [f.key for f in features if f.required and not f.csv_column]
    if unmapped:
        raise ImportRefused(_("Для обязательных полей анкеты не задана колонка CSV: %(keys)s.")
                            % {"keys": ", ".join(unmapped)})
    return features, column_for_feature, column_for_bank


def _decisions(row: DecisionRow, column_for_bank: dict[str, str],
               meaning: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The row's decisions as success/denied/error through the configured words, and the refused ones."""
    decisions, errors = {}, {}
    for code, value in row.decisions.items():
        if value is None:
            continue
        if value in meaning:
            decisions[code] = meaning[value]
        else:
            allowed = ", ".join(meaning)
            errors[code] = [_("Решение в колонке «%(column)s» должно быть одним из: %(allowed)s "
                              "или пустым, а не «%(value)s».")
                            % {"column": column_for_bank[code], "allowed": allowed, "value": value}]
    return decisions, errors


def _p_true_values(row: DecisionRow) -> tuple[dict[str, float], dict[str, list[str]]]:
    values, errors = {}, {}
    for code, text in row.p_true.items():
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = math.nan
        if not 0.0 <= number <= 1.0:  # NaN fails too
            errors[f"{code}_p_true"] = [_("Вероятность должна быть числом от 0 до 1, а не «%(value)s».")
                                        % {"value": text}]
        else:
            values[code] = number
    return values, errors


def import_decisions_csv(*, path: str | Path, user=None, dry_run: bool = False,
                         today: dt.date | None = None, decided_on: dt.date | None = None) -> ImportReport:
    """Import the historical-decisions CSV at path (manage.py import_applications): see import_decisions.

    The file's size is checked before it is read, so an oversized file is never loaded into memory.
    """
    path = Path(path)
    try:
        if path.stat().st_size > settings.PRESCORING["MAX_UPLOAD_BYTES"]:
            raise ImportRefused(_too_large(path.name))
        content = path.read_bytes()
    except FileNotFoundError:
        raise ImportRefused(_("Файл %(path)s не найден.") % {"path": path}) from None
    except OSError as exc:
        raise ImportRefused(_("Файл %(path)s не прочитать: %(error)s.")
                            % {"path": path, "error": exc.strerror or exc}) from None
    return import_decisions(content=content, file_name=path.name, user=user, dry_run=dry_run, today=today,
                            decided_on=decided_on)


def import_decisions(*, content: bytes, file_name: str, user=None, dry_run: bool = False,
                     today: dt.date | None = None, decided_on: dt.date | None = None) -> ImportReport:
    """Validate a historical-decisions CSV's bytes and, if every non-empty row is valid, store it in one
    transaction, with an audit entry in user's name (None for the command line).

    The command line (import_decisions_csv) and the admin's upload page both come through here.
    decided_on: the day the banks made these decisions (the file has no date column); ages and
    tenures are taken as of that day, in validation and in training. Today when not given.
    today: the local date by default; decided_on may not be after it.
    Raises ImportRefused when the file cannot be read as such a CSV, lacks a configured column,
    or has been imported before (same SHA-256 of its bytes). A file with refused rows returns a
    report with report.accepted False and stores nothing.
    """
    if len(content) > settings.PRESCORING["MAX_UPLOAD_BYTES"]:
        raise ImportRefused(_too_large(file_name))
    digest = hashlib.sha256(content).hexdigest()
    earlier = ImportBatch.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise ImportRefused(_already_imported(earlier))

    features, column_for_feature, column_for_bank = column_mappings()
    mapping = import_mapping()
    # The CSV reader lower-cases decisions, so the configured words are matched case-insensitively.
    meaning = {word.lower(): decision for decision, words in mapping["decision_values"].items() for word in words}
    try:
        parsed = read_decisions_csv(io.BytesIO(content), column_for_feature=column_for_feature,
                                    column_for_bank=column_for_bank, id_column=mapping["id_column"])
    except CsvFormatError as exc:
        raise ImportRefused(str(exc)) from None

    columns = {**column_for_feature, **column_for_bank,
               **{f"{code}_p_true": p_true_column(column) for code, column in column_for_bank.items()}}
    report = ImportReport(file_name=file_name, sha256=digest, dry_run=dry_run, rows_total=parsed.rows_total,
                          rows_empty=len(parsed.empty_rows), ignored_columns=parsed.ignored_columns,
                          columns=columns)
    today = today or timezone.localdate()
    if decided_on is not None and decided_on > today:
        raise ImportRefused(_("Дата решений %(date)s ещё не наступила.") % {"date": f"{decided_on:%d.%m.%Y}"})
    decided_on = decided_on or today
    today = decided_on  # answers are checked as they stood on the day of the decisions
    valid: list[HistoricalApplication] = []
    for row in parsed.rows:
        answers, errors = validate_answers(row.answers, features, today=today, allow_unknown=False)
        decisions, decision_errors = _decisions(row, column_for_bank, meaning)
        errors.update(decision_errors)
        p_true, p_errors = _p_true_values(row)
        errors.update(p_errors)
        if errors:
            report.rejected.append((row.row_number, errors))
            continue
        valid.append(HistoricalApplication(
            row_number=row.row_number,
            external_id=row.external_id[:100],
            answers=answers,
            decisions=decisions,
            p_true=p_true or None,
        ))
    report.rows_valid = len(valid)
    if report.rejected or dry_run or not valid:
        return report

    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                file_name=file_name[:255], sha256=digest, user=user, rows_total=report.rows_total,
                rows_imported=len(valid), rows_rejected=0, rows_empty=report.rows_empty, decided_on=decided_on,
            )
            for application in valid:
                application.batch = batch
            HistoricalApplication.objects.bulk_create(valid, batch_size=BULK_SIZE)
            audit.record(actor=user, action="import_history", obj=batch, after=audit.snapshot(batch))
    except IntegrityError:
        # The same file was imported by someone else between our check and now.
        raise ImportRefused(_already_imported(ImportBatch.objects.get(sha256=digest))) from None
    report.rows_imported = len(valid)
    report.batch = batch
    return report


def _too_large(file_name: str) -> str:
    return (_("Файл %(name)s больше %(limit)s; разделите его на части.")
            % {"name": file_name, "limit": filesizeformat(settings.PRESCORING["MAX_UPLOAD_BYTES"])})


def _already_imported(batch: ImportBatch) -> str:
    when = timezone.localtime(batch.created_at).strftime("%Y-%m-%d %H:%M")
    return (_("Этот файл уже загружен %(when)s (загрузка №%(id)s, «%(name)s», %(rows)s строк); "
              "повторно не загружается.")
            % {"when": when, "id": batch.pk, "name": batch.file_name, "rows": batch.rows_imported})


def historical_frame(bank_codes: list[str]) -> pd.DataFrame:
    """Every stored historical application as a frame for scoring.engine.training.train_all_banks.

    Columns: the active features' keys (values as stored by validate_answers, None where empty),
    `<code>_decision` per bank ('success', 'denied', 'error' or None where the file had none) and
    `<code>_p_true` for the banks whose probabilities every row carries (synthetic files only).
    frame.attrs["as_of"] is today. Each batch's dates are moved forward by the days between its
    decisions and today, so that ages and tenures counted to today are those the banks saw.
    """
    features = active_features()
    keys = [f.key for f in features]
    date_keys = {f.key for f in features if f.type == "date"}
    today = timezone.localdate()
    batches = dict(ImportBatch.objects.values_list("pk", "decided_on"))
    rows = list(HistoricalApplication.objects.order_by("batch_id", "row_number")
                .values_list("answers", "decisions", "p_true", "batch_id", "pk"))
    shifts = {pk: (today - (decided_on or today)).days for pk, decided_on in batches.items()}
    # Object columns holding the stored values (None where empty): what the encoder sees when scoring.
    frame = pd.DataFrame({key: pd.Series([_as_of_today(answers.get(key), shifts[batch]) if key in date_keys
                                          else answers.get(key) for answers, _d, _p, batch, _k in rows], dtype=object)
                          for key in keys})
    frame[ROW_KEY] = pd.Series([pk for *_rest, pk in rows], dtype="int64")
    for code in bank_codes:
        frame[f"{code}_decision"] = pd.Series([decisions.get(code) for _a, decisions, _p, _b, _k in rows],
                                              dtype=object)
        probabilities = [(p_true or {}).get(code) for _a, _d, p_true, _b, _k in rows]
        if rows and all(p is not None for p in probabilities):
            frame[f"{code}_p_true"] = pd.Series(probabilities, dtype=float)
    frame.attrs["as_of"] = timezone.localdate()
    return frame


def _as_of_today(value, days: int):
    """An ISO date moved `days` forward (None and unreadable values unchanged)."""
    if not value or not days:
        return value
    day = to_date(value)
    return value if day is None else (day + dt.timedelta(days=days)).isoformat()
