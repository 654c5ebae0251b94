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


def format_money(amount) -> str:
    """8884.88 -> '8 885 ₽': whole roubles, no-break spaces."""
    return format_number(float(amount)) + NBSP + "₽"


def format_percent(share, decimals: int = 0) -> str:
    """A share 0..1 in per cent, without the sign: 0.734 -> '73'; with decimals=1, '73.4'."""
    return f"{float(share) * 100:.{decimals}f}"
