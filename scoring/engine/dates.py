"""Dates in answers and in the historical-decisions CSV, read one way everywhere (no Django here).

An answer's date is ISO (`1988-07-21`); the legacy CSV writer adds a time part
(`1988-07-21 00:00:00.0000000`), which is ignored. The questionnaire validator refuses anything
else (parse_date raises); the encoder, drift and fairness read stored answers and take an
unreadable or missing date as unknown (to_date gives None).
"""
from __future__ import annotations

import datetime as dt
import math
import re

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]*)?\s*$")
_DOTTED_DATE = re.compile(r"^\s*(\d{1,2})([./])(\d{1,2})\2(\d{4})(?:[ T][\d:.]*)?\s*$")


def parse_date(value) -> dt.date:
    """The day of a date, a datetime or an ISO date text (a time part after it ignored); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _ISO_DATE.match(str(value))
    if not match:
        raise ValueError(f"not an ISO date: {value!r}")
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


def parse_day(value) -> dt.date:
    """A day as a lender's export writes it: parse_date's forms, or `01.05.2023` / `01/05/2023` (day
    first, the Russian and European order) with an optional time part; ValueError otherwise. The
    officer's form and the API take ISO only (parse_date); history files (answers and the
    decision-date column) are read with this wider reading."""
    match = _DOTTED_DATE.match(str(value))
    if match:
        return dt.date(int(match[4]), int(match[3]), int(match[1]))
    return parse_date(value)


def to_date(value) -> dt.date | None:
    """parse_date, or None when the value is missing (None, NaN, blank) or not a date."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def years_between(start: dt.date | None, end: dt.date) -> float:
    """Years from start to end counted as days / 365.25 (age, tenure); NaN when start is unknown."""
    if start is None:
        return math.nan
    return (end - start).days / 365.25
