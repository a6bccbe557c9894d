"""Exact sums of satoshis × cents (or × days) with int64 NumPy arrays only.

A product of a value in satoshis and a price in cents overflows int64 (2.1 × 10¹⁵ sat × 10⁷ ¢),
and NumPy has no wider integer. But every sum here is a sum of values from one chain, so it is at
most the chain's total T; splitting the other factor into limbs of `63 − bits(T)` bits keeps each
Σ value × limb below 2⁶³, and the limbs are recombined as Python integers (two limbs for Bitcoin's
prices). `cohorts.py` and `totals.py` use this to agree with a sum over Python integers to the
satoshi and cent, whichever engine produced their pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signaldesk.errors import OnchainError

if TYPE_CHECKING:
    import numpy as np


def limb_bits(total_value: int) -> int:
    """Bits per limb for sums of values whose grand total is `total_value` (≥ 0)."""
    bits = 63 - int(total_value).bit_length()
    if bits < 1:
        raise OnchainError("the chain's total value exceeds 2^62 satoshis: too large for exact 64-bit sums")
    return bits


def _limb_count(largest: int, bits: int) -> int:
    """Limbs of `bits` bits needed for a non-negative integer up to `largest` (at least one)."""
    return max(1, -(-int(largest).bit_length() // bits))


def _digit(factor: np.ndarray, bits: int, k: int, count: int) -> np.ndarray:
    """Limb k of `count` of non-negative int64 `factor` (no shift for the lowest, no mask for the highest)."""
    digit = factor >> (bits * k) if k else factor
    return digit & ((1 << bits) - 1) if k < count - 1 else digit


def limbs(factor: np.ndarray, bits: int) -> np.ndarray:
    """Non-negative int64 `factor` as rows of `bits`-bit digits, least significant first (limbs × len)."""
    import numpy as np

    count = _limb_count(factor.max(initial=0), bits)
    return np.stack([_digit(factor, bits, k, count) for k in range(count)])


def recombine(parts: np.ndarray, bits: int) -> np.ndarray:
    """Per-limb int64 sums (limbs × n) → one object array of exact Python integers."""
    import numpy as np

    out = np.zeros(parts.shape[1], dtype=object)
    for k, part in enumerate(parts):
        out += part.astype(object) << (bits * k)
    return out


def group_sums(group: np.ndarray, factor: np.ndarray, size: int, bits: int, *values: np.ndarray) -> list[np.ndarray]:
    """Σ value × factor per group 0..size-1 for each of `values`, exactly (object arrays of Python ints).

    `factor` and each of `values` are non-negative int64, and no value array sums to more than
    the total `bits` was chosen for. Each limb of `factor` is cut once, for all of `values`, and
    one at a time: these arrays have a row per pair, and a stacked copy costs more than the sums.
    """
    import numpy as np

    count = _limb_count(factor.max(initial=0), bits)
    parts = np.zeros((len(values), count, size), dtype=np.int64)
    for k in range(count):
        digit = _digit(factor, bits, k, count)
        for part, value in zip(parts, values, strict=True):
            np.add.at(part[k], group, value * digit)
    return [recombine(part, bits) for part in parts]
