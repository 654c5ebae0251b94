"""Importing a lender's history of bank decisions (the CSV of docs/data-format.md) and reading it back for training.

A history is what it is: the banks decided on those rows. So the import keeps every row on which
at least one bank said yes or no, reads its answers with history's rules
(scoring/services/history.py: unreadable values become missing, implausible ones and unseen
categories are kept, all of them flagged) and reports what looked odd instead of refusing it. A row
is skipped, with its reason, only when no bank decision on it is usable (every decision empty, a
technical error or a word the configuration does not know). A file is refused as a whole only when
it cannot be read or mapped: not UTF-8, no header, a configured column missing (the separator
found is named when the header is one column), too large, or imported before.

Columns and words are found through the configuration (Feature.csv_column, Bank.csv_decision_column,
import_mapping(): id column, decision words, missing-value markers, decision-date column, delimiter);
`history_mapping`, `read_history` and `check_row` are shared with evaluation, so both read a file
the same way.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
from collections import Counter
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
from scoring.engine.csvformat import CsvFormatError, DecisionRow, DecisionsFile, p_true_column, read_decisions_csv
from scoring.engine.dates import parse_day, to_date
from scoring.engine.training import ROW_KEY
from scoring.models import Bank, Feature, HistoricalApplication, ImportBatch
from scoring.services.history import quoted, validate_history
from scoring.services.questionnaire import active_features

DECISIONS = ("success", "denied", "error")
LABELS = ("success", "denied")  # the decisions training learns from; 'error' is neither
BULK_SIZE = 1000
# The stored report (ImportBatch.report) lists this many skipped and flagged rows each; its counts are complete.
REPORT_ROWS = 1000
# The flag key of a row's decision date (the configured column's value).
DECIDED_ON = "decided_on"
# The reason key of a skipped row.
SKIPPED = "decisions"


class ImportRefused(Exception):
    """The file as a whole cannot be imported (unreadable, wrong columns, already imported, ...).
    The message says why, in the active language, for the person who sent it."""


@dataclass(frozen=True)
class HistoryMapping:
    """How a history file maps to the configuration: the active fields, {feature key: CSV column},
    {bank code: decision column} and import_mapping()'s id column, decision words (lower-case word ->
    success/denied/error), missing-value markers, decision-date column ('' for none) and delimiter."""

    features: list[Feature]
    column_for_feature: dict[str, str]
    column_for_bank: dict[str, str]
    id_column: str
    meaning: dict[str, str]
    missing_values: tuple[str, ...]
    decision_date_column: str
    delimiter: str

    @property
    def columns(self) -> dict[str, str]:
        """{field key, bank code, `<code>_p_true` or decided_on: the CSV column}: where each flag points."""
        columns = {**self.column_for_feature, **self.column_for_bank,
                   **{f"{code}_p_true": p_true_column(column) for code, column in self.column_for_bank.items()}}
        if self.decision_date_column:
            columns[DECIDED_ON] = self.decision_date_column
        return columns


def column_mappings() -> tuple[list[Feature], dict[str, str], dict[str, str]]:
    """The active features, {feature key: CSV column} and {bank code: decision column} from the configuration.

    Raises ImportRefused when the configuration cannot describe a file: no fields or banks
    (load_config has not run), or a required field without a CSV column (every row would lack it).
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


def history_mapping() -> HistoryMapping:
    """The configuration's mapping of a history file (ImportRefused when it cannot describe one)."""
    features, column_for_feature, column_for_bank = column_mappings()
    mapping = import_mapping()
    # The CSV reader lower-cases decisions, so the configured words are matched case-insensitively.
    meaning = {word.lower(): decision for decision, words in mapping["decision_values"].items() for word in words}
    return HistoryMapping(
        features=features, column_for_feature=column_for_feature, column_for_bank=column_for_bank,
        id_column=mapping["id_column"], meaning=meaning, missing_values=tuple(mapping["missing_values"]),
        decision_date_column=mapping["decision_date_column"], delimiter=mapping["delimiter"],
    )


