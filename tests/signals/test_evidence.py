"""Forward returns, the rank IC's Newey–West interval and the deflated Sharpe ratio, against hand and library values."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from signaldesk.signals.evidence import (
    deflated_sharpe,
    expected_max_sharpe,
    forward_returns,
    probabilistic_sharpe,
    rank_ic,
)


def test_forward_return_enters_after_the_day_and_respects_gaps():
    idx = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"])
    fwd = forward_returns(pd.Series([100.0, 110.0, 121.0, 150.0], index=idx), (1,))
    assert fwd.loc["2024-01-01", "fwd_1d"] == pytest.approx(121 / 110 - 1)  # enter 01-02, exit 01-03
    assert math.isnan(fwd.loc["2024-01-02", "fwd_1d"])  # exit 01-04 is missing: no longer window
    with pytest.raises(ValueError):
        forward_returns(pd.Series([1.0], index=idx[:1]), (1,), lag=0)


def _newey_west_by_hand(x: np.ndarray, y: np.ndarray, lags: int) -> tuple[float, float]:
    """Slope of standardised ranks and its Bartlett-kernel HAC s.e., written out term by term."""
    rx = stats.rankdata(x)
    ry = stats.rankdata(y)
    u = (rx - rx.mean()) / rx.std()
    v = (ry - ry.mean()) / ry.std()
    slope = float(u @ v / (u @ u))
    e = v - v.mean() - slope * u
    g = u * e
    s = float(g @ g)
    for lag in range(1, lags + 1):
        s += 2 * (1 - lag / (lags + 1)) * float(g[lag:] @ g[:-lag])
    return slope, math.sqrt(s) / float(u @ u)


def test_rank_ic_equals_scipy_spearman_and_a_hand_newey_west_error():
    rng = np.random.default_rng(3)
    n, h = 400, 10
    shocks = rng.normal(size=n + h)
    forward = np.convolve(shocks, np.ones(h), "valid")[:n]  # overlapping h-day sums, like forward returns
    signal = 0.1 * forward + rng.normal(size=n)
    idx = pd.date_range("2021-01-01", periods=n, freq="D")
    ic = rank_ic(pd.Series(signal, index=idx), pd.Series(forward, index=idx), h)
    assert ic.ic == pytest.approx(stats.spearmanr(signal, forward).statistic, abs=1e-12)
    slope, se = _newey_west_by_hand(signal, forward, h - 1)
    assert ic.ic == pytest.approx(slope, abs=1e-12)
    assert ic.se == pytest.approx(se, rel=1e-9)
    no_lags = rank_ic(pd.Series(signal, index=idx), pd.Series(forward, index=idx), 1)
    assert ic.se > 1.1 * no_lags.se  # the overlap widens the honest interval beyond a lag-free one


def test_rank_ic_needs_pairs_and_a_varying_signal():
    idx = pd.date_range("2021-01-01", periods=100, freq="D")
    assert rank_ic(pd.Series(1.0, index=idx), pd.Series(np.arange(100.0), index=idx), 5).ic is None
    assert rank_ic(pd.Series(np.arange(10.0), index=idx[:10]), pd.Series(np.arange(10.0), index=idx[:10]), 5).ic is None


def test_expected_maximum_sharpe_by_hand():
    # N = 100, V = 0.0004: 0.02 × (0.4227843 × Φ⁻¹(0.99) + 0.5772157 × Φ⁻¹(1 − 1/(100 e)))
    #                    = 0.02 × (0.4227843 × 2.3263479 + 0.5772157 × 2.6802104) = 0.0506121
    assert expected_max_sharpe(100, 0.0004) == pytest.approx(0.0506121, abs=1e-7)
    assert expected_max_sharpe(1, 0.0004) == 0.0


def test_probabilistic_sharpe_by_hand():
    # SR 0.1 vs 0.05 over 1001 returns, normal: z = 0.05 × √1000 / √(1 + 2/4 × 0.01) = 1.577204 → Φ(z) = 0.942625
    assert probabilistic_sharpe(0.1, 0.05, 1001, 0.0, 3.0) == pytest.approx(0.942625, abs=1e-6)
    # skew −1, kurtosis 6: denominator 1 + 0.1 + 5/4 × 0.01 = 1.1125 → z = 1.499055 → 0.933071
    assert probabilistic_sharpe(0.1, 0.05, 1001, -1.0, 6.0) == pytest.approx(0.933071, abs=1e-6)


def test_deflated_sharpe_uses_the_sample_moments_and_the_trials():
    rng = np.random.default_rng(11)
    returns = rng.standard_t(5, 2000) * 0.02 + 0.001
    trials = rng.normal(0.0, 0.02, 50)
    result = deflated_sharpe(returns, trials)
    assert result.sharpe == pytest.approx(returns.mean() / returns.std(ddof=1))
    assert result.skew == pytest.approx(stats.skew(returns))
    assert result.kurtosis == pytest.approx(stats.kurtosis(returns, fisher=False))
    assert result.trials == 50 and result.trial_sharpe_variance == pytest.approx(trials.var(ddof=1))
    assert result.expected_max == pytest.approx(expected_max_sharpe(50, trials.var(ddof=1)))
    alone = deflated_sharpe(returns, [result.sharpe])
    assert alone.expected_max == 0.0 and alone.dsr > result.dsr  # more trials, a higher bar
