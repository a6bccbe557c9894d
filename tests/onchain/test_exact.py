"""`exact.py`: limb-split int64 sums against the same sums over Python integers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.errors import OnchainError
from signaldesk.onchain.exact import group_sums, limb_bits, limbs, recombine


@settings(max_examples=100)
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 2**55), st.integers(0, 2**63 - 1)), max_size=40),
    extra=st.integers(0, 2**55),
)
def test_group_sums_equal_python_integer_sums(rows: list[tuple[int, int, int]], extra: int) -> None:
    group = np.array([g for g, _, _ in rows], dtype=np.int64)
    value = np.array([v for _, v, _ in rows], dtype=np.int64)
    factor = np.array([f for _, _, f in rows], dtype=np.int64)
    halved = value // 2
    bits = limb_bits(int(value.sum()) + extra)  # chosen for a total at least the sums'
    sums, half_sums = group_sums(group, factor, 7, bits, value, halved)
    for g in range(7):
        assert sums[g] == sum(v * f for gg, v, f in rows if gg == g)
        assert half_sums[g] == sum((v // 2) * f for gg, v, f in rows if gg == g)
    assert all(type(x) is int for x in sums)


@given(factor=st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=20), bits=st.integers(1, 62))
def test_limbs_recombine_to_the_factor(factor: list[int], bits: int) -> None:
    digits = limbs(np.array(factor, dtype=np.int64), bits)
    assert (digits < 2**bits).all()
    assert recombine(digits, bits).tolist() == factor


def test_limb_bits_leave_room_for_the_total() -> None:
    assert limb_bits(0) == 63
    assert limb_bits(2**51) == 11  # a 52-bit total: 11-bit limbs keep every product sum below 2^63
    with pytest.raises(OnchainError, match="exceeds 2\\^62"):
        limb_bits(2**62)
