"""Numbers written as text without Django: the one plain formatter.

Pages and the API write money and percentages in the active language through
scoring.services.phrases (Django's number_format and the locale: '8 885 ₽', 'RUB 8,885'); that is
the only place the web side formats them. This module is what writes numbers when no language is
given: the engine's Russian phrases (phrases.RUSSIAN), and the texts that read the same in every
language — validation bounds ('не больше 1 000 000'), a model's training_data ('imported: 2 000
rows'), analytics table cells, chart labels and bin bounds.
"""
from __future__ import annotations

NBSP = "\u00a0"  # no-break space: Russian thousands separator, and between an amount and "₽"
NARROW_NBSP = "\u202f"  # narrow no-break space: thousands in analytics tables


def format_number(number, spec: str = ".0f", *, separator: str = NBSP) -> str:
    """`number` written by Python's format `spec` (without the grouping comma), thousands grouped by `separator`.

    format_number(8884.88) -> '8 885' (a no-break space); format_number(2000, "d", separator=" ") -> '2 000';
    format_number(1234.5, "", separator=" ") -> '1 234.5' (as str() writes it); ".4g": four significant digits.
    """
    return format(number, "," + spec).replace(",", separator)


def format_money(amount, symbol: str = "₽") -> str:
    """8884.88 -> '8 885 ₽': whole units of the currency, no-break spaces, its sign after the amount."""
    return format_number(float(amount)) + NBSP + symbol


def quantity_decimals(number: float) -> int:
    """How many decimals format_quantity writes before dropping trailing zeros."""
    magnitude = abs(number)
    return 0 if magnitude >= 100 or float(number).is_integer() else 2 if magnitude >= 1 else 3


def format_quantity(value, *, decimal: str = ",", separator: str = NBSP) -> str:
    """A measured number as a person writes it, without a float's noise: 1234567 -> '1 234 567',
    209.40656 -> '209', 3.14159 -> '3,14', 0.04567 -> '0,046' (Russian: a decimal comma).

    Whole numbers are grouped by thousands; others keep two decimals from 1 on, three below, and
    none from 100 on, trailing zeros dropped.
    """
    number = float(value)
    decimals = quantity_decimals(number)
    text = format_number(number, f".{decimals}f", separator=separator)
    if decimals:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", decimal)


def format_percent(share, decimals: int = 0) -> str:
    """A share 0..1 in per cent, without the sign: 0.734 -> '73'; with decimals=1, '73.4'."""
    return f"{float(share) * 100:.{decimals}f}"


# A cell starting with one of these is a formula to a spreadsheet program (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text_cell(value):
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

