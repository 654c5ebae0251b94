"""Explanations in words: the factors that moved a bank's estimate, in plain Russian.

Input is one application's SHAP contributions per questionnaire field (log-odds), the answers and
the values derived from them (age, payment-to-income, ...). Output is the top factors, each with
its direction, its effect in percentage points and a short phrase quoting the client's numbers.
"""
from __future__ import annotations

import math

from .offers import format_rub as _rub

UP, DOWN = "up", "down"
MIN_CONTRIBUTION = 0.005  # log-odds; smaller effects are noise, not reasons


def _years(value: float) -> str:
    years = int(value)
    if years < 1:
        months = max(int(value * 12), 0)
        return f"{months}\u00a0мес."
    tail = years % 100
    if 11 <= tail <= 14:
        word = "лет"
    else:
        word = {1: "год", 2: "года", 3: "года", 4: "года"}.get(years % 10, "лет")
    return f"{years}\u00a0{word}"


def _share(value: float) -> str:
    return f"{value * 100:.0f}\u00a0%"


def _phrase(key: str, direction: str, answers: dict, derived: dict, label: str, shown: str) -> str:
    """A short phrase for one factor; falls back to 'label: value — повышает/снижает шанс'."""
    up = direction == UP
    value = _present(derived.get(key, answers.get(key)))
    if key == "payment_to_income" and value is not None:
        return f"Платёж {_share(value)} дохода — " + ("посильная нагрузка" if up else "высокая нагрузка")
    if key == "expense_to_income" and value is not None:
        return f"Расходы {_share(value)} дохода — " + ("небольшие" if up else "заметная нагрузка")
    if key == "free_income" and value is not None:
        return f"После платежа и расходов остаётся {_rub(value)} — " + ("запас есть" if up else "запаса мало")
    if key == "birth_date" and value is not None:
        return f"Возраст {_years(value)} — " + ("подходит банку" if up else "банк относится осторожнее")
    if key == "job_start_date":
        if value is None:
            return "Дата начала работы не указана — " + ("повышает шанс" if up else "снижает шанс")
        return f"На текущем месте работы {_years(value)} — " + (
            "стабильная занятость" if up else "недавно сменил(а) работу" if value < 1 else "снижает шанс")
    if key == "month_profit" and value is not None:
        return f"Доход {_rub(value)} в месяц — " + ("достаточный" if up else "невысокий для банка")
    if key == "month_expense" and value is not None:
        return f"Расходы {_rub(value)} в месяц — " + ("невысокие" if up else "высокие")
    if key == "loan_amount" and value is not None:
        return f"Сумма кредита {_rub(value)} — " + ("банку подходит" if up else "велика для банка")
    if key == "loan_term" and value is not None:
        return f"Срок {value}\u00a0мес. — " + ("банку подходит" if up else "банку не нравится")
    if key == "merch_code" and value is not None:
        return f"Магазин №{value}: банк одобряет его клиентов " + ("чаще" if up else "реже")
    if key == "snils":
        provided = value is True
        return ("СНИЛС указан" if provided else "СНИЛС не указан") + (" — повышает шанс" if up else " — снижает шанс")
    if key == "child_count" and value is not None:
        return f"Детей до 18 лет: {value} — " + ("повышает шанс" if up else "снижает шанс")
    if value is None or value == "":
        return f"{label}: не указано — " + ("повышает шанс" if up else "снижает шанс")
    return f"{label}: {shown} — " + ("повышает шанс" if up else "снижает шанс")


def _present(value):
    """None for a missing answer, whichever way it came (None, NaN from a data frame)."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def reasons_for(contributions: dict, answers: dict, derived: dict, *, top_n: int = 5,
                labels: dict | None = None, choice_labels: dict | None = None,
                margin: float | None = None) -> list[dict]:
    """The top_n factors by the size of their contribution.

    contributions: field or derived key -> log-odds contribution (SHAP);
    derived: readable derived values (FeatureEncoder.derived_values);
    labels: key -> the field's label; choice_labels: key -> {stored value: label};
    margin: the model's log-odds for this application, to express each effect in percentage
    points (how much lower or higher the probability would be without that factor).
    Each reason: feature, label, value, contribution, direction ('up'/'down'), effect_pp, text.
    """
    labels = labels or {}
    choice_labels = choice_labels or {}
    ranked = sorted(contributions.items(), key=lambda item: abs(item[1]), reverse=True)
    reasons = []
    for key, contribution in ranked:
        if abs(contribution) < MIN_CONTRIBUTION or len(reasons) >= top_n:
            break
        direction = UP if contribution > 0 else DOWN
        raw = _present(answers.get(key))
        shown = choice_labels.get(key, {}).get(str(raw), raw) if raw is not None else derived.get(key)
        if isinstance(shown, bool):
            shown = "да" if shown else "нет"
        label = labels.get(key, key)
        reason = {
            "feature": key,
            "label": label,
            "value": shown if not isinstance(shown, float) else round(shown, 4),
            "contribution": round(float(contribution), 4),
            "direction": direction,
            "text": _phrase(key, direction, answers, derived, label, str(shown)),
        }
        if margin is not None:
            reason["effect_pp"] = round((_sigmoid(margin) - _sigmoid(margin - contribution)) * 100, 1)
        reasons.append(reason)
    return reasons


def waterfall(base_value: float, reasons: list[dict], probability: float) -> list[dict]:
    """Steps from the model's average estimate to this application's, for a waterfall chart.

    base_value: the model's expected log-odds; reasons: as reasons_for returns them, in order;
    probability: the final estimate. Each step: text, start and end probability (0..1),
    direction. Factors outside the top reasons are one step, "Прочие факторы".
    """
    if not 0 < probability < 1:
        return []
    running = base_value
    steps = [{"text": "Средняя оценка модели", "start": 0.0, "end": _sigmoid(base_value), "direction": "base"}]
    for reason in reasons:
        if reason.get("kind") == "rule":
            continue
        after = running + reason["contribution"]
        steps.append({"text": reason["text"], "start": _sigmoid(running), "end": _sigmoid(after),
                      "direction": reason["direction"]})
        running = after
    final = math.log(probability / (1 - probability))
    if abs(final - running) >= MIN_CONTRIBUTION:
        steps.append({"text": "Прочие факторы", "start": _sigmoid(running), "end": probability,
                      "direction": UP if final > running else DOWN})
    else:  # what is left is rounding: end exactly at the estimate the officer sees
        steps[-1]["end"] = probability
    return steps
