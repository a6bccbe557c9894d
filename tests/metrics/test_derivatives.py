import numpy as np
import pandas as pd
import pytest

from signaldesk.metrics.derivatives import open_interest_change_7d
from signaldesk.metrics.derive import derive_all


def test_open_interest_change_7d_by_hand():
    oi = pd.Series([40.0e9] + [39.0e9] * 6 + [35.6e9], index=pd.date_range("2026-02-18", periods=8, freq="D"))
    change = open_interest_change_7d(oi)
    assert change.iloc[-1] == pytest.approx(35.6 / 40.0 - 1)  # −0.11
    assert change.iloc[:7].isna().all()


def test_open_interest_change_uses_the_calendar_not_rows():
    oi = pd.Series([40.0e9, 38.0e9, 36.0e9], index=pd.to_datetime(["2026-02-10", "2026-02-17", "2026-02-20"]))
    change = open_interest_change_7d(oi)
    assert change.loc["2026-02-17"] == pytest.approx(-0.05)
    assert np.isnan(change.loc["2026-02-20"])  # 2026-02-13 is missing: no value, not a wrong one


def test_derivation_per_asset():
    idx = pd.date_range("2026-02-01", periods=10, freq="D")
    history = {("open_interest_usd", "btc"): pd.Series(np.linspace(40e9, 35.5e9, 10), index=idx),
               ("open_interest_usd", "eth"): pd.Series(np.full(10, 12e9), index=idx)}
    out = derive_all(history)
    assert out[("open_interest_change_7d", "btc")].iloc[-1] == pytest.approx(35.5 / 39.0 - 1)  # day 9 vs day 2 of a 0.5e9/day slide
    assert out[("open_interest_change_7d", "eth")].iloc[-1] == 0.0
