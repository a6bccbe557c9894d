"""Cross-market metrics checked by hand (baskets across non-trading days, z-score) and against numpy."""

import math

import numpy as np
import pandas as pd
import pytest

from signaldesk.metrics.crossmarket import (
    DEFAULT_EFFICIENCY_J_PER_TH,
    DEFAULT_HOSTING_USD_PER_KWH,
    basket_return,
    calendar_closes,
    correlation,
    divergence_z,
    miner_assumptions,
    miner_revenue_usd_per_mw_day,
    session_returns,
    universe,
)
from signaldesk.metrics.derive import derive_all

# Two weeks of sessions, Presidents' Day (Mon 16 Feb 2026) closed.
SESSIONS = pd.to_datetime(
    [
        "2026-02-02",
        "2026-02-03",
        "2026-02-04",
        "2026-02-05",
        "2026-02-06",
        "2026-02-09",
        "2026-02-10",
        "2026-02-11",
        "2026-02-12",
        "2026-02-13",
        "2026-02-17",
        "2026-02-18",
    ]
)
A = pd.Series([100, 101, 102, 103, 104, 105, 106, 107, 108, 110, 111, 112], index=SESSIONS, dtype=float)
B = pd.Series([50, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62], index=SESSIONS, dtype=float)


@pytest.fixture
def config(write_config):
    return write_config


def test_weekends_and_holidays_carry_friday_close():
    cal = calendar_closes({"A": A, "B": B})
    assert len(cal) == 17  # every calendar day from 2 to 18 February
    assert cal.loc["2026-02-14", "A"] == 110 and cal.loc["2026-02-16", "B"] == 60


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Sunday: A 110 (Fri 13) / 104 (Sun 8 ← Fri 6); B 60 / 54
        ("2026-02-15", ((110 / 104 - 1) + (60 / 54 - 1)) / 2),
        # the holiday Monday: Friday's closes against Monday 9's
        ("2026-02-16", ((110 / 105 - 1) + (60 / 55 - 1)) / 2),
        # Tuesday after the holiday: 111 / 106 and 61 / 56
        ("2026-02-17", ((111 / 106 - 1) + (61 / 56 - 1)) / 2),
    ],
)
def test_seven_day_basket_return_across_non_trading_days(day, expected):
    returns = basket_return(calendar_closes({"A": A, "B": B}), 7)
    assert returns[day] == pytest.approx(expected, abs=1e-12)


def test_a_ticker_that_stops_answering_drops_out_after_four_days():
    c = A[:5] * 2  # last close Friday 6 February
    cal = calendar_closes({"A": A, "C": c})
    assert cal.loc["2026-02-10", "C"] == 208 and math.isnan(cal.loc["2026-02-11", "C"])
    returns = basket_return(cal, 7, members=2)
    assert returns["2026-02-11"] == pytest.approx(107 / 102 - 1)  # C left out, A alone is half of two
    assert "2026-02-11" not in basket_return(cal, 7, members=3)  # one of three is not enough


def test_calendar_extends_to_the_crypto_day():
    cal = calendar_closes({"A": A}, end=pd.Timestamp("2026-02-21"))
    assert cal.index[-1] == pd.Timestamp("2026-02-21") and cal.loc["2026-02-21", "A"] == 112


def _btc(values_by_day: dict[str, float]) -> pd.Series:
    return pd.Series(values_by_day).rename(index=pd.Timestamp).sort_index()


def test_correlation_pairs_returns_over_the_same_interval_and_cross_checks_with_numpy():
    gen = np.random.default_rng(7)
    days = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    btc = pd.Series(60_000 * np.exp(np.cumsum(gen.normal(0, 0.03, len(days)))), index=days)
    sessions = days[days.day_of_week < 5]
    stock = pd.Series(100 * np.exp(np.cumsum(gen.normal(0, 0.02, len(sessions)))), index=sessions)
    basket = session_returns({"S": stock})
    corr = correlation(basket, btc, window_days=30, min_pairs=10)
    day = pd.Timestamp("2026-03-31")
    # by hand: BTC sampled on session days, so Monday's BTC return runs from Friday, like the stock's
    in_window = sessions[(sessions > day - pd.Timedelta(days=30)) & (sessions <= day)]
    stock_r = stock.pct_change()[in_window]
    btc_r = btc[sessions].pct_change()[in_window]
    assert corr[day] == pytest.approx(np.corrcoef(stock_r, btc_r)[0, 1], abs=1e-12)
    # pairing Monday's stock return with BTC's Sunday→Monday return would give another number
    wrong = btc.pct_change()[in_window]
    assert abs(np.corrcoef(stock_r, wrong)[0, 1] - corr[day]) > 1e-3


def test_correlation_needs_enough_pairs():
    sessions = SESSIONS
    btc = pd.Series(np.linspace(60_000, 65_000, 17), index=pd.date_range("2026-02-02", periods=17, freq="D"))
    corr = correlation(session_returns({"A": A, "B": B}), btc, window_days=90, min_pairs=11)
    assert corr.index.min() == sessions[-1]  # the eleventh return is on the last session


