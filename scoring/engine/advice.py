"""Turning estimates into advice: product-term checks, amount/term alternatives, a recommendation.

Pure functions over plain data; the Django service hands in each bank's terms and the scorer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .offers import full_cost_percent, monthly_payment
from .phrases import Phrase
from .rules import Rule

AMOUNT_STEP = 1000
MAX_SUGGESTIONS = 3
# How much a change of term "costs" against a lower amount when ranking alternatives: one step
# of term (e.g. 12 -> 18 months) weighs like a 15 % smaller loan.
TERM_STEP_WEIGHT = 0.15


@dataclass(frozen=True)
class Affordability:
    """The product's affordability rule: the client must keep at least min_remainder (roubles a month)
    of income after expenses and the bank's payment, or every bank refuses before its model.

    income_key, expense_key: the answers holding monthly income and expenses (budget_keys); without an
    income the rule cannot be applied and refuses nothing, like a rule whose fact is missing; without an
    expense field the remainder is income minus the payment.
    """

    enabled: bool = True
    min_remainder: float = 0.0
    income_key: str | None = "month_profit"
    expense_key: str | None = "month_expense"

    def remainder(self, answers: dict, payment):
        """Income − expenses − payment (scalar or array like payment); None when income or the
        configured expense answer is missing."""
        income = _number(answers.get(self.income_key)) if self.income_key else None
        expense = _number(answers.get(self.expense_key)) if self.expense_key else 0.0
        if income is None or expense is None:
            return None
        return income - expense - (np.asarray(payment, dtype=float) if np.ndim(payment) else float(payment))

    def refuses(self, remainder):
        """True where a remainder (scalar or array; None: unknown) is below the minimum."""
        if not self.enabled or remainder is None:
            return False
        below = np.asarray(remainder) < self.min_remainder
        return below if below.ndim else bool(below)

    def refusal(self, remainder: float):
        """The phrase the officer reads for a refused loan."""
        if self.min_remainder > 0:
            return Phrase("unaffordable.minimum", amount=round(remainder), minimum=self.min_remainder)
        return Phrase("unaffordable", amount=round(remainder))


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) or isinstance(value, bool) else number


def budget_keys(derived, default: tuple[str, str] = ("month_profit", "month_expense")) -> tuple:
    """(income key, expense key) as the configuration's derived features name them: the free-income
    feature's inputs, else the payment-to-income feature's income (no expense); default without either."""
    for d in derived:
        if "income" in d.inputs and "expense" in d.inputs:
            return d.inputs["income"], d.inputs["expense"]
    for d in derived:
        if "income" in d.inputs:
            return d.inputs["income"], None
    return default


@dataclass(frozen=True)
class BankTerms:
    code: str
    name: str
    annual_rate: float
    min_amount: float
    max_amount: float
    terms: tuple[int, ...]
    threshold: float
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    affordability: Affordability | None = None  # the product's rule, the same for every bank


def term_refusals(bank: BankTerms, amount: float | None, term: int | None) -> list[Phrase]:
    """Reasons the requested loan is outside the bank's product (empty when it fits)."""
    reasons = []
    if amount is not None and amount > bank.max_amount:
        reasons.append(Phrase("amount_above_max", amount=bank.max_amount))
    if amount is not None and amount < bank.min_amount:
        reasons.append(Phrase("amount_below_min", amount=bank.min_amount))
    if term is not None and term not in bank.terms:
        reasons.append(Phrase("term_not_offered", term=term, terms=list(bank.terms)))
    return reasons


def rule_refusals(bank: BankTerms, facts: dict) -> list[str]:
    """The reasons of the bank's rules that fire, as the administrator wrote them (not translated)."""
    return [rule.reason for rule in bank.rules if rule.fires(facts)]


def affordability_refusals(bank: BankTerms, answers: dict, amount: float | None, term: int | None) -> list[Phrase]:
    """The product's affordability refusal for this bank's payment (empty when affordable or unknown)."""
    rule = bank.affordability
    if rule is None or not rule.enabled or amount is None or term is None:
        return []
    remainder = rule.remainder(answers, monthly_payment(amount, bank.annual_rate, term))
    return [rule.refusal(remainder)] if rule.refuses(remainder) else []


def offer(bank: BankTerms, amount: float | None, term: int | None) -> dict:
    """The offer for the requested amount and term ({} when either is missing): rate (% a year),
    annuity payment, total repayment and overpayment (roubles), and the full cost of credit
    (ПСК, % a year; offers.full_cost_percent)."""
    if amount is None or term is None:
        return {}
    return {"annual_rate": bank.annual_rate, "amount": amount, "term": int(term),
            **offer_cost(amount, bank.annual_rate, term)}


def offer_cost(amount: float, annual_rate: float, term: int) -> dict:
    """monthly_payment, total_repayment, overpayment and full_cost_percent of an annuity loan without
    fees: the payment rounded to kopecks, as the schedule charges it, times the term."""
    payment = round(float(monthly_payment(amount, annual_rate, term)), 2)
    total = round(payment * int(term), 2)
    return {"monthly_payment": payment, "total_repayment": total, "overpayment": round(total - float(amount), 2),
            "full_cost_percent": full_cost_percent(annual_rate)}


