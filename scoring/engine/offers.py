"""Loan offers: the annuity payment a client would pay each month, and the full cost of credit."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np


def monthly_payment(amount, annual_rate_percent, term_months):
    """Annuity payment, in the amount's currency, per month.

    amount: loan principal (roubles), scalar or array; annual_rate_percent: nominal rate, e.g. 19.9;
    term_months: number of monthly payments (> 0). Broadcasts like numpy; a zero rate means
    equal instalments.
    """
    if type(amount) in _PLAIN and type(annual_rate_percent) in _PLAIN and type(term_months) in _PLAIN:
        return annuity(float(amount), float(annual_rate_percent), float(term_months))
    amount = np.asarray(amount, dtype=float)
    term = np.asarray(term_months, dtype=float)
    rate = np.asarray(annual_rate_percent, dtype=float) / 1200.0
    with np.errstate(divide="ignore", invalid="ignore"):
        annuities = amount * rate / (1.0 - np.power(1.0 + rate, -term))
    payment = np.where(rate > 0, annuities, amount / term)
    return payment if payment.ndim else float(payment)


# Numbers monthly_payment computes without numpy (bool, numpy's own and arrays go through numpy).
_PLAIN = (int, float, Decimal)


def annuity(amount: float, annual_rate_percent: float, term_months: float) -> float:
    """monthly_payment of three floats, without numpy's cost per call (a hundred times this function's):
    the same IEEE arithmetic in the same order, so the same value, and numpy's answer where Python
    would raise (an overflow is infinite, x / 0 is ±inf, 0 / 0 is NaN)."""
    rate = annual_rate_percent / 1200.0
    if not rate > 0:
        return divide(amount, term_months)
    try:
        growth = (1.0 + rate) ** -term_months
    except OverflowError:
        growth = math.inf
    return divide(amount * rate, 1.0 - growth)


def divide(numerator: float, denominator: float) -> float:
    """numerator / denominator as numpy divides floats: by zero, ±inf (the signs' product) or NaN."""
    try:
        return numerator / denominator
    except ZeroDivisionError:
        if numerator == 0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)


def full_cost_percent(annual_rate_percent: float) -> float:
    """The full cost of credit (ПСК), % a year, of an annuity loan with no fees: the nominal rate
    compounded monthly, ((1 + r/12)^12 − 1) · 100, rounded to three decimals as Russian law
    (353-ФЗ, ст. 6) requires: 19.9 -> 21.809."""
    rate = float(annual_rate_percent) / 1200.0
    return round(((1.0 + rate) ** 12 - 1.0) * 100.0, 3)
