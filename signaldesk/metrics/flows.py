"""Spot-ETF flow aggregates: 7-day sum, streak of ISO weeks, and assets under management.

Inputs are the daily total flows `etf_net_flow_usd` (entity `btc` / `eth`, USD per US trading
day, from Farside) and, for AUM, the daily close `price_usd`. Every value on day D uses rows
dated up to D only, so a backtest cannot see a week's flows before the week has happened.

AUM is derived for BTC only. For ETH the starting holdings (Grayscale's ETHE when it converted on
2024-07-23, part of which seeded its mini trust) are not pinned down in our references, and the
funds that stake since 2025 grow their holdings by rewards that never appear as flows; an ETH
figure would look precise without being so.
"""

from __future__ import annotations

import math

import pandas as pd

from signaldesk.metrics.derive import Derivation, History
from signaldesk.models import MetricKey

#: Entities of `etf_net_flow_usd` that are all-fund totals (fund tickers are upper case).
TOTALS = ("btc", "eth")

#: First trading day of the US spot funds; the flow history must start there for AUM.
LAUNCH: dict[str, pd.Timestamp] = {"btc": pd.Timestamp("2024-01-11"), "eth": pd.Timestamp("2024-07-23")}

#: BTC the funds held before their first reported flow: GBTC's holdings when it converted from a
#: trust (Grayscale's published figure for 2024-01-10, about 619,220 BTC). The other funds
#: launched with seed capital of a few BTC, which we ignore.
INITIAL_HOLDINGS: dict[str, float] = {"btc": 619_220.0}

#: Calendar days holdings are carried forward past the last reported flow before AUM stops.
HOLDINGS_CARRY_DAYS = 7


def net_flow_7d(flows: pd.Series) -> pd.Series:
    """Sum of net flows over the 7 calendar days ending on each day (USD/week).

    A time-based window (D−6 … D), so weekends and holidays, which have no rows, count as zero
    flow rather than stretching the window to seven *rows*.
    """
    flows = flows.sort_index()
    return flows.rolling("7D").sum()


def _week_start(day: pd.Timestamp) -> pd.Timestamp:
    """Monday of the ISO week of `day` (ISO weeks run Monday–Sunday; week 1 holds 4 January)."""
    return (day - pd.Timedelta(days=day.weekday())).normalize()


def _sign(value: float) -> int:
    return 0 if value == 0 or math.isnan(value) else (1 if value > 0 else -1)


def flow_streak_weeks(flows: pd.Series) -> pd.Series:
    """Signed count of consecutive ISO weeks of net inflow (+n) or net outflow (−n), as of each day.

    Each ISO week's flow is the sum of its daily rows. Counting starts at the latest *complete*
    week and goes back while the sign stays the same; a week with a zero sum, or a calendar week
    with no rows at all (a data gap), ends the streak.

    The week in progress: on day D, D's own week counts only from its Friday on (D is a Friday,
    Saturday or Sunday), using its rows up to D. Before that, a Monday's outflow is not yet "a
    week of outflow", so the streak does not flicker day to day with partial weeks: from Monday
    to Thursday the value is the streak of the weeks already finished. A week whose Friday is a
    holiday (Good Friday) is therefore counted from the next Monday on.

    ISO weeks, not calendar years: 2025-12-29 … 2026-01-04 is week 1 of 2026 and follows week 52
    of 2025 without a break, because consecutiveness is judged on the weeks' Mondays, 7 days apart.
    """
    flows = flows.dropna().sort_index()
    if flows.empty:
        return pd.Series(dtype=float, name="etf_flow_streak_weeks")
    days = pd.DatetimeIndex(flows.index)
    weeks = pd.DatetimeIndex([_week_start(d) for d in days])
    full = flows.groupby(weeks).sum()
    # streak_at[w]: signed streak of complete weeks ending with week w.
    streak_at: dict[pd.Timestamp, int] = {}
    previous: pd.Timestamp | None = None
    for week, total in full.items():
        sign = _sign(float(total))
        if sign == 0:
            streak_at[week] = 0
        elif previous is not None and week - previous == pd.Timedelta(days=7) and _sign(streak_at[previous]) == sign:
            streak_at[week] = streak_at[previous] + sign
        else:
            streak_at[week] = sign
        previous = week

    week_list = list(full.index)
    week_before = {week: (week_list[i - 1] if i > 0 else None) for i, week in enumerate(week_list)}
    out = []
    running_week: pd.Timestamp | None = None
    running_sum = 0.0
    for day, week, value in zip(days, weeks, flows.to_numpy(), strict=True):
        if week != running_week:
            running_week, running_sum = week, 0.0
        running_sum += float(value)
        before = week_before[week]
        prior = streak_at[before] if before is not None else 0
        if day.weekday() < 4:  # Monday..Thursday: this week is still in progress
            out.append(prior)
            continue
        sign = _sign(running_sum)
        if sign == 0:
            out.append(0)
        elif before is not None and week - before == pd.Timedelta(days=7) and _sign(prior) == sign:
            out.append(prior + sign)
        else:
            out.append(sign)
    return pd.Series(out, index=flows.index, dtype=float, name="etf_flow_streak_weeks")