def candidate_grid(banks: list[BankTerms], amount: float, term: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (amount, term) worth trying: amounts from the requested one down in 1 000 ₽ steps to
    the lowest minimum, for every term any bank offers."""
    terms = sorted({t for b in banks for t in b.terms} | {term})
    top = min(amount, max(b.max_amount for b in banks))
    bottom = min(b.min_amount for b in banks)
    amounts = np.arange(np.floor(top / AMOUNT_STEP) * AMOUNT_STEP, bottom - 1, -AMOUNT_STEP)
    if top % AMOUNT_STEP:
        amounts = np.concatenate([[top], amounts])
    grid_amounts = np.tile(amounts, len(terms))
    grid_terms = np.repeat(np.array(terms, dtype=float), len(amounts))
    return grid_amounts, grid_terms


def suggestions(banks: list[BankTerms], probabilities: np.ndarray, grid_amounts: np.ndarray,
                grid_terms: np.ndarray, *, amount: float, term: int, facts: dict,
                variant_facts: dict, limit: int = MAX_SUGGESTIONS) -> dict[str, list[dict]]:
    """Up to `limit` nearest alternatives per bank that reach its threshold and pass its rules.

    probabilities: (n_variants, n_banks) for the grid, columns in `banks` order;
    variant_facts: facts that change with the variant (amount, term, payment ratios) as arrays.
    Nearest: for each term the largest amount that works, ranked by how much is given up.
    """
    all_terms = sorted({int(t) for t in grid_terms})
    step_of = {t: i for i, t in enumerate(all_terms)}
    merged = {**facts, **variant_facts}
    result = {}
    for column, bank in enumerate(banks):
        ok = (
            (probabilities[:, column] >= bank.threshold)
            & (grid_amounts >= bank.min_amount) & (grid_amounts <= bank.max_amount)
            & np.isin(grid_terms, bank.terms)
            & (grid_amounts <= amount)
            & ~((grid_amounts == amount) & (grid_terms == term))
        )
        for rule in bank.rules:
            ok &= ~rule.fires(merged, size=len(grid_amounts))
        if bank.affordability is not None:
            payments = monthly_payment(grid_amounts, bank.annual_rate, grid_terms)
            ok &= ~np.asarray(bank.affordability.refuses(bank.affordability.remainder(facts, payments)), dtype=bool)
        options = []
        for t in bank.terms:
            rows = np.flatnonzero(ok & (grid_terms == t))
            if not len(rows):
                continue
            best = rows[np.argmax(grid_amounts[rows])]
            cut = (amount - grid_amounts[best]) / amount if amount else 0.0
            distance = cut + TERM_STEP_WEIGHT * abs(step_of.get(t, 0) - step_of.get(term, 0))
            options.append((distance, best))
        options.sort()
        result[bank.code] = [
            {
                "amount": float(grid_amounts[row]),
                "term": int(grid_terms[row]),
                "probability": round(float(probabilities[row, column]), 4),
                "monthly_payment": round(float(monthly_payment(grid_amounts[row], bank.annual_rate,
                                                               grid_terms[row])), 2),
            }
            for _distance, row in options[:limit]
        ]
    return result


def recommendation(scores: list[dict]) -> dict:
    """Where to send the application.

    scores: per bank {bank, bank_name, probability, threshold, refused (bool: a rule or the
    product refuses), monthly_payment, reasons [{feature, contribution, text}], suggestions}.
    Banks are ranked by reaching their threshold, then probability, then a lower payment.
    Returns {action: 'send'|'do_not_send', ranking: [codes], banks: [codes to send to], text, message,
    reasons: [phrases] and reason_messages: [message or None, one per phrase] (do_not_send),
    suggestion: {...} (do_not_send: the best alternative)}. Messages as in engine.phrases.
    """
    def passes(s):
        return not s["refused"] and s["probability"] >= s["threshold"]

    ranked = sorted(scores, key=lambda s: (not passes(s), -s["probability"], s.get("monthly_payment") or 0))
    send = [s for s in ranked if passes(s)]
    result = {"ranking": [s["bank"] for s in ranked]}
    if send:
        text = Phrase("send", banks=[s["bank_name"] for s in send], best=send[0]["bank_name"],
                      chance=send[0]["probability"])
        return {**result, "action": "send", "banks": [s["bank"] for s in send], "text": str(text),
                "message": text.message}
    # Every bank is below its threshold: say why, in the factors that hurt across banks.
    weight: dict[str, float] = {}
    phrase: dict[str, tuple[float, dict]] = {}
    for s in scores:
        for r in s.get("reasons", []):
            if r.get("direction") == "down" or r.get("contribution", 0) < 0:
                size = abs(r.get("contribution") or 0) or 1.0
                weight[r["feature"]] = weight.get(r["feature"], 0) + size
                if size >= phrase.get(r["feature"], (0, None))[0]:
                    phrase[r["feature"]] = (size, r)
    top = sorted(weight, key=weight.get, reverse=True)[:3]
    best = None
    for s in ranked:
        for option in s.get("suggestions") or []:
            candidate = {**option, "bank": s["bank"], "bank_name": s["bank_name"]}
            if best is None or candidate["amount"] > best["amount"] or (
                    candidate["amount"] == best["amount"] and candidate["probability"] > best["probability"]):
                best = candidate
    text = Phrase("do_not_send")
    return {**result, "action": "do_not_send", "banks": [], "text": str(text), "message": text.message,
            "reasons": [phrase[f][1]["text"] for f in top],
            "reason_messages": [phrase[f][1].get("message") for f in top], "suggestion": best}


