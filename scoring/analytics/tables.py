"""Tables: every figure on an analytics page is one, shown as HTML and downloadable as CSV.

A Table keeps raw values (shares as 0..1 floats) so the CSV holds numbers, not formatted text.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from django.http import HttpResponse

from scoring.engine.formatting import NARROW_NBSP, csv_text_cell, format_number, format_percent

# How a column's values are shown: text as is, counts with thin spaces, shares and probabilities as %.
KINDS = ("text", "count", "share", "number", "ratio")


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


def format_value(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "count":
        return format_number(int(value), "d", separator=NARROW_NBSP)
    if kind == "share":
        return f"{format_percent(value, 1)} %"
    if kind == "number":
        return format_number(float(value), separator=NARROW_NBSP)
    if kind == "ratio":
        return f"{float(value):.3f}"
    return str(value)


def csv_value(value, kind: str):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind in ("share", "ratio") or isinstance(value, float):
        return f"{float(value):.4f}"
    return csv_text_cell(value)  # an administrator's label "=HYPERLINK(...)" comes out as text


def csv_response(table: Table) -> HttpResponse:
    """The table as a UTF-8 CSV attachment (with a BOM so spreadsheet programs read Cyrillic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_text_cell(str(c.label)) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(v, c.kind) for v, c in zip(row, table.columns)])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table.key}.csv"'
    return response
