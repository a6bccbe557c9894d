import math

import numpy as np
import pandas as pd
import pytest

from signaldesk.metrics.derive import derive_all
from signaldesk.metrics.volatility import realized_vol, vol_risk_premium


def _days(n: int, start: str = "2026-02-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D")


def test_realized_vol_by_hand():
    # Closes 100, 110, 99, 108.9: log returns ln 1.1, ln 0.9, ln 1.1.
    close = pd.Series([100.0, 110.0, 99.0, 108.9], index=_days(4))
    rv = realized_vol(close, 2)
    r = [math.log(1.1), math.log(0.9), math.log(1.1)]
    # window of 2 returns: sample stdev of two numbers = |a − b| / √2
    expected = abs(r[1] - r[0]) / math.sqrt(2) * math.sqrt(365)
    assert rv.iloc[2] == pytest.approx(expected, rel=1e-12)
    assert rv.iloc[3] == pytest.approx(expected, rel=1e-12)
    assert rv.iloc[:2].isna().all()  # 2 returns need 3 closes


def test_realized_vol_of_steady_growth_is_zero_and_window_counts_returns():
    close = pd.Series(100.0 * 1.01 ** np.arange(40), index=_days(40))
    rv = realized_vol(close, 30)
    assert rv.iloc[:30].isna().all() and rv.iloc[30] == pytest.approx(0.0, abs=1e-12)


def test_realized_vol_matches_numpy_and_is_causal():
    gen = np.random.default_rng(7)
    close = pd.Series(60_000 * np.exp(np.cumsum(gen.normal(0, 0.03, 60))), index=_days(60))
    rv = realized_vol(close, 7)
    last = np.diff(np.log(close.to_numpy()))[-7:]
    assert rv.iloc[-1] == pytest.approx(np.std(last, ddof=1) * math.sqrt(365), rel=1e-12)
    # appending later days never changes an earlier value
    longer = pd.concat([close, pd.Series([1.0, 1e6], index=_days(2, "2026-04-02"))])
    pd.testing.assert_series_equal(realized_vol(longer, 7).loc[close.index], rv)


def test_realized_vol_leaves_gap_windows_empty():
    close = pd.Series([100.0, 101.0, 102.0, 103.0, 104.0], index=_days(5)).drop(_days(5)[2])
    rv = realized_vol(close, 2)
    assert rv.loc["2026-02-04":].isna().all()


def test_vol_risk_premium_aligns_on_common_days():
    iv = pd.Series([0.60, 0.58], index=_days(2, "2026-02-24"))
    rv = pd.Series([0.50, 0.52, 0.61], index=_days(3, "2026-02-23"))
    vrp = vol_risk_premium(iv, rv)
    assert list(vrp.index) == list(_days(2, "2026-02-24"))
    np.testing.assert_allclose(vrp.to_numpy(), [0.60 - 0.52, 0.58 - 0.61])


def test_derivations_registered_and_run_from_history():
    close = pd.Series(60_000 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.02, 40))), index=_days(40))
    iv = pd.Series([0.55], index=[close.index[-1]])
    out = derive_all({("price_usd", "btc"): close, ("atm_iv", "7d"): iv, ("atm_iv", "90d"): iv})
    rv7 = out[("realized_vol", "7d")]
    assert out[("vol_risk_premium", "7d")].iloc[-1] == pytest.approx(0.55 - rv7.iloc[-1])
    assert ("realized_vol", "30d") in out
    assert ("vol_risk_premium", "90d") not in out  # no 90-day realised window
