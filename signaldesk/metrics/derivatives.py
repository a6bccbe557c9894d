"""Derivatives-derived metrics: the cross-venue aggregates and the 7-day change of open interest.

The `exchanges` provider stores each venue's series on its own (`venue_funding_rate_8h`,
`venue_open_interest_usd`, entity `asset.venue`, e.g. `btc.binance`), because venues drop out:
Binance answers HTTP 451 to US and many cloud IPs, intermittently, and Bybit 403s US IPs. A sum
taken over whichever venues answered each day changes meaning with availability — older days
over three venues against today over two read as a fake −47 % change of open interest.

So the aggregates are taken over one venue set, the venues present on the latest day, on every
day where all of them are present (other days are left empty rather than compared with a
different set):
- `open_interest_usd` (entity asset) = Σ OIᵥ, in USD;
- `funding_rate_8h` (entity asset) = Σ fᵥ·OIᵥ / Σ OIᵥ (CoinGlass's "OI-weighted funding");
- `open_interest_change_7d` (entity asset) = OI_D / OI_{D−7} − 1, a fraction, on the calendar (a
  missing day leaves the value empty instead of comparing with the wrong day).
Which venues were missing today is the `exchanges` outcome's reason (status `partial`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.metrics.returns import change
from signaldesk.models import MetricKey

VENUE_FUNDING = "venue_funding_rate_8h"
VENUE_OI = "venue_open_interest_usd"


def venue_entity(asset: str, venue: str) -> str:
    """The entity of one venue's series for one asset: `btc.binance`."""
    return f"{asset}.{venue}"


def asset_of(entity: str) -> str:
    """`btc.binance` → `btc`."""
    return entity.partition(".")[0]


def venue_aggregate(
    funding: Mapping[str, pd.Series], open_interest: Mapping[str, pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """Per-venue daily series of one asset → (OI-weighted funding, summed OI), over one venue set.

    The set is the venues with both a funding rate and an OI on the latest day any venue has; a
    day enters the output only when every venue of the set has both on it.
    """
    venues = sorted(set(funding) & set(open_interest))
    rates = pd.DataFrame({v: funding[v] for v in venues}, dtype=float)
    oi = pd.DataFrame({v: open_interest[v] for v in venues}, dtype=float)
    index = rates.index.union(oi.index)
    rates, oi = rates.reindex(index), oi.reindex(index)
    present = rates.notna() & oi.notna()
    answered = present.index[present.any(axis=1)]
    if answered.empty:
        empty = pd.Series(dtype=float)
        return empty, empty
    members = [v for v in venues if present.loc[answered[-1], v]]
    complete = present[members].all(axis=1)
    total = oi.loc[complete, members].sum(axis=1)
    weighted = (rates.loc[complete, members] * oi.loc[complete, members]).sum(axis=1) / total
    return weighted, total


def _by_asset(history: History, metric_id: str) -> dict[str, dict[str, pd.Series]]:
    out: dict[str, dict[str, pd.Series]] = defaultdict(dict)
    for entity in entities(history, metric_id):
        out[asset_of(entity)][entity] = history[(metric_id, entity)]
    return out


def _aggregates(history: History) -> dict[MetricKey, pd.Series]:
    funding, oi = _by_asset(history, VENUE_FUNDING), _by_asset(history, VENUE_OI)
    out: dict[MetricKey, pd.Series] = {}
    for asset in sorted(set(funding) & set(oi)):
        weighted, total = venue_aggregate(funding[asset], oi[asset])
        out[("funding_rate_8h", asset)] = weighted
        out[("open_interest_usd", asset)] = total
    return out


def open_interest_change_7d(open_interest_usd: pd.Series) -> pd.Series:
    """7-calendar-day fractional change of open interest (USD in, fraction out)."""
    return change(open_interest_usd, 7)


def _oi_change(history: History) -> dict[MetricKey, pd.Series]:
    return {
        ("open_interest_change_7d", asset): open_interest_change_7d(history[("open_interest_usd", asset)])
        for asset in entities(history, "open_interest_usd")
    }


DERIVATIONS = (
    Derivation("venue_aggregate", (VENUE_FUNDING, VENUE_OI), ("funding_rate_8h", "open_interest_usd"), _aggregates),
    Derivation("open_interest_change", ("open_interest_usd",), ("open_interest_change_7d",), _oi_change),
)