def test_divergence_z_by_hand():
    days = pd.date_range("2026-01-01", periods=6, freq="D")
    gap = pd.Series([0.01, 0.03, 0.02, 0.04, 0.00, 0.10], index=days)
    z = divergence_z(gap, window_days=5, min_days=3)
    # day 6 against days 1–5: mean 0.02, sample std sqrt(((−.01)²+.01²+0+.02²+(−.02)²)/4) = sqrt(2.5e-4)
    assert z[days[5]] == pytest.approx((0.10 - 0.02) / math.sqrt(2.5e-4))
    # day 4 against days 1–3: mean 0.02, std 0.01
    assert z[days[3]] == pytest.approx((0.04 - 0.02) / 0.01)
    assert days[2] not in z.index  # only two days of history before day 3
    # causal: changing the last day leaves every earlier z untouched
    changed = divergence_z(gap.where(gap.index != days[5], -1.0), window_days=5, min_days=3)
    pd.testing.assert_series_equal(changed[:-1], z[:-1])


def test_divergence_z_is_undefined_on_a_flat_history():
    gap = pd.Series([0.05] * 5 + [0.2], index=pd.date_range("2026-01-01", periods=6, freq="D"))
    assert divergence_z(gap, window_days=5, min_days=3).empty


def test_derivation_wires_baskets_gap_and_miners(config):
    config('[equities]\nai = ["A", "B"]\nminers = ["M"]\netfs = ["SMH"]\n')
    days = pd.date_range("2026-01-01", "2026-02-18", freq="D")
    btc = pd.Series(np.linspace(100.0, 80.0, len(days)), index=days)
    sessions = days[days.day_of_week < 5]
    ramp = pd.Series(np.linspace(10.0, 12.0, len(sessions)), index=sessions)
    history = {
        ("price_usd", "btc"): btc,
        ("equity_close_usd", "A"): ramp,
        ("equity_close_usd", "B"): ramp * 2,
        ("equity_close_usd", "M"): ramp[::-1].set_axis(sessions),
        ("equity_close_usd", "SMH"): ramp * 3,
    }
    out = derive_all(history)
    day = pd.Timestamp("2026-02-18")
    btc_30 = btc[day] / btc[day - pd.Timedelta(days=30)] - 1
    ai_30 = ramp[day] / ramp.reindex(days).ffill()[day - pd.Timedelta(days=30)] - 1
    assert out[("basket_return_30d", "btc")][day] == pytest.approx(btc_30)
    assert out[("basket_return_30d", "ai")][day] == pytest.approx(ai_30)  # A and B move alike
    assert out[("basket_return_30d", "SMH")][day] == pytest.approx(ai_30)
    assert out[("miners_vs_btc_30d", "")][day] == pytest.approx(out[("basket_return_30d", "miners")][day] - btc_30)
    assert ("ai_crypto_divergence_z", "") not in out  # fewer than 180 days of gap history


def test_universe_groups_from_config(config):
    config('[equities]\nai = ["nvda", "NVDA", "bad ticker", "AMD"]\n')
    groups = universe()
    assert groups["ai"] == ("NVDA", "AMD")
    assert groups["miners"][0] == "MARA" and groups["etfs"] == ("SMH", "BOTZ", "AIQ")


def test_miner_economics_by_hand(config):
    # 1 MW at 20 J/TH = 50 PH/s; at $35/PH/day that is $1,750/MW/day. Hosting $0.16/kWh x 24,000 kWh = $3,840.
    assert miner_revenue_usd_per_mw_day(pd.Series([35.0]), 20.0).iloc[0] == pytest.approx(1750.0)
    days = pd.date_range("2026-02-24", periods=2, freq="D")
    out = derive_all({("hashprice_usd_per_ph_day", ""): pd.Series([35.0, 40.0], index=days)})
    assert out[("miner_revenue_usd_per_mw_day", "")].tolist() == pytest.approx([1750.0, 2000.0])
    assert out[("ai_hosting_usd_per_mw_day", "")].tolist() == pytest.approx([3840.0, 3840.0])
    assert out[("ai_hosting_to_mining_ratio", "")].tolist() == pytest.approx([3840 / 1750, 3840 / 2000])
    assumptions = miner_assumptions()
    assert (assumptions.efficiency_j_per_th, assumptions.hosting_usd_per_kwh, assumptions.source) == (
        DEFAULT_EFFICIENCY_J_PER_TH,
        DEFAULT_HOSTING_USD_PER_KWH,
        "defaults",
    )
    assert assumptions.as_dict()["ph_per_mw"] == pytest.approx(50.0)


def test_miner_assumptions_from_config_and_bad_values_ignored(config):
    config("[miners]\nefficiency_j_per_th = 16\nhosting_usd_per_kwh = -1\n")
    assumptions = miner_assumptions()
    assert (assumptions.efficiency_j_per_th, assumptions.hosting_usd_per_kwh, assumptions.source) == (
        16.0,
        DEFAULT_HOSTING_USD_PER_KWH,
        "config",
    )
    out = derive_all({("hashprice_usd_per_ph_day", ""): pd.Series([32.0], index=[pd.Timestamp("2026-02-25")])})
    assert out[("miner_revenue_usd_per_mw_day", "")].iloc[0] == pytest.approx(32.0 * 1000 / 16)
