"""Demo recordings for Yahoo: two years of daily charts (`range=2y`) for every default ticker.

Each ticker's close follows a seeded bridge through a few anchor closes (rounded, realistic
levels; the 2026-01-26 and 2026-02-25 anchors set the 30-day story: the AI basket up about 7 %
while BTC fell about 25 %, AI-hosting miners up and pure BTC miners down), plus a share of BTC's
own wiggle (`beta`) that vanishes on anchor days, so anchors hold exactly and daily returns still
co-move with BTC as much as each group really does. Bars exist only on NYSE sessions (weekends
and the exchange holidays below are absent); `close` is split-adjusted, `adjclose` also
dividend-adjusted, and NVDA/AVGO carry their 2024 10:1 split events, as Yahoo serves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.yahoo import BACKFILL_RANGE, URL
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import US_MARKET_HOLIDAYS, Scenario, bridge, rng

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY = date(2024, 2, 26)
TREND_BETA = 0.7
TREND_DAYS = 9
ANCHOR_DAYS = ("2024-02-26", "2025-04-08", "2025-10-29", "2025-11-21", "2026-01-26", "2026-02-05", "2026-02-25")


@dataclass(frozen=True)
class Spec:
    """One ticker's demo path: anchor closes on `ANCHOR_DAYS`, BTC beta, noise, dividends, split."""

    name: str
    closes: tuple[float, ...]
    beta: float
    vol: float
    exchange: str = "NMS"
    kind: str = "EQUITY"
    dividend: float = 0.0  # per quarter, ex-dates in the 3rd week of Feb/May/Aug/Nov
    split: tuple[str, int] | None = None
    first_day: str = "2024-02-26"
    volume: float = 2e7


SPECS: dict[str, Spec] = {
    # AI
    "NVDA": Spec(
        "NVIDIA Corporation",
        (79.1, 96.3, 186.3, 161, 169.8, 161.31, 193.6),
        0.15,
        0.026,
        dividend=0.01,
        split=("2024-06-10", 10),
        volume=2.5e8,
    ),
    "AMD": Spec(
        "Advanced Micro Devices, Inc.", (176.5, 78.2, 237.9, 183.4, 193.2, 183.54, 228), 0.15, 0.030, volume=4e7
    ),
    "AVGO": Spec(
        "Broadcom Inc.",
        (125.5, 146.3, 351, 306, 320.9, 304.85, 349.8),
        0.12,
        0.026,
        dividend=0.59,
        split=("2024-07-15", 10),
        volume=2.5e7,
    ),
    "TSM": Spec(
        "Taiwan Semiconductor Manufacturing Company Limited",
        (128, 140.6, 279.9, 252, 289.3, 274.83, 324),
        0.12,
        0.022,
        exchange="NYQ",
        dividend=0.70,
        volume=1.2e7,
    ),
    "MSFT": Spec(
        "Microsoft Corporation",
        (407.5, 354.6, 487.4, 424.8, 461, 437.95, 484.1),
        0.08,
        0.014,
        dividend=0.83,
        volume=2.2e7,
    ),
    "GOOGL": Spec(
        "Alphabet Inc.", (138.8, 144.7, 247.1, 269.7, 321, 304.95, 353.1), 0.08, 0.018, dividend=0.21, volume=3e7
    ),
    "AMZN": Spec("Amazon.com, Inc.", (174.7, 170.7, 207.3, 198.6, 231.2, 219.64, 242.8), 0.10, 0.018, volume=4e7),
    "META": Spec(
        "Meta Platforms, Inc.",
        (481.7, 510.5, 676.3, 530.3, 636.6, 604.77, 719.4),
        0.10,
        0.020,
        dividend=0.525,
        volume=1.4e7,
    ),
    "ORCL": Spec(
        "Oracle Corporation",
        (112.6, 124, 252.9, 178.9, 171.2, 162.64, 174.6),
        0.12,
        0.024,
        exchange="NYQ",
        dividend=0.50,
        volume=1.5e7,
    ),
    "CRWV": Spec(
        "CoreWeave, Inc.", (40, 38, 117, 64.8, 86.25, 81.94, 103.5), 0.20, 0.050, first_day="2025-03-28", volume=2.5e7
    ),
    # Miners: pure BTC miners down with BTC, AI-hosting miners up
    "MARA": Spec("MARA Holdings, Inc.", (25.9, 10.1, 19.5, 11, 12.5, 11.6, 10), 1.10, 0.035, volume=4e7),
    "RIOT": Spec("Riot Platforms, Inc.", (13.2, 6.4, 18.5, 12.8, 15, 14.21, 12.75), 1.00, 0.035, volume=2.5e7),
    "CLSK": Spec("CleanSpark, Inc.", (17.5, 6.6, 19, 11, 12.2, 11.42, 10), 1.10, 0.040, volume=2.5e7),
    "IREN": Spec("IREN Limited", (8.8, 5.1, 62, 38, 40, 41.54, 44.8), 0.60, 0.045, volume=3e7),
    "CORZ": Spec("Core Scientific, Inc.", (4, 7, 19.5, 14, 16, 16.26, 16.8), 0.60, 0.035, volume=1.5e7),
    "HUT": Spec("Hut 8 Corp.", (10.1, 10.5, 47, 38, 45, 44.7, 44.1), 0.70, 0.040, volume=5e6),
    "BITF": Spec("Bitfarms Ltd.", (2.6, 0.75, 4.5, 2.6, 2.9, 2.8, 2.61), 1.10, 0.045, volume=3e7),
    "HIVE": Spec("HIVE Digital Technologies Ltd.", (3.2, 1.45, 6.2, 3.1, 3.4, 3.257, 2.99), 1.10, 0.045, volume=1e7),
    "CIFR": Spec("Cipher Mining Inc.", (4.2, 2.1, 20, 14, 15, 15.39, 16.2), 0.60, 0.045, volume=2e7),
    "WULF": Spec("TeraWulf Inc.", (2.5, 2.6, 15, 11.5, 13, 13.42, 14.3), 0.60, 0.045, volume=3e7),
    # ETFs
    "SMH": Spec(
        "VanEck Semiconductor ETF",
        (210, 185, 324, 288, 315.3, 299.54, 353.1),
        0.12,
        0.018,
        kind="ETF",
        exchange="NGM",
        dividend=0.25,
        volume=6e6,
    ),
    "BOTZ": Spec(
        "Global X Robotics & Artificial Intelligence ETF",
        (30.5, 25.8, 37, 33, 34, 34.33, 35),
        0.20,
        0.014,
        kind="ETF",
        volume=8e5,
    ),
    "AIQ": Spec(
        "Global X Artificial Intelligence & Technology ETF",
        (33, 31, 46.5, 41, 42, 42.56, 43.7),
        0.20,
        0.014,
        kind="ETF",
        volume=6e5,
    ),
}


