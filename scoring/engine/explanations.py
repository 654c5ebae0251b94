"""Explanations in words: the factors that moved a bank's estimate, as phrases (engine.phrases).

Input is one application's SHAP contributions per questionnaire field (log-odds), the answers and
the values derived from them (age, payment-to-income, ...). Output is the top factors, each with
its direction, its effect in percentage points and a short phrase quoting the client's numbers,
written by the field's type and unit (wording: what a questionnaire's fields tell about that).
"""
from __future__ import annotations

import math

from .phrases import Phrase, load_grade

UP, DOWN = "up", "down"
MIN_CONTRIBUTION = 0.005  # log-odds; smaller effects are noise, not reasons


# Factors with a phrase of their own: key -> (message id, parameter the value fills).
OWN_PHRASES = {
    "payment_to_income": ("payment_to_income", "share"),
    "expense_to_income": ("expense_to_income", "share"),
    "free_income": ("free_income", "amount"),
    "birth_date": ("age", "years"),
    "month_profit": ("income", "amount"),
    "month_expense": ("expense", "amount"),
    "loan_amount": ("loan_amount", "amount"),
    "loan_term": ("loan_term", "term"),
    "merch_code": ("store", "store"),
    "child_count": ("children", "count"),
}


def wording(specs=(), derived=()) -> dict:
    """How the explanations name and write each field and derived feature: reasons_for's keyword
    arguments labels, labels_en, choice_labels, choice_labels_en and formats.

    specs: FeatureSpecs; derived: DerivedSpecs. formats: key -> {"format", "unit", "unit_en"} (empty
    entries left out): numbers by the field's type ("integer", "number"; "code" for a categorical
    code), dates as "date", derived features by their format (money, percent, number).
    """
    labels, labels_en, choice_labels, choice_labels_en, formats = {}, {}, {}, {}, {}
    for spec in specs:
        labels[spec.key] = spec.label or spec.key
        if spec.label_en:
            labels_en[spec.key] = spec.label_en
        if spec.type == "choice":
            choice_labels[spec.key] = dict(zip(spec.choices, spec.choice_labels))
            english = {value: label for value, label in zip(spec.choices, spec.choice_labels_en) if label}
            if english:
                choice_labels_en[spec.key] = english
        kind = {"integer": "code" if spec.categorical else "integer", "number": "number", "date": "date"}.get(spec.type)
        if kind:
            formats[spec.key] = {name: value for name, value in
                                 (("format", kind), ("unit", spec.unit), ("unit_en", spec.unit_en)) if value}
    for d in derived:
        labels[d.key] = d.label or d.key
        if d.label_en:
            labels_en[d.key] = d.label_en
        formats[d.key] = {"format": d.value_format}
    return {"labels": labels, "labels_en": labels_en, "choice_labels": choice_labels,
            "choice_labels_en": choice_labels_en, "formats": formats}


def _phrase(key: str, direction: str, answers: dict, derived: dict, label: str, shown, context: dict) -> Phrase:
    """A short phrase for one factor; falls back to 'label: value — повышает/снижает шанс'.

    context: what the generic phrase carries beside label and value (label_en, value_en, format, unit,
    unit_en, years), see engine.phrases."""
    value = _present(derived.get(key, answers.get(key)))
    if key in OWN_PHRASES and value is not None:
        name, param = OWN_PHRASES[key]
        if param == "share":  # a load is graded by its size, on one scale (phrases.load_grade)
            return Phrase(f"{name}.{load_grade(float(value))}", **{param: value})
        if key == "free_income" and value < 0:  # nothing left: never "a small margin"
            return Phrase("free_income.short", **{param: value})
        return Phrase(f"{name}.{direction}", **{param: value})
    if key == "job_start_date":
        if value is None:
            return Phrase(f"job_start.missing.{direction}")
        return Phrase("job_start.up" if direction == UP else "job_start.recent" if value < 1 else "job_start.down",
                      years=value)
    if key == "snils":
        return Phrase(f"snils.{'given' if value is True else 'missing'}.{direction}")
    english = {"label_en": context["label_en"]} if context.get("label_en") else {}
    if value is None or value == "":
        return Phrase(f"field.missing.{direction}", label=label, **english)
    return Phrase(f"field.{direction}", label=label, value=shown, **context)


def _context(key, raw, shown, derived, labels_en, choice_labels_en, formats) -> dict:
    """The generic phrase's parameters beside label and value: English names, format and unit."""
    context = {}
    if labels_en.get(key):
        context["label_en"] = labels_en[key]
    if raw is not None and choice_labels_en.get(key, {}).get(str(raw)):
        context["value_en"] = choice_labels_en[key][str(raw)]
    written = formats.get(key) or {}
    if written.get("format") == "date":
        if raw is not None:
            context["format"] = "date"
            if key in derived:
                context["years"] = derived[key]
    elif written and isinstance(shown, (int, float)) and not isinstance(shown, bool):
        context.update(written)
    return context


