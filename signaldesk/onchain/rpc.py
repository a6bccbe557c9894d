"""Build the outputs table incrementally from a Bitcoin Core node (JSON-RPC `getblock`, verbosity 3).

Verbosity 3 (Bitcoin Core ≥ 23) gives every transaction of a block with, for each input, the
output it spends (`txid`, `vout`, `prevout`). So one pass over blocks yields both halves of the
outputs table: new outputs from `vout`, spends from `vin`. They are kept in a small DuckDB
"ledger" file (`created`, `spent`, `synced`), appended block by block, one transaction per block,
and joined into the Parquet table by `export`. Re-running `sync` continues from the last block;
a block whose parent is not the last synced block (a reorg) stops the sync with an error.

Credentials come from the environment only: `BITCOIN_RPC_USER` / `BITCOIN_RPC_PASSWORD`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signaldesk.errors import OnchainError
from signaldesk.onchain.schema import SAT_PER_BTC

if TYPE_CHECKING:
    import duckdb
    import httpx

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS created (txid VARCHAR, vout INTEGER, value_sat BIGINT,
                                    created_height INTEGER, created_time TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS spent (txid VARCHAR, vout INTEGER, spent_height INTEGER, spent_time TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS synced (height INTEGER PRIMARY KEY, hash VARCHAR);
"""


class RpcClient:
    """A minimal Bitcoin Core JSON-RPC client over httpx (a transport can be injected for tests)."""

    def __init__(self, url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 60.0) -> None:
        import httpx

        user, password = os.environ.get("BITCOIN_RPC_USER"), os.environ.get("BITCOIN_RPC_PASSWORD")
        auth = (user, password) if user and password else None
        self._client = httpx.Client(base_url=url, auth=auth, timeout=timeout, transport=transport)
        self._id = 0

    def call(self, method: str, *params: Any) -> Any:
        """One RPC call; numbers come back as Decimal so BTC amounts convert to satoshis exactly."""
        import httpx

        self._id += 1
        body = {"jsonrpc": "1.0", "id": self._id, "method": method, "params": list(params)}
        try:
            response = self._client.post("/", json=body)
        except httpx.HTTPError as exc:
            raise OnchainError(f"bitcoin RPC {method} failed: {exc}") from exc
        try:
            payload = json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise OnchainError(f"bitcoin RPC {method}: HTTP {response.status_code}, not JSON") from exc
        if payload.get("error"):
            raise OnchainError(f"bitcoin RPC {method}: {payload['error'].get('message', payload['error'])}")
        return payload["result"]

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True, slots=True)
class BlockRows:
    """What one block adds: outputs it creates and outputs it spends."""

    height: int
    hash: str
    previous: str | None
    created: list[tuple[str, int, int, int, datetime]]
    spent: list[tuple[str, int, int, datetime]]


def to_sat(btc: Decimal) -> int:
    """BTC amount from the node (8 decimals) → satoshis, exactly."""
    return int((Decimal(btc) * SAT_PER_BTC).to_integral_value())


def block_rows(block: dict[str, Any]) -> BlockRows:
    """Split a verbosity-3 `getblock` result into created and spent rows."""
    height, when = int(block["height"]), datetime.fromtimestamp(int(block["time"]), tz=UTC)
    created, spent = [], []
    for tx in block["tx"]:
        for out in tx["vout"]:
            created.append((tx["txid"], int(out["n"]), to_sat(out["value"]), height, when))
        for vin in tx["vin"]:
            if "coinbase" in vin:
                continue
            if "txid" not in vin:
                raise OnchainError(f"block {height}: an input without txid; is this verbosity 3?")
            spent.append((vin["txid"], int(vin["vout"]), height, when))
    return BlockRows(height, block["hash"], block.get("previousblockhash"), created, spent)


def _ledger(path: str | Path) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(LEDGER_SCHEMA)
    return con


def _tip(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    row = con.execute("SELECT height, hash FROM synced ORDER BY height DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _blocks(client: RpcClient, start: int, stop: int) -> Iterator[BlockRows]:
    for height in range(start, stop + 1):
        yield block_rows(client.call("getblock", client.call("getblockhash", height), 3))


def sync(client: RpcClient, ledger: str | Path, *, to_height: int | None = None) -> int:
    """Append blocks after the ledger's tip up to `to_height` (default: the node's tip); return count."""
    con = _ledger(ledger)
    try:
        tip = _tip(con)
        stop = int(client.call("getblockcount")) if to_height is None else to_height
        start = 0 if tip is None else tip[0] + 1
        parent = None if tip is None else tip[1]
        added = 0
        for rows in _blocks(client, start, stop):
            if parent is not None and rows.previous != parent:
                raise OnchainError(f"block {rows.height} does not extend the ledger's tip (reorg?); re-sync below it")
            con.execute("BEGIN TRANSACTION")
            if rows.created:
                con.executemany("INSERT INTO created VALUES (?, ?, ?, ?, ?)", rows.created)
            if rows.spent:
                con.executemany("INSERT INTO spent VALUES (?, ?, ?, ?)", rows.spent)
            con.execute("INSERT INTO synced VALUES (?, ?)", [rows.height, rows.hash])
            con.execute("COMMIT")
            parent, added = rows.hash, added + 1
        return added
    finally:
        con.close()


def export(ledger: str | Path, out: str | Path) -> int:
    """Write the ledger as the outputs Parquet table (schema.py); return the row count."""
    con = _ledger(ledger)
    try:
        target = str(out).replace("'", "''")
        con.execute(
            f"""
            COPY (
                SELECT c.txid, c.vout, c.value_sat, c.created_height, c.created_time,
                       s.spent_height, s.spent_time
                FROM created AS c LEFT JOIN spent AS s USING (txid, vout)
                ORDER BY c.created_height, c.txid, c.vout
            ) TO '{target}' (FORMAT parquet)
            """
        )
        return int(con.execute("SELECT count(*) FROM created").fetchone()[0])
    finally:
        con.close()