def read_history(source: bytes | str | Path, mapping: HistoryMapping) -> DecisionsFile:
    """A history file's rows (its bytes, or a path) read through mapping; ImportRefused when it cannot be."""
    try:
        return read_decisions_csv(io.BytesIO(source) if isinstance(source, bytes) else source,
                                  column_for_feature=mapping.column_for_feature,
                                  column_for_bank=mapping.column_for_bank, id_column=mapping.id_column,
                                  missing_values=mapping.missing_values, delimiter=mapping.delimiter,
                                  decision_date_column=mapping.decision_date_column)
    except CsvFormatError as exc:
        raise ImportRefused(str(exc)) from None


@dataclass
class CheckedRow:
    """One row read with history's rules.

    decided_on: the row's own decision day (the configured column), None when it has none; day: the
    day its ages were counted to (decided_on, else the file's). flags: {field key, bank code,
    `<code>_p_true` or decided_on: [messages]}; reasons: (key, message without the value) per flag;
    unseen: {field key: unseen choice value}. skip: {key: [messages]} when no decision is usable (the
    row is not stored), else None.
    """

    row_number: int
    external_id: str
    answers: dict
    decisions: dict[str, str]
    p_true: dict[str, float]
    decided_on: dt.date | None
    day: dt.date
    flags: dict[str, list[str]] = field(default_factory=dict)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    unseen: dict[str, str] = field(default_factory=dict)
    skip: dict[str, list[str]] | None = None

    def flag(self, key: str, reason: str, message: str) -> None:
        self.flags.setdefault(key, []).append(message)
        self.reasons.append((key, reason))


def check_row(row: DecisionRow, mapping: HistoryMapping, *, decided_on: dt.date, today: dt.date) -> CheckedRow:
    """Read one row of a history file: its decision day, answers (history rules), decisions and
    probabilities; decided_on is the file's decision day, used when the row has none of its own."""
    own_day, day_flag = _row_day(row, today)
    checked_answers = validate_history(row.answers, mapping.features, decided_on=own_day or decided_on)
    checked = CheckedRow(row_number=row.row_number, external_id=row.external_id[:100],
                         answers=checked_answers.answers, decisions={}, p_true={}, decided_on=own_day,
                         day=own_day or decided_on, unseen=checked_answers.unseen)
    if day_flag:
        checked.flag(DECIDED_ON, *day_flag)
    for key, messages in checked_answers.flags.items():
        checked.flags.setdefault(key, []).extend(messages)
    checked.reasons.extend(checked_answers.reasons)
    _read_decisions(row, mapping, checked)
    _read_p_true(row, checked)
    if not any(decision in LABELS for decision in checked.decisions.values()):
        if not any(row.decisions.values()):
            reason = _("Нет ни одного решения банка: все колонки решений пусты.")
        else:
            reason = _("Нет пригодного решения банка: только технические ошибки, пустые поля "
                       "или слова не из настроек.")
        checked.skip = {SKIPPED: [reason], **{code: messages for code, messages in checked.flags.items()
                                              if code in mapping.column_for_bank}}
    return checked


def _row_day(row: DecisionRow, today: dt.date) -> tuple[dt.date | None, tuple[str, str] | None]:
    """The row's own decision day, and a (reason, message) flag when its cell is unreadable or in the future."""
    if row.decided_on is None:
        return None, None
    try:
        day = parse_day(row.decided_on)
    except ValueError:
        return None, (_("Дата решения не прочитана: взята дата решений файла."),
                      _("Дата решения «%(value)s» не прочитана: взята дата решений файла.")
                      % {"value": quoted(row.decided_on)})
    if day > today:
        return None, (_("Дата решения в будущем: взята дата решений файла."),
                      _("Дата решения %(value)s в будущем: взята дата решений файла.")
                      % {"value": day.isoformat()})
    return day, None


