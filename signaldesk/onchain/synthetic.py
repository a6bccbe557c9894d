"""A seeded synthetic Bitcoin-like chain: an outputs table plus daily closes, for tests and benchmarks.

The chain conserves value the way Bitcoin does: every day the coins spent that day, plus the
block subsidy (50 BTC per block, halving every 210,000 blocks, 144 blocks a day), are paid into
that day's new outputs. So supply only grows by issuance and thermocap is well defined.

Distributions, chosen to look like the real chain rather than to match it:
- value: log-normal weights (σ = 2), so a few outputs hold most of the value, as on-chain;
- lifespan in days: a mixture of hot-wallet churn (1 + exponential, mean 3 d; 45 %), trading
  (log-normal, median 40 d; 35 %) and holding (log-normal, median 700 d; 20 %); and 8 % of
  outputs are spent on the day they are created;
- activity grows linearly to twice its first-day rate; price is a geometric random walk on a
  four-year cycle.
Generation is a loop over days with vectorised work per day, written in row groups, so memory
stays bounded (a few hundred MB) at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from signaldesk.errors import OnchainError
from signaldesk.onchain.schema import SAT_PER_BTC, SECONDS_PER_DAY, arrow_schema

if TYPE_CHECKING:
    import numpy as np

GENESIS = date(2017, 1, 1)
"""Day 0 of every synthetic chain (block 0 is mined at its midnight UTC)."""
BLOCKS_PER_DAY = 144
HALVING_BLOCKS = 210_000
SAME_DAY_SHARE = 0.08
ROW_GROUP = 1_000_000


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What `generate` wrote."""

    outputs_path: Path
    prices_path: Path
    rows: int
    days: int
    unspent: int


