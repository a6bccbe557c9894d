"""Unrealised loss and supply in profit: every day's close against every unspent cohort's, exactly.

These two metrics compare each cohort's creation price with each day's price, a two-dimensional
(time × price) sum that running sums over days cannot give. Their input is the day-pairs table the
SQL scan produced (value per created day, spent day), fetched from either engine; this step never
sees the outputs, so the per-output work stays SQL written once for both engines. Here it is a
dense cohort × day grid of integers (D² for D days: 17 MB for a 4-year chain, 290 MB for
Bitcoin's ~6,000 days, independent of the number of outputs), summed a block of days at a time
in milliseconds where SQL spent a join and a group-by per cell.

Exact to the satoshi and cent with int64 only: unspent values are satoshis and every per-day sum
of them is at most the chain's total value T. Prices are split into limbs of `63 − bits(T)` bits,
so each Σ unspent × limb stays below 2⁶³; the limbs are recombined as Python integers per day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signaldesk.errors import OnchainError

if TYPE_CHECKING:
    import numpy as np

BLOCK_DAYS = 256
"""Days per block of the grid's temporaries: D × 256 integers each (12 MB for Bitcoin's ~6,000 days)."""


def _limbs(price_cents: np.ndarray, bits: int) -> np.ndarray:
    """Prices as rows of `bits`-bit digits, least significant first (shape: limbs × cohorts)."""
    import numpy as np

    count = max(1, -(-int(price_cents.max()).bit_length() // bits))
    mask = (1 << bits) - 1
    return np.stack([(price_cents >> (bits * k)) & mask for k in range(count)])


def price_conditioned(
    created: np.ndarray,
    spent: np.ndarray,
    value: np.ndarray,
    price_cents: np.ndarray,
    first_day: int,
    *,
    block_days: int = BLOCK_DAYS,
) -> tuple[list[int], list[int]]:
    """(unrealised loss in sat×cent, supply in profit in sat) for each day first_day..first_day+len(price_cents)-1.

    `created`, `spent`, `value`: the as-of day's pairs (int64 day numbers and satoshis), a spend
    after the as-of day (or none) given as any later day; (created, spent) pairs with a spend on or
    before the as-of day are unique. `price_cents`: one close per day from `first_day` on.
    Unrealised loss = Σ unspent × (p(c) − p(d)) over cohorts created at a higher close than the
    day's; supply in profit = Σ unspent over cohorts created at a lower close (docs/onchain.md).
    """
    import numpy as np

    days = len(price_cents)
    cohort = created - first_day
    total = np.zeros(days, dtype=np.int64)
    np.add.at(total, cohort, value)
    bits = 63 - int(total.sum()).bit_length()
    if bits < 1:
        raise OnchainError("the chain's total value exceeds 2^62 satoshis: too large for exact 64-bit sums")
    limbs = _limbs(price_cents, bits)
    # spent_by[c, d]: value of cohort c spent by the end of day d ((created, spent) pairs are unique)
    spend_day = spent - first_day
    by_then = spend_day < days
    spent_by = np.zeros((days, days), dtype=np.int64)
    spent_by.reshape(-1)[cohort[by_then] * days + spend_day[by_then]] = value[by_then]
    np.cumsum(spent_by, axis=1, out=spent_by)
    width = min(block_days, days)
    unborn = np.tri(width, width, -1, dtype=bool)  # within a block's own days: created after day d

    loss: list[int] = []
    in_profit: list[int] = []
    for start in range(0, days, width):
        stop = min(days, start + width)
        unspent = total[:stop, None] - spent_by[:stop, start:stop]  # rows: cohorts created by the block's end
        unspent[start:stop][unborn[: stop - start, : stop - start]] = 0
        cohort_price, day_price = price_cents[:stop, None], price_cents[None, start:stop]
        above = unspent * (cohort_price > day_price)
        in_profit.extend((unspent * (cohort_price < day_price)).sum(axis=0).tolist())
        weighted = np.einsum("kc,cd->kd", limbs[:, :stop], above).tolist()  # Σ unspent × limb, per limb and day
        held, closes = above.sum(axis=0).tolist(), price_cents[start:stop].tolist()
        for j, (value_held, close) in enumerate(zip(held, closes, strict=True)):
            cost = sum(row[j] << (bits * k) for k, row in enumerate(weighted))  # Σ unspent × p(c), exactly
            loss.append(cost - value_held * close)
    return loss, in_profit
