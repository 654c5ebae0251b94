"""The phrases the engine writes for the officer: one table of templates, rendered in any language.

A phrase is stored as a message, a stable id and its parameters in their own units (a share 0..1,
roubles, years), next to its Russian text: {"text": "Платёж 38 % дохода — высокая нагрузка",
"message": {"id": "payment_to_income.down", "params": {"share": 0.383}}}. The Russian text is the
template below filled in by RUSSIAN; the web side renders the same message in the active language
by handing render() its own Words (translated templates, that language's numbers, the configured
currency), so the wording lives only here. The templates are Russian, the source language of the
translation catalogue.

A field's own factor ("{label}: {value} — повышает шанс") carries what another language and the
field's type need beside the Russian label and value: label_en and value_en (the English label of the
field and of the chosen value, when configured), format ("money", "percent", "integer", "number",
"code", "date"), unit and unit_en, and for a date the years since it. Messages stored before these
existed render as before.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property

from .formatting import NBSP, format_money, format_number, format_percent, format_quantity


def gettext_noop(text: str) -> str:
    """Marks a template for the catalogue: makemessages finds it by this name; no Django here."""
    return text


# The spaces before "%" and "мес." are no-break spaces (U+00A0) typed as such: makemessages does
# not read "\u00a0" escapes, and the catalogue must hold the very strings the code looks up.
PHRASES = {
    # One factor of an estimate, in the client's numbers (explanations.reasons_for).
    # A share of income is graded by its size (load_grade), on one scale for payments and expenses,
    # whichever way the model took it; .up and .down are the wordings stored before the grades.
    "payment_to_income.low": gettext_noop("Платёж {share} % дохода — небольшая нагрузка"),
    "payment_to_income.moderate": gettext_noop("Платёж {share} % дохода — заметная нагрузка"),
    "payment_to_income.high": gettext_noop("Платёж {share} % дохода — высокая нагрузка"),
    "expense_to_income.low": gettext_noop("Расходы {share} % дохода — небольшая нагрузка"),
    "expense_to_income.moderate": gettext_noop("Расходы {share} % дохода — заметная нагрузка"),
    "expense_to_income.high": gettext_noop("Расходы {share} % дохода — высокая нагрузка"),
    "free_income.short": gettext_noop("После платежа и расходов остаётся {amount} — денег не хватает"),
    "payment_to_income.up": gettext_noop("Платёж {share} % дохода — посильная нагрузка"),
    "payment_to_income.down": gettext_noop("Платёж {share} % дохода — высокая нагрузка"),
    "expense_to_income.up": gettext_noop("Расходы {share} % дохода — небольшие"),
    "expense_to_income.down": gettext_noop("Расходы {share} % дохода — заметная нагрузка"),
    "free_income.up": gettext_noop("После платежа и расходов остаётся {amount} — запас есть"),
    "free_income.down": gettext_noop("После платежа и расходов остаётся {amount} — запаса мало"),
    "age.up": gettext_noop("Возраст {years} — подходит банку"),
    "age.down": gettext_noop("Возраст {years} — банк относится осторожнее"),
    "job_start.missing.up": gettext_noop("Дата начала работы не указана — повышает шанс"),
    "job_start.missing.down": gettext_noop("Дата начала работы не указана — снижает шанс"),
    "job_start.up": gettext_noop("На текущем месте работы {years} — стабильная занятость"),
    "job_start.recent": gettext_noop("На текущем месте работы {years} — недавно сменил(а) работу"),
    "job_start.down": gettext_noop("На текущем месте работы {years} — снижает шанс"),
    "income.up": gettext_noop("Доход {amount} в месяц — достаточный"),
    "income.down": gettext_noop("Доход {amount} в месяц — невысокий для банка"),
    "expense.up": gettext_noop("Расходы {amount} в месяц — невысокие"),
    "expense.down": gettext_noop("Расходы {amount} в месяц — высокие"),
    "loan_amount.up": gettext_noop("Сумма кредита {amount} — банку подходит"),
    "loan_amount.down": gettext_noop("Сумма кредита {amount} — велика для банка"),
    "loan_term.up": gettext_noop("Срок {term} мес. — банку подходит"),
    "loan_term.down": gettext_noop("Срок {term} мес. — банку не нравится"),
    "store.up": gettext_noop("Магазин №{store}: банк одобряет его клиентов чаще"),
    "store.down": gettext_noop("Магазин №{store}: банк одобряет его клиентов реже"),
    "snils.given.up": gettext_noop("СНИЛС указан — повышает шанс"),
    "snils.given.down": gettext_noop("СНИЛС указан — снижает шанс"),
    "snils.missing.up": gettext_noop("СНИЛС не указан — повышает шанс"),
    "snils.missing.down": gettext_noop("СНИЛС не указан — снижает шанс"),
    "children.up": gettext_noop("Детей до 18 лет: {count} — повышает шанс"),
    "children.down": gettext_noop("Детей до 18 лет: {count} — снижает шанс"),
    # «нет ответа» reads right after any label; «не указано» did not agree with it («Должность: не указано»).
    "field.missing.up": gettext_noop("{label}: нет ответа — повышает шанс"),
    "field.missing.down": gettext_noop("{label}: нет ответа — снижает шанс"),
    "field.up": gettext_noop("{label}: {value} — повышает шанс"),
    "field.down": gettext_noop("{label}: {value} — снижает шанс"),
    # The ends of the waterfall (explanations.waterfall).
    "model_average": gettext_noop("Средняя оценка модели"),
    "other_factors": gettext_noop("Прочие факторы"),
    # The bank's product refuses the loan (advice.term_refusals).
    "amount_above_max": gettext_noop("Сумма больше максимальной в банке ({amount})"),
    "amount_below_min": gettext_noop("Сумма меньше минимальной в банке ({amount})"),
    "term_not_offered": gettext_noop("Банк не выдаёт на {term} мес.: доступно {terms}"),
    # The product's affordability rule refuses the loan (advice.affordability_refusals).
    "unaffordable": gettext_noop("После платежа и расходов остаётся {amount}: клиент не сможет платить"),
    "unaffordable.minimum": gettext_noop(
        "После платежа и расходов остаётся {amount}, меньше необходимых {minimum}: клиент не сможет платить"),
    # The recommendation (advice.recommendation).
    "send": gettext_noop("Отправьте заявку в: {banks}. Лучший шанс — {best} ({chance} %)."),
    "do_not_send": gettext_noop("Не отправляйте заявку в таком виде: ни один банк, скорее всего, её не одобрит."),
}

# How a parameter is written, by its name; any other parameter is written as it is. The field's
# label and value are written knowing the message's other parameters (Words.label, Words.value).
FORMATS = {"share": "percent", "chance": "percent", "amount": "money", "minimum": "money", "years": "duration",
           "terms": "listing", "banks": "listing", "label": "label", "value": "value"}
# The parameters that only inform how "label" and "value" are written: not written themselves.
CONTEXT_PARAMS = ("label_en", "value_en", "format", "unit", "unit_en")

# The grades of a share of income (payment or expenses): below 30 % low, below 50 % noticeable, else
# high; one scale, so that a 25 % payment never reads heavier than 87 % expenses.
LOAD_GRADES = ((0.30, "low"), (0.50, "moderate"))


def load_grade(share: float) -> str:
    """'low', 'moderate' or 'high' for a share of income (0..1)."""
    return next((grade for limit, grade in LOAD_GRADES if share < limit), "high")


# The product's currency when none is configured (services.product_config.currency gives the configured one).
DEFAULT_CURRENCY = {"code": "RUB", "symbol": "₽", "symbol_en": "RUB"}
# A field unit that says "an amount in the product's currency", whatever the currency is.
CURRENCY_UNIT = "¤"


class Words:
    """How a language writes a phrase's parameters. This one writes Russian, the templates' language.

    currency: {"code", "symbol", "symbol_en"} the amounts are in (DEFAULT_CURRENCY when None).
    """

    def __init__(self, currency: dict | None = None):
        self._currency = {**DEFAULT_CURRENCY, **(currency or {})}

    @property
    def currency(self) -> dict:
        return self._currency

    @cached_property
    def _money_units(self) -> set[str]:
        code, symbol, symbol_en = (str(self.currency[k]).strip() for k in ("code", "symbol", "symbol_en"))
        markers = {CURRENCY_UNIT, code, symbol, symbol_en}
        if code.upper() == "RUB":
            markers |= {"руб.", "руб", "р."}
        return {m.lower() for m in markers if m}

    def template(self, text: str) -> str:
        return text

    def percent(self, share: float) -> str:
        return format_percent(share)

    def percentage(self, share: float) -> str:
        """A share written with its sign, as a value on its own: 0.383 -> '38 %'."""
        return f"{self.percent(share)}{NBSP}%"

    def money(self, amount: float) -> str:
        return format_money(amount, self.currency["symbol"])

    def number(self, number: float) -> str:
        """A measured number without a float's noise (formatting.format_quantity)."""
        return format_quantity(number)

    def date(self, value: dt.date) -> str:
        return value.strftime("%d.%m.%Y")

    def unit(self, params: dict) -> str:
        """The unit written after a value in this language ("" for none)."""
        return params.get("unit") or ""

    def is_money(self, unit: str) -> bool:
        """Whether a field's unit names the product's currency (its code, its sign, or "¤")."""
        return bool(unit) and unit.strip().lower() in self._money_units

    def duration(self, years: float) -> str:
        whole = int(years)
        if whole < 1:
            return f"{max(int(years * 12), 0)}\u00a0мес."
        if 11 <= whole % 100 <= 14:
            word = "лет"
        else:
            word = {1: "год", 2: "года", 3: "года", 4: "года"}.get(whole % 10, "лет")
        return f"{whole}\u00a0{word}"

    def listing(self, items) -> str:
        return ", ".join(map(str, items))

    def label(self, text: str, params: dict | None = None) -> str:
        return text

    def value(self, value, params: dict | None = None) -> str:
        """A field's value: yes/no, a choice's label, or a number by the field's format and unit."""
        params = params or {}
        if isinstance(value, bool):
            return "да" if value else "нет"
        kind = params.get("format")
        if kind == "date":
            return self._date_value(value, params)
        if isinstance(value, str):
            return self.choice(value, params)
        if not kind and isinstance(value, float):  # stored before formats: still no float's noise
            return self.number(value)
        if not kind or not isinstance(value, (int, float)):
            return str(value)
        unit = self.unit(params)
        if kind == "money" or self.is_money(params.get("unit") or ""):
            return self.money(value)
        if kind == "percent":
            return self.percentage(value)
        if kind == "code":  # a store or branch code: a name, not a quantity
            written = format_number(value, ".0f", separator="") if float(value).is_integer() else str(value)
        else:
            written = self.number(value)
        return f"{written}{NBSP}{unit}" if unit else written

    def choice(self, value: str, params: dict) -> str:
        """A choice's label (or a free-text answer) as stored: the Russian one."""
        return value

    def _date_value(self, value, params: dict) -> str:
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        years = params.get("years")
        return self.date(day) if years is None else f"{self.date(day)} ({self.duration(years)})"

    def plain(self, value) -> str:
        return str(value)


RUSSIAN = Words()


def render(message: dict, words: Words = RUSSIAN) -> str:
    """The text of a message {"id", "params"} in the language of `words`."""
    params = message.get("params") or {}
    values = {}
    for name, value in params.items():
        if name in CONTEXT_PARAMS:
            continue
        method = FORMATS.get(name, "plain")
        if method in ("label", "value"):
            values[name] = getattr(words, method)(value, params)
        else:
            values[name] = getattr(words, method)(value)
    return words.template(PHRASES[message["id"]]).format(**values)


def _json(value):
    """Parameters go into JSON: numpy scalars become Python ones, lists and tuples plain lists."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


class Phrase(str):
    """A phrase's Russian text that keeps its message, so whoever stores the text can store both."""

    message: dict

    def __new__(cls, id: str, **params):
        message = {"id": id, "params": {name: _json(value) for name, value in params.items()}}
        phrase = super().__new__(cls, render(message))
        phrase.message = message
        return phrase