def default_days(outputs: int) -> int:
    """Chain length for a size: 20 outputs a day on average, between 60 days and 4 years."""
    return min(4 * 365 + 1, max(60, outputs // 20))


def _subsidy_per_day(days: int) -> np.ndarray:
    """Satoshis issued on each day (sum of the day's 144 block subsidies)."""
    import numpy as np

    heights = np.arange(days * BLOCKS_PER_DAY, dtype=np.int64)
    per_block = (50 * SAT_PER_BTC) >> np.minimum(heights // HALVING_BLOCKS, 63)
    return per_block.reshape(days, BLOCKS_PER_DAY).sum(axis=1)


def _prices(rng: np.random.Generator, days: int) -> np.ndarray:
    """Daily closes in USD, rounded to cents: a random walk around a four-year cycle."""
    import numpy as np

    walk = np.cumsum(rng.normal(0.0016, 0.025, days))
    cycle = 0.9 * np.sin(2 * np.pi * np.arange(days) / 1461.0)
    return np.round(1000.0 * np.exp(walk + cycle), 2)


def _outputs_per_day(outputs: int, days: int) -> np.ndarray:
    """Split `outputs` over days with a linear ramp, every day getting at least two."""
    import numpy as np

    weight = 1.0 + np.arange(days) / max(days - 1, 1)
    spare = outputs - 2 * days
    base = np.floor(spare * weight / weight.sum()).astype(np.int64)
    base[: spare - int(base.sum())] += 1
    return base + 2


def _lifespans(rng: np.random.Generator, n: int) -> np.ndarray:
    """Whole days until spent (≥ 1) for outputs not spent on their creation day."""
    import numpy as np

    kind = rng.random(n)
    hot = 1.0 + rng.exponential(3.0, n)
    trade = rng.lognormal(np.log(40.0), 1.0, n)
    hold = rng.lognormal(np.log(700.0), 0.8, n)
    life = np.where(kind < 0.45, hot, np.where(kind < 0.80, trade, hold))
    return np.maximum(1, np.ceil(life)).astype(np.int64)


def _txids(rng: np.random.Generator, tx_of_output: np.ndarray, n_tx: int) -> object:
    """Random 64-hex-digit txids, one per transaction, as an Arrow string array per output."""
    import numpy as np
    import pyarrow as pa

    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    raw = rng.integers(0, 256, size=(n_tx, 32), dtype=np.uint8)
    hexed = np.empty((n_tx, 64), dtype=np.uint8)
    hexed[:, 0::2] = digits[raw >> 4]
    hexed[:, 1::2] = digits[raw & 15]
    data = np.ascontiguousarray(hexed[tx_of_output])
    offsets = np.arange(0, 64 * (len(tx_of_output) + 1), 64, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(len(tx_of_output), pa.py_buffer(offsets), pa.py_buffer(data)).cast(
        pa.string()
    )


class _Day:
    """One day's outputs, generated together because their values must add up to the day's flow."""

    def __init__(self, rng: np.random.Generator, day: int, n: int, pool: int, days: int) -> None:
        import numpy as np

        same = rng.random(n) < SAME_DAY_SHARE
        same[0] = False  # someone must receive the day's flow
        weight = rng.lognormal(0.0, 2.0, n)
        carried = weight[~same]
        value = np.empty(n, dtype=np.int64)
        share = np.floor(pool * carried / carried.sum()).astype(np.int64)
        share[np.argmax(carried)] += pool - int(share.sum())  # exact: the day's flow is conserved
        value[~same] = share
        value[same] = np.maximum(1, np.floor(pool * weight[same] / carried.sum())).astype(np.int64)

        second = rng.integers(0, SECONDS_PER_DAY, n)
        spent_day = np.full(n, -1, dtype=np.int64)
        spent_day[~same] = day + _lifespans(rng, int((~same).sum()))
        spent_second = rng.integers(0, SECONDS_PER_DAY, n)
        spent_day[same] = day
        spent_second[same] = second[same] + (rng.random(int(same.sum())) * (SECONDS_PER_DAY - second[same])).astype(
            np.int64
        )
        spent_day[spent_day >= days] = -1  # beyond the chain's end: still unspent
        self.value = value
        self.created = day * SECONDS_PER_DAY + second
        self.spent_day = spent_day
        self.spent = np.where(spent_day >= 0, spent_day * SECONDS_PER_DAY + spent_second, -1)
        tx_size = rng.integers(1, 4, n)  # 1–3 outputs per transaction
        tx_of_output = np.repeat(np.arange(n), tx_size)[:n]
        starts = np.r_[0, np.flatnonzero(np.diff(tx_of_output)) + 1]
        self.tx_of_output = tx_of_output
        self.vout = (np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))).astype(np.int32)


def _table(rng: np.random.Generator, parts: list[_Day]) -> object:
    """Concatenate days into one Arrow table in the outputs schema."""
    import numpy as np
    import pyarrow as pa

    tx_offsets = np.cumsum([0] + [int(p.tx_of_output[-1]) + 1 for p in parts])
    tx_of_output = np.concatenate([p.tx_of_output + off for p, off in zip(parts, tx_offsets, strict=False)])
    created = np.concatenate([p.created for p in parts])
    spent = np.concatenate([p.spent for p in parts])
    unspent = spent < 0
    epoch = (GENESIS - date(1970, 1, 1)).days * SECONDS_PER_DAY
    block_seconds = SECONDS_PER_DAY // BLOCKS_PER_DAY

    def stamps(seconds: np.ndarray, mask: np.ndarray | None) -> pa.Array:
        micros = (seconds + epoch) * 1_000_000
        return pa.array(micros, type=pa.timestamp("us", tz="UTC"), mask=mask)

    return pa.Table.from_arrays(
        [
            _txids(rng, tx_of_output, int(tx_offsets[-1])),
            pa.array(np.concatenate([p.vout for p in parts]), pa.int32()),
            pa.array(np.concatenate([p.value for p in parts]), pa.int64()),
            pa.array((created // block_seconds).astype(np.int32), pa.int32()),
            stamps(created, None),
            pa.array((spent // block_seconds).astype(np.int32), pa.int32(), mask=unspent),
            stamps(spent, unspent),
        ],
        schema=arrow_schema(),
    )


def generate(outputs: int, out_dir: str | Path, *, seed: int = 0, days: int | None = None) -> SynthSummary:
    """Write `out_dir/outputs.parquet` (exactly `outputs` rows) and `out_dir/prices.csv`."""
    import numpy as np
    import pyarrow.parquet as pq

    span = days if days is not None else default_days(outputs)
    if span < 1:
        raise OnchainError("a synthetic chain needs at least one day")
    if outputs < 2 * span:
        raise OnchainError(f"--outputs must be at least {2 * span} for a {span}-day chain (two a day)")
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    price = _prices(rng, span)
    subsidy = _subsidy_per_day(span)
    per_day = _outputs_per_day(outputs, span)
    due = np.zeros(span, dtype=np.int64)  # value that earlier outputs will spend on each day
    outputs_path = target / "outputs.parquet"
    rows = unspent = 0
    parts: list[_Day] = []
    buffered = 0
    with pq.ParquetWriter(outputs_path, arrow_schema(), compression="zstd", compression_level=1) as writer:
        for day in range(span):
            part = _Day(rng, day, int(per_day[day]), int(due[day] + subsidy[day]), span)
            later = part.spent_day > day
            np.add.at(due, part.spent_day[later], part.value[later])
            unspent += int((part.spent_day < 0).sum())
            parts.append(part)
            buffered += len(part.value)
            if buffered >= ROW_GROUP or day == span - 1:
                writer.write_table(_table(rng, parts), row_group_size=ROW_GROUP)
                rows += buffered
                parts, buffered = [], 0
    prices_path = target / "prices.csv"
    lines = ["date,price"] + [f"{GENESIS + timedelta(days=d)},{price[d]:.2f}" for d in range(span)]
    prices_path.write_text("\n".join(lines) + "\n")
    return SynthSummary(outputs_path, prices_path, rows, span, unspent)
