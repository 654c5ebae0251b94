"""Loan offers: the annuity payment a client would pay each month, and the full cost of credit."""
from __future__ import annotations

import numpy as np


def monthly_payment(amount, annual_rate_percent, term_months):
    """Annuity payment, in the amount's currency, per month.

    amount: loan principal (roubles), scalar or array; annual_rate_percent: nominal rate, e.g. 19.9;
    term_months: number of monthly payments (> 0). Broadcasts like numpy; a zero rate means
    equal instalments.
    """
    amount = np.asarray(amount, dtype=float)
    term = np.asarray(term_months, dtype=float)
    rate = np.asarray(annual_rate_percent, dtype=float) / 1200.0
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = amount * rate / (1.0 - np.power(1.0 + rate, -term))
    payment = np.where(rate > 0, annuity, amount / term)
    return payment if payment.ndim else float(payment)


def full_cost_percent(annual_rate_percent: float) -> float:
    """The full cost of credit (ПСК), % a year, of an annuity loan with no fees: the nominal rate
    compounded monthly, ((1 + r/12)^12 − 1) · 100, rounded to three decimals as Russian law
    (353-ФЗ, ст. 6) requires: 19.9 -> 21.809."""
    rate = float(annual_rate_percent) / 1200.0
    return round(((1.0 + rate) ** 12 - 1.0) * 100.0, 3)
