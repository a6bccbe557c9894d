"""`exactmath` agrees with the C library to the last bit or one ulp, and keeps shapes and indexes."""

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from tools.demo import exactmath

finite = st.floats(min_value=-700, max_value=700, allow_nan=False)
positive = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False)


def _ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(b) if b else abs(a - b)


def test_known_correctly_rounded_values():
    assert exactmath.exp(1.0) == math.e  # math.e is e rounded to the nearest double
    assert exactmath.log(2.0) == 0.6931471805599453  # ln 2 rounded to the nearest double (0x3FE62E42FEFA39EF)
    assert exactmath.exp(0.0) == 1.0 and exactmath.log(1.0) == 0.0 and exactmath.tanh(0.0) == 0.0
    assert exactmath.power(16.0, 0.25) == 2.0
    assert exactmath.halflife_alpha(1) == 0.5  # one half-life: the newest value weighs half


@given(finite)
def test_exp_and_tanh_within_one_ulp_of_libm(x):
    assert _ulps(exactmath.exp(x), math.exp(x)) <= 1
    assert _ulps(exactmath.tanh(x), math.tanh(x)) <= 1


@given(positive)
def test_log_within_one_ulp_of_libm_and_power_inverts_it(x):
    assert _ulps(exactmath.log(x), math.log(x)) <= 1
    assert _ulps(exactmath.power(x, 0.5), math.sqrt(x)) <= 1


@given(st.floats(min_value=0.5, max_value=5000, allow_nan=False))
def test_halflife_alpha_halves_the_weight_after_one_halflife(halflife):
    alpha = exactmath.halflife_alpha(halflife)
    assert math.isclose((1 - alpha) ** halflife, 0.5, rel_tol=1e-12)


def test_arrays_keep_their_shape_and_series_their_index():
    grid = np.array([[0.0, 1.0], [2.0, -1.0]])
    assert exactmath.exp(grid).shape == (2, 2)
    series = pd.Series([1.0, math.e], index=pd.date_range("2026-02-24", periods=2), name="close")
    logged = exactmath.log(series)
    assert logged.index.equals(series.index) and logged.name == "close"
    assert logged.tolist() == [0.0, 1.0]
    assert math.isnan(exactmath.exp(float("nan")))
