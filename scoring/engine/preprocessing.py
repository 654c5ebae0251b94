"""From questionnaire answers to the numeric matrix the models see, and back to words.

Every field is encoded by its type, so any questionnaire works:
- number, integer: the value; an integer marked categorical (a store code) too, but the tree
  models split on it as a category (FeatureEncoder.categorical_columns);
- date: whole years between the date and the day of scoring (age for a birth date, tenure for
  a job start);
- choice: ordered numeric choices (loan terms) as numbers, other ordered ones as their rank,
  unordered ones one-hot;
- boolean: 0 / 1;
- text: normalised (case, spaces, common abbreviations) and matched to the most frequent values
  seen in training, one-hot.
Missing answers are NaN, which XGBoost treats as "unknown" rather than zero.
Named derived features (payment-to-income, ...) are declared in configuration as DerivedSpec. Those
that contain the monthly payment depend on the interest rate: an encoder trained with bank_rate=True
computes them at each bank's own rate (with_rate), older ones at REFERENCE_RATE for every bank.

The same code encodes training rows and live applications, so the two cannot drift apart.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from .dates import to_date, years_between
from .features import MAX_CATEGORY_CODE, FeatureSpec
from .offers import annuity, divide, monthly_payment

# The rate of the payment features of encoders trained before bank rates (FeatureEncoder.bank_rate
# False), for every bank alike: their models learnt each bank's tolerance at this rate, so they keep it.
REFERENCE_RATE = 20.0
FLOAT32_MAX = float(np.finfo(np.float32).max)  # derived values are held within what the models read


# --- values -----------------------------------------------------------------------------------

def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return False


def to_number(value) -> float:
    if isinstance(value, bool):
        return float(value)
    if is_missing(value):
        return math.nan
    try:
        return float(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        return math.nan


def choice_text(value) -> str | None:
    """The stored form of a choice: '12' whether it came as '12', 12 or 12.0."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def to_bool(value) -> float:
    if is_missing(value):
        return math.nan
    if isinstance(value, bool):
        return float(value)
    text = str(value).strip().lower()
    if text in {"1", "1.0", "true", "yes", "да"}:
        return 1.0
    if text in {"0", "0.0", "false", "no", "нет"}:
        return 0.0
    return math.nan


# --- free text --------------------------------------------------------------------------------

# Abbreviations loan officers type for job titles, expanded word by word.
ABBREVIATIONS = {
    "ип": "индивидуальный предприниматель",
    "инд": "индивидуальный",
    "зам": "заместитель",
    "ген": "генеральный",
    "нач": "начальник",
    "рук": "руководитель",
    "спец": "специалист",
    "ст": "старший",
    "гл": "главный",
    "вед": "ведущий",
    "мл": "младший",
}
_NON_WORD = re.compile(r"[^\w\s-]+")


