"""A seeded, documented market scenario ending on 2026-02-25 — the day of seed report 000.

Prices follow Brownian bridges in log space through anchor closes (the real cycle's turning
points, rounded), so the history looks like a market: crashes, rallies, the 2025-10-06 ATH near
$126K, and the slide to $62.9K on 2026-02-25. Where seed 000 states a value for that day
(Fear & Greed 8, ETH gas 1.41 Gwei, SOL DEX volume $2.72B, ETF outflow $203.8M …) the demo data
hits it exactly; everything else is generated. `SEED` fixes every random draw.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from tools.demo import exactmath

SEED = 20260225
START = date(2018, 2, 1)
AS_OF = date(2026, 2, 25)
#: US market full-day closures (NYSE/Nasdaq) in the demo's windows, weekends aside: no stock
#: close (Yahoo) and no ETF flow row (Farside) on these days.
US_MARKET_HOLIDAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in (
        "2024-01-15",
        "2024-02-19",
        "2024-03-29",
        "2024-05-27",
        "2024-06-19",
        "2024-07-04",
        "2024-09-02",
        "2024-11-28",
        "2024-12-25",
        "2025-01-01",
        "2025-01-09",
        "2025-01-20",
        "2025-02-17",
        "2025-04-18",
        "2025-05-26",
        "2025-06-19",
        "2025-07-04",
        "2025-09-01",
        "2025-11-27",
        "2025-12-25",
        "2026-01-01",
        "2026-01-19",
        "2026-02-16",
    )
)

#: Anchor closes (USD) the BTC path passes through; between them it wanders.
BTC_ANCHORS: dict[str, float] = {
    "2018-02-01": 9_100,
    "2018-12-15": 3_200,
    "2019-06-26": 12_900,
    "2020-03-12": 4_900,
    "2020-12-31": 29_000,
    "2021-04-14": 63_500,
    "2021-07-20": 29_800,
    "2021-11-10": 67_500,
    "2022-06-18": 19_000,
    "2022-11-21": 15_800,
    "2023-12-31": 42_300,
    "2024-03-13": 73_000,
    "2024-08-05": 54_000,
    "2024-12-17": 106_000,
    "2025-04-08": 76_300,
    "2025-10-06": 126_200,
    "2025-12-01": 86_000,
    "2026-01-14": 97_000,
    "2026-02-05": 66_000,
    "2026-02-20": 67_800,
    "2026-02-25": 62_900,
}
ETH_ANCHORS: dict[str, float] = {
    "2018-02-01": 1_030,
    "2018-12-15": 85,
    "2019-06-26": 330,
    "2020-03-12": 110,
    "2020-12-31": 740,
    "2021-05-12": 4_200,
    "2021-07-20": 1_780,
    "2021-11-10": 4_700,
    "2022-06-18": 990,
    "2022-11-21": 1_100,
    "2023-12-31": 2_280,
    "2024-03-13": 4_000,
    "2024-08-05": 2_400,
    "2024-12-17": 3_900,
    "2025-04-08": 1_470,
    "2025-08-24": 4_850,
    "2025-12-01": 2_800,
    "2026-01-14": 3_300,
    "2026-02-25": 1_840,
}
SOL_ANCHORS: dict[str, float] = {
    "2020-04-10": 0.95,
    "2020-12-31": 1.5,
    "2021-11-06": 258,
    "2022-12-29": 9.9,
    "2023-12-31": 101,
    "2024-03-18": 202,
    "2025-01-19": 261,
    "2025-04-08": 106,
    "2025-09-18": 245,
    "2026-01-14": 145,
    "2026-02-25": 79.5,
}
#: Fear & Greed anchors (0–100); the path is clipped and rounded like the real index.
FNG_ANCHORS: dict[str, float] = {
    "2018-02-01": 30,
    "2018-12-15": 10,
    "2019-06-26": 88,
    "2020-03-12": 8,
    "2020-12-31": 92,
    "2021-04-14": 80,
    "2021-07-20": 18,
    "2021-11-10": 75,
    "2022-06-18": 6,
    "2022-11-21": 20,
    "2023-12-31": 70,
    "2024-03-13": 88,
    "2024-08-05": 26,
    "2024-12-17": 87,
    "2025-04-08": 18,
    "2025-10-06": 72,
    "2025-12-01": 20,
    "2026-01-14": 49,
    "2026-02-05": 11,
    "2026-02-20": 15,
    "2026-02-24": 11,
    "2026-02-25": 8,
}


def rng(name: str) -> np.random.Generator:
    """An independent, reproducible random stream per named series (stable across Python runs)."""
    digest = hashlib.sha256(f"{SEED}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def bridge(anchors: dict[str, float], *, daily_vol: float, name: str, log: bool = True) -> pd.Series:
    """A daily path through `anchors` (exact at each anchor): Brownian bridges between them.

    `daily_vol` is the standard deviation of daily steps (log returns when `log`); a bridge keeps
    the endpoints fixed, so the seed's stated values hold exactly on their days.
    """
    gen = rng(name)
    points = sorted((pd.Timestamp(d), v) for d, v in anchors.items())
    pieces = []
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        n = (t1 - t0).days
        a, b = (exactmath.log(v0), exactmath.log(v1)) if log else (v0, v1)
        walk = np.concatenate([[0.0], np.cumsum(gen.normal(0.0, daily_vol, n))])
        steps = np.arange(n + 1) / n
        path = a + walk - steps * walk[-1] + steps * (b - a)
        pieces.append(pd.Series(exactmath.exp(path) if log else path, index=pd.date_range(t0, t1, freq="D"))[:-1])
    last_t, last_v = points[-1]
    pieces.append(pd.Series([last_v], index=[last_t]))
    path = pd.concat(pieces)
    # The highest anchor is the all-time high: reflect any excursion above it back below, so the
    # demo's ATH is the anchor's day and value (a drawdown the seed can quote).
    peak = max(v for _, v in points)
    above = path > peak
    path[above] = peak**2 / path[above] if log else 2 * peak - path[above]
    return path.rename(name)


@dataclass(frozen=True)
class Scenario:
    """The demo market: daily series indexed by tz-naive dates meaning UTC days."""

    as_of: date = AS_OF

    @cached_property
    def btc(self) -> pd.Series:
        return bridge(BTC_ANCHORS, daily_vol=0.03, name="btc")

    @cached_property
    def eth(self) -> pd.Series:
        return bridge(ETH_ANCHORS, daily_vol=0.042, name="eth")

    @cached_property
    def sol(self) -> pd.Series:
        return bridge(SOL_ANCHORS, daily_vol=0.055, name="sol")

    def price(self, asset: str) -> pd.Series:
        """Daily USD close of `btc`, `eth` or `sol`."""
        return {"btc": self.btc, "eth": self.eth, "sol": self.sol}[asset]

    def volume(self, asset: str) -> pd.Series:
        """Daily USD spot volume: proportional to price level, louder on big moves."""
        close = self.price(asset)
        base = {"btc": 3.2e10, "eth": 1.5e10, "sol": 3.0e9}[asset]
        moves = close.pct_change().abs().fillna(0.0)
        noise = exactmath.exp(rng(f"{asset}-vol").normal(0, 0.25, len(close)))
        level = np.sqrt(close / close.iloc[-1])
        return (base * level * (1 + 12 * moves) * noise).rename(f"{asset}_volume")

    @cached_property
    def fear_greed(self) -> pd.Series:
        path = bridge(FNG_ANCHORS, daily_vol=4.0, name="fng", log=False)
        return path.clip(1, 99).round().rename("fear_greed")

    @cached_property
    def btc_supply(self) -> pd.Series:
        """Circulating BTC: issuance halves at each halving (2020-05-11, 2024-04-20)."""
        days = self.btc.index
        per_day = np.where(days < "2020-05-11", 1800.0, np.where(days < "2024-04-20", 900.0, 450.0))
        supply = 16_850_000 + np.cumsum(per_day)
        return pd.Series(supply, index=days, name="supply_btc")

    @cached_property
    def realized_price(self) -> pd.Series:
        """A realised-price-like path: a slow, volume-weighted memory of past prices."""
        close = self.btc
        rp = close.ewm(alpha=exactmath.halflife_alpha(420), adjust=False).mean() * 0.72
        return rp.rename("realized_price")