def sessions(first: date, last: date) -> list[date]:
    """NYSE session days in [first, last]."""
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in US_MARKET_HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def _open_utc(day: date) -> int:
    """09:30 New York on `day` as unix seconds (Yahoo stamps daily bars at the session open)."""
    return int(datetime.combine(day, time(9, 30), tzinfo=NEW_YORK).timestamp())


def _close_utc(day: date) -> int:
    return int(datetime.combine(day, time(16, 0), tzinfo=NEW_YORK).timestamp())


def wiggle(log_series: pd.Series, anchors: list[pd.Timestamp]) -> pd.Series:
    """A log path minus its straight line (in time) between the anchor days: zero on every anchor."""
    line = pd.Series(np.nan, index=log_series.index)
    line[anchors] = log_series[anchors]
    return (log_series - line.interpolate(method="time")).loc[anchors[0] : anchors[-1]]


def close_path(ticker: str, spec: Spec, btc: pd.Series) -> pd.Series:
    """Daily (calendar) split-adjusted closes through the anchors, with BTC co-movement.

    Two shares of BTC's wiggle: `beta` of its daily moves (daily-return correlation) and
    `TREND_BETA` of its `TREND_DAYS`-day trend (risk assets drifting together, as they did in 2025).
    """
    anchors = {day: value for day, value in zip(ANCHOR_DAYS, spec.closes, strict=True) if day >= spec.first_day}
    anchors.setdefault(spec.first_day, spec.closes[0])
    anchors = dict(sorted(anchors.items()))
    days = [pd.Timestamp(d) for d in anchors]
    path = bridge(anchors, daily_vol=spec.vol, name=f"yahoo-{ticker}")
    log_btc = exactmath.log(btc)
    comovement = spec.beta * wiggle(log_btc, days) + TREND_BETA * wiggle(
        log_btc.rolling(TREND_DAYS, min_periods=1).mean(), days
    )
    return exactmath.exp(exactmath.log(path) + comovement.reindex(path.index).fillna(0.0))


def ex_dates(first: date, last: date) -> list[date]:
    """Quarterly ex-dividend days: the first session on or after the 15th of Feb/May/Aug/Nov."""
    out = []
    for year in range(first.year, last.year + 1):
        for month in (2, 5, 8, 11):
            day = date(year, month, 15)
            while day.weekday() >= 5 or day in US_MARKET_HOLIDAYS:
                day += timedelta(days=1)
            if first < day <= last:
                out.append(day)
    return out


