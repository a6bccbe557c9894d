"""Demo recordings for Deribit: the BTC index, the BTC option book on 2026-02-25, and DVOL history.

The option book is generated, not captured: expiries Deribit would list on that Wednesday night
(a daily that expires within hours — dropped by the provider —, the Feb/Mar monthlies, weeklies,
Apr, May and the June quarterly: 1–120 days), strikes around the scenario's $62,900 close, forwards
in light contango, and a put-skewed smile on an inverted term structure (front ATM ≈ 63 %, 90 days
≈ 55 %): what a market that has just halved from its high and sits at Fear & Greed 8 looks like.
Rows carry the real book-summary fields, with option prices in BTC as Deribit quotes them.
DVOL is a seeded path through rounded real-looking anchors that ends at 60.3, a few vols over the
30-day ATM IV, as a VIX-style index over a put-skewed smile should.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.special import ndtr

from signaldesk.clock import day_start
from signaldesk.demo import DEMO_NOW
from signaldesk.providers.deribit import BOOK_URL, DVOL_START, DVOL_URL, EXPIRY_HOUR, INDEX_URL
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

SNAPSHOT = DEMO_NOW - timedelta(seconds=7)
EXPIRIES = (
    date(2026, 2, 26),
    date(2026, 2, 27),
    date(2026, 3, 6),
    date(2026, 3, 13),
    date(2026, 3, 27),
    date(2026, 4, 24),
    date(2026, 5, 29),
    date(2026, 6, 26),
)
FUTURES = {date(2026, 2, 27), date(2026, 3, 27), date(2026, 6, 26)}
"""Expiries with a listed future; the others' options reference a synthetic forward (`SYN.`)."""
STRIKES = (
    40_000,
    45_000,
    50_000,
    52_000,
    54_000,
    55_000,
    56_000,
    58_000,
    60_000,
    61_000,
    62_000,
    63_000,
    64_000,
    65_000,
    66_000,
    68_000,
    70_000,
    72_000,
    75_000,
    80_000,
    85_000,
    90_000,
    100_000,
)
BASIS = 0.015
"""Annualised futures basis: thin contango, as in a fearful market."""
ATM_TERM = {1.0: 0.63, 8.0: 0.60, 15.0: 0.585, 30.0: 0.57, 57.0: 0.56, 92.0: 0.55, 121.0: 0.55}
DVOL_ANCHORS = {
    "2021-03-24": 85,
    "2021-05-19": 150,
    "2021-10-20": 80,
    "2022-06-18": 110,
    "2022-11-09": 105,
    "2023-07-20": 36,
    "2024-03-13": 72,
    "2024-09-30": 48,
    "2025-04-08": 62,
    "2025-07-20": 38,
    "2025-10-10": 50,
    "2025-12-01": 58,
    "2026-02-05": 74,
    "2026-02-20": 56,
    "2026-02-25": 60.3,
}
DVOL_PAGE = 1000


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _atm(days: float) -> float:
    xs = sorted(ATM_TERM)
    return float(np.interp(days, xs, [ATM_TERM[x] for x in xs]))


def smile_iv(strike: float, forward: float, t: float, days: float) -> float:
    """The demo smile: ATM term structure, skewed to puts, curved in normalised moneyness."""
    x = exactmath.log(strike / forward) / math.sqrt(t)
    return max(0.2, _atm(days) - 0.10 * x + 0.06 * x * x)


def _instrument(expiry: date, strike: int, kind: str) -> str:
    return f"BTC-{expiry.day}{expiry.strftime('%b').upper()}{expiry:%y}-{strike}-{kind}"


