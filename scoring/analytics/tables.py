"""Tables: every figure on an analytics page is one, shown as HTML and downloadable as CSV.

A Table keeps raw values (shares as 0..1 floats, aware datetimes) so the CSV holds numbers, not
formatted text; the page writes them in the active language (decimal comma in Russian) with their
unit, and dates and times in the configured time zone.
"""
from __future__ import annotations

import csv
import io
import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

from scoring.engine.formatting import csv_text_cell
from scoring.services import phrases

# How a column's values are shown: text as is, counts grouped by thousands, shares and probabilities
# as %, AUC-like ratios with three decimals, amounts in the currency, dates and times.
# "mixed": each value is a (value, kind) pair.
KINDS = ("text", "count", "share", "number", "ratio", "money", "months", "date", "datetime", "mixed")


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] | None = None  # per row, where its first cell leads (click-through)
    flags: list[bool] | None = None  # per row, highlighted (e.g. below the 0.8 ratio)
    flag_text: str = ""  # what a highlighted row is told with (the page's default: «ниже порога»)

    @property
    def empty(self) -> bool:
        return not self.rows

    def display_rows(self):
        """Rows as (cells, link, flagged), each cell (formatted text, kind)."""
        for i, row in enumerate(self.rows):
            cells = [(format_value(value, column.kind), column.kind) for value, column in zip(row, self.columns)]
            link = self.links[i] if self.links else None
            flagged = bool(self.flags[i]) if self.flags else False
            yield cells, link, flagged


def _number(value, places: int) -> str:
    return number_format(round(float(value), places), decimal_pos=places, use_l10n=True, force_grouping=True)


def format_value(value, kind: str) -> str:
    """A cell as the page shows it in the active language; a missing figure is "—", a missing text «не указано»."""
    if kind == "mixed":
        return format_value(*value)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return gettext("не указано") if kind == "text" else "—"
    if kind == "count":
        return _number(int(value), 0)
    if kind == "share":
        return phrases.percent(value, 1)
    if kind == "number":
        return _number(value, 0)
    if kind == "ratio":
        return _number(value, 3)
    if kind == "money":
        return phrases.money(value)
    if kind == "months":
        months = int(float(value))
        return ngettext("%(n)s месяц", "%(n)s месяцев", months) % {"n": months}
    if kind == "datetime":
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def csv_dialect() -> tuple[str, str]:
    """(delimiter, decimal mark) for the reader's language, so that a spreadsheet set up for it opens
    the file as columns of numbers: a Russian Excel or LibreOffice separates a list with ";" and takes
    "0,45" as a number and "0.45" as text (LibreOffice headless, checked), an English one "," and "0.45"."""
    return (";", ",") if (translation.get_language() or settings.LANGUAGE_CODE).startswith("ru") else (",", ".")


def csv_value(value, kind: str, decimal: str = "."):
    if kind == "mixed":
        return csv_value(*value, decimal)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind in ("share", "ratio") or isinstance(value, float):
        return f"{float(value):.4f}".replace(".", decimal)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")  # the configured time zone
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_text_cell(value)  # an administrator's label "=HYPERLINK(...)" comes out as text


def csv_response(table: Table) -> HttpResponse:
    """The table as a UTF-8 CSV attachment (with a BOM so spreadsheet programs read Cyrillic), its
    delimiter and decimal mark those of the reader's language (csv_dialect)."""
    delimiter, decimal = csv_dialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([csv_text_cell(str(c.label)) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(v, c.kind, decimal) for v, c in zip(row, table.columns)])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.key}.csv"'
    return response
