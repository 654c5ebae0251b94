"""The historical-decisions CSV (docs/data-format.md): writing it and reading it back, without Django.

Format: UTF-8, `;`-separated (or the configured delimiter), one header line, one application per
line. Booleans are 1/0, missing values are empty fields (or a configured marker such as `NULL`),
dates are ISO (`1988-07-21`). Which column holds which questionnaire field or bank is not known
here: callers pass the mapping from the configuration (Feature.csv_column, Bank.csv_decision_column,
import.yaml).

The reader accepts the legacy writer's quirks (integers as floats, dates with a time part, `NULL`
for a missing value, empty lines and unknown columns) and does not judge values: it hands strings
to the importer, which reads them with the questionnaire's parsers.
"""
from __future__ import annotations

import csv
import io
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

import numpy as np
import pandas as pd

DEFAULT_ID_COLUMN = "SkillFactory_Id"
DELIMITER = ";"

# The legacy header (docs/data-format.md), in its order: a file written for the default
# configuration looks like the legacy one.
LEGACY_HEADER = (
    "SkillFactory_Id", "BirthDate", "education", "employment status", "Value", "JobStartDate", "Position",
    "MonthProfit", "MonthExpense", "Gender", "Family status", "ChildCount", "SNILS",
    "BankA_decision", "BankB_decision", "BankC_decision", "BankD_decision", "BankE_decision",
    "Merch_code", "Loan_amount", "Loan_term", "Goods_category",
)

# Separators a file written for another delimiter may use, as a message names them.
SEPARATOR_NAMES = {";": "«;»", ",": "«,»", "\t": "«табуляция»", "|": "«|»"}

# The legacy writer stored integers as floats ("657.0", "1.0"); a choice like Loan_term "12.0" must read as "12".
_INTEGRAL_FLOAT = re.compile(r"^\s*([+-]?\d+)\.0*\s*$")

PathOrBuffer = str | Path | IO
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class CsvFormatError(ValueError):
    """The file cannot be read as a historical-decisions CSV; the message says why (in Russian)."""


@dataclass(frozen=True)
class DecisionRow:
    """One non-empty line of the file.

    row_number: the line in the file (the header is line 1), as a person opening it would count
        (a quoted field spanning several lines would shift it; the legacy files have none).
    answers: feature key -> the field's text, None where the field is empty.
    decisions: bank code -> the decision lower-cased ('success', 'denied', 'error', or whatever the
        file says, for the importer to refuse), None where empty.
    p_true: bank code -> the text of `<...>_p_true` where the file has such a column and a value.
    decided_on: the text of the decision-date column, when one is configured and the cell has a value.
    """

    row_number: int
    answers: dict[str, str | None]
    decisions: dict[str, str | None]
    p_true: dict[str, str] = field(default_factory=dict)
    external_id: str = ""
    decided_on: str | None = None


@dataclass
class DecisionsFile:
    """What read_decisions_csv found: the non-empty rows, the line numbers of the empty ones, and
    the header columns that no feature or bank maps to (ignored)."""

    rows: list[DecisionRow]
    empty_rows: list[int]
    ignored_columns: list[str]

    @property
    def rows_total(self) -> int:
        return len(self.rows) + len(self.empty_rows)


def p_true_column(decision_column: str) -> str:
    """`BankA_decision` -> `BankA_p_true`: where a bank's true approval probability is written."""
    if decision_column.endswith("_decision"):
        return decision_column[: -len("_decision")] + "_p_true"
    return decision_column + "_p_true"


def header_for(column_for_feature: dict[str, str], column_for_bank: dict[str, str],
               id_column: str = DEFAULT_ID_COLUMN) -> list[str]:
    """The id column, the feature columns and the decision columns, in the legacy order when they are
    all legacy columns (docs/data-format.md), otherwise in mapping order (features, then banks)."""
    columns = [id_column, *column_for_feature.values(), *column_for_bank.values()]
    if set(columns) <= set(LEGACY_HEADER):
        return sorted(columns, key=LEGACY_HEADER.index)
    return columns


