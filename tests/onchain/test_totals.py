"""`totals.day_totals` and `totals.urpd_supply` against each metric's definition, in Python integers.

The reference walks every day and every pair (O(days × pairs)); the code under test uses per-day
deltas, running sums and limb-split int64 products. Values and prices go far beyond Bitcoin's, so
prices split into many limbs.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.onchain.totals import DAY_COLUMNS, day_totals, urpd_supply

FIRST_DAY = 18_000

Pairs = list[tuple[int, int, int]]
"""(created, spent, value), days relative to FIRST_DAY; spent == number of days: not spent by the last day."""


@st.composite
def chains(draw: st.DrawFn) -> tuple[Pairs, list[int]]:
    """Pairs as the engine hands them over (spent ones unique per (created, spent)) and daily prices."""
    days = draw(st.integers(1, 30))
    prices = draw(st.lists(st.integers(1, 2**40), min_size=days, max_size=days))
    cells = draw(st.lists(st.tuples(st.integers(0, days - 1), st.integers(0, days + 3)), max_size=50))
    spent: dict[tuple[int, int], int] = {}
    unspent: Pairs = []
    for created, spend in cells:
        value = draw(st.integers(0, 2**52))
        if spend < days:
            spent[(created, max(spend, created))] = value
        else:
            unspent.append((created, days, value))
    return [(c, s, v) for (c, s), v in spent.items()] + unspent, prices


def _arrays(pairs: Pairs) -> list[np.ndarray]:
    return [np.array([row[i] + (FIRST_DAY if i < 2 else 0) for row in pairs], dtype=np.int64) for i in range(3)]


def _direct(pairs: Pairs, prices: list[int], lth_days: int) -> dict[str, list[int]]:
    """Each column by its definition (docs/onchain.md), day by day."""
    out: dict[str, list[int]] = {name: [] for name in DAY_COLUMNS}
    for d, close in enumerate(prices):
        alive = [(c, v) for c, s, v in pairs if c <= d < s]
        held = [(c, v) for c, v in alive if d - c >= lth_days]
        gone = [(c, v) for c, s, v in pairs if s == d]
        out["price_cents"].append(close)
        out["supply"].append(sum(v for _, v in alive))
        out["realized_cap"].append(sum(v * prices[c] for c, v in alive))
        out["lth_supply"].append(sum(v for _, v in held))
        out["lth_cap"].append(sum(v * prices[c] for c, v in held))
        out["spent_cost"].append(sum(v * prices[c] for c, v in gone))
        out["spent_value"].append(sum(v * close for _, v in gone))
        out["profit"].append(sum(v * (close - prices[c]) for c, v in gone if close > prices[c]))
        out["loss"].append(sum(v * (prices[c] - close) for c, v in gone if prices[c] > close))
        out["cdd"].append(sum(v * (d - c) for c, v in gone))
    supply = out["supply"]
    out["cum_cdd"] = list(accumulate(out["cdd"]))
    out["thermocap"] = list(
        accumulate((now - before) * close for now, before, close in zip(supply, [0, *supply], prices, strict=False))
    )
    out["coin_days_created"] = [sum(supply[:d]) for d in range(len(prices))]  # coin-days accrued before day d
    return out


@settings(max_examples=80)
@given(chain=chains(), lth_days=st.integers(0, 6))
def test_day_totals_match_the_definitions(chain: tuple[Pairs, list[int]], lth_days: int) -> None:
    pairs, prices = chain
    got = day_totals(*_arrays(pairs), np.array(prices, dtype=np.int64), FIRST_DAY, lth_days)
    assert got == _direct(pairs, prices, lth_days)
    assert all(type(value) is int for column in got.values() for value in column)


@settings(max_examples=60)
@given(chain=chains(), buckets=st.integers(1, 12), headroom=st.integers(0, 2**20))
def test_urpd_puts_each_unspent_cohort_in_its_price_bucket(
    chain: tuple[Pairs, list[int]], buckets: int, headroom: int
) -> None:
    pairs, prices = chain
    ath = max(prices) + headroom  # the all-time high may predate the chain
    expected = [0] * buckets
    for c, s, v in pairs:
        if s == len(prices):
            expected[min(buckets * prices[c] // ath, buckets - 1)] += v
    got = urpd_supply(*_arrays(pairs), np.array(prices, dtype=np.int64), FIRST_DAY, buckets, ath)
    assert got == expected