def normalise_text(value) -> str:
    """'  Зам. ДИРЕКТОРА ' -> 'заместитель директора'; empty for a missing value."""
    if is_missing(value):
        return ""
    text = _NON_WORD.sub(" ", str(value).lower().replace("ё", "е"))
    words = [ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(words)


def match_vocabulary(text: str, vocabulary: list[str]) -> str | None:
    """The vocabulary entry a normalised text stands for, or None.

    Exact match first; then a truncated entry ('мене' -> 'менеджер', the most frequent entry it
    starts); then the longest entry all of whose words appear in the text
    ('старший менеджер по продажам' -> 'старший менеджер').
    """
    if not text:
        return None
    if text in vocabulary:
        return text
    if len(text) >= 3:
        for entry in vocabulary:  # most frequent first
            if entry.startswith(text):
                return entry
    words = set(text.split())
    best = None
    for entry in vocabulary:
        if set(entry.split()) <= words and (best is None or len(entry) > len(best)):
            best = entry
    return best


def learn_vocabulary(values, *, max_size: int = 30, min_share: float = 0.003, min_count: int = 5) -> list[str]:
    """The most frequent normalised values, most frequent first.

    A truncated spelling ('мене') counts towards the more frequent entry it starts ('менеджер')
    instead of becoming an entry of its own.
    """
    counts = Counter(t for t in (normalise_text(v) for v in values) if t)
    merged: Counter = Counter()
    for text, count in counts.most_common():
        target = next((entry for entry in merged if len(text) >= 3 and entry.startswith(text)), text)
        merged[target] += count
    total = sum(counts.values())
    threshold = max(min_count, min_share * total)
    return [text for text, count in merged.most_common(max_size) if count >= threshold]


# --- derived features -------------------------------------------------------------------------

DERIVED_INPUTS = {
    "monthly_payment": {"amount", "term"},
    "payment_to_income": {"amount", "term", "income"},
    "ratio": {"numerator", "denominator"},
    "free_income": {"income", "expense", "amount", "term"},
}
# The kinds that contain the annuity payment, and so depend on the interest rate.
RATE_KINDS = frozenset({"monthly_payment", "payment_to_income", "free_income"})
# How the explanations write each kind's value: an amount of money in the product's currency, or a
# share (0.38) in per cent.
DERIVED_FORMATS = {"monthly_payment": "money", "payment_to_income": "percent", "ratio": "percent",
                   "free_income": "money"}
VALUE_FORMATS = ("money", "percent", "number")


@dataclass(frozen=True)
class DerivedSpec:
    """A named feature computed from answers.

    kind: monthly_payment (amount, term) | payment_to_income (amount, term, income) |
    ratio (numerator, denominator) | free_income (income, expense, amount, term).
    inputs: the kind's argument name -> questionnaire field key.
    label, label_en: the name the explanations give it, in Russian and in English ("" = the Russian one).
    format: how the explanations write its value: "money" (the product's currency), "percent" (a share
    0..1 written in per cent) or "number"; "" means the kind's own (DERIVED_FORMATS).
    """

    key: str
    kind: str
    inputs: dict = field(default_factory=dict)
    label: str = ""
    label_en: str = ""
    format: str = ""

    @property
    def uses_rate(self) -> bool:
        """Whether the value contains the monthly payment, and so depends on the interest rate."""
        return self.kind in RATE_KINDS

    @property
    def value_format(self) -> str:
        return self.format or DERIVED_FORMATS[self.kind]

    def compute(self, values: dict, rate: float = REFERENCE_RATE) -> float:
        """The feature for one set of answers (NaN when an input is missing or out of domain);
        rate: the annual rate in per cent the payment is computed at. The same value as compute_arrays
        gives (the same float arithmetic in the same order), in plain Python: it runs for every bank
        of every application, and numpy's arrays of one cost twenty times more."""
        x = {name: to_number(values.get(source)) for name, source in self.inputs.items()}
        if self.kind == "ratio":
            value = divide(x["numerator"], _positive(x["denominator"]))
        else:
            payment = annuity(x["amount"], float(rate), _positive(x["term"]))
            if self.kind == "monthly_payment":
                value = payment
            elif self.kind == "payment_to_income":
                value = divide(payment, _positive(x["income"]))
            else:
                value = x["income"] - x["expense"] - payment
        return value if math.isnan(value) else min(max(value, -FLOAT32_MAX), FLOAT32_MAX)

    def compute_arrays(self, inputs: dict, rate: float = REFERENCE_RATE) -> np.ndarray:
        """The feature for arrays of inputs (argument name -> float array), NaN-propagating. A value past
        float32's range (a ratio over an income of 1e-45) is held at its edge: the models read float32,
        and XGBoost refuses an infinity."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.clip(self._arrays(inputs, rate), -FLOAT32_MAX, FLOAT32_MAX)

    def _arrays(self, inputs: dict, rate: float) -> np.ndarray:
        if self.kind == "ratio":
            result = inputs["numerator"] / np.where(inputs["denominator"] > 0, inputs["denominator"], np.nan)
            return np.asarray(result, dtype=float)
        term = np.where(inputs["term"] > 0, inputs["term"], np.nan)
        payment = np.asarray(monthly_payment(inputs["amount"], rate, term), dtype=float)
        if self.kind == "monthly_payment":
            return payment
        if self.kind == "payment_to_income":
            return payment / np.where(inputs["income"] > 0, inputs["income"], np.nan)
        if self.kind == "free_income":
            return inputs["income"] - inputs["expense"] - payment
        raise ValueError(f"{self.key}: unknown derived feature kind {self.kind!r}")

    def __post_init__(self):
        needed = DERIVED_INPUTS.get(self.kind)
        if needed is None:
            raise ValueError(f"{self.key}: unknown derived feature kind {self.kind!r}")
        if set(self.inputs) != needed:
            raise ValueError(f"{self.key}: a {self.kind} feature needs inputs {sorted(needed)}")
        if self.format and self.format not in VALUE_FORMATS:
            raise ValueError(f"{self.key}: format {self.format!r} is not one of {', '.join(VALUE_FORMATS)}")

    @classmethod
    def from_dict(cls, data: dict) -> "DerivedSpec":
        return cls(key=data["key"], kind=data["kind"], inputs=dict(data.get("inputs") or {}),
                   label=data.get("label", data["key"]), label_en=data.get("label_en") or "",
                   format=data.get("format") or "")


def _positive(value: float) -> float:
    """value where it is above zero, NaN elsewhere (np.where(x > 0, x, nan) of one number)."""
    return value if value > 0 else math.nan


# --- the encoder ------------------------------------------------------------------------------

# From this many records on, transform encodes field by field (vectorised) instead of row by row.
COLUMNAR_FROM = 8


def category_code(value: float) -> float:
    """A categorical field's value as XGBoost takes a category: a whole number in [0, MAX_CATEGORY_CODE],
    anything else (a fraction, a negative number, a huge one) missing."""
    if math.isnan(value) or value < 0 or value > MAX_CATEGORY_CODE or not float(value).is_integer():
        return math.nan
    return value


def category_codes(values: np.ndarray) -> np.ndarray:
    """category_code of every element."""
    bad = ~((values >= 0) & (values <= MAX_CATEGORY_CODE) & (np.floor(values) == values))
    return np.where(bad, np.nan, values)


def _memoised(function):
    """function(value) cached by value for one transform: answers repeat a lot across applications."""
    cache = {}

    def wrapped(value):
        try:
            return cache[value]
        except KeyError:
            result = cache[value] = function(value)
            return result
        except TypeError:  # an unhashable value (a list sent through the API): no caching
            return function(value)
    return wrapped


def _numeric_choices(spec: FeatureSpec) -> bool:
    try:
        [float(c) for c in spec.choices]
    except ValueError:
        return False
    return True


# The questionnaire's loan amount and term where no derived feature names them otherwise.
DEFAULT_LOAN_KEYS = ("loan_amount", "loan_term")


def loan_keys_of(inputs: Iterable[dict], default: tuple[str, str] = DEFAULT_LOAN_KEYS) -> tuple[str, str]:
    """(amount key, term key) from the derived features' `inputs` (kind argument -> field key): those
    of the first one that reads an amount and a term (the payment); default without one."""
    for named in inputs:
        if "amount" in named and "term" in named:
            return named["amount"], named["term"]
    return default


class FeatureEncoder:
    """Turns answers (dicts keyed by field key) into a float32 matrix, one column per model input.

    `columns[i]` names column i; `sources[i]` is the questionnaire field or derived feature it
    comes from, so per-column contributions can be summed back to what the officer filled in.
    bank_rate: the payment features are computed at each bank's own rate (the `rate` arguments,
    with_rate); False (encoders stored before it existed) keeps REFERENCE_RATE whatever rate is given,
    so that their models see exactly what they were trained on.
    """

    def __init__(self, specs, derived=(), vocabularies: dict | None = None, *, bank_rate: bool = False):
        self.specs = tuple(s for s in specs if s.used_by_model)
        keys = {s.key for s in self.specs}
        # A derived feature whose inputs are not all model fields cannot be computed: leave it out.
        self.derived = tuple(d for d in derived if set(d.inputs.values()) <= keys)
        self.vocabularies = {k: list(v) for k, v in (vocabularies or {}).items()}
        self.bank_rate = bool(bank_rate)
        self._build()

    def _build(self):
        columns, sources = [], []
        for spec in self.specs:
            if spec.type == "choice" and not spec.ordered:
                names = [f"{spec.key}={c}" for c in spec.choices]
            elif spec.type == "text":
                names = [f"{spec.key}={t}" for t in self.vocabularies.get(spec.key, [])]
            else:
                names = [spec.key]
            columns += names
            sources += [spec.key] * len(names)
        for d in self.derived:
            columns.append(d.key)
            sources.append(d.key)
        self.columns, self.sources = columns, sources
        first_derived = len(columns) - len(self.derived)
        # (column, DerivedSpec) of the features a bank's rate changes: none without bank_rate.
        self._rate_columns = tuple((first_derived + i, d) for i, d in enumerate(self.derived)
                                   if d.uses_rate and self.bank_rate)
        # Positions of the columns the tree models treat as category codes (FeatureSpec.categorical).
        self.categorical_columns = tuple(columns.index(s.key) for s in self.specs if s.categorical)
        self.source_keys = list(dict.fromkeys(sources))
        self._choice_index = {s.key: {c: i for i, c in enumerate(s.choices)} for s in self.specs
                              if s.type == "choice"}
        self._choice_value = {s.key: {c: (float(c) if _numeric_choices(s) else float(i))
                                      for i, c in enumerate(s.choices)}
                              for s in self.specs if s.type == "choice" and s.ordered}

    def fit(self, records) -> "FeatureEncoder":
        """Learn what depends on the data: the vocabulary of each text field."""
        for spec in self.specs:
            if spec.type == "text":
                self.vocabularies[spec.key] = learn_vocabulary(r.get(spec.key) for r in records)
        self._build()
        return self

    def effective_rate(self, rate: float | None) -> float:
        """The rate this encoder computes the payment features at for a bank lending at `rate` (% a year)."""
        return float(rate) if self.bank_rate and rate is not None else REFERENCE_RATE

    @property
    def depends_on_rate(self) -> bool:
        """Whether banks with different rates get different matrices from this encoder."""
        return bool(self._rate_columns)

    def _encode(self, record: dict, as_of: dt.date, rate: float) -> list[float]:
        row: list[float] = []
        for spec in self.specs:
            value = record.get(spec.key)
            kind = spec.type
            if kind in ("number", "integer"):
                row.append(category_code(to_number(value)) if spec.categorical else to_number(value))
            elif kind == "date":
                row.append(years_between(to_date(value), as_of))
            elif kind == "boolean":
                row.append(to_bool(value))
            elif kind == "choice":
                text = choice_text(value)
                if spec.ordered:
                    row.append(self._choice_value[spec.key].get(text, math.nan))
                else:
                    row.extend(self._one_hot(self._choice_index[spec.key].get(text), len(spec.choices),
                                             missing=text is None))
            else:  # text
                vocabulary = self.vocabularies.get(spec.key, [])
                text = normalise_text(value)
                match = match_vocabulary(text, vocabulary)
                row.extend(self._one_hot(vocabulary.index(match) if match else None, len(vocabulary),
                                         missing=not text))
        for d in self.derived:
            row.append(d.compute(record, rate))
        return row

    @staticmethod
    def _one_hot(index, size, *, missing) -> list[float]:
        if missing:
            return [math.nan] * size
        values = [0.0] * size
        if index is not None:
            values[index] = 1.0
        return values

    def transform(self, records, as_of: dt.date, rate: float | None = None) -> np.ndarray:
        """records: a sequence of answer dicts; as_of: the day of scoring (ages are counted to it);
        rate: the bank's annual rate in per cent (effective_rate: ignored without bank_rate).

        Returns (len(records), len(columns)) float32, NaN where an answer is missing. A few
        records are encoded row by row; more, field by field (the same values, much faster).
        """
        rate = self.effective_rate(rate)
        if len(records) < COLUMNAR_FROM:
            matrix = np.empty((len(records), len(self.columns)), dtype=np.float32)
            for i, record in enumerate(records):
                matrix[i] = self._encode(record, as_of, rate)
            return matrix
        return self._transform_columns(records, as_of, rate)

    def with_rate(self, X: np.ndarray, records, rate: float | None) -> np.ndarray:
        """X = transform(records, as_of) at some rate, as transform would give it at `rate`.

        Only the payment features are computed again, so that banks with different rates share the
        encoding of everything else. X itself is returned when no column depends on the rate (an
        encoder without bank_rate, or without payment features); otherwise a copy.
        """
        if not self._rate_columns:
            return X
        rate = self.effective_rate(rate)
        out = X.copy()
        numbers: dict[str, np.ndarray] = {}
        for column, d in self._rate_columns:
            inputs = {}
            for name, source in d.inputs.items():
                if source not in numbers:
                    numbers[source] = np.fromiter((to_number(r.get(source)) for r in records), dtype=np.float64,
                                                  count=len(records))
                inputs[name] = numbers[source]
            out[:, column] = d.compute_arrays(inputs, rate)
        return out

    def _transform_columns(self, records, as_of: dt.date, rate: float) -> np.ndarray:
        n = len(records)
        matrix = np.empty((n, len(self.columns)), dtype=np.float32)
        numbers: dict[str, np.ndarray] = {}  # to_number of each field, for the derived features
        col = 0
        for spec in self.specs:
            values = [record.get(spec.key) for record in records]
            kind = spec.type
            if kind in ("number", "integer"):
                numbers[spec.key] = column = np.fromiter(map(to_number, values), dtype=np.float64, count=n)
                matrix[:, col] = category_codes(column) if spec.categorical else column
                col += 1
            elif kind == "date":
                years = _memoised(lambda v: years_between(to_date(v), as_of))
                matrix[:, col] = np.fromiter(map(years, values), dtype=np.float64, count=n)
                col += 1
            elif kind == "boolean":
                matrix[:, col] = np.fromiter(map(_memoised(to_bool), values), dtype=np.float64, count=n)
                col += 1
            elif kind == "choice" and spec.ordered:
                lookup = self._choice_value[spec.key]
                matrix[:, col] = np.fromiter((lookup.get(choice_text(v), math.nan) for v in values),
                                             dtype=np.float64, count=n)
                col += 1
            else:
                if kind == "choice":
                    size, index = len(spec.choices), self._choice_index[spec.key]
                    position = _memoised(lambda v: (-2 if (t := choice_text(v)) is None else index.get(t, -1)))
                else:  # text: -2 missing, -1 not in the vocabulary
                    vocabulary = self.vocabularies.get(spec.key, [])
                    size, where = len(vocabulary), {word: i for i, word in enumerate(vocabulary)}

                    def position(v, where=where, vocabulary=vocabulary):
                        text = normalise_text(v)
                        if not text:
                            return -2
                        match = match_vocabulary(text, vocabulary)
                        return where[match] if match else -1
                    position = _memoised(position)
                positions = np.fromiter(map(position, values), dtype=np.int64, count=n)
                block = np.zeros((n, size), dtype=np.float32)
                block[positions == -2] = np.nan
                known = np.flatnonzero(positions >= 0)
                block[known, positions[known]] = 1.0
                matrix[:, col:col + size] = block
                col += size
        for d in self.derived:
            inputs = {}
            for name, source in d.inputs.items():
                if source not in numbers:
                    numbers[source] = np.fromiter((to_number(r.get(source)) for r in records),
                                                  dtype=np.float64, count=n)
                inputs[name] = numbers[source]
            matrix[:, col] = d.compute_arrays(inputs, rate)
            col += 1
        return matrix

    def transform_variants(self, record: dict, as_of: dt.date, changes: dict, rate: float | None = None,
                           base: np.ndarray | None = None) -> np.ndarray:
        """One application with some numeric answers varied: a row per variant.

        changes: field key -> array of values (all the same length), e.g. loan_amount and
        loan_term for amount/term alternatives. Only numeric and ordered numeric choice fields
        can vary; derived features are recomputed for every variant, vectorised. rate: as in
        transform; base: transform([record], as_of) when the caller has it (any rate: the payment
        features are recomputed here).
        """
        size = len(next(iter(changes.values())))
        base = self.transform([record], as_of)[0] if base is None else base
        base = self.with_rate(base[None, :], [record], rate)[0]
        matrix = np.repeat(base[None, :], size, axis=0)
        position = {name: i for i, name in enumerate(self.columns)}
        for key, values in {**changes, **self.derived_variants(record, changes, rate)}.items():
            if key not in position:
                raise ValueError(f"{key} cannot vary: it is not a numeric model input")
            matrix[:, position[key]] = np.asarray(values, dtype=np.float32)
        return matrix

    def derived_variants(self, record: dict, changes: dict, rate: float | None = None) -> dict:
        """The derived features that depend on the changed fields, as arrays per variant (rate: as in transform)."""
        size = len(next(iter(changes.values())))
        rate = self.effective_rate(rate)
        result = {}
        for d in self.derived:
            if set(d.inputs.values()) & set(changes):
                inputs = {name: (np.asarray(changes[src], dtype=float) if src in changes
                                 else np.full(size, to_number(record.get(src))))
                          for name, src in d.inputs.items()}
                result[d.key] = d.compute_arrays(inputs, rate)
        return result

    def loan_keys(self, default: tuple[str, str] = DEFAULT_LOAN_KEYS) -> tuple[str, str]:
        """(amount key, term key): the fields the configuration's payment feature reads, so that another
        lender's questionnaire may call its loan amount and term whatever it likes; default without one."""
        return loan_keys_of((d.inputs for d in self.derived), default)

    def source_matrix(self) -> np.ndarray:
        """(n_columns, n_sources) 0/1 matrix that sums column contributions per source field."""
        index = {key: j for j, key in enumerate(self.source_keys)}
        matrix = np.zeros((len(self.columns), len(self.source_keys)), dtype=np.float64)
        for i, source in enumerate(self.sources):
            matrix[i, index[source]] = 1.0
        return matrix

    def derived_values(self, record: dict, as_of: dt.date, rate: float | None = None) -> dict:
        """What the explanations quote: years for dates, derived features, in readable units; the
        payment features at the bank's `rate` as the model saw them (see transform)."""
        values = {}
        for spec in self.specs:
            if spec.type == "date":
                values[spec.key] = years_between(to_date(record.get(spec.key)), as_of)
        rate = self.effective_rate(rate)
        for d in self.derived:
            values[d.key] = d.compute(record, rate)
        return {k: v for k, v in values.items() if not math.isnan(v)}

    def to_dict(self) -> dict:
        data = {
            "specs": [s.to_dict() for s in self.specs],
            "derived": [asdict(d) for d in self.derived],
            "vocabularies": self.vocabularies,
            "columns": self.columns,
        }
        if self.bank_rate:  # absent from encoders that keep REFERENCE_RATE, as from every older one
            data["bank_rate"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureEncoder":
        encoder = cls([FeatureSpec.from_dict(s) for s in data["specs"]],
                      [DerivedSpec.from_dict(d) for d in data.get("derived", [])],
                      data.get("vocabularies"), bank_rate=bool(data.get("bank_rate", False)))
        if "columns" in data and encoder.columns != data["columns"]:
            raise ValueError("stored encoder columns do not match the rebuilt encoder")
        return encoder
