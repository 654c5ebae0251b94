"""The phrases the engine writes for the officer: one table of templates, rendered in any language.

A phrase is stored as a message, a stable id and its parameters in their own units (a share 0..1,
roubles, years), next to its Russian text: {"text": "Платёж 38 % дохода — высокая нагрузка",
"message": {"id": "payment_to_income.down", "params": {"share": 0.383}}}. The Russian text is the
template below filled in by RUSSIAN; the web side renders the same message in the active language
by handing render() its own Words (translated templates, that language's numbers), so the wording
lives only here. The templates are Russian, the source language of the translation catalogue.
"""
from __future__ import annotations

from .formatting import format_money, format_percent


def gettext_noop(text: str) -> str:
    """Marks a template for the catalogue: makemessages finds it by this name; no Django here."""
    return text


# The spaces before "%" and "мес." are no-break spaces (U+00A0) typed as such: makemessages does
# not read "\u00a0" escapes, and the catalogue must hold the very strings the code looks up.
PHRASES = {
    # One factor of an estimate, in the client's numbers (explanations.reasons_for).
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
    "field.missing.up": gettext_noop("{label}: не указано — повышает шанс"),
    "field.missing.down": gettext_noop("{label}: не указано — снижает шанс"),
    "field.up": gettext_noop("{label}: {value} — повышает шанс"),
    "field.down": gettext_noop("{label}: {value} — снижает шанс"),
    # The ends of the waterfall (explanations.waterfall).
    "model_average": gettext_noop("Средняя оценка модели"),
    "other_factors": gettext_noop("Прочие факторы"),
    # The bank's product refuses the loan (advice.term_refusals).
    "amount_above_max": gettext_noop("Сумма больше максимальной в банке ({amount})"),
    "amount_below_min": gettext_noop("Сумма меньше минимальной в банке ({amount})"),
    "term_not_offered": gettext_noop("Банк не выдаёт на {term} мес.: доступно {terms}"),
    # The recommendation (advice.recommendation).
    "send": gettext_noop("Отправьте заявку в: {banks}. Лучший шанс — {best} ({chance} %)."),
    "do_not_send": gettext_noop("Не отправляйте заявку в таком виде: ни один банк, скорее всего, её не одобрит."),
}

# How a parameter is written, by its name; any other parameter is written as it is.
FORMATS = {"share": "percent", "chance": "percent", "amount": "money", "years": "duration",
           "terms": "listing", "banks": "listing", "label": "label", "value": "value"}


class Words:
    """How a language writes a phrase's parameters. This one writes Russian, the templates' language."""

    def template(self, text: str) -> str:
        return text

    def percent(self, share: float) -> str:
        return format_percent(share)

    def money(self, amount: float) -> str:
        return format_money(amount)

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

    def label(self, text: str) -> str:
        return text

    def value(self, value) -> str:
        if isinstance(value, bool):
            return "да" if value else "нет"
        return str(value)

    def plain(self, value) -> str:
        return str(value)


RUSSIAN = Words()


def render(message: dict, words: Words = RUSSIAN) -> str:
    """The text of a message {"id", "params"} in the language of `words`."""
    params = message.get("params") or {}
    values = {name: getattr(words, FORMATS.get(name, "plain"))(value) for name, value in params.items()}
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
