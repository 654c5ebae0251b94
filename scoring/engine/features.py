"""Questionnaire field specifications, as the engine sees them.

The Django Feature table is the source of truth; it hands the engine plain FeatureSpec objects,
so that the engine can be tested and benchmarked without Django.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

FEATURE_TYPES = ("number", "integer", "choice", "boolean", "date", "text")
# The largest code an integer field marked categorical may hold (XGBoost keeps a bitset per split).
MAX_CATEGORY_CODE = 65_535


@dataclass(frozen=True)
class FeatureSpec:
    """One questionnaire field.

    choices: allowed stored values of a choice field, in display order (ordered=True means the
    order is meaningful, e.g. work experience bands or loan terms).
    min_value/max_value: bounds of number and integer fields, in the field's unit (roubles, months).
    min_age/max_age: for a date of birth, the allowed age in whole years on the day of scoring.
    label_en, choice_labels_en: the English label of the field and of its choices (in the same order),
    "" where none is configured.
    unit, unit_en: what the explanations write after the field's value ("мес.", "лет"; "months"); a unit
    naming the product's currency (its code or sign, or "¤") makes the value an amount of money.
    categorical: an integer field whose number names something (a store, a branch) rather than
    measures it: the tree models split on its values as categories (store 17 is not "less than"
    store 18), which a numeric column cannot express without many splits.
    """

    key: str
    type: str
    label: str = ""
    label_en: str = ""
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    ordered: bool = False
    min_value: float | None = None
    max_value: float | None = None
    min_age: int | None = None
    max_age: int | None = None
    max_length: int | None = None
    required: bool = False
    used_by_model: bool = True
    categorical: bool = False
    unit: str = ""
    unit_en: str = ""
    choice_labels_en: tuple[str, ...] = ()

    def __post_init__(self):
        if self.type not in FEATURE_TYPES:
            raise ValueError(f"{self.key}: unknown feature type {self.type!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"{self.key}: a choice field needs choices")
        if self.categorical:
            problem = categorical_problem(self.type, self.min_value, self.max_value)
            if problem:
                raise ValueError(f"{self.key}: {problem}")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["choices"] = list(self.choices)
        data["choice_labels"] = list(self.choice_labels)
        data["choice_labels_en"] = list(self.choice_labels_en)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSpec":
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["choices"] = tuple(str(c) for c in values.get("choices") or ())
        values["choice_labels"] = tuple(str(c) for c in values.get("choice_labels") or ())
        values["choice_labels_en"] = tuple(str(c) for c in values.get("choice_labels_en") or ())
        return cls(**values)


def categorical_problem(type_: str, min_value, max_value) -> str | None:
    """Why a field cannot be categorical, or None: only a whole-number code within known bounds can."""
    if type_ != "integer":
        return "only an integer field can be a categorical code"
    if min_value is None or max_value is None or min_value < 0 or max_value > MAX_CATEGORY_CODE:
        return f"a categorical code needs a minimum and a maximum between 0 and {MAX_CATEGORY_CODE}"
    return None


def parse_choices(raw: list) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Choices as written in configs/features.yaml: a plain value, or {value, label, label_en}."""
    values, labels = [], []
    for item in raw or ():
        if isinstance(item, dict):
            values.append(str(item["value"]))
            labels.append(str(item.get("label", item["value"])))
        else:
            values.append(str(item))
            labels.append(str(item))
    return tuple(values), tuple(labels)


def parse_choice_labels_en(raw: list) -> tuple[str, ...]:
    """The English labels of the choices parse_choices reads, in its order: "" where a choice has none."""
    return tuple(str(item.get("label_en") or "") if isinstance(item, dict) else "" for item in raw or ())


@dataclass(frozen=True)
class Questionnaire:
    """The ordered list of fields the models are trained on."""

    features: tuple[FeatureSpec, ...] = field(default_factory=tuple)

    def model_features(self) -> tuple[FeatureSpec, ...]:
        return tuple(f for f in self.features if f.used_by_model)

    def by_key(self) -> dict[str, FeatureSpec]:
        return {f.key: f for f in self.features}
