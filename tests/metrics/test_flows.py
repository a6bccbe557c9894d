import csv

import pandas as pd
import pytest

from signaldesk.metrics.derive import derive_all
from signaldesk.metrics.flows import etf_aum_usd, flow_streak_weeks, net_flow_7d
from tests.conftest import shared_file


def flows(**days: float) -> pd.Series:
    """`flows(d2025_12_15=-1, …)` → a daily flow series in USD (keys dYYYY_MM_DD)."""
    index = pd.DatetimeIndex([pd.Timestamp(k[1:].replace("_", "-")) for k in days])
    return pd.Series(list(days.values()), index=index, dtype=float).sort_index()


def on(series: pd.Series, day: str) -> float:
    return float(series[pd.Timestamp(day)])


# --- streaks ------------------------------------------------------------------------------


def test_streak_across_a_week_boundary_counts_only_complete_weeks():
    s = flows(
        d2026_01_05=100,
        d2026_01_09=50,  # ISO 2026-W02: +150, inflow
        d2026_01_12=-300,
        d2026_01_16=100,  # W03: -200, outflow
        d2026_01_19=-50,
        d2026_01_22=-10,  # W04 in progress (no Friday row yet)
    )
    streak = flow_streak_weeks(s)
    assert on(streak, "2026-01-05") == 0  # Monday of the first week: nothing complete yet
    assert on(streak, "2026-01-09") == 1  # Friday: W02 complete, inflow
    assert on(streak, "2026-01-12") == 1  # Monday of W03: W02 still the latest complete week
    assert on(streak, "2026-01-16") == -1  # Friday: W03 complete, outflow -200 breaks the inflow run
    assert on(streak, "2026-01-19") == -1  # W04 in progress: a Monday outflow is not yet a week
    assert on(streak, "2026-01-22") == -1  # still Thursday


def test_streak_across_a_year_boundary_with_iso_week_1():
    # 2025-12-22..26 is ISO 2025-W52; 2025-12-29..2026-01-02 is ISO 2026-W01 (it holds 1 January's
    # Thursday), so the weeks run W51, W52, W01, W02 without a break.
    s = flows(
        d2025_12_15=-10,
        d2025_12_19=-20,  # 2025-W51: -30
        d2025_12_22=-5,
        d2025_12_26=-5,  # 2025-W52: -10
        d2025_12_29=-40,
        d2026_01_02=10,  # 2026-W01: -30 (the Friday inflow does not flip it)
        d2026_01_05=-1,
        d2026_01_09=-1,  # 2026-W02: -2
    )
    streak = flow_streak_weeks(s)
    assert on(streak, "2025-12-19") == -1
    assert on(streak, "2025-12-26") == -2
    assert on(streak, "2025-12-29") == -2  # W01 in progress
    assert on(streak, "2026-01-02") == -3  # Friday of ISO week 1 of 2026
    assert on(streak, "2026-01-09") == -4


def test_streak_through_iso_week_53():
    # 2020 has 53 ISO weeks: Friday 2021-01-01 belongs to 2020-W53, and 2021-W01 starts 2021-01-04.
    s = flows(d2020_12_18=5, d2020_12_25=-1, d2021_01_01=-2, d2021_01_08=-3)
    streak = flow_streak_weeks(s)
    assert list(streak.to_numpy()) == [1, -1, -2, -3]


def test_a_week_without_rows_breaks_the_streak():
    s = flows(d2026_01_09=-1, d2026_01_23=-1, d2026_01_30=-1)  # the week of 2026-01-12 is missing
    assert list(flow_streak_weeks(s).to_numpy()) == [-1, -1, -2]


def test_a_flat_week_is_zero_and_restarts():
    s = flows(d2026_01_09=-5, d2026_01_12=3, d2026_01_16=-3, d2026_01_23=4)
    assert list(flow_streak_weeks(s).to_numpy()) == [-1, -1, 0, 1]


def test_streak_is_causal():
    base = flows(d2026_01_05=10, d2026_01_09=10, d2026_01_12=-50)
    later = pd.concat([base, flows(d2026_01_16=100, d2026_01_23=-500)])
    assert list(flow_streak_weeks(base).to_numpy()) == list(flow_streak_weeks(later).iloc[:3].to_numpy())


def test_streak_on_real_farside_totals():
    """Real daily totals (US$m): five straight outflow weeks ended 2025-03-14, then inflows."""
    path = shared_file("api-samples", "farside", "btc_etf_daily_total_flows.derived.csv")
    with path.open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["Date"]]
    totals = pd.Series(
        [float(r["Total"]) * 1e6 for r in rows],
        index=pd.DatetimeIndex([pd.Timestamp(r["Date"].rstrip("T")) for r in rows]),
    )
    streak = flow_streak_weeks(totals)
    # Weekly sums (US$m): 02-03..07 +203.8, then -585.6, -559.6, -2,619.0, -799.6, -857.6, then +744.3.
    assert on(streak, "2025-02-07") == 6
    assert on(streak, "2025-02-14") == -1
    assert on(streak, "2025-03-14") == -5
    assert on(streak, "2025-03-17") == -5  # Monday: the inflow week is not complete yet
    assert on(streak, "2025-03-21") == 1


