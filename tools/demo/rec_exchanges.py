"""Demo recordings for the `exchanges` provider: Binance, Bybit and OKX perpetuals, BTC and ETH.

Seed 000 says, for 2026-02-25, that BTC funding "turned negative" (≈ 0 % per 8 h) and that BTC
open interest "fell to $356B". No venue set has ever held $356B of BTC futures: the seed's figure
is a slip for **$35.6B**, the order of the total across the big perpetual venues. The demo makes
the three venues sum to exactly that — Binance $15.2B, Bybit $10.4B, OKX $10.0B — after a week
of decline (≈ $39.9B on 2026-02-18, about −11 %), and their current rates (−0.0030 %, −0.0015 %,
−0.0010 % per 8 h) weight to −0.0020 % per 8 h, the day funding flipped below zero.

The recordings are written by running the real `Exchanges.fetch` (so it builds every URL)
against a stand-in client that answers each request from the generated market below, in each
venue's exact response shape, and records what it answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from signaldesk.clock import day_start, pinned_now
from signaldesk.demo import DEMO_NOW
from signaldesk.providers.exchanges import Exchanges
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

TODAY = DEMO_NOW.date()
DAYS = 31
#: Open interest in USD per venue today, and the all-venue total over the month (anchors).
OI_TODAY = {
    "btc": {"binance": 15.2e9, "bybit": 10.4e9, "okx": 10.0e9},
    "eth": {"binance": 5.1e9, "bybit": 3.9e9, "okx": 3.4e9},
}
OI_TOTAL = {
    "btc": {-31: 41.8e9, -21: 43.6e9, -14: 41.9e9, -7: 39.9e9, -3: 37.8e9, -1: 36.5e9, 0: 35.6e9},
    "eth": {-31: 15.9e9, -21: 15.2e9, -14: 14.4e9, -7: 13.6e9, -3: 13.0e9, -1: 12.7e9, 0: 12.4e9},
}
#: Current (accruing) funding per 8 h at the demo moment, per venue.
FUNDING_NOW = {
    "btc": {"binance": -0.00003, "bybit": -0.000015, "okx": -0.00001},
    "eth": {"binance": -0.00005, "bybit": -0.00003, "okx": -0.00004},
}
#: Settled funding per 8 h (venue average), anchors by day offset: positive, fading to ~0.
FUNDING_PATH = {
    "btc": {-32: 0.00008, -20: 0.00009, -10: 0.00005, -3: 0.00002, -1: 0.000006, 0: 0.000002},
    "eth": {-32: 0.00007, -20: 0.00008, -10: 0.00004, -3: 0.00001, -1: 0.000003, 0: -0.000004},
}
CONTRACT = {"btc": 0.01, "eth": 0.1}
"""OKX USDT-swap contract size in coins (ctVal)."""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _anchored(points: dict[int, float], name: str, vol: float, log: bool) -> pd.Series:
    anchors = {str(TODAY + timedelta(days=k)): v for k, v in points.items()}
    return bridge(anchors, daily_vol=vol, name=name, log=log)


class Market:
    """The generated derivatives market behind the demo responses."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.oi: dict[tuple[str, str], pd.Series] = {}
        self.funding: dict[tuple[str, str], pd.Series] = {}
        for asset in ("btc", "eth"):
            total = _anchored(OI_TOTAL[asset], f"oi-{asset}", 0.012, True)
            today_total = sum(OI_TODAY[asset].values())
            settled = _anchored(FUNDING_PATH[asset], f"funding-{asset}", 0.000004, False)
            for venue, usd in OI_TODAY[asset].items():
                wobble = 1 + rng(f"oi-share-{asset}-{venue}").normal(0, 0.015, len(total))
                share = pd.Series(usd / today_total * wobble, index=total.index)
                self.oi[(asset, venue)] = total * share
                offset = {"binance": 0.000004, "bybit": 0.0, "okx": -0.000003}[venue]
                self.funding[(asset, venue)] = settled + offset

    def close(self, asset: str, day: date) -> float:
        return float(self.scenario.price(asset).loc[str(day)])

    def mark(self, asset: str) -> float:
        return round(self.close(asset, TODAY) * (1 - 0.0003), 2)

    def settlements(self, asset: str, venue: str, n: int) -> list[tuple[datetime, float]]:
        """The last `n` 8-hourly settlements before the demo moment, newest first."""
        gen = rng(f"settle-{asset}-{venue}")
        last = day_start(TODAY) + timedelta(hours=16)
        out = []
        for i in range(n):
            ts = last - timedelta(hours=8 * i)
            day = (ts - timedelta(milliseconds=1)).date()
            out.append((ts, float(self.funding[(asset, venue)].loc[str(day)]) + float(gen.normal(0, 0.000003))))
        return out

    def oi_usd(self, asset: str, venue: str, day: date) -> float:
        return float(self.oi[(asset, venue)].loc[str(day)])


