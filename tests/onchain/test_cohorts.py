"""`cohorts.price_conditioned` against direct sums over the pairs, in Python integers.

Values and prices go far beyond Bitcoin's, so prices split into several limbs; small blocks make
every block boundary count.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.errors import OnchainError
from signaldesk.onchain.cohorts import price_conditioned

FIRST_DAY = 18_000


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[tuple[int, int, int]], list[int]]:
    """(created, spent, value) pairs with days relative to FIRST_DAY, unique (created, spent), and daily prices."""
    days = draw(st.integers(1, 40))
    prices = draw(st.lists(st.integers(1, 2**40), min_size=days, max_size=days))
    cells = draw(st.lists(st.tuples(st.integers(0, days - 1), st.integers(0, days + 3)), max_size=60))
    pairs: dict[tuple[int, int], int] = {}
    for created, spent in cells:
        spent = max(spent, created)
        # a spend after the last day stands for "unspent"; those may repeat for a cohort
        key = (created, spent) if spent < days else (created, days + len(pairs))
        pairs[key] = draw(st.integers(0, 2**52))
    return [(c, s, v) for (c, s), v in pairs.items()], prices


def _direct(pairs: list[tuple[int, int, int]], prices: list[int]) -> tuple[list[int], list[int]]:
    loss, in_profit = [], []
    for d, close in enumerate(prices):
        alive = [(v, prices[c]) for c, s, v in pairs if c <= d < s]
        loss.append(sum(v * (p - close) for v, p in alive if p > close))
        in_profit.append(sum(v for v, p in alive if p < close))
    return loss, in_profit


@settings(max_examples=80)
@given(chain=chains(), block_days=st.integers(1, 9))
def test_matches_direct_sums(chain: tuple[list[tuple[int, int, int]], list[int]], block_days: int) -> None:
    pairs, prices = chain
    columns = [np.array([row[i] + (FIRST_DAY if i < 2 else 0) for row in pairs], dtype=np.int64) for i in range(3)]
    got = price_conditioned(*columns, np.array(prices, dtype=np.int64), FIRST_DAY, block_days=block_days)
    assert got == _direct(pairs, prices)


def test_a_chain_too_large_for_exact_sums_is_refused() -> None:
    days = np.array([FIRST_DAY, FIRST_DAY], dtype=np.int64)
    with pytest.raises(OnchainError, match="exceeds 2\\^62"):
        price_conditioned(
            days, days + 5, np.array([2**62, 1], dtype=np.int64), np.array([100], dtype=np.int64), FIRST_DAY
        )
