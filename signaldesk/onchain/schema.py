"""The outputs table: one row per transaction output, as Parquet (docs/onchain.md, "Input").

| column | type | meaning |
|---|---|---|
| txid | string | hex id of the transaction that created the output |
| vout | int32 | index of the output in that transaction |
| value_sat | int64 | value in satoshis (1 BTC = 100,000,000 sat) |
| created_height | int32 | height of the block that created it |
| created_time | timestamp (UTC) | that block's timestamp |
| spent_height | int32, null | height of the block that spent it; null while unspent |
| spent_time | timestamp (UTC), null | that block's timestamp; null while unspent |

Timestamps may be stored with a UTC zone or zone-less (then read as UTC). The engine only reads
`value_sat`, `created_time` and `spent_time`; the other columns identify the output and are kept
so the table is the same one a node or bitcoin-etl export produces.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from signaldesk.errors import OnchainError

if TYPE_CHECKING:
    import pyarrow as pa

COLUMNS: tuple[str, ...] = (
    "txid",
    "vout",
    "value_sat",
    "created_height",
    "created_time",
    "spent_height",
    "spent_time",
)
SAT_PER_BTC = 100_000_000
CENTS_PER_USD = 100
SECONDS_PER_DAY = 86_400


def arrow_schema() -> pa.Schema:
    """The Parquet schema `synth` writes and `compute` expects (timestamps in µs, UTC)."""
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    return pa.schema(
        [
            pa.field("txid", pa.string(), nullable=False),
            pa.field("vout", pa.int32(), nullable=False),
            pa.field("value_sat", pa.int64(), nullable=False),
            pa.field("created_height", pa.int32(), nullable=False),
            pa.field("created_time", ts, nullable=False),
            pa.field("spent_height", pa.int32()),
            pa.field("spent_time", ts),
        ]
    )


def check_outputs_file(path: str | Path) -> int:
    """Check the Parquet file's columns and types from its footer; return its row count.

    Only metadata is read, so this costs milliseconds even for a 100M-row file. Value checks
    (negative values, spends before creation) happen in the engine's single scan.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    if not target.exists():
        raise OnchainError(f"outputs file not found: {target}")
    try:
        meta = pq.read_metadata(target)
        schema = meta.schema.to_arrow_schema()
    except (OSError, pa.ArrowException) as exc:
        raise OnchainError(f"not a Parquet file: {target} ({exc})") from exc
    missing = [name for name in COLUMNS if name not in schema.names]
    if missing:
        raise OnchainError(f"{target}: missing column(s) {', '.join(missing)}; see docs/onchain.md for the schema")
    for name in ("value_sat", "vout", "created_height", "spent_height"):
        if not pa.types.is_integer(schema.field(name).type):
            raise OnchainError(f"{target}: column {name} must be an integer, found {schema.field(name).type}")
    for name in ("created_time", "spent_time"):
        if not pa.types.is_timestamp(schema.field(name).type):
            raise OnchainError(f"{target}: column {name} must be a timestamp, found {schema.field(name).type}")
    return int(meta.num_rows)


METRIC_COLUMNS: tuple[str, ...] = (
    "supply_btc",
    "realized_cap_usd",
    "realized_price_usd",
    "mvrv",
    "sth_supply_btc",
    "lth_supply_btc",
    "sth_cost_basis_usd",
    "lth_cost_basis_usd",
    "realized_profit_usd",
    "realized_loss_usd",
    "realized_profit_usd_7d_sma",
    "realized_loss_usd_7d_sma",
    "sopr",
    "sopr_7d_sma",
    "relative_unrealized_loss",
    "supply_in_profit",
    "coin_days_destroyed",
    "liveliness",
    "active_supply_btc",
    "thermocap_usd",
    "investor_cap_usd",
    "true_market_mean_usd",
)
"""Columns of `OnchainResult.daily`; all but thermocap_usd and investor_cap_usd are catalog ids."""