def option_book(spot: float) -> list[dict]:
    rows = []
    gen = rng("deribit-book")
    for expiry in EXPIRIES:
        expires = datetime.combine(expiry, EXPIRY_HOUR)
        t = (expires - SNAPSHOT).total_seconds() / (365 * 86400)
        days = t * 365
        forward = round(spot * exactmath.exp(BASIS * t), 2)
        index = f"BTC-{expiry.day}{expiry.strftime('%b').upper()}{expiry:%y}"
        for strike in STRIKES:
            x = exactmath.log(strike / forward) / math.sqrt(t)
            if abs(x) > 4.0:
                continue
            iv = smile_iv(strike, forward, t, days)
            sd = iv * math.sqrt(t)
            d1 = (exactmath.log(forward / strike) + sd * sd / 2) / sd
            d2 = d1 - sd
            call_usd = forward * ndtr(d1) - strike * ndtr(d2)
            for kind in ("C", "P"):
                usd = call_usd if kind == "C" else call_usd - forward + strike
                mark = max(round(usd / forward, 4), 0.0001)
                oi = round(float(gen.gamma(2.0, 60.0 / (1 + abs(x)))), 1)
                volume = round(float(gen.gamma(1.2, 8.0 / (1 + abs(x)))), 1)
                rows.append(
                    {
                        "volume_usd": round(volume * mark * spot, 2),
                        "volume": volume,
                        "underlying_price": forward,
                        "underlying_index": index if expiry in FUTURES else f"SYN.{index}",
                        "quote_currency": "BTC",
                        "price_change": None,
                        "open_interest": oi,
                        "mid_price": mark,
                        "mark_price": mark,
                        "mark_iv": round(iv * 100, 2),
                        "low": None,
                        "last": mark,
                        "interest_rate": 0.0,
                        "instrument_name": _instrument(expiry, strike, kind),
                        "high": None,
                        "estimated_delivery_price": spot,
                        "creation_timestamp": _ms(SNAPSHOT),
                        "bid_price": round(max(mark - 0.0005, 0.0001), 4),
                        "base_currency": "BTC",
                        "ask_price": round(mark + 0.0005, 4),
                    }
                )
    return rows


def dvol_candles() -> list[list[float]]:
    """Daily DVOL candles `[ts_ms, open, high, low, close]` from the launch to the demo day."""
    close = bridge(DVOL_ANCHORS, daily_vol=0.045, name="dvol")
    wiggle = np.abs(rng("dvol-range").normal(0, 0.025, len(close)))
    rows, previous = [], float(close.iloc[0])
    for (day, value), w in zip(close.items(), wiggle, strict=True):
        c = round(float(value), 2)
        o = round(previous, 2)
        rows.append([_ms(day_start(day.date())), o, round(max(o, c) * (1 + w), 2), round(min(o, c) * (1 - w), 2), c])
        previous = c
    return rows


def _envelope(result: object, us_in: int) -> dict:
    return {"jsonrpc": "2.0", "result": result, "usIn": us_in, "usOut": us_in + 1712, "usDiff": 1712, "testnet": False}


def record(directory: Path, scenario: Scenario) -> None:
    spot = float(scenario.btc.loc[str(scenario.as_of)])
    us = _ms(SNAPSHOT) * 1000
    index = {"index_price": spot, "estimated_delivery_price": spot}
    write_json(directory, demo_request("GET", INDEX_URL, params={"index_name": "btc_usd"}), _envelope(index, us))
    write_json(
        directory,
        demo_request("GET", BOOK_URL, params={"currency": "BTC", "kind": "option"}),
        _envelope(option_book(spot), us + 5000),
    )
    candles = dvol_candles()
    start, end = _ms(day_start(DVOL_START)), _ms(DEMO_NOW)
    while True:
        page = [c for c in candles if start <= c[0] <= end][-DVOL_PAGE:]
        older = [c for c in candles if c[0] < page[0][0] and c[0] >= start]
        continuation = page[0][0] - 1 if older else None
        params = {"currency": "BTC", "resolution": "1D", "start_timestamp": start, "end_timestamp": end}
        write_json(
            directory,
            demo_request("GET", DVOL_URL, params=params),
            _envelope({"data": page, "continuation": continuation}, us + 9000),
        )
        if continuation is None:
            break
        end = continuation
