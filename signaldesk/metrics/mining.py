"""Hashprice: what one PH/s of hash rate earns miners per day, in USD.

hashprice(D) = blocks per day × (subsidy(D) + fees per block(D)) × close(D) / hash rate(D) in PH/s

- blocks per day: 144, the protocol's target (one block per 600 s). Difficulty retargets keep
  the real count within a few percent of it over a fortnight; Luxor's hashprice index uses the
  same expected count. A day with 150 blocks found would pay 4 % more than we state.
- subsidy: 50 BTC at genesis, halved every 210,000 blocks. We use the dates those heights were
  reached (UTC): 2012-11-28 → 25, 2016-07-09 → 12.5, 2020-05-11 → 6.25, 2024-04-20 → 3.125 BTC.
  The next halving (height 1,050,000) is *estimated* for 2028-04-15; replace that date with
  the real one when it happens — until then values near it are off by up to half the subsidy.
- fees per block: `btc_fee_per_block_btc` (mempool.space, mean over the UTC day). Fee data is
  carried forward at most 3 days to bridge the wider history buckets; beyond that, no value.
- hash rate: `hashrate_ehs` × 1000 = PH/s (1 EH/s = 1,000 PH/s).

Everything on day D uses values dated D (fees up to 3 days earlier): no look-ahead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signaldesk.metrics.derive import Derivation, History
from signaldesk.models import MetricKey

BLOCKS_PER_DAY = 144
PH_PER_EH = 1000.0
FEE_CARRY_DAYS = 3

#: (first UTC day of the era, subsidy in BTC per block). The last date is an estimate.
SUBSIDY_SCHEDULE: tuple[tuple[pd.Timestamp, float], ...] = (
    (pd.Timestamp("2009-01-03"), 50.0),
    (pd.Timestamp("2012-11-28"), 25.0),
    (pd.Timestamp("2016-07-09"), 12.5),
    (pd.Timestamp("2020-05-11"), 6.25),
    (pd.Timestamp("2024-04-20"), 3.125),
    (pd.Timestamp("2028-04-15"), 1.5625),  # estimated: height 1,050,000
)


def block_subsidy_btc(days: pd.DatetimeIndex) -> pd.Series:
    """New BTC per block on each day, from the halving schedule above.

    On a halving day itself blocks of both eras are found; we give the whole day the new subsidy.
    """
    starts = np.array([start.to_datetime64() for start, _ in SUBSIDY_SCHEDULE])
    values = np.array([value for _, value in SUBSIDY_SCHEDULE])
    index = np.searchsorted(starts, days.to_numpy(dtype="datetime64[ns]"), side="right") - 1
    subsidy = np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)
    return pd.Series(subsidy, index=days, name="subsidy_btc")


def hashprice_usd_per_ph_day(hashrate_ehs: pd.Series, close: pd.Series, fee_per_block_btc: pd.Series) -> pd.Series:
    """Miner revenue per PH/s per day (USD/PH/day), on the days with a hash rate and a close."""
    days = hashrate_ehs.dropna().index.intersection(close.dropna().index)
    if len(days) == 0:
        return pd.Series(dtype=float, name="hashprice_usd_per_ph_day")
    fees = fee_per_block_btc.dropna().sort_index()
    calendar = pd.date_range(min(days.min(), fees.index.min() if len(fees) else days.min()), days.max(), freq="D")
    fees_daily = fees.reindex(calendar).ffill(limit=FEE_CARRY_DAYS).reindex(days)
    revenue_btc = BLOCKS_PER_DAY * (block_subsidy_btc(days) + fees_daily)
    hashprice = revenue_btc * close.reindex(days) / (hashrate_ehs.reindex(days) * PH_PER_EH)
    return hashprice.dropna().rename("hashprice_usd_per_ph_day")


def _hashprice(history: History) -> dict[MetricKey, pd.Series]:
    close = history.get(("price_usd", "btc"))
    hashrate = history.get(("hashrate_ehs", ""))
    fees = history.get(("btc_fee_per_block_btc", ""))
    if close is None or hashrate is None or fees is None:
        return {}
    return {("hashprice_usd_per_ph_day", ""): hashprice_usd_per_ph_day(hashrate, close, fees)}


DERIVATIONS = (
    Derivation(
        "hashprice", ("hashrate_ehs", "price_usd", "btc_fee_per_block_btc"), ("hashprice_usd_per_ph_day",), _hashprice
    ),
)
