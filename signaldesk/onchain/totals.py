"""Exact per-day totals and the URPD from the day pairs, in NumPy, once for both engines.

Every one of these metrics is a window or interval sum over created and spent days, so it is a
per-day delta (what was created, spent, or came of age that day) accumulated by a running sum:
O(pairs + days), whatever the number of outputs. Sums of satoshis stay in int64 (at most the
chain's total); anything × cents or × days goes through `exact.group_sums` and per-day Python
integers, so the result is the same integers an exact SQL `DECIMAL(38,0)` query gives. Columns
and formulas: docs/onchain.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signaldesk.onchain.exact import group_sums, limb_bits

if TYPE_CHECKING:
    import numpy as np

DAY_COLUMNS: tuple[str, ...] = (
    "price_cents",
    "supply",
    "realized_cap",
    "lth_supply",
    "lth_cap",
    "spent_cost",
    "spent_value",
    "profit",
    "loss",
    "cdd",
    "cum_cdd",
    "thermocap",
    "coin_days_created",
)
"""What `day_totals` returns per day: sat, sat×cent and sat-days, as exact Python integers."""


def _bin_sums(index: np.ndarray, value: np.ndarray, size: int) -> np.ndarray:
    """Σ value per index 0..size-1 (int64: a sum of satoshis never exceeds the chain's total)."""
    import numpy as np

    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, index, value)
    return out


def _running(delta: np.ndarray) -> np.ndarray:
    """Running sum of exact per-day integers (object array: no overflow)."""
    import numpy as np

    return np.cumsum(delta.astype(object))


def day_totals(
    created: np.ndarray,
    spent: np.ndarray,
    value: np.ndarray,
    price_cents: np.ndarray,
    first_day: int,
    lth_days: int,
) -> dict[str, list[int]]:
    """The `DAY_COLUMNS` for each day first_day..first_day+len(price_cents)-1 (the as-of day).

    `created`, `spent`, `value`: the as-of day's pairs (int64 day numbers and satoshis, every
    creation on or before the as-of day), a spend after it (or none) given as the day after it.
    That day is one extra bin every per-day sum fills and drops: cheaper than filtering the pairs,
    nearly all of which are spent. A coin is long-term held (LTH) at the end of day d when
    d − created ≥ `lth_days` and it is still unspent: it joins the LTH supply on day
    created + lth_days unless spent by then, and leaves it on its spend day.
    """
    import numpy as np

    days = len(price_cents)
    bins = days + 1
    cohort, spend = created - first_day, spent - first_day
    bits = limb_bits(int(value.sum()))
    prices = price_cents.astype(object)

    made = _bin_sums(cohort, value, days)
    age = spend - cohort  # at the spend, or the day after the as-of day
    aged = _bin_sums(np.minimum(cohort + lth_days, days), value * (age > lth_days), bins)[:days]
    aged_cap = np.zeros(days, dtype=object)
    aged_cap[lth_days:] = aged[lth_days:].astype(object) * prices[: max(days - lth_days, 0)]

    value_old = value * (age > lth_days)  # spent (if by the as-of day) as LTH
    cost_price = price_cents[cohort]
    gain = np.append(price_cents, 0)[spend] - cost_price  # not spent by the as-of day: no gain, bin dropped
    spent_sat = _bin_sums(spend, value, bins)[:days]
    spent_cost, lth_cost = (sums[:days] for sums in group_sums(spend, cost_price, bins, bits, value, value_old))
    (profit,) = group_sums(spend, np.maximum(gain, 0), bins, bits, value)
    (cdd,) = group_sums(spend, age, bins, bits, value)
    profit, cdd = profit[:days], cdd[:days]
    spent_value = spent_sat.astype(object) * prices
    supply_delta = made - spent_sat
    supply = np.cumsum(supply_delta)

    columns = {
        "price_cents": prices,
        "supply": supply,
        "realized_cap": _running(made.astype(object) * prices - spent_cost),
        "lth_supply": np.cumsum(aged - _bin_sums(spend, value_old, bins)[:days]),
        "lth_cap": _running(aged_cap - lth_cost),
        "spent_cost": spent_cost,
        "spent_value": spent_value,
        "profit": profit,
        "loss": profit - (spent_value - spent_cost),  # Σ v × (p(s) − p(c)) = profit − loss
        "cdd": cdd,
        "cum_cdd": _running(cdd),
        "thermocap": _running(supply_delta.astype(object) * prices),
        "coin_days_created": _running(supply) - supply.astype(object),
    }
    return {name: columns[name].tolist() for name in DAY_COLUMNS}


def urpd_supply(
    created: np.ndarray,
    spent: np.ndarray,
    value: np.ndarray,
    price_cents: np.ndarray,
    first_day: int,
    buckets: int,
    ath_cents: int,
) -> list[int]:
    """Unspent satoshis on the as-of day per price bucket 0..buckets-1.

    A cohort falls in bucket ⌊buckets × its close ÷ `ath_cents`⌋ (the highest close up to the
    as-of day), the top one also holding the all-time-high close itself. Same pairs as `day_totals`.
    """
    import numpy as np

    unspent = spent - first_day >= len(price_cents)
    cohort_price = price_cents[created[unspent] - first_day]
    bucket = np.minimum(buckets * cohort_price // ath_cents, buckets - 1)
    return _bin_sums(bucket, value[unspent], buckets).tolist()
