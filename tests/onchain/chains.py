"""Helpers for building tiny hand-made chains: outputs as (value_sat, created day, spent day)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from signaldesk.onchain.schema import arrow_schema

START = date(2020, 1, 1)
BTC = 100_000_000

Output = tuple[int, int, int | None]
"""(value in satoshis, day created, day spent or None), days counted from START."""


def moment(day: int, hour: int) -> datetime:
    return datetime(START.year, START.month, START.day, hour, tzinfo=UTC) + timedelta(days=day)


def write_outputs(path: Path, outputs: Sequence[Output]) -> Path:
    """Write a valid outputs table: created at 08:00, spent at 20:00 UTC of their days."""
    rows = {
        "txid": [f"{i:064x}" for i in range(len(outputs))],
        "vout": [0] * len(outputs),
        "value_sat": [v for v, _, _ in outputs],
        "created_height": [c * 144 for _, c, _ in outputs],
        "created_time": [moment(c, 8) for _, c, _ in outputs],
        "spent_height": [None if s is None else s * 144 + 120 for _, _, s in outputs],
        "spent_time": [None if s is None else moment(s, 20) for _, _, s in outputs],
    }
    pq.write_table(pa.Table.from_pydict(rows, schema=arrow_schema()), path)
    return path


def price_series(days: int, price: Callable[[int], float]) -> pd.Series:
    """Daily closes for days 0..days-1 from a function of the day."""
    index = pd.DatetimeIndex([pd.Timestamp(START + timedelta(days=d)) for d in range(days)], name="date")
    return pd.Series([price(d) for d in range(days)], index=index, name="price")


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp(START + timedelta(days=n))
