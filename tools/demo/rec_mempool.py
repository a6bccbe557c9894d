"""Demo recordings for mempool.space: fee recommendation, 3 years of daily hash rate, block fees.

The hash rate path (also used by the Coin Metrics recording) passes through the network's real
turning points, rounded: ~25 EH/s in early 2018, the mid-2021 China ban halving, ~640 EH/s before
the April 2024 halving, ~1,100 EH/s in October 2025 and 1,000 EH/s on 2026-02-24. Fees per block
follow the fee market's episodes (2021 bull market, 2023 inscriptions, the halving-day spike,
the quiet 2025–26 mempool at ~0.02 BTC per block).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.mempool import BLOCK_FEES_URL, FEES_URL, FIRST_WINDOW, HASHRATE_URL
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

HASHRATE_ANCHORS: dict[str, float] = {
    "2018-02-01": 24,
    "2018-08-31": 55,
    "2018-12-15": 35,
    "2019-06-26": 65,
    "2020-03-12": 110,
    "2020-03-28": 95,
    "2020-05-11": 118,
    "2020-06-15": 100,
    "2021-05-12": 180,
    "2021-07-02": 85,
    "2021-12-31": 180,
    "2022-06-18": 210,
    "2022-11-21": 250,
    "2023-12-31": 500,
    "2024-04-19": 640,
    "2024-07-05": 560,
    "2024-12-17": 780,
    "2025-04-08": 830,
    "2025-10-06": 1_100,
    "2026-01-14": 1_050,
    "2026-02-24": 1_000,
    "2026-02-25": 990,
}
FEE_PER_BLOCK_ANCHORS: dict[str, float] = {
    "2018-02-01": 0.9,
    "2018-12-15": 0.15,
    "2019-06-26": 0.5,
    "2020-03-12": 0.2,
    "2021-04-14": 2.2,
    "2021-07-20": 0.2,
    "2022-06-18": 0.1,
    "2023-05-08": 1.0,
    "2023-09-01": 0.2,
    "2023-12-16": 1.3,
    "2024-04-19": 0.5,
    "2024-04-20": 6.0,
    "2024-04-22": 1.0,
    "2024-08-05": 0.08,
    "2024-12-17": 0.15,
    "2025-04-08": 0.03,
    "2025-10-06": 0.025,
    "2026-02-25": 0.02,
}
#: Block height reached on the 2024 halving day, to number the demo's blocks.
HALVING_2024 = (pd.Timestamp("2024-04-20"), 840_000)
TWO_32 = 2.0**32


@cache
def hashrate_ehs() -> pd.Series:
    """Daily network hash rate (EH/s) of the demo, 2018-02-01 … 2026-02-25."""
    path = bridge(HASHRATE_ANCHORS, daily_vol=0.02, name="hashrate")
    noise = exactmath.exp(rng("hashrate-noise").normal(0.0, 0.03, len(path)))
    noise[-2:] = 1.0  # keep the anchored last days exact
    return (path * noise).rename("hashrate_ehs")


@cache
def fee_per_block_btc() -> pd.Series:
    """Daily mean transaction fees per block (BTC) of the demo."""
    return bridge(FEE_PER_BLOCK_ANCHORS, daily_vol=0.12, name="fees-per-block").rename("fee_per_block_btc")


def _js_number(value: float) -> float | int:
    """What JavaScript's JSON.stringify writes: integers in full below 1e21, exponent beyond."""
    return int(value) if value < 1e21 else float(f"{value:.16e}")


def _height(day: pd.Timestamp) -> int:
    start, height = HALVING_2024
    return height + int((day - start) / pd.Timedelta(days=1) * 144)


def record(directory: Path, scenario: Scenario) -> None:
    today = pd.Timestamp(DEMO_NOW.date())
    write_json(
        directory,
        demo_request("GET", FEES_URL),
        {"fastestFee": 2, "halfHourFee": 1, "hourFee": 1, "economyFee": 1, "minimumFee": 1},
    )

    first = today - pd.Timedelta(days=3 * 365)
    # mempool writes a day's hash rate once the day is over: the newest point is yesterday.
    hashrate = hashrate_ehs()[first : today - pd.Timedelta(days=1)]
    points = [
        {"timestamp": int(day.timestamp()), "avgHashrate": _js_number(ehs * 1e18)} for day, ehs in hashrate.items()
    ]
    difficulty = []
    adjustment = today - pd.Timedelta(days=3)
    while adjustment >= first:
        height = _height(adjustment) // 2016 * 2016
        value = float(hashrate_ehs()[adjustment]) * 1e18 * 600 / TWO_32
        difficulty.append(
            {
                "timestamp": int((adjustment + pd.Timedelta(hours=7, minutes=13)).timestamp()),
                "difficulty": round(value, 2),
                "height": height,
            }
        )
        adjustment -= pd.Timedelta(days=14)
    difficulty.reverse()
    current = float(hashrate_ehs()[today])
    payload = {
        "hashrates": points,
        "difficulty": difficulty,
        "currentHashrate": _js_number(current * 1e18),
        "currentDifficulty": difficulty[-1]["difficulty"],
    }
    write_json(directory, demo_request("GET", HASHRATE_URL.format(window=FIRST_WINDOW)), payload)

    # blocks/fees/3y groups blocks in 12-hour buckets (UNIX_TIMESTAMP DIV 43200): two a day.
    gen = rng("block-fee-buckets")
    close = scenario.btc
    buckets = []
    day = first
    while day <= today:
        for half in (0, 1):
            start = day + timedelta(hours=12 * half)
            if start + timedelta(hours=6) > pd.Timestamp(DEMO_NOW.replace(tzinfo=None)):
                continue
            sats = float(fee_per_block_btc()[day]) * 1e8 * exactmath.exp(float(gen.normal(0.0, 0.1)))
            mid = start + timedelta(hours=6, minutes=int(gen.integers(-40, 40)))
            buckets.append(
                {
                    "avgHeight": _height(mid),
                    "timestamp": int(mid.timestamp()),
                    "avgFees": round(sats),
                    "USD": round(float(close[day])),
                }
            )
        day += pd.Timedelta(days=1)
    write_json(directory, demo_request("GET", BLOCK_FEES_URL.format(window=FIRST_WINDOW)), buckets)