def _binance(m: Market, path: str, q: dict[str, str]) -> Any:
    asset = q["symbol"][:3].lower()
    now = _ms(DEMO_NOW - timedelta(seconds=3))
    mark = m.mark(asset)
    if path.endswith("/premiumIndex"):
        spot = m.close(asset, TODAY)
        return {
            "symbol": q["symbol"],
            "markPrice": f"{mark:.8f}",
            "indexPrice": f"{spot:.8f}",
            "estimatedSettlePrice": f"{spot * 1.0001:.8f}",
            "lastFundingRate": f"{FUNDING_NOW[asset]['binance']:.8f}",
            "interestRate": "0.00010000",
            "nextFundingTime": _ms(day_start(TODAY + timedelta(days=1))),
            "time": now,
        }
    if path.endswith("/openInterest"):
        return {"openInterest": f"{OI_TODAY[asset]['binance'] / mark:.3f}", "symbol": q["symbol"], "time": now}
    if path.endswith("/fundingRate"):
        rows = m.settlements(asset, "binance", int(q["limit"]))[::-1]
        return [
            {"symbol": q["symbol"], "fundingTime": _ms(ts), "fundingRate": f"{rate:.8f}", "markPrice": f"{mark:.8f}"}
            for ts, rate in rows
        ]
    if path.endswith("/openInterestHist"):
        rows = []
        for k in range(int(q["limit"]), 0, -1):
            day = TODAY - timedelta(days=k)
            usd = m.oi_usd(asset, "binance", day)
            rows.append(
                {
                    "symbol": q["symbol"],
                    "sumOpenInterest": f"{usd / m.close(asset, day):.8f}",
                    "sumOpenInterestValue": f"{usd:.8f}",
                    "timestamp": _ms(day_start(day + timedelta(days=1))),
                }
            )
        return rows
    raise KeyError(path)


def _bybit_body(result: Any, at: datetime) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": _ms(at)}


def _bybit(m: Market, path: str, q: dict[str, str]) -> Any:
    asset = q["symbol"][:3].lower()
    now = DEMO_NOW - timedelta(seconds=2)
    if path.endswith("/tickers"):
        spot, mark = m.close(asset, TODAY), m.mark(asset)
        binance_usd = float(f"{OI_TODAY[asset]['binance'] / mark:.3f}") * mark
        value = sum(OI_TODAY[asset].values()) - binance_usd - OI_TODAY[asset]["okx"]
        prev = m.close(asset, TODAY - timedelta(days=1))
        row = {
            "symbol": q["symbol"],
            "lastPrice": f"{mark:.2f}",
            "indexPrice": f"{spot:.2f}",
            "markPrice": f"{mark:.2f}",
            "prevPrice24h": f"{prev:.2f}",
            "price24hPcnt": f"{spot / prev - 1:.6f}",
            "highPrice24h": f"{max(spot, prev) * 1.021:.2f}",
            "lowPrice24h": f"{min(spot, prev) * 0.984:.2f}",
            "prevPrice1h": f"{spot * 1.002:.2f}",
            "openInterest": f"{value / mark:.3f}",
            "openInterestValue": f"{value:.2f}",
            "turnover24h": f"{value * 0.9:.4f}",
            "volume24h": f"{value * 0.9 / spot:.4f}",
            "fundingRate": f"{FUNDING_NOW[asset]['bybit']:.8f}".rstrip("0"),
            "nextFundingTime": str(_ms(day_start(TODAY + timedelta(days=1)))),
            "predictedDeliveryPrice": "",
            "basisRate": "",
            "deliveryFeeRate": "",
            "deliveryTime": "0",
            "ask1Size": "3.171",
            "bid1Price": f"{mark - 0.1:.2f}",
            "ask1Price": f"{mark:.2f}",
            "bid1Size": "11.406",
            "basis": "",
            "preOpenPrice": "",
            "preQty": "",
            "curPreListingPhase": "",
            "fundingIntervalHour": "8",
            "basisRateYear": "",
            "fundingCap": "0.005",
        }
        return _bybit_body({"category": "linear", "list": [row]}, now)
    if path.endswith("/funding/history"):
        rows = [
            {"symbol": q["symbol"], "fundingRate": f"{rate:.8f}", "fundingRateTimestamp": str(_ms(ts))}
            for ts, rate in m.settlements(asset, "bybit", int(q["limit"]))
        ]
        return _bybit_body({"category": "linear", "list": rows}, now)
    if path.endswith("/open-interest"):
        rows = []
        for k in range(1, int(q["limit"]) + 1):
            day = TODAY - timedelta(days=k)
            close = float(f"{m.close(asset, day):.2f}")
            rows.append(
                {
                    "openInterest": f"{m.oi_usd(asset, 'bybit', day) / close:.8f}",
                    "timestamp": str(_ms(day_start(day + timedelta(days=1)))),
                }
            )
        cursor = (
            f"lastid%3D{int(rng('bybit-cursor').integers(1e7, 9e7))}%26lasttime%3D{int(rows[-1]['timestamp']) // 1000}"
        )
        return _bybit_body({"symbol": q["symbol"], "category": "linear", "list": rows, "nextPageCursor": cursor}, now)
    if path.endswith("/kline"):
        rows = []
        for k in range(int(q["limit"])):
            day = TODAY - timedelta(days=k)
            close, prev = m.close(asset, day), m.close(asset, day - timedelta(days=1))
            rows.append(
                [
                    str(_ms(day_start(day))),
                    f"{prev:.2f}",
                    f"{max(prev, close) * 1.012:.2f}",
                    f"{min(prev, close) * 0.988:.2f}",
                    f"{close:.2f}",
                    f"{2.1e9 / close:.3f}",
                    f"{2.1e9:.4f}",
                ]
            )
        return _bybit_body({"symbol": q["symbol"], "category": "linear", "list": rows}, now)
    raise KeyError(path)