def _present(value):
    """None for a missing answer, whichever way it came (None, NaN from a data frame)."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def reasons_for(contributions: dict, answers: dict, derived: dict, *, top_n: int = 5,
                labels: dict | None = None, choice_labels: dict | None = None,
                margin: float | None = None, labels_en: dict | None = None,
                choice_labels_en: dict | None = None, formats: dict | None = None) -> list[dict]:
    """The top_n factors by the size of their contribution.

    contributions: field or derived key -> log-odds contribution (SHAP);
    derived: readable derived values (FeatureEncoder.derived_values);
    labels: key -> the field's label; choice_labels: key -> {stored value: label};
    margin: the model's log-odds for this application, to express each effect in percentage
    points (how much lower or higher the probability would be without that factor);
    labels_en, choice_labels_en: the English ones, where configured; formats: key -> how its value
    is written ({"format", "unit", "unit_en"}, see wording()).
    Each reason: feature, label (and label_en when configured), value, contribution, direction
    ('up'/'down'), effect_pp, text (Russian) and message (its id and parameters, to render it in
    another language: phrases.render).
    """
    labels = labels or {}
    choice_labels = choice_labels or {}
    labels_en, choice_labels_en, formats = labels_en or {}, choice_labels_en or {}, formats or {}
    ranked = sorted(contributions.items(), key=lambda item: abs(item[1]), reverse=True)
    reasons = []
    for key, contribution in ranked:
        if abs(contribution) < MIN_CONTRIBUTION or len(reasons) >= top_n:
            break
        direction = UP if contribution > 0 else DOWN
        raw = _present(answers.get(key))
        shown = choice_labels.get(key, {}).get(str(raw), raw) if raw is not None else derived.get(key)
        label = labels.get(key, key)
        context = _context(key, raw, shown, derived, labels_en, choice_labels_en, formats)
        phrase = _phrase(key, direction, answers, derived, label, shown, context)
        if isinstance(shown, bool):
            shown = "да" if shown else "нет"
        reason = {
            "feature": key,
            "label": label,
            "value": shown if not isinstance(shown, float) else round(shown, 4),
            "contribution": round(float(contribution), 4),
            "direction": direction,
            "text": str(phrase),
            "message": phrase.message,
        }
        if labels_en.get(key):
            reason["label_en"] = labels_en[key]
        if margin is not None:
            reason["effect_pp"] = round((_sigmoid(margin) - _sigmoid(margin - contribution)) * 100, 1)
        reasons.append(reason)
    return reasons


def sequential_effects(base_value: float, reasons: list[dict], probability: float | None = None) -> None:
    """Set each model reason's effect_pp to its step from the model's average estimate, in the
    reasons' order: the numbers the waterfall draws, so that the list, the waterfall, the API and
    the print say the same. The average plus these steps plus "other factors" (the rest of the
    contributions) is the shown probability. When the shown probability is not the model's (a bank
    refusing by rule shows 0 %), the model's steps explain nothing shown: effect_pp is None.
    """
    running = base_value
    refused = any(reason.get("kind") == "rule" for reason in reasons)
    for reason in reasons:
        if reason.get("kind") == "rule":
            continue
        if refused or (probability is not None and not 0 < probability < 1):
            reason["effect_pp"] = None
            continue
        after = running + reason["contribution"]
        reason["effect_pp"] = round((_sigmoid(after) - _sigmoid(running)) * 100, 1)
        running = after


def other_factors_pp(base_value: float, reasons: list[dict], probability: float) -> float | None:
    """What the factors outside the listed reasons add, in percentage points (None when the shown
    probability is not the model's): average + listed steps + this = the shown probability."""
    if not 0 < probability < 1 or any(reason.get("kind") == "rule" for reason in reasons):
        return None
    running = base_value + sum(reason["contribution"] for reason in reasons if reason.get("kind") != "rule")
    return round((probability - _sigmoid(running)) * 100, 1)


def waterfall(base_value: float, reasons: list[dict], probability: float) -> list[dict]:
    """Steps from the model's average estimate to this application's, for a waterfall chart.

    base_value: the model's expected log-odds; reasons: as reasons_for returns them, in order;
    probability: the final estimate. Each step: text, message (when the reason has one), start and
    end probability (0..1), direction. Factors outside the top reasons are one step, "Прочие факторы".
    """
    if not 0 < probability < 1:
        return []
    running = base_value
    average = Phrase("model_average")
    steps = [{"text": str(average), "message": average.message, "start": 0.0, "end": _sigmoid(base_value),
              "direction": "base"}]
    for reason in reasons:
        if reason.get("kind") == "rule":
            continue
        after = running + reason["contribution"]
        steps.append({"text": reason["text"], "message": reason.get("message"), "start": _sigmoid(running),
                      "end": _sigmoid(after), "direction": reason["direction"]})
        running = after
    final = math.log(probability / (1 - probability))
    if abs(final - running) >= MIN_CONTRIBUTION:
        other = Phrase("other_factors")
        steps.append({"text": str(other), "message": other.message, "start": _sigmoid(running), "end": probability,
                      "direction": UP if final > running else DOWN})
    else:  # what is left is rounding: end exactly at the estimate the officer sees
        steps[-1]["end"] = probability
    return steps
