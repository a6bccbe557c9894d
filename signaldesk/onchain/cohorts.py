"""Unrealised loss and supply in profit: every day's close against every unspent cohort's, exactly.

These two metrics compare each cohort's creation price with each day's price, a two-dimensional
(time × price) sum that running sums over days cannot give. Their input is the day-pairs table the
SQL scan produced (value per created day, spent day), fetched from either engine; this step never
sees the outputs, so the per-output work stays SQL written once for both engines. Here it is a
dense cohort × day grid of integers (D² for D days: 17 MB for a 4-year chain, 290 MB for
Bitcoin's ~6,000 days, independent of the number of outputs), summed a block of days at a time
in milliseconds where SQL spent a join and a group-by per cell.

Exact to the satoshi and cent with int64 only (`exact.py`): every per-day sum of unspent
satoshis is at most the chain's total value, so prices split into limbs whose products with
those sums cannot overflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signaldesk.onchain.exact import limb_bits, limbs, recombine

if TYPE_CHECKING:
    import numpy as np

BLOCK_DAYS = 256
"""Days per block of the grid's temporaries: D × 256 integers each (12 MB for Bitcoin's ~6,000 days)."""


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
    bits = limb_bits(int(total.sum()))
    price_limbs = limbs(price_cents, bits)
    # spent_by[c, d]: value of cohort c spent by the end of day d ((created, spent) pairs are unique)
    spend_day = spent - first_day
    by_then = spend_day < days
    spent_by = np.zeros((days, days), dtype=np.int64)
    spent_by.reshape(-1)[cohort[by_then] * days + spend_day[by_then]] = value[by_then]
    np.cumsum(spent_by, axis=1, out=spent_by)
    width = min(block_days, days)
    unborn = np.tri(width, width, -1, dtype=bool)  # within a block's own days: created after day d

    loss: list[np.ndarray] = []
    in_profit: list[np.ndarray] = []
    for start in range(0, days, width):
        stop = min(days, start + width)
        unspent = total[:stop, None] - spent_by[:stop, start:stop]  # rows: cohorts created by the block's end
        unspent[start:stop][unborn[: stop - start, : stop - start]] = 0
        cohort_price, day_price = price_cents[:stop, None], price_cents[None, start:stop]
        above = unspent * (cohort_price > day_price)
        in_profit.append((unspent * (cohort_price < day_price)).sum(axis=0))
        cost = recombine(np.einsum("kc,cd->kd", price_limbs[:, :stop], above), bits)  # Σ unspent × p(c), exactly
        held = above.sum(axis=0).astype(object)
        loss.append(cost - held * price_cents[start:stop].astype(object))
    return np.concatenate(loss).tolist(), np.concatenate(in_profit).tolist()
