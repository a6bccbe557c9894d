"""Turn an `OnchainResult` into store observations (source `onchain_engine`).

Daily series go in under their catalog ids with entity `""`, one per UTC day (ts = 00:00 UTC of
the day, the store's convention for daily values); non-finite values (e.g. SOPR on a day nothing
moved) are skipped. URPD goes in as `urpd_supply_btc` on the as-of day only, one observation per
bucket, entity = the bucket's lower price in USD with two decimals (e.g. `"24000.00"`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from signaldesk.clock import day_start
from signaldesk.models import Observation
from signaldesk.onchain import SOURCE
from signaldesk.onchain.engine import OnchainResult


def bucket_entity(price_low: float) -> str:
    """The URPD entity for a bucket: its lower bound in USD, two decimals."""
    return f"{price_low:.2f}"


def observations(result: OnchainResult, metrics: Iterable[str]) -> list[Observation]:
    """Every finite daily value of `metrics`, plus the as-of day's URPD buckets."""
    out: list[Observation] = []
    for metric in metrics:
        for stamp, value in result.daily[metric].items():
            if math.isfinite(value):
                out.append(Observation(metric, "", day_start(stamp.date()), float(value), SOURCE))
    as_of = day_start(result.as_of)
    for row in result.urpd.itertuples(index=False):
        out.append(Observation("urpd_supply_btc", bucket_entity(row.price_low), as_of, float(row.supply_btc), SOURCE))
    return out
