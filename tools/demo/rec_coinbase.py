"""Demo recordings for the Coinbase premium: Coinbase BTC-USD and USDT-USD, OKX BTC-USDT.

Coinbase BTC-USD closes are the scenario's BTC closes (62,900 on 2026-02-25). USDT trades a hair
under a dollar (0.9996 on the day), and the premium path is seeded: mildly positive through the
autumn rally, negative in the February sell-off, a flicker above zero on 2026-02-24 and −0.08 %
on 2026-02-25 — seed 000's "Coinbase Premium 转负" (turned negative). OKX's BTC-USDT closes are
solved from those three, so the provider's arithmetic recovers the path. OKX is the first venue
the provider asks, so only OKX is recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from signaldesk.clock import day_start
from signaldesk.demo import DEMO_NOW
from signaldesk.providers.coinbase import COINBASE, OKX
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

ROWS = 300
PREMIUM_ANCHORS = {
    "2025-04-01": 0.0004,
    "2025-07-14": 0.0009,
    "2025-10-06": 0.0006,
    "2025-11-20": -0.0011,
    "2026-01-14": 0.0003,
    "2026-02-05": -0.0014,
    "2026-02-20": -0.0004,
    "2026-02-24": 0.0001,
    "2026-02-25": -0.0008,
}
USDT_ANCHORS = {"2025-04-01": 1.0001, "2025-10-06": 1.0003, "2026-02-05": 0.9993, "2026-02-25": 0.9996}


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _candles(close: pd.Series, decimals: int, name: str, spread: float) -> list[list[float]]:
    """Coinbase rows `[time, low, high, open, close, volume]`, newest first; `spread` sizes the wicks."""
    wiggle = abs(rng(name).normal(0, spread, len(close)))
    rows = []
    previous = close.shift(1).fillna(close)
    for (day, c), o, w in zip(close.items(), previous, wiggle, strict=True):
        c, o = round(float(c), decimals), round(float(o), decimals)
        rows.append(
            [
                int(day_start(day.date()).timestamp()),
                round(min(o, c) * (1 - w), decimals),
                round(max(o, c) * (1 + w), decimals),
                o,
                c,
                round(float(8000 + 2000 * w / spread), 8),
            ]
        )
    return rows[::-1]


def record(directory: Path, scenario: Scenario) -> None:
    btc = scenario.btc.iloc[-ROWS:]
    premium = bridge(PREMIUM_ANCHORS, daily_vol=0.00025, name="cb-premium", log=False).reindex(btc.index)
    usdt = bridge(USDT_ANCHORS, daily_vol=0.00008, name="usdt-usd", log=False).reindex(btc.index).round(5)
    usdt.iloc[-1] = 0.9996
    okx = (btc / (usdt * (1 + premium))).round(1)

    candles = {"granularity": 86400}
    write_json(
        directory,
        demo_request("GET", f"{COINBASE}/products/BTC-USD/candles", params=candles),
        _candles(btc, 2, "cb-btc", 0.012),
    )
    write_json(
        directory,
        demo_request("GET", f"{COINBASE}/products/USDT-USD/candles", params=candles),
        _candles(usdt, 5, "cb-usdt", 0.0002),
    )
    at = DEMO_NOW - timedelta(seconds=2)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + "482193Z"
    for product, price, size in (
        ("BTC-USD", f"{btc.iloc[-1]:.2f}", "0.00412"),
        ("USDT-USD", f"{usdt.iloc[-1]:.5f}", "1520.37"),
    ):
        ticker = {
            "ask": price,
            "bid": price,
            "volume": "10452.88421",
            "trade_id": 912345678 if product == "BTC-USD" else 48211977,
            "price": price,
            "size": size,
            "time": stamp,
            "rfq_volume": "61.203311",
        }
        write_json(directory, demo_request("GET", f"{COINBASE}/products/{product}/ticker"), ticker)

    rows = []
    previous = okx.shift(1).fillna(okx)
    for (day, c), o in zip(okx.items(), previous, strict=True):
        confirm = "0" if day.date() == DEMO_NOW.date() else "1"
        rows.append(
            [
                str(_ms(day_start(day.date()))),
                f"{o:.1f}",
                f"{max(o, c) * 1.015:.1f}",
                f"{min(o, c) * 0.985:.1f}",
                f"{c:.1f}",
                "9812.4411",
                f"{9812.4411 * c:.1f}",
                f"{9812.4411 * c:.1f}",
                confirm,
            ]
        )
    write_json(
        directory,
        demo_request(
            "GET", f"{OKX}/api/v5/market/candles", params={"instId": "BTC-USDT", "bar": "1Dutc", "limit": 300}
        ),
        {"code": "0", "msg": "", "data": rows[::-1]},
    )
    last = f"{btc.iloc[-1] / (0.9996 * (1 - 0.0008)):.1f}"
    ticker = {
        "instType": "SPOT",
        "instId": "BTC-USDT",
        "last": last,
        "lastSz": "0.00291",
        "askPx": last,
        "askSz": "0.5",
        "bidPx": f"{float(last) - 0.1:.1f}",
        "bidSz": "1.2",
        "open24h": f"{okx.iloc[-2]:.1f}",
        "high24h": f"{okx.iloc[-2] * 1.02:.1f}",
        "low24h": f"{float(last) * 0.982:.1f}",
        "volCcy24h": "602144231.7",
        "vol24h": "9571.3",
        "ts": str(_ms(at)),
        "sodUtc0": f"{okx.iloc[-2]:.1f}",
        "sodUtc8": f"{okx.iloc[-2] * 1.004:.1f}",
    }
    write_json(
        directory,
        demo_request("GET", f"{OKX}/api/v5/market/ticker", params={"instId": "BTC-USDT"}),
        {"code": "0", "msg": "", "data": [ticker]},
    )
