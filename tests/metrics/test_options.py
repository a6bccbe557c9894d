import math
import warnings

import numpy as np
import pytest

from signaldesk.metrics.options import (
    Smile,
    atm_iv,
    constant_maturity,
    forward_delta,
    interpolate_total_variance,
    iv_at_delta,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    black_greeks = pytest.importorskip("py_vollib.black.greeks.analytical")


@pytest.mark.parametrize("kind", ["c", "p"])
@pytest.mark.parametrize("strike", [40_000.0, 55_000.0, 62_900.0, 70_000.0, 95_000.0])
@pytest.mark.parametrize("t", [2 / 365, 30 / 365, 0.5])
@pytest.mark.parametrize("sigma", [0.3, 0.57, 1.2])
def test_forward_delta_matches_py_vollib_black(kind, strike, t, sigma):
    # py_vollib's Black-76 delta with r = 0 is exactly the undiscounted forward delta.
    expected = black_greeks.delta(kind, 63_000.0, strike, t, 0.0, sigma)
    assert forward_delta(63_000.0, strike, t, sigma, kind) == pytest.approx(expected, abs=1e-9)


def test_forward_delta_put_call_parity_and_vectorised():
    strikes = np.array([50_000.0, 60_000.0, 70_000.0])
    calls = forward_delta(60_000.0, strikes, 0.1, 0.6, "call")
    puts = forward_delta(60_000.0, strikes, 0.1, 0.6, "put")
    np.testing.assert_allclose(calls - puts, 1.0, atol=1e-15)
    # At K = F, d1 = σ√t/2 = 0.6·√0.1/2 = 0.0948683 → N(d1) = 0.537790
    assert calls[1] == pytest.approx(0.5377903, abs=1e-6)
    with pytest.raises(ValueError):
        forward_delta(1.0, 1.0, 1.0, 0.5, "straddle")


def test_total_variance_interpolation_by_hand():
    # w1·365 = 0.36·14 = 5.04, w2·365 = 0.25·60 = 15; at 30 d: 5.04 + 9.96·16/46 = 8.5043478
    # σ = √(8.5043478 / 30) = 0.5324268
    sigma = interpolate_total_variance(30 / 365, [14 / 365, 60 / 365], [0.6, 0.5])
    assert sigma == pytest.approx(math.sqrt((5.04 + 9.96 * 16 / 46) / 30), rel=1e-12)
    assert sigma == pytest.approx(0.5324268, abs=1e-7)
    # Not simply linear in vol (that would give 0.6 − 0.1·16/46 = 0.565217).
    assert abs(sigma - 0.565217) > 0.02


def test_total_variance_interpolation_edges():
    ts, sigmas = [7 / 365, 30 / 365], [0.7, 0.6]
    assert interpolate_total_variance(7 / 365, ts, sigmas) == pytest.approx(0.7)
    assert interpolate_total_variance(1 / 365, ts, sigmas) == 0.7  # flat before the first expiry
    assert interpolate_total_variance(90 / 365, ts, sigmas) == 0.6  # and after the last
    assert math.isnan(interpolate_total_variance(0.1, [0.1], [math.nan]))
    assert interpolate_total_variance(0.05, [0.1, 0.02], [0.5, math.nan]) == 0.5  # NaN ignored, order free


def test_iv_at_delta_by_hand_and_refuses_to_extrapolate():
    assert iv_at_delta([-0.1, -0.2, -0.3], [0.8, 0.7, 0.6], -0.25) == pytest.approx(0.65)
    assert iv_at_delta([0.4, 0.1, 0.3], [0.5, 0.56, 0.52], 0.25) == pytest.approx(0.53)
    assert math.isnan(iv_at_delta([-0.3, -0.4], [0.6, 0.58], -0.25))


def test_atm_iv_interpolates_in_log_moneyness():
    # x = ln(0.9) = −0.1053605, ln(1.1) = 0.0953102; weight = 0.1053605/0.2006707 = 0.5250415
    expected = 0.6 + (0.5 - 0.6) * (math.log(0.9) / (math.log(0.9) - math.log(1.1)))
    assert atm_iv(100.0, [90.0, 110.0], [0.6, 0.5]) == pytest.approx(expected, rel=1e-12)
    assert atm_iv(100.0, [90.0, 110.0], [0.6, 0.5]) == pytest.approx(0.5474958, abs=1e-7)
    assert atm_iv(100.0, [100.0], [0.55]) == 0.55
    assert math.isnan(atm_iv(100.0, [110.0, 120.0], [0.5, 0.5]))


def _smile(forward: float, t: float, fn) -> Smile:
    strikes = tuple(float(k) for k in range(30_000, 110_001, 1_000))
    return Smile(t, forward, strikes, tuple(fn(math.log(k / forward)) for k in strikes))


def test_skew_sign_follows_glassnode_positive_when_puts_are_richer():
    put_skewed = _smile(63_000.0, 30 / 365, lambda x: 0.57 - 0.3 * x)
    call_skewed = _smile(63_000.0, 30 / 365, lambda x: 0.57 + 0.3 * x)
    flat = _smile(63_000.0, 30 / 365, lambda x: 0.57)
    assert put_skewed.skew() > 0.02
    assert call_skewed.skew() < -0.02
    assert flat.skew() == pytest.approx(0.0, abs=1e-12)
    assert put_skewed.atm() == pytest.approx(0.57, abs=1e-3)


def test_wing_reads_the_25_delta_strike():
    # On a flat 60 % smile the 25-delta put strike solves N(d1) − 1 = −0.25 in closed form,
    # and both wings read the flat vol back.
    from scipy.stats import norm

    forward, t, sigma = 60_000.0, 30 / 365, 0.6
    d1 = norm.ppf(0.75)
    k_put = forward * math.exp(-d1 * sigma * math.sqrt(t) + 0.5 * sigma**2 * t)
    assert k_put < forward
    assert forward_delta(forward, k_put, t, sigma, "put") == pytest.approx(-0.25, abs=1e-12)
    flat = _smile(forward, t, lambda x: sigma)
    assert flat.wing("put") == pytest.approx(sigma)
    assert flat.wing("call") == pytest.approx(sigma)


def test_constant_maturity_on_one_expiry_is_that_expiry_and_interpolates_between_two():
    near = _smile(63_000.0, 7 / 365, lambda x: 0.62 - 0.2 * x)
    far = _smile(63_500.0, 60 / 365, lambda x: 0.55 - 0.1 * x)
    at_near = constant_maturity([near, far], 7)
    assert at_near.atm_iv == pytest.approx(near.atm())
    assert at_near.skew_25d == pytest.approx(near.skew())
    mid = constant_maturity([near, far], 30)
    w = near.atm() ** 2 * 7 + (far.atm() ** 2 * 60 - near.atm() ** 2 * 7) * (23 / 53)
    assert mid.atm_iv == pytest.approx(math.sqrt(w / 30), rel=1e-12)
    assert far.atm() < mid.atm_iv < near.atm()