def etf_aum_usd(flows: pd.Series, close: pd.Series, initial_holdings: float, launch: pd.Timestamp) -> pd.Series:
    """Approximate assets of the US spot funds (USD): coins held × that day's close.

    Method: holdings(D) = initial holdings + Σ_{d ≤ D} flow(d) / close(d) — each day's dollar flow
    is turned into coins at that day's close — and AUM(D) = holdings(D) × close(D), on every price
    day from launch, carrying holdings at most `HOLDINGS_CARRY_DAYS` past the last reported flow.

    Error sources, in rough order of size:
    - management fees, sold from holdings every day and never reported as flows (GBTC 1.5 %/yr,
      others 0.2–0.25 %/yr): AUM is overstated by roughly 1 % after two years;
    - the initial holdings figure (GBTC's converted trust) — ±1 % of it is ±6,000 BTC;
    - creations settle at the fund's NAV price (16:00 New York), not the UTC close;
    - Farside's revisions of recent days and its rounding to US$0.1M per fund per day.

    Returns an empty series when the flow history does not start at `launch`, because a
    cumulative sum over a partial history would be silently wrong.
    """
    flows = flows.dropna().sort_index()
    close = close.dropna().sort_index()
    if flows.empty or close.empty or flows.index[0] > launch:
        return pd.Series(dtype=float, name="etf_aum_usd")
    calendar = pd.date_range(flows.index[0], max(flows.index[-1], close.index[-1]), freq="D")
    price = close.reindex(calendar).ffill(limit=3)
    coins = (flows / price.reindex(flows.index)).cumsum(skipna=False)
    holdings = initial_holdings + coins.reindex(calendar).ffill(limit=HOLDINGS_CARRY_DAYS)
    aum = (holdings * close.reindex(calendar)).dropna()
    return aum.rename("etf_aum_usd")


def _flow_aggregates(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    for asset in TOTALS:
        flows = history.get(("etf_net_flow_usd", asset))
        if flows is None or flows.dropna().empty:
            continue
        out[("etf_net_flow_usd_7d", asset)] = net_flow_7d(flows)
        out[("etf_flow_streak_weeks", asset)] = flow_streak_weeks(flows)
    return out


def _aum(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    for asset, initial in INITIAL_HOLDINGS.items():
        flows = history.get(("etf_net_flow_usd", asset))
        close = history.get(("price_usd", asset))
        if flows is None or close is None:
            continue
        out[("etf_aum_usd", asset)] = etf_aum_usd(flows, close, initial, LAUNCH[asset])
    return out


DERIVATIONS = (
    Derivation("etf_flows", ("etf_net_flow_usd",), ("etf_net_flow_usd_7d", "etf_flow_streak_weeks"), _flow_aggregates),
    Derivation("etf_aum", ("etf_net_flow_usd", "price_usd"), ("etf_aum_usd",), _aum),
)