def _cell(value) -> str:
    """A value as the file stores it: 1/0 for booleans, empty for missing, integers without '.0'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return ""
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def write_decisions_csv(frame: pd.DataFrame, path_or_buffer: PathOrBuffer, *,
                        column_for_feature: dict[str, str], column_for_bank: dict[str, str],
                        id_column: str = DEFAULT_ID_COLUMN, extra_p_true: bool = True,
                        extra_columns: Iterable[str] = (), delimiter: str = DELIMITER) -> int:
    """Write frame as a historical-decisions CSV and return the number of rows written.

    frame: a column per feature key of column_for_feature and `<code>_decision` per bank of
    column_for_bank (as scoring.engine.synthetic.generate_applications returns); an `id_column`
    column if the rows have ids of their own, otherwise they are numbered from 1.
    extra_p_true: also write `<code>_p_true` (as `BankA_p_true` after `BankA_decision`'s name)
    for the banks whose probabilities the frame has, after the other columns.
    extra_columns: frame columns written as they are, under their own names, at the end (a
    decision-date column, say).
    """
    missing = [key for key in column_for_feature if key not in frame.columns]
    missing += [f"{code}_decision" for code in column_for_bank if f"{code}_decision" not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column {', '.join(missing)}")
    source_for = {id_column: id_column}
    source_for.update({column: key for key, column in column_for_feature.items()})
    source_for.update({column: f"{code}_decision" for code, column in column_for_bank.items()})
    header = header_for(column_for_feature, column_for_bank, id_column)
    if extra_p_true:
        for code, column in column_for_bank.items():
            if f"{code}_p_true" in frame.columns:
                header.append(p_true_column(column))
                source_for[p_true_column(column)] = f"{code}_p_true"
    for column in extra_columns:
        header.append(column)
        source_for[column] = column

    ids: Iterable = frame[id_column] if id_column in frame.columns else range(1, len(frame) + 1)
    cells = [ids if column == id_column else frame[source_for[column]] for column in header]
    with _text_output(path_or_buffer) as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for row in zip(*cells):
            writer.writerow([_cell(value) for value in row])
    return len(frame)


@contextmanager
def _text_output(path_or_buffer: PathOrBuffer) -> Iterator[IO]:
    """A path opened for writing as UTF-8 text, or a text buffer as it is (left open)."""
    if isinstance(path_or_buffer, (str, Path)):
        with open(path_or_buffer, "w", encoding="utf-8", newline="") as out:
            yield out
    else:
        yield path_or_buffer


def _read_text(path_or_buffer: PathOrBuffer) -> str:
    if isinstance(path_or_buffer, (str, Path)):
        try:
            content: bytes | str = Path(path_or_buffer).read_bytes()
        except FileNotFoundError:
            raise CsvFormatError(f"Файл {path_or_buffer} не найден.")
        except OSError as exc:
            raise CsvFormatError(f"Файл {path_or_buffer} не прочитать: {exc.strerror or exc}.")
    else:
        content = path_or_buffer.read()
    if not isinstance(content, str):
        try:
            # utf-8-sig: a file saved by Excel starts with a byte-order mark, which is not part of the header.
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"Файл не в кодировке UTF-8 (байт {exc.start + 1}). Сохраните его как CSV UTF-8.") from None
    # NUL and the other control characters (but tab and line breaks) become U+FFFD: an export's stray
    # bytes are kept visible in the flags and report, and PostgreSQL can store them (it refuses NUL).
    return _CONTROL.sub("\ufffd", content)


def _field_text(value, missing_values: frozenset[str] = frozenset()) -> str | None:
    """A field as the importer should see it: None when empty or a missing-value marker (compared after
    trimming, case-sensitively), integral floats without '.0'."""
    if not isinstance(value, str):  # a short line leaves its last fields NaN
        return None
    stripped = value.strip()
    if not stripped or stripped in missing_values:
        return None
    match = _INTEGRAL_FLOAT.match(value)
    return match[1] if match else value


def separator_hint(text: str, delimiter: str = DELIMITER) -> str:
    """When the header line is cut by another separator than delimiter, a sentence naming the one found
    (the most frequent), else ''."""
    header = text.split("\n", 1)[0]
    found = [sep for sep in SEPARATOR_NAMES if sep != delimiter and sep in header]
    if not found:
        return ""
    best = max(found, key=header.count)
    wanted = SEPARATOR_NAMES.get(delimiter, f"«{delimiter}»")
    return (f" Найден разделитель {SEPARATOR_NAMES[best]}, а колонки должны разделяться {wanted}: "
            f"сохраните файл с разделителем {wanted} или укажите delimiter в configs/import.yaml.")


def read_decisions_csv(path_or_buffer: PathOrBuffer, *, column_for_feature: dict[str, str],
                       column_for_bank: dict[str, str], id_column: str = DEFAULT_ID_COLUMN,
                       missing_values: Iterable[str] = (), delimiter: str = DELIMITER,
                       decision_date_column: str = "") -> DecisionsFile:
    """Read a historical-decisions CSV into rows keyed by feature key and bank code.

    Every column of the mappings (and decision_date_column, when given) must be in the header
    (CsvFormatError names the missing ones, and the separator found when the header is one column
    cut by another one); the id column and `<...>_p_true` columns are optional; other columns are
    ignored. Lines whose fields are all empty or markers are skipped and their numbers returned in
    empty_rows. Values stay text for the importer, except that empty fields and missing_values
    markers become None, in every column, and integers written as floats ("657.0") lose their ".0".
    """
    text = _read_text(path_or_buffer)
    markers = frozenset(str(marker).strip() for marker in missing_values)
    try:
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise CsvFormatError("Файл пуст: нет даже строки заголовка.") from None
    except pd.errors.ParserError as exc:
        name = SEPARATOR_NAMES.get(delimiter, f"«{delimiter}»")
        raise CsvFormatError(f"Файл не разобрать как CSV с разделителем {name}: {exc}"
                             f"{separator_hint(text, delimiter)}") from None
    table.columns = [str(column).strip() for column in table.columns]

    expected = [*column_for_feature.values(), *column_for_bank.values()]
    if decision_date_column:
        expected.append(decision_date_column)
    missing = [column for column in expected if column not in table.columns]
    if missing:
        hint = separator_hint(text, delimiter) if len(table.columns) == 1 else ""
        names = ", ".join(f"«{column}»" for column in missing)
        raise CsvFormatError(f"В заголовке файла нет колонок: {names}.{hint}")

    p_true_for = {code: p_true_column(column) for code, column in column_for_bank.items()
                  if p_true_column(column) in table.columns}
    known = {id_column, *expected, *p_true_for.values()}
    ignored = [column for column in table.columns if column not in known]

    rows: list[DecisionRow] = []
    empty_rows: list[int] = []
    has_id = id_column in table.columns
    for index, record in enumerate(table.to_dict("records")):
        row_number = index + 2  # line 1 is the header
        cells = {column: _field_text(value, markers) for column, value in record.items()}
        if all(value is None for value in cells.values()):
            empty_rows.append(row_number)
            continue
        decisions = {}
        for code, column in column_for_bank.items():
            value = cells[column]
            decisions[code] = value.strip().lower() if value is not None else None
        p_true = {code: value.strip() for code, column in p_true_for.items()
                  if (value := cells[column]) is not None}
        day = cells[decision_date_column] if decision_date_column else None
        rows.append(DecisionRow(
            row_number=row_number,
            answers={key: cells[column] for key, column in column_for_feature.items()},
            decisions=decisions,
            p_true=p_true,
            external_id=(cells[id_column] or "").strip() if has_id else "",
            decided_on=day.strip() if day is not None else None,
        ))
    return DecisionsFile(rows=rows, empty_rows=empty_rows, ignored_columns=ignored)