def chart_body(ticker: str, spec: Spec, btc: pd.Series) -> dict:
    """The `/v8/finance/chart` body Yahoo would send for `range=2y&interval=1d&events=div,split`."""
    last = DEMO_NOW.date()
    days = sessions(max(FIRST_DAY, date.fromisoformat(spec.first_day)), last)
    daily = close_path(ticker, spec, btc)
    close = np.array([round(float(daily[pd.Timestamp(d)]), 2) for d in days])
    gen = rng(f"yahoo-ohlc-{ticker}")
    n = len(days)
    opens = np.round(np.concatenate([[close[0]], close[:-1]]) * exactmath.exp(gen.normal(0, spec.vol * 0.4, n)), 2)
    highs = np.round(np.maximum(opens, close) * (1 + np.abs(gen.normal(0, spec.vol * 0.5, n))), 2)
    lows = np.round(np.minimum(opens, close) * (1 - np.abs(gen.normal(0, spec.vol * 0.5, n))), 2)
    volume = (spec.volume * exactmath.exp(gen.normal(0, 0.35, n))).astype(int)
    # adjclose: Yahoo's multiplicative dividend adjustment, 1 − dividend / previous close per ex-date
    events: dict[str, dict] = {}
    factor = np.ones(n)
    if spec.dividend:
        dividends = {}
        for ex in ex_dates(days[0], last):
            i = days.index(ex)
            factor[:i] *= 1 - spec.dividend / close[i - 1]
            dividends[str(_open_utc(ex))] = {"amount": spec.dividend, "date": _open_utc(ex)}
        events["dividends"] = dividends
    if spec.split:
        when, ratio = spec.split
        stamp = _open_utc(date.fromisoformat(when))
        events["splits"] = {
            str(stamp): {"date": stamp, "numerator": float(ratio), "denominator": 1.0, "splitRatio": f"{ratio}:1"}
        }
    adjclose = [round(float(c * f), 6) for c, f in zip(close, factor, strict=True)]
    today_open, today_close = _open_utc(last), _close_utc(last)
    meta = {
        "currency": "USD",
        "symbol": ticker,
        "exchangeName": spec.exchange,
        "fullExchangeName": {"NMS": "NasdaqGS", "NYQ": "NYSE", "NGM": "NasdaqGM"}[spec.exchange],
        "instrumentType": spec.kind,
        "firstTradeDate": _open_utc(date.fromisoformat(spec.first_day)),
        "regularMarketTime": today_close,
        "hasPrePostMarketData": True,
        "gmtoffset": -18000,
        "timezone": "EST",
        "exchangeTimezoneName": "America/New_York",
        "regularMarketPrice": float(close[-1]),
        "fiftyTwoWeekHigh": float(highs[-252:].max()),
        "fiftyTwoWeekLow": float(lows[-252:].min()),
        "regularMarketDayHigh": float(highs[-1]),
        "regularMarketDayLow": float(lows[-1]),
        "regularMarketVolume": int(volume[-1]),
        "longName": spec.name,
        "shortName": spec.name,
        "chartPreviousClose": float(close[0]),
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {"timezone": "EST", "start": today_open - 19800, "end": today_open, "gmtoffset": -18000},
            "regular": {"timezone": "EST", "start": today_open, "end": today_close, "gmtoffset": -18000},
            "post": {"timezone": "EST", "start": today_close, "end": today_close + 14400, "gmtoffset": -18000},
        },
        "dataGranularity": "1d",
        "range": BACKFILL_RANGE,
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    result = {
        "meta": meta,
        "timestamp": [_open_utc(d) for d in days],
        "events": events,
        "indicators": {
            "quote": [
                {
                    "open": opens.tolist(),
                    "close": close.tolist(),
                    "low": lows.tolist(),
                    "high": highs.tolist(),
                    "volume": volume.tolist(),
                }
            ],
            "adjclose": [{"adjclose": adjclose}],
        },
    }
    if not events:
        del result["events"]
    assert all(math.isfinite(c) and c > 0 for c in close)
    return {"chart": {"result": [result], "error": None}}


def record(directory: Path, scenario: Scenario) -> None:
    params = {"range": BACKFILL_RANGE, "interval": "1d", "events": "div,split"}
    for ticker, spec in SPECS.items():
        write_json(
            directory,
            demo_request("GET", URL.format(ticker=ticker), params=params),
            chart_body(ticker, spec, scenario.btc),
        )
