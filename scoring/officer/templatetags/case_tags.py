"""Words for the case history's plain data (scoring/services/case_history.py)."""
from django import template

from scoring.models import BankScore, Outcome
from scoring.services import phrases

register = template.Library()


@register.filter
def verdict_label(code: str) -> str:
    """'likely' → «скорее одобрит» in the active language."""
    return str(dict(BankScore.Verdict.choices).get(code, code))


@register.filter
def result_label(code: str) -> str:
    """'approved' → «одобрено» in the active language."""
    return str(dict(Outcome.Result.choices).get(code, code))


@register.filter
def scored_chance(bank: dict) -> str:
    """A scored bank's probability beside its threshold, as the bank's card shows it (phrases.chance)."""
    return phrases.chance(bank["probability"], bank["threshold"])