def _okx_body(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "data": data, "msg": ""}


def _okx(m: Market, path: str, q: dict[str, str]) -> Any:
    inst = q["instId"]
    asset = inst[:3].lower()
    now = _ms(DEMO_NOW - timedelta(seconds=1))
    if path.endswith("/public/funding-rate"):
        settle = day_start(TODAY + timedelta(days=1))
        last = m.settlements(asset, "okx", 1)[0][1]
        return _okx_body(
            [
                {
                    "formulaType": "noRate",
                    "fundingRate": f"{FUNDING_NOW[asset]['okx']:.10f}",
                    "fundingTime": str(_ms(settle)),
                    "impactValue": "",
                    "instId": inst,
                    "instType": "SWAP",
                    "interestRate": "0.0001",
                    "maxFundingRate": "0.00375",
                    "method": "current_period",
                    "minFundingRate": "-0.00375",
                    "nextFundingRate": "",
                    "nextFundingTime": str(_ms(settle + timedelta(hours=8))),
                    "premium": f"{FUNDING_NOW[asset]['okx'] - 0.00001:.10f}",
                    "settFundingRate": f"{last:.10f}",
                    "settState": "settled",
                    "ts": str(now),
                }
            ]
        )
    if path.endswith("/public/open-interest"):
        usd, spot = OI_TODAY[asset]["okx"], m.mark(asset)
        coins = usd / spot
        return _okx_body(
            [
                {
                    "instId": inst,
                    "instType": "SWAP",
                    "oi": f"{coins / CONTRACT[asset]:.2f}",
                    "oiCcy": f"{coins:.4f}",
                    "oiUsd": f"{usd:.4f}",
                    "ts": str(now),
                }
            ]
        )
    if path.endswith("/funding-rate-history"):
        return _okx_body(
            [
                {
                    "fundingRate": f"{rate:.10f}",
                    "fundingTime": str(_ms(ts)),
                    "instId": inst,
                    "instType": "SWAP",
                    "method": "current_period",
                    "realizedRate": f"{rate:.5f}",
                }  # OKX rounds it
                for ts, rate in m.settlements(asset, "okx", int(q["limit"]))
            ]
        )
    if path.endswith("/open-interest-history"):
        rows = []
        for k in range(1, int(q["limit"]) + 1):
            day = TODAY - timedelta(days=k)
            usd = m.oi_usd(asset, "okx", day)
            coins = usd / m.close(asset, day)
            rows.append(
                [
                    str(_ms(day_start(day + timedelta(days=1)))),
                    f"{coins / CONTRACT[asset]:.2f}",
                    f"{coins:.4f}",
                    f"{usd:.4f}",
                ]
            )
        return _okx_body(rows)
    raise KeyError(path)


_HOSTS: dict[str, Callable[[Market, str, dict[str, str]], Any]] = {
    "fapi.binance.com": _binance,
    "api.bybit.com": _bybit,
    "www.okx.com": _okx,
}


class _AnsweringClient:
    """Stands in for `HttpClient`: answers from the generated market and records each answer."""

    def __init__(self, directory: Path, market: Market) -> None:
        self.directory = directory
        self.market = market

    async def get_json(self, url: str, *, params: dict[str, Any] | None = None, **_: Any) -> Any:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        payload = _HOSTS[parts.hostname or ""](self.market, parts.path, query)
        write_json(self.directory, demo_request("GET", url, params=params), payload)
        return payload


def record(directory: Path, scenario: Scenario) -> None:
    client = _AnsweringClient(directory, Market(scenario))
    with pinned_now(DEMO_NOW):
        asyncio.run(Exchanges().fetch(client, None))  # type: ignore[arg-type]
