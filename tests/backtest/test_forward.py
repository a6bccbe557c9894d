import math

import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest.forward import forward_returns, join_forward


def _close(values, start="2024-01-01"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype=float)


def test_forward_return_enters_the_day_after_and_uses_calendar_days():
    close = _close([100, 110, 121, 133.1, 100, 50])
    fwd = forward_returns(close, horizons=(2,), lag=1)
    # as of 2024-01-01: entry close 2024-01-02 (110), exit 2024-01-04 (133.1): 133.1/110 - 1 = 0.21
    assert fwd.loc["2024-01-01", "fwd_2d"] == pytest.approx(0.21)
    # as of 2024-01-02: 100 / 121 - 1
    assert fwd.loc["2024-01-02", "fwd_2d"] == pytest.approx(100 / 121 - 1)
    # as of 2024-01-03: 50 / 133.1 - 1; the last lag + h = 3 days have no exit
    assert fwd.loc["2024-01-03", "fwd_2d"] == pytest.approx(50 / 133.1 - 1)
    assert fwd["fwd_2d"].iloc[-3:].isna().all()


def test_lag_two_and_several_horizons():
    close = _close([1, 2, 4, 8, 16, 32, 64])
    fwd = forward_returns(close, horizons=(1, 3), lag=2)
    assert list(fwd.columns) == ["fwd_1d", "fwd_3d"]
    assert fwd.loc["2024-01-01", "fwd_1d"] == pytest.approx(8 / 4 - 1)
    assert fwd.loc["2024-01-01", "fwd_3d"] == pytest.approx(32 / 4 - 1)


def test_a_gap_gives_nan_not_a_longer_window():
    close = _close([100, 110, 121, 133.1, 140]).drop(pd.Timestamp("2024-01-03"))
    fwd = forward_returns(close, horizons=(1,), lag=1)
    assert len(fwd) == 5  # calendar index restored
    assert math.isnan(fwd.loc["2024-01-01", "fwd_1d"])  # exit 2024-01-03 missing
    assert math.isnan(fwd.loc["2024-01-02", "fwd_1d"])  # entry 2024-01-03 missing
    assert fwd.loc["2024-01-03", "fwd_1d"] == pytest.approx(140 / 133.1 - 1)


def test_forward_returns_use_only_prices_after_the_as_of_day():
    rng = np.random.default_rng(3)
    close = _close(100 * np.exp(np.cumsum(rng.normal(0, 0.03, 200))))
    base = forward_returns(close, horizons=(7, 30), lag=1)
    day = pd.Timestamp("2024-03-01")
    changed = close.copy()
    changed[changed.index <= day] *= rng.uniform(0.5, 2.0, (changed.index <= day).sum())
    again = forward_returns(changed, horizons=(7, 30), lag=1)
    pd.testing.assert_series_equal(base.loc[day:, "fwd_30d"], again.loc[day:, "fwd_30d"])
    pd.testing.assert_series_equal(base.loc[day:, "fwd_7d"], again.loc[day:, "fwd_7d"])


def test_lag_zero_is_refused():
    with pytest.raises(ValueError, match="lag"):
        forward_returns(_close([1, 2, 3]), horizons=(1,), lag=0)


def test_join_forward():
    close = _close([100, 110, 121, 133.1])
    scores = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "score": [40.0, 70.0]})
    joined = join_forward(scores, forward_returns(close, horizons=(1,), lag=1))
    assert joined["fwd_1d"].tolist() == pytest.approx([0.1, 0.1])
