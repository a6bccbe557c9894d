import numpy as np
import pandas as pd
import pytest

from signaldesk.metrics.derivatives import open_interest_change_7d, venue_aggregate
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
    history = {
        ("open_interest_usd", "btc"): pd.Series(np.linspace(40e9, 35.5e9, 10), index=idx),
        ("open_interest_usd", "eth"): pd.Series(np.full(10, 12e9), index=idx),
    }
    out = derive_all(history)
    assert out[("open_interest_change_7d", "btc")].iloc[-1] == pytest.approx(
        35.5 / 39.0 - 1
    )  # day 9 vs day 2 of a 0.5e9/day slide
    assert out[("open_interest_change_7d", "eth")].iloc[-1] == 0.0


# -- the cross-venue aggregates ------------------------------------------------------------------------
def _venues(days: int, **columns: list[float]) -> dict[str, pd.Series]:
    idx = pd.date_range("2026-02-18", periods=days, freq="D")
    return {f"btc.{venue}": pd.Series(values, index=idx[: len(values)]) for venue, values in columns.items()}


def test_venue_aggregate_weights_funding_by_open_interest():
    # Binance 0.0100 %/8 h on $10B, Bybit 0.0100 %/8 h on $5B, OKX −0.0080 %/8 h on $5B
    # → (0.0001·10 + 0.0001·5 − 0.00008·5) / 20 = 0.000055; OI $20B
    funding = _venues(1, binance=[0.0001], bybit=[0.0001], okx=[-0.00008])
    oi = _venues(1, binance=[10e9], bybit=[5e9], okx=[5e9])
    weighted, total = venue_aggregate(funding, oi)
    assert weighted.iloc[0] == pytest.approx(0.000055, rel=1e-12)
    assert total.iloc[0] == 20e9


def test_a_venue_missing_today_leaves_the_whole_series_over_the_others():
    # Eight days; Binance ($9B, funding 0.0003) is missing on the last one. Bybit $6B → $6.6B, OKX $4B → $4.4B.
    funding = _venues(8, binance=[0.0003] * 7, bybit=[0.0001] * 8, okx=[0.0001] * 8)
    oi = _venues(8, binance=[9e9] * 7, bybit=[6e9] * 7 + [6.6e9], okx=[4e9] * 7 + [4.4e9])
    history = {("venue_funding_rate_8h", e): s for e, s in funding.items()} | {
        ("venue_open_interest_usd", e): s for e, s in oi.items()
    }
    out = derive_all(history)
    assert out[("open_interest_usd", "btc")].tolist() == [10e9] * 7 + [11e9]
    assert out[("funding_rate_8h", "btc")].tolist() == pytest.approx([0.0001] * 8)
    assert out[("open_interest_change_7d", "btc")].iloc[-1] == pytest.approx(0.10)  # not 11 / 19 − 1 = −42 %
    assert ("venue_open_interest_usd", "btc.binance") in out  # the venue's own series stays as stored


def test_a_day_a_member_venue_lacks_is_left_empty():
    funding = _venues(3, binance=[0.0002, np.nan, 0.0002], okx=[0.0001, 0.0001, 0.0001])
    oi = _venues(3, binance=[1e9, 1e9, 1e9], okx=[1e9, 1e9, 1e9])
    weighted, total = venue_aggregate(funding, oi)
    assert list(total.index.day) == [18, 20]  # the 19th has no Binance funding: no mixed-set value
    assert weighted.tolist() == pytest.approx([0.00015, 0.00015])


def test_no_venue_gives_empty_aggregates():
    weighted, total = venue_aggregate({}, {})
    assert weighted.empty and total.empty
