"""Chain-liquidity changes: stablecoin supply, TVL and DEX volume week over week.

Inputs are DeFiLlama's daily series per chain (entity = lower-case chain name; `""` = all chains
for stablecoins). Every output on day D uses data up to D only (trailing calendar windows), and a
missing day inside a window yields no value rather than a window silently stretched over the gap.
"""

from __future__ import annotations

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.metrics.returns import change, delta
from signaldesk.models import MetricKey

WEEK = 7


def stablecoin_supply_change_7d(supply: pd.Series) -> pd.Series:
    """supply_D / supply_{D−7} − 1: a fraction (0.0026 = +0.26 % in a week)."""
    return change(supply, WEEK)


def stablecoin_supply_delta_usd_7d(supply: pd.Series) -> pd.Series:
    """supply_D − supply_{D−7} in USD (+8.0e8 = $0.8B minted net in a week)."""
    return delta(supply, WEEK)


def chain_tvl_change_7d(tvl: pd.Series) -> pd.Series:
    """tvl_D / tvl_{D−7} − 1: a fraction."""
    return change(tvl, WEEK)


def dex_volume_change_7d(volume: pd.Series) -> pd.Series:
    """Mean daily volume of D−6…D over the mean of D−13…D−7, minus 1: a fraction.

    Weekly means, not single days, because DEX volume swings ±30 % day to day and weekends are
    quiet; both windows must be complete (7 days each), else NaN.
    """
    daily = volume.asfreq("D")
    week = daily.rolling(WEEK, min_periods=WEEK).mean()
    return (week / week.shift(WEEK) - 1.0).reindex(volume.index)


def _stablecoins(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    for chain in entities(history, "stablecoin_supply_usd"):
        supply = history[("stablecoin_supply_usd", chain)]
        out[("stablecoin_supply_change_7d", chain)] = stablecoin_supply_change_7d(supply)
        out[("stablecoin_supply_delta_usd_7d", chain)] = stablecoin_supply_delta_usd_7d(supply)
    return out


def _tvl(history: History) -> dict[MetricKey, pd.Series]:
    return {
        ("chain_tvl_change_7d", chain): chain_tvl_change_7d(history[("chain_tvl_usd", chain)])
        for chain in entities(history, "chain_tvl_usd")
    }


def _dex(history: History) -> dict[MetricKey, pd.Series]:
    return {
        ("dex_volume_change_7d", chain): dex_volume_change_7d(history[("dex_volume_usd_24h", chain)])
        for chain in entities(history, "dex_volume_usd_24h")
    }


DERIVATIONS = (
    Derivation(
        "stablecoin_supply_week",
        ("stablecoin_supply_usd",),
        ("stablecoin_supply_change_7d", "stablecoin_supply_delta_usd_7d"),
        _stablecoins,
    ),
    Derivation("chain_tvl_week", ("chain_tvl_usd",), ("chain_tvl_change_7d",), _tvl),
    Derivation("dex_volume_week", ("dex_volume_usd_24h",), ("dex_volume_change_7d",), _dex),
)
