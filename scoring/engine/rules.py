"""Knock-out rules: a bank's hard refusals, applied before its model.

A rule names a fact (a questionnaire field, a date field as years since it, or a derived feature
such as payment_to_income), an operator and a value; when the condition holds, the bank refuses
whatever the model says, and the rule's reason is shown to the officer. A missing fact never
fires a rule. Rules evaluate on scalars and on arrays alike (for amount/term alternatives).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPERATORS = {
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal, "ne": np.not_equal,
}
SET_OPERATORS = ("in", "not_in")
OPERATOR_WORDS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠", "in": "∈", "not_in": "∉"}


@dataclass(frozen=True)
class Rule:
    field: str
    operator: str
    value: object
    reason: str

    @classmethod
    def from_dict(cls, data: dict) -> "Rule":
        """Validates as it builds: a bad rule is refused with a message, never half-applied."""
        missing = [k for k in ("field", "operator", "value") if k not in data]
        if missing:
            raise ValueError(f"правило без {', '.join(missing)}")
        operator = str(data["operator"])
        if operator not in OPERATORS and operator not in SET_OPERATORS:
            raise ValueError(f"неизвестный оператор {operator!r}: допустимы {', '.join(OPERATOR_WORDS)}")
        value = data["value"]
        if operator in SET_OPERATORS:
            if not isinstance(value, (list, tuple)) or not value:
                raise ValueError(f"для оператора {operator} нужен непустой список значений")
            value = tuple(str(v) for v in value)
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            if operator in ("eq", "ne"):
                value = str(value)
            else:
                raise ValueError(f"для оператора {operator} нужно число")
        reason = str(data.get("reason") or f"{data['field']} {OPERATOR_WORDS[operator]} {data['value']}")
        return cls(field=str(data["field"]), operator=operator, value=value, reason=reason)

    def fires(self, facts: dict, size: int | None = None) -> np.ndarray | bool:
        """True where the rule refuses. facts: name -> scalar or array (arrays of `size` rows)."""
        fact = facts.get(self.field)
        shape = () if size is None else (size,)
        if fact is None:
            return np.zeros(shape, dtype=bool) if size is not None else False
        values = np.broadcast_to(np.asarray(fact, dtype=object), shape)
        present = np.array([v is not None and not (isinstance(v, float) and np.isnan(v)) for v in values.ravel()],
                           dtype=bool).reshape(shape)
        if self.operator in SET_OPERATORS:
            inside = np.array([str(_plain(v)) in self.value for v in values.ravel()], dtype=bool).reshape(shape)
            result = present & (inside if self.operator == "in" else ~inside)
        elif isinstance(self.value, str):
            equal = np.array([str(_plain(v)) == self.value for v in values.ravel()], dtype=bool).reshape(shape)
            result = present & (equal if self.operator == "eq" else ~equal)
        else:
            numbers = np.array([_number(v) for v in values.ravel()], dtype=float).reshape(shape)
            with np.errstate(invalid="ignore"):
                result = present & ~np.isnan(numbers) & OPERATORS[self.operator](numbers, float(self.value))
        return result if size is not None else bool(result)


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def parse_rules(entries) -> list[Rule]:
    return [Rule.from_dict(e) for e in entries or ()]


def facts_for(answers: dict, derived: dict) -> dict:
    """What rules may name: the answers, with dates replaced by years since them, and derived features."""
    return {**answers, **derived}
