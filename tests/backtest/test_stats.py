import math

import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest.stats import group_stats, hit_rates, ic_table, rank_ic, spearman


def test_spearman_by_hand_with_ties():
    # ranks of y: 1, 2, 3.5, 5, 3.5; deviations (-2,-1,0,1,2) and (-2,-1,.5,2,.5): 8 / sqrt(10 * 9.5)
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert math.isnan(spearman([1, 2], [3, 4]))


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(7)
    x = rng.integers(0, 20, 500).astype(float)  # many ties
    y = 0.3 * x + rng.normal(0, 5, 500)
    x[::17] = np.nan
    keep = ~np.isnan(x)
    assert spearman(x, y) == pytest.approx(spearmanr(x[keep], y[keep]).statistic, abs=1e-12)


def test_rank_ic_is_spearman_with_a_newey_west_interval():
    idx = pd.date_range("2020-01-01", periods=300, freq="D")
    rng = np.random.default_rng(1)
    score = pd.Series(rng.normal(size=300), index=idx)
    fwd = score * 0.5 + pd.Series(rng.normal(size=300), index=idx)
    fwd.iloc[-30:] = np.nan
    result = rank_ic(score, fwd, 30)
    assert result.n == 270
    assert result.ic == pytest.approx(spearman(score[:-30], fwd[:-30]), abs=1e-12)
    assert result.ci_low < result.ic < result.ci_high
    assert result.ci_high - result.ci_low == pytest.approx(2 * 1.959964 * result.se, rel=1e-6)
    narrow = rank_ic(score, fwd, 1)  # no overlap: no lags, a plain heteroskedasticity-robust s.e.
    assert narrow.ic == result.ic and narrow.se != result.se


def _joined():
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=7, freq="D"),
            "score": [70, 75, 80, 30, 20, 50, np.nan],
            "band": ["bullish", "bullish", "bullish", "bearish", "bearish", "neutral", None],
            "fwd_7d": [0.10, -0.05, 0.20, -0.10, 0.05, 0.0, 0.3],
        }
    )


def test_band_statistics_by_hand():
    rows = {s.group: s for s in group_stats(_joined(), (7,), by="band")}
    assert list(rows) == ["bearish", "neutral", "bullish"]
    bull, bear, neutral = rows["bullish"], rows["bearish"], rows["neutral"]
    assert bull.count == 3
    assert bull.mean == pytest.approx(0.25 / 3)
    assert bull.median == pytest.approx(0.10)
    assert bull.share_up == pytest.approx(2 / 3)
    assert bull.hit_rate == pytest.approx(2 / 3)
    # mean over the six scored days = 0.2 / 6; the unscored day (0.3) is left out
    assert bull.excess_mean == pytest.approx(0.25 / 3 - 0.2 / 6)
    assert bear.mean == pytest.approx(-0.025) and bear.hit_rate == pytest.approx(0.5)
    assert neutral.hit_rate is None and neutral.share_up == 0.0


def test_overall_hit_rate_ignores_neutral_days():
    assert hit_rates(_joined(), (7,)) == {7: {"calls": 5, "hits": 3, "hit_rate": pytest.approx(0.6)}}


def test_lag_test_exposes_a_leaky_score():
    idx = pd.date_range("2020-01-01", periods=400, freq="D")
    rng = np.random.default_rng(5)
    fwd = pd.Series(rng.normal(size=400), index=idx)
    joined = pd.DataFrame({"date": idx, "score": fwd.to_numpy(), "fwd_1d": fwd.to_numpy()})
    (result,) = ic_table(joined, (1,))
    assert result.ic == pytest.approx(1.0)
    assert abs(result.ic_lag1) < 0.2
