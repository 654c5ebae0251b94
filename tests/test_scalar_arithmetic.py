"""The payment and the derived features of one application, computed without numpy
(offers.annuity, DerivedSpec.compute), give numpy's value: what the explanations quote is what the
model saw. The same arithmetic in the same order; only the power may differ in its last bit (numpy's
own vectorised pow against the C library's), which the subtraction from 1 can make a few more, far
below what any page rounds to. Missing, zero, negative and infinite inputs give numpy's very answer."""
import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scoring.engine.offers import annuity, divide, monthly_payment
from scoring.engine.preprocessing import DerivedSpec

SPECIAL = [0.0, -0.0, -1.0, math.inf, -math.inf, math.nan]
# What a questionnaire holds: money up to a trillion, terms of whole months, a bank's rate.
money = st.one_of(st.sampled_from(SPECIAL), st.floats(min_value=-1e12, max_value=1e12),
                  st.integers(min_value=0, max_value=10**9))
terms = st.one_of(st.sampled_from(SPECIAL), st.integers(min_value=1, max_value=600))
rates = st.one_of(st.sampled_from([0.0, -5.0, math.nan, math.inf]), st.floats(min_value=0.1, max_value=500))
# Anything at all, for the cases where numpy and Python could part: overflow, zero, NaN.
anything = st.one_of(st.sampled_from(SPECIAL + [1e300, -1e300, 5e-324, 3.5e38]),
                     st.floats(allow_nan=True, allow_infinity=True))

SPECS = [
    DerivedSpec("payment", "monthly_payment", {"amount": "a", "term": "t"}),
    DerivedSpec("pti", "payment_to_income", {"amount": "a", "term": "t", "income": "i"}),
    DerivedSpec("ratio", "ratio", {"numerator": "a", "denominator": "i"}),
    DerivedSpec("free", "free_income", {"amount": "a", "term": "t", "income": "i", "expense": "e"}),
]


def same(scalar, array_value) -> bool:
    """The same value: both NaN, the same infinity, or finite and equal to 1e-9 relative (zeros of
    either sign equal)."""
    array_value = float(array_value)
    if math.isnan(array_value) or math.isinf(array_value):
        return math.isnan(scalar) if math.isnan(array_value) else scalar == array_value
    return math.isfinite(scalar) and math.isclose(scalar, array_value, rel_tol=1e-9, abs_tol=1e-300)


def kind_of(value: float) -> str:
    return "nan" if math.isnan(value) else "inf" if value == math.inf else "-inf" if value == -math.inf else "finite"


def numpy_payment(amount, rate, term) -> float:
    """monthly_payment through numpy: arrays of one take its array path."""
    return float(monthly_payment(np.array([float(amount)]), np.array([float(rate)]), np.array([float(term)]))[0])


def both_ways(spec: DerivedSpec, values: dict, rate) -> tuple[float, float]:
    """(compute's value for one application, compute_arrays' for arrays of one)."""
    arrays = {name: np.array([float(values[source])]) for name, source in spec.inputs.items()}
    with np.errstate(all="ignore"):
        expected = float(spec.compute_arrays(arrays, rate)[0])
    return spec.compute(values, rate), expected


@settings(max_examples=400, deadline=None)
@given(money, rates, terms)
def test_the_payment_of_plain_numbers_is_numpys(amount, rate, term):
    with np.errstate(all="ignore"):
        expected = numpy_payment(amount, rate, term)
    got = monthly_payment(amount, rate, term)
    assert type(got) is float
    assert same(got, expected), (amount, rate, term, got, expected)


@settings(max_examples=400, deadline=None)
@given(anything, anything, anything)
def test_the_payment_is_missing_or_infinite_where_numpys_is(amount, rate, term):
    with np.errstate(all="ignore"):
        expected = numpy_payment(amount, rate, term)
    assert kind_of(monthly_payment(amount, rate, term)) == kind_of(expected), (amount, rate, term, expected)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SPECS), money, terms, money, money, rates)
def test_a_derived_feature_of_one_application_is_the_arrays_value(spec, a, t, i, e, rate):
    got, expected = both_ways(spec, {"a": a, "t": t, "i": i, "e": e}, rate)
    assert same(got, expected), (spec.kind, a, t, i, e, rate, got, expected)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SPECS), anything, anything, anything, anything, anything)
def test_a_derived_feature_is_missing_or_held_at_float32s_edge_where_the_arrays_are(spec, a, t, i, e, rate):
    got, expected = both_ways(spec, {"a": a, "t": t, "i": i, "e": e}, rate)
    assert kind_of(got) == kind_of(expected), (spec.kind, a, t, i, e, rate, got, expected)
    if abs(expected) == np.finfo(np.float32).max:  # held at the edge: so is the scalar
        assert got == expected


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_answers_as_the_form_sends_them(spec):
    # Strings with spaces and commas, a missing income, a rate as the bank's Decimal.
    values = {"a": "150 000", "t": "12", "i": "55000,5", "e": None}
    arrays = {name: np.array([v]) for name, v in
              {"amount": 150000.0, "term": 12.0, "income": 55000.5, "numerator": 150000.0,
               "denominator": 55000.5, "expense": math.nan}.items() if name in spec.inputs}
    assert same(spec.compute(values, Decimal("19.9")), spec.compute_arrays(arrays, 19.9)[0])


def test_a_decimal_rate_and_integer_inputs_are_plain_numbers():
    assert monthly_payment(100_000, Decimal("12.0"), 12) == numpy_payment(100_000, 12.0, 12)
    assert monthly_payment(100_000, 12.0, 12) == pytest.approx(8884.88, abs=0.01)
    assert monthly_payment(120_000, 0, 12) == 10_000.0


@pytest.mark.parametrize("numerator, denominator, expected", [
    (1.0, 0.0, math.inf), (-1.0, 0.0, -math.inf), (1.0, -0.0, -math.inf), (0.0, 0.0, math.nan),
    (math.nan, 0.0, math.nan), (6.0, 3.0, 2.0)])
def test_division_by_zero_is_numpys(numerator, denominator, expected):
    with np.errstate(all="ignore"):
        assert same(divide(numerator, denominator), np.float64(numerator) / np.float64(denominator))
    assert same(divide(numerator, denominator), expected)


def test_an_overflowing_power_is_infinite_as_in_numpy():
    # (1 + r) ** 1e6 overflows: Python raises, numpy gives inf, and the payment is -0.0.
    with np.errstate(all="ignore"):
        expected = numpy_payment(100.0, 12.0, -1e6)
    assert expected == 0 and annuity(100.0, 12.0, -1e6) == 0