def _read_decisions(row: DecisionRow, mapping: HistoryMapping, checked: CheckedRow) -> None:
    """The row's decisions as success/denied/error through the configured words; an unknown word drops
    that bank's decision, flagged."""
    allowed = ", ".join(mapping.meaning)
    for code, value in row.decisions.items():
        if value is None:
            continue
        if value in mapping.meaning:
            checked.decisions[code] = mapping.meaning[value]
            continue
        column = mapping.column_for_bank[code]
        checked.flag(code,
                     _("Решение не из настроенных слов (%(allowed)s): решение этого банка не сохранено.")
                     % {"allowed": allowed},
                     _("Решение «%(value)s» в колонке «%(column)s» не из настроенных слов (%(allowed)s): "
                       "решение этого банка не сохранено.")
                     % {"value": quoted(value), "column": column, "allowed": allowed})


def _read_p_true(row: DecisionRow, checked: CheckedRow) -> None:
    for code, text in row.p_true.items():
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = math.nan
        if not 0.0 <= number <= 1.0:  # NaN fails too
            checked.flag(f"{code}_p_true", _("Вероятность не число от 0 до 1: не сохранена."),
                         _("Вероятность «%(value)s» не число от 0 до 1: не сохранена.") % {"value": quoted(text)})
        else:
            checked.p_true[code] = number