def test_streak_on_real_by_fund_file():
    path = shared_file("data", "btc_spot_etf_flows_by_fund.csv")
    frame = pd.read_csv(path, parse_dates=["date"]).set_index("date")
    streak = flow_streak_weeks(frame["Total"] * 1e6)
    # Seven inflow weeks from 2024-01-29 to 2024-03-15, then the record outflow week of 2024-03-18.
    assert on(streak, "2024-03-15") == 7
    assert on(streak, "2024-03-22") == -1


# --- 7-day sum ----------------------------------------------------------------------------


def test_seven_day_sum_is_calendar_based():
    s = flows(d2026_02_16=1, d2026_02_17=2, d2026_02_20=4, d2026_02_23=8)
    total = net_flow_7d(s)
    assert on(total, "2026-02-20") == 7  # 14th..20th: 1 + 2 + 4
    assert on(total, "2026-02-23") == 14  # 17th..23rd: 2 + 4 + 8 (the 16th has left the window)


# --- AUM ----------------------------------------------------------------------------------

LAUNCH = pd.Timestamp("2024-01-11")


def test_aum_from_holdings_by_hand():
    f = flows(d2024_01_11=100e6, d2024_01_12=-50e6)
    close = pd.Series([50_000.0, 40_000.0, 45_000.0], index=pd.date_range("2024-01-11", periods=3))
    aum = etf_aum_usd(f, close, initial_holdings=1_000.0, launch=LAUNCH)
    # day 1: 1000 + 100e6/50,000 = 3,000 BTC × 50,000; day 2: 3,000 - 50e6/40,000 = 1,750 × 40,000;
    # day 3 (no flow row): 1,750 × 45,000.
    assert list(aum.to_numpy()) == pytest.approx([150e6, 70e6, 78.75e6])


def test_aum_needs_history_from_launch():
    f = flows(d2024_02_01=100e6)
    close = pd.Series([50_000.0], index=[pd.Timestamp("2024-02-01")])
    assert etf_aum_usd(f, close, initial_holdings=1_000.0, launch=LAUNCH).empty


def test_aum_stops_when_flows_go_stale():
    f = flows(d2024_01_11=0.0)
    close = pd.Series(50_000.0, index=pd.date_range("2024-01-11", periods=12))
    aum = etf_aum_usd(f, close, initial_holdings=10.0, launch=LAUNCH)
    assert aum.index[-1] == pd.Timestamp("2024-01-18")  # carried 7 days past the last flow row
    assert (aum == 500_000.0).all()


def test_derivations_registered_and_run():
    f = flows(d2024_01_11=100e6, d2024_01_12=-50e6)
    close = pd.Series([50_000.0, 40_000.0], index=pd.date_range("2024-01-11", periods=2))
    out = derive_all({("etf_net_flow_usd", "btc"): f, ("etf_net_flow_usd", "IBIT"): f, ("price_usd", "btc"): close})
    assert on(out[("etf_net_flow_usd_7d", "btc")], "2024-01-12") == 50e6
    assert on(out[("etf_flow_streak_weeks", "btc")], "2024-01-12") == 1
    assert on(out[("etf_aum_usd", "btc")], "2024-01-12") == pytest.approx((619_220 + 2_000 - 1_250) * 40_000)
    assert ("etf_flow_streak_weeks", "IBIT") not in out  # funds are not aggregated, only totals
    assert ("etf_aum_usd", "eth") not in out


def test_demo_flows_give_the_seed_streak_and_aum():
    import asyncio

    from signaldesk.clock import pinned_now
    from signaldesk.demo import DEMO_DIR, DEMO_NOW
    from signaldesk.http import HttpClient
    from signaldesk.providers.farside import Farside
    from tools.demo.scenario import Scenario

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Farside().fetch(client, None)

    with pinned_now(DEMO_NOW):
        obs = asyncio.run(run())
    total = [o for o in obs if o.entity == "btc"]
    series = pd.Series([o.value for o in total], index=pd.DatetimeIndex([o.ts.replace(tzinfo=None) for o in total]))
    assert flow_streak_weeks(series).iloc[-1] == -6
    aum = etf_aum_usd(series, Scenario().btc, 619_220.0, LAUNCH)
    assert aum[pd.Timestamp("2026-02-25")] == pytest.approx(84.3e9, rel=1e-3)
    assert aum.max() == pytest.approx(170e9, rel=0.03)
