"""What analytics groups and filters applications by, computed once from the answers.

The store, the goods category and the cohort are stored in indexed columns of Application when it
is created (scoring.services.application_columns), so the analytics pages filter and group on columns
instead of reading the JSON answers of every application. Pure functions: no database.
"""
from __future__ import annotations

import math

from django.utils.translation import gettext_lazy as _

from scoring.engine.preprocessing import REFERENCE_RATE

# The questionnaire fields analytics reads. Another lender's questionnaire may have none of them:
# the columns then stay empty (store, category) or unknown (cohort).
STORE_KEY = "merch_code"
CATEGORY_KEY = "goods_category"
INCOME_KEY = "month_profit"
AMOUNT_KEY = "loan_amount"
TERM_KEY = "loan_term"
EMPLOYMENT_KEY = "employment_status"
CATEGORY_MAX_LENGTH = 200

# Cohort traits: monthly income, payment-to-income (annuity at the reference rate, as the model's
# derived feature) and employment. Bands are (low inclusive, high exclusive, code, name); codes are
# stable (they are stored and go into URLs), names are for people.
INCOME_BANDS = [(None, 100_000, "i0", _("доход до 100 тыс. ₽")), (100_000, 190_000, "i1", _("доход 100–190 тыс. ₽")),
                (190_000, None, "i2", _("доход от 190 тыс. ₽"))]
PTI_BANDS = [(None, 0.10, "p0", _("платёж до 10 % дохода")), (0.10, 0.25, "p1", _("платёж 10–25 % дохода")),
             (0.25, None, "p2", _("платёж от 25 % дохода"))]
EMPLOYED = ["Работаю по найму полный рабочий день/служу", "Работаю по найму неполный рабочий день"]
OWN_BUSINESS = ["Собственное дело"]
EMPLOYMENT_GROUPS = [("e0", _("по найму")), ("e1", _("собственное дело")), ("e2", _("не работает, учится, на пенсии"))]
UNKNOWN = "x"
COHORT_KEYS = ("income_band", "pti_band", "employment_group")
COHORT_MAX_LENGTH = 8


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def band(value: float | None, bands) -> str:
    """The code of the band holding value, UNKNOWN for None."""
    if value is None:
        return UNKNOWN
    for low, high, code, *_rest in bands:
        if (low is None or value >= low) and (high is None or value < high):
            return code
    return UNKNOWN


def monthly_payment(amount: float | None, term: float | None) -> float | None:
    """Annuity payment at the reference rate, or None when amount or term is missing (or the term is 0)."""
    if amount is None or term is None or term == 0:
        return None
    rate = REFERENCE_RATE / 100 / 12
    return amount * rate / (1.0 - (1 + rate) ** -term)


def employment_group(value) -> str:
    if value is None:
        return UNKNOWN
    text = str(value)
    if text in EMPLOYED:
        return "e0"
    if text in OWN_BUSINESS:
        return "e1"
    return "e2"


def cohort_traits(answers: dict) -> dict:
    """{"income_band", "pti_band", "employment_group"}: codes, UNKNOWN where an answer is missing."""
    income = _number(answers.get(INCOME_KEY))
    payment = monthly_payment(_number(answers.get(AMOUNT_KEY)), _number(answers.get(TERM_KEY)))
    pti = payment / income if payment is not None and income else None
    return {"income_band": band(income, INCOME_BANDS), "pti_band": band(pti, PTI_BANDS),
            "employment_group": employment_group(answers.get(EMPLOYMENT_KEY))}


def cohort_code(traits: dict) -> str:
    """'i1-p0-e0': the cohort's codes joined, as stored and as in the cohort's URL."""
    return "-".join(traits[key] for key in COHORT_KEYS)


def cohort_of(answers: dict) -> str:
    return cohort_code(cohort_traits(answers))


def split_cohort(code: str) -> dict:
    """{"income_band", "pti_band", "employment_group"} of a stored code (UNKNOWN for missing parts)."""
    parts = (code or "").split("-")
    return {key: parts[i] if i < len(parts) and parts[i] else UNKNOWN for i, key in enumerate(COHORT_KEYS)}


def store_of(answers: dict) -> int | None:
    """The store's code when the answer is a whole number, else None."""
    value = answers.get(STORE_KEY)
    number = _number(value)
    if number is None or not number.is_integer() or isinstance(value, str):
        return None
    return int(number) if -2**31 <= number < 2**31 else None


def category_of(answers: dict) -> str | None:
    value = answers.get(CATEGORY_KEY)
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= CATEGORY_MAX_LENGTH else None