@dataclass
class ImportReport:
    """What happened to one file.

    rows_total counts every data line (empty ones too); rows_valid the rows kept (stored, unless this
    was a dry run); rows_imported those stored; skipped lists (row number, {key: [reasons]}) for every
    row left out, flagged (row number, {key: [messages]}) for every kept row with flags, in file order
    and complete. flag_counts: (key, reason) -> rows; unseen: field key -> {value: rows}; skip_counts:
    reason -> rows.
    """

    file_name: str
    sha256: str
    dry_run: bool
    rows_total: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    rows_empty: int = 0
    skipped: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    flagged: list[tuple[int, dict[str, list[str]]]] = field(default_factory=list)
    flag_counts: Counter = field(default_factory=Counter)
    skip_counts: Counter = field(default_factory=Counter)
    unseen: dict[str, Counter] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    decided_on: dt.date | None = None
    batch: ImportBatch | None = None

    @property
    def rows_rejected(self) -> int:
        """Rows skipped (ImportBatch.rows_rejected)."""
        return len(self.skipped)

    rows_skipped = rows_rejected

    @property
    def rows_flagged(self) -> int:
        return len(self.flagged)

    @property
    def rejected(self) -> list[tuple[int, dict[str, list[str]]]]:
        return self.skipped

    @property
    def accepted(self) -> bool:
        """True when every non-empty row is kept (none skipped)."""
        return not self.skipped

    def add(self, checked: CheckedRow) -> None:
        if checked.skip is not None:
            self.skipped.append((checked.row_number, checked.skip))
            self.skip_counts.update(checked.skip[SKIPPED])
            return
        self.rows_valid += 1
        if checked.flags:
            self.flagged.append((checked.row_number, checked.flags))
            self.flag_counts.update(checked.reasons)
        for key, value in checked.unseen.items():
            self.unseen.setdefault(key, Counter())[value] += 1

    def lines(self, rows: list[tuple[int, dict[str, list[str]]]]) -> list[tuple[int, str, str, str]]:
        """(row number, key, CSV column or '', message): one line per reason, in file order."""
        return [(row_number, key, self.columns.get(key, ""), message)
                for row_number, reasons in rows for key, messages in reasons.items() for message in messages]

    def rejection_lines(self) -> list[tuple[int, str, str, str]]:
        return self.lines(self.skipped)

    def flag_lines(self) -> list[tuple[int, str, str, str]]:
        return self.lines(self.flagged)

    def unseen_lines(self) -> list[tuple[str, str, str, int]]:
        """(field key, CSV column, value, rows) for every unseen category, most frequent first per field."""
        return [(key, self.columns.get(key, ""), value, count)
                for key, counts in self.unseen.items() for value, count in counts.most_common()]

    def as_json(self, limit: int = REPORT_ROWS) -> dict:
        """The report as ImportBatch.report stores it: counts complete, row lists cut at limit each."""
        def listed(rows):
            return [{"row": row_number, "reasons": reasons} for row_number, reasons in rows[:limit]]
        flags: dict[str, dict[str, int]] = {}
        for (key, reason), count in self.flag_counts.most_common():
            flags.setdefault(key, {})[reason] = count
        return {
            "rows": {"total": self.rows_total, "imported": self.rows_valid, "flagged": self.rows_flagged,
                     "skipped": self.rows_skipped, "empty": self.rows_empty},
            "skip_reasons": dict(self.skip_counts.most_common()),
            "flags": flags,
            "unseen": {key: dict(counts.most_common()) for key, counts in self.unseen.items()},
            "skipped": listed(self.skipped),
            "flagged": listed(self.flagged),
            "listed_rows_limit": limit,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
        }


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
    """Read a historical-decisions CSV's bytes with history's rules and store the rows with a usable
    decision in one transaction (with the report and an audit entry in user's name, None for the
    command line); a dry run stores nothing and returns the same report.

    The command line (import_decisions_csv) and the admin's upload page both come through here.
    decided_on: the day the banks made these decisions, for the rows without a decision-date column
    value of their own; ages and tenures are taken as of each row's day, here and in training.
    Today when not given. today: the local date by default; decided_on may not be after it.
    Raises ImportRefused when the file cannot be read as such a CSV, lacks a configured column,
    or has been imported before (same SHA-256 of its bytes).
    """
    if len(content) > settings.PRESCORING["MAX_UPLOAD_BYTES"]:
        raise ImportRefused(_too_large(file_name))
    digest = hashlib.sha256(content).hexdigest()
    earlier = ImportBatch.objects.filter(sha256=digest).first()
    if earlier is not None:
        raise ImportRefused(_already_imported(earlier))

    mapping = history_mapping()
    parsed = read_history(content, mapping)
    today = today or timezone.localdate()
    if decided_on is not None and decided_on > today:
        raise ImportRefused(_("Дата решений %(date)s ещё не наступила.") % {"date": f"{decided_on:%d.%m.%Y}"})
    decided_on = decided_on or today
    report = ImportReport(file_name=file_name, sha256=digest, dry_run=dry_run, rows_total=parsed.rows_total,
                          rows_empty=len(parsed.empty_rows), ignored_columns=parsed.ignored_columns,
                          columns=mapping.columns, decided_on=decided_on)
    kept: list[HistoricalApplication] = []
    for row in parsed.rows:
        checked = check_row(row, mapping, decided_on=decided_on, today=today)
        report.add(checked)
        if checked.skip is None:
            kept.append(HistoricalApplication(
                row_number=checked.row_number, external_id=checked.external_id, answers=checked.answers,
                decisions=checked.decisions, p_true=checked.p_true or None, decided_on=checked.decided_on,
                flags=checked.flags,
            ))
    if dry_run or not kept:
        return report

    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                file_name=file_name[:255], sha256=digest, user=user, rows_total=report.rows_total,
                rows_imported=len(kept), rows_rejected=report.rows_rejected, rows_flagged=report.rows_flagged,
                rows_empty=report.rows_empty, decided_on=decided_on, report=report.as_json(),
            )
            for application in kept:
                application.batch = batch
            HistoricalApplication.objects.bulk_create(kept, batch_size=BULK_SIZE)
            # The report's row lists stay on the batch; the audit entry keeps the figures.
            audit.record(actor=user, action="import_history", obj=batch,
                         after=audit.snapshot(batch, [f.name for f in ImportBatch._meta.concrete_fields
                                                      if f.name != "report"]))
    except IntegrityError:
        # The same file was imported by someone else between our check and now.
        raise ImportRefused(_already_imported(ImportBatch.objects.get(sha256=digest))) from None
    report.rows_imported = len(kept)
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

    Columns: the active features' keys (values as stored by the import, None where missing),
    `<code>_decision` per bank ('success', 'denied', 'error' or None where the file had none) and
    `<code>_p_true` for the banks whose probabilities every row carries (synthetic files only).
    frame.attrs["as_of"] is today. Each row's dates are moved forward by the days between its
    decision day (its own, else its batch's) and today, so that ages and tenures counted to today
    are those the banks saw. With PRESCORING["TRAIN_EXCLUDE_FLAGGED"] the rows the import flagged
    (implausible, unreadable or unseen values, a dropped decision) are left out.
    """
    features = active_features()
    keys = [f.key for f in features]
    date_keys = {f.key for f in features if f.type == "date"}
    today = timezone.localdate()
    batches = dict(ImportBatch.objects.values_list("pk", "decided_on"))
    stored = HistoricalApplication.objects.order_by("batch_id", "row_number")
    if settings.PRESCORING.get("TRAIN_EXCLUDE_FLAGGED"):
        stored = stored.filter(flags={})
    rows = list(stored.values_list("answers", "decisions", "p_true", "batch_id", "decided_on", "pk"))
    shifts = [(today - (decided_on or batches[batch] or today)).days for _a, _d, _p, batch, decided_on, _k in rows]
    # Object columns holding the stored values (None where empty): what the encoder sees when scoring.
    frame = pd.DataFrame({key: pd.Series([shifted_date(row[0].get(key), shift) if key in date_keys
                                          else row[0].get(key) for row, shift in zip(rows, shifts)], dtype=object)
                          for key in keys})
    frame[ROW_KEY] = pd.Series([row[-1] for row in rows], dtype="int64")
    for code in bank_codes:
        frame[f"{code}_decision"] = pd.Series([row[1].get(code) for row in rows], dtype=object)
        probabilities = [(row[2] or {}).get(code) for row in rows]
        if rows and all(p is not None for p in probabilities):
            frame[f"{code}_p_true"] = pd.Series(probabilities, dtype=float)
    frame.attrs["as_of"] = timezone.localdate()
    return frame


def shifted_date(value, days: int):
    """An ISO date moved `days` forward (None and unreadable values unchanged)."""
    if not value or not days:
        return value
    day = to_date(value)
    return value if day is None else (day + dt.timedelta(days=days)).isoformat()


def report_csv_rows(batch: ImportBatch):
    """Every reason of a stored import as CSV rows (header first): the skipped rows the report kept
    (REPORT_ROWS at most, a last line says how many more there were) and every flagged row, read from
    the stored rows' own flags, so the flagged part is complete however long the file was."""
    yield ["row", "status", "key", "column", "message"]
    report = batch.report or {}
    columns = report.get("columns", {})
    skipped = report.get("skipped", [])
    for entry in skipped:
        for key, messages in entry["reasons"].items():
            for message in messages:
                yield [entry["row"], "skipped", key, columns.get(key, ""), message]
    more = (report.get("rows", {}).get("skipped") or 0) - len(skipped)
    if more > 0:
        yield ["", "skipped", "", "", f"… and {more} more skipped rows (not kept: only the first {len(skipped)})"]
    flagged = (HistoricalApplication.objects.filter(batch=batch).exclude(flags={}).order_by("row_number")
               .values_list("row_number", "flags"))
    for row_number, flags in flagged.iterator(chunk_size=2000):
        for key, messages in flags.items():
            for message in messages:
                yield [row_number, "flagged", key, columns.get(key, ""), message]

