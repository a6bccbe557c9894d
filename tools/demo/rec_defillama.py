"""Demo recordings for DeFiLlama: TVL, stablecoin and DEX-volume histories per chain, 2024-01-01 on.

Seed 000's chain table for 2026-02-25 is hit exactly: Ethereum TVL $55.0B, Solana TVL $12.0B,
all-chain stablecoin supply $308.8B with +0.26 % in 7 days (≈ +$0.8B), Solana stablecoins $9.0B,
Ethereum DEX 24 h $2.0B, Solana DEX 24 h $2.72B (DeFiLlama's `total24h`, which is the volume of the
last complete UTC day, 2026-02-24). The seed's table prints $308.8B on the Ethereum
row, but that is the all-chains total (DeFiLlama's `/stablecoincharts/all`); Ethereum itself
carries about 55 % of it here ($169.8B), as on the real chain.

Shapes follow the real endpoints: TVL `date` is an int, stablecoin `date` a string, stablecoin
values per peg under `totalCirculatingUSD` (a little EUR next to USD), DEX `totalDataChart` as
`[[unix_s, usd], …]` ending with today's partial day, plus `total24h` = the chart's last complete day
(as defillama-server computes it). Histories start on
2024-01-01 to keep each recording small (the real ones go back to each chain's launch).
Levels wander as seeded Brownian bridges through round-number anchors (the 2024–2025 cycle).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.defillama import (
    ALL_CHAINS,
    CHAIN_NAMES,
    DEFAULT_CHAINS,
    DEX_PARAMS,
    DEX_URL,
    STABLES_URL,
    TVL_URL,
)
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

START = "2024-01-01"
END = "2026-02-25"
B = 1e9

TVL_ANCHORS: dict[str, dict[str, float]] = {
    "ethereum": {
        START: 33.0,
        "2024-03-13": 58.0,
        "2024-08-05": 44.0,
        "2024-12-17": 76.0,
        "2025-04-08": 45.0,
        "2025-08-24": 96.0,
        "2025-10-06": 92.0,
        "2025-12-01": 68.0,
        "2026-01-14": 74.0,
        "2026-02-05": 58.0,
        END: 55.0,
    },
    "solana": {
        START: 1.45,
        "2024-03-18": 4.6,
        "2025-01-19": 12.2,
        "2025-04-08": 6.6,
        "2025-09-18": 13.8,
        "2026-01-14": 12.6,
        "2026-02-05": 11.6,
        "2026-02-18": 11.8,
        END: 12.0,
    },
    "bsc": {START: 3.4, "2024-12-17": 6.2, "2025-04-08": 5.0, "2025-10-06": 8.4, "2026-01-14": 7.0, END: 5.6},
    "tron": {START: 8.2, "2024-12-17": 9.8, "2025-04-08": 6.0, "2025-10-06": 5.2, END: 4.4},
    "arbitrum": {START: 2.4, "2024-03-13": 3.5, "2024-12-17": 3.3, "2025-04-08": 2.0, "2025-10-06": 3.1, END: 2.05},
    "base": {START: 0.45, "2024-12-17": 3.9, "2025-04-08": 2.6, "2025-10-06": 5.2, END: 3.9},
}
#: All-chain stablecoin supply ($B); 2026-02-18 is set so that the week's change is +0.26 %.
STABLES_TOTAL: dict[str, float] = {
    START: 130.5,
    "2024-06-30": 161.0,
    "2024-12-31": 205.0,
    "2025-06-30": 251.0,
    "2025-10-06": 296.0,
    "2026-01-14": 311.5,
    "2026-02-18": 308.8 / 1.0026,
    END: 308.8,
}
#: Each chain's share of the all-chain supply (Ethereum ≈ 55 %, Tron ≈ 26 % …).
STABLE_SHARES: dict[str, dict[str, float]] = {
    "ethereum": {START: 0.54, "2025-01-01": 0.56, END: 0.55},
    "tron": {START: 0.36, "2025-01-01": 0.29, END: 0.262},
    "solana": {START: 0.014, "2025-01-01": 0.025, "2025-06-30": 0.043, END: 9.0 / 308.8},
    "bsc": {START: 0.035, "2025-01-01": 0.030, END: 0.037},
    "arbitrum": {START: 0.026, "2025-01-01": 0.016, END: 0.0135},
    "base": {START: 0.003, "2025-01-01": 0.017, END: 0.0145},
}
STABLE_EXACT = {"solana": 9.0}
"""Per-chain supplies the seed states for 2026-02-25 ($B), pinned exactly."""
EUR_SHARE = {"": 0.0011, "ethereum": 0.0016}
"""EUR stablecoins (EURC, EURS …) as a share of the supply, where they matter."""
EURUSD = 1.08

DEX_ANCHORS: dict[str, dict[str, float]] = {
    "ethereum": {
        START: 1.3,
        "2024-03-13": 3.2,
        "2024-08-05": 2.6,
        "2024-12-17": 3.0,
        "2025-04-08": 2.0,
        "2025-08-24": 4.2,
        "2025-10-06": 3.5,
        "2026-01-14": 2.2,
        END: 2.0,
    },
    "solana": {
        START: 1.1,
        "2024-03-18": 3.5,
        "2025-01-19": 8.5,
        "2025-04-08": 2.0,
        "2025-09-18": 3.6,
        "2026-01-14": 2.9,
        END: 2.7,
    },
    "bsc": {START: 0.45, "2024-12-17": 1.5, "2025-06-15": 4.0, "2025-10-06": 4.5, END: 1.5},
    "tron": {START: 0.05, "2024-12-17": 0.15, END: 0.08},
    "arbitrum": {START: 0.8, "2024-03-13": 1.6, "2025-04-08": 0.7, "2025-10-06": 1.2, END: 0.72},
    "base": {START: 0.06, "2024-03-13": 0.8, "2024-12-17": 1.6, "2025-04-08": 0.9, "2025-10-06": 1.5, END: 1.2},
}
#: Seed 000's "DEX 24h" column, as DeFiLlama's `total24h` read on 2026-02-25: the volume of 2026-02-24 (USD).
TOTAL_24H = {
    "ethereum": 2.0 * B,
    "solana": 2.72 * B,
    "bsc": 1.46 * B,
    "tron": 0.079 * B,
    "arbitrum": 0.71 * B,
    "base": 1.18 * B,
}
PROTOCOLS = {
    "ethereum": (
        ("Uniswap V3", "uniswap-v3", 0.42),
        ("Uniswap V4", "uniswap-v4", 0.18),
        ("Curve DEX", "curve-dex", 0.09),
    ),
    "solana": (
        ("Raydium AMM", "raydium-amm", 0.22),
        ("Meteora DLMM", "meteora-dlmm", 0.19),
        ("Orca DEX", "orca-dex", 0.15),
    ),
    "bsc": (("PancakeSwap AMM V3", "pancakeswap-amm-v3", 0.61),),
    "tron": (("SunSwap V2", "sunswap-v2", 0.55),),
    "arbitrum": (("Uniswap V3", "uniswap-v3", 0.47),),
    "base": (("Aerodrome Slipstream", "aerodrome-slipstream", 0.44), ("Uniswap V3", "uniswap-v3", 0.21)),
}


def _ts(day: pd.Timestamp) -> int:
    return int(day.tz_localize(UTC).timestamp())


def _exact(series: pd.Series, anchors: dict[str, float], scale: float) -> pd.Series:
    """Pin the anchor days to their exact values (exp(log(x)) may be off in the last digit)."""
    out = series.copy()
    for day, value in anchors.items():
        out[pd.Timestamp(day)] = value * scale
    return out


def tvl_series(chain: str) -> pd.Series:
    anchors = TVL_ANCHORS[chain]
    return _exact(bridge(anchors, daily_vol=0.015, name=f"tvl-{chain}") * B, anchors, B)


def stablecoin_series(chain: str) -> pd.Series:
    """All-chain ('') or per-chain stablecoin supply in USD."""
    total = _exact(bridge(STABLES_TOTAL, daily_vol=0.0015, name="stables-all") * B, STABLES_TOTAL, B)
    if chain == "":
        return total
    shares = STABLE_SHARES[chain]
    share = bridge(shares, daily_vol=shares[END] * 0.0015, name=f"stables-{chain}", log=False)
    series = total * share
    if chain in STABLE_EXACT:
        series = _exact(series, {END: STABLE_EXACT[chain]}, B)
    return series


def dex_series(chain: str) -> pd.Series:
    """Daily DEX volume (USD): a wandering level, day-to-day noise, quieter weekends; the seed's day pinned."""
    level = bridge(DEX_ANCHORS[chain], daily_vol=0.03, name=f"dex-{chain}") * B
    noise = exactmath.exp(rng(f"dex-noise-{chain}").normal(0.0, 0.18, len(level)))
    weekend = np.where(level.index.day_of_week >= 5, 0.8, 1.0)
    daily = level * noise * weekend
    daily[pd.Timestamp(END) - pd.Timedelta(days=1)] = TOTAL_24H[chain]
    return daily


def _pegs(total: float, eur_share: float) -> tuple[dict[str, float], dict[str, float]]:
    """(totalCirculating in each peg's unit, totalCirculatingUSD) summing to `total` USD."""
    eur_usd = round(total * eur_share, 2)
    usd = round(total - eur_usd, 2)
    native = {"peggedUSD": round(usd * 0.9994, 2)}
    in_usd = {"peggedUSD": usd}
    if eur_share:
        native["peggedEUR"] = round(eur_usd / EURUSD, 2)
        in_usd["peggedEUR"] = eur_usd
    return native, in_usd


def _stablecoin_payload(chain: str) -> list[dict]:
    rows = []
    for day, total in stablecoin_series(chain).items():
        native, in_usd = _pegs(float(total), EUR_SHARE.get(chain, 0.0))
        row: dict = {"date": str(_ts(day)), "totalCirculating": native, "totalCirculatingUSD": in_usd}
        if chain:
            row["totalBridgedToUSD"] = {"peggedUSD": round(in_usd["peggedUSD"] * 0.004, 2)}
        rows.append(row)
    return rows


def _dex_payload(chain: str) -> dict:
    daily = dex_series(chain)
    today = pd.Timestamp(END)
    complete = daily[daily.index < today]
    elapsed = (DEMO_NOW - datetime(2026, 2, 25, tzinfo=UTC)).total_seconds() / 86400
    chart = [[_ts(d), round(float(v), 2)] for d, v in complete.items()]
    chart.append([_ts(today), round(float(daily[today]) * elapsed, 2)])  # today, still accruing
    last = complete.iloc[::-1]  # newest complete day first: the server's "today" record is yesterday's
    total24h = float(last.iloc[0])

    def pct(a: float, b: float) -> float:
        return round((a / b - 1.0) * 100.0, 2)

    total7d = float(last.iloc[:7].sum())
    prev7d = float(last.iloc[7:14].sum())
    total30d = float(last.iloc[:30].sum())
    prev30d = float(last.iloc[30:60].sum())
    name = CHAIN_NAMES[chain].tvl
    protocols = [
        {
            "defillamaId": str(1000 + i),
            "name": pname,
            "displayName": pname,
            "module": slug.split("-")[0],
            "category": "Dexs",
            "chains": [name],
            "protocolType": "protocol",
            "slug": slug,
            "total24h": round(total24h * share, 2),
            "total7d": round(total7d * share, 2),
            "total30d": round(total30d * share, 2),
            "change_1d": pct(total24h, float(last.iloc[1])),
            "breakdown24h": {chain: {pname: round(total24h * share, 2)}},
        }
        for i, (pname, slug, share) in enumerate(PROTOCOLS[chain])
    ]
    return {
        "totalDataChart": chart,
        "totalDataChartBreakdown": [],
        "breakdown24h": None,
        "chain": name,
        "allChains": ["Ethereum", "Solana", "BSC", "Base", "Arbitrum", "Tron", "Polygon", "Avalanche"],
        "total24h": total24h,
        "total48hto24h": round(float(last.iloc[1]), 2),
        "total7d": round(total7d, 2),
        "total14dto7d": round(prev7d, 2),
        "total30d": round(total30d, 2),
        "total60dto30d": round(prev30d, 2),
        "totalAllTime": round(float(complete.sum()), 2),
        "change_1d": pct(total24h, float(last.iloc[1])),
        "change_7d": pct(total24h, float(last.iloc[7])),
        "change_1m": pct(total24h, float(last.iloc[30])),
        "change_7dover7d": pct(total7d, prev7d),
        "change_30dover30d": pct(total30d, prev30d),
        "protocols": protocols,
    }


def record(directory: Path, scenario: Scenario) -> None:
    del scenario  # chain liquidity is not driven by the price scenario; it has its own anchors
    for chain in DEFAULT_CHAINS:
        names = CHAIN_NAMES[chain]
        tvl = [{"date": _ts(d), "tvl": round(float(v), 2)} for d, v in tvl_series(chain).items()]
        write_json(directory, demo_request("GET", TVL_URL.format(chain=names.tvl)), tvl)
        write_json(
            directory, demo_request("GET", STABLES_URL.format(chain=names.stablecoins)), _stablecoin_payload(chain)
        )
        write_json(
            directory, demo_request("GET", DEX_URL.format(chain=names.dex), params=DEX_PARAMS), _dex_payload(chain)
        )
    write_json(directory, demo_request("GET", STABLES_URL.format(chain=ALL_CHAINS)), _stablecoin_payload(""))
