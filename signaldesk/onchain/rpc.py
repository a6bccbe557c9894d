"""Build the outputs table incrementally from a Bitcoin Core node (JSON-RPC `getblock`, verbosity 2).

Verbosity 2 gives every transaction of a block, and for each input the output it spends (`txid`,
`vout`). So one pass over blocks yields both halves of the outputs table: new outputs from `vout`,
spends from `vin`. They are kept in a DuckDB "ledger" file (`created`, `spent`, `synced`),
appended block by block, one transaction per block, and joined into the Parquet table by `export`.

The ledger follows the node's best chain (`getbestblockhash`). Before appending, `sync` walks
down from the ledger's tip until the node's block hash at a height (`getblockhash`) is the
ledger's: every block above that fork was orphaned by a reorg and is undone — its outputs deleted,
its spends unmarked — in one transaction, then the best chain's blocks are appended from there. A
block that stops extending the ledger mid-sync (a reorg while syncing) starts the walk again.

Credentials come from the environment only: `BITCOIN_RPC_USER` / `BITCOIN_RPC_PASSWORD`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signaldesk.errors import OnchainError
from signaldesk.onchain.schema import SAT_PER_BTC
from signaldesk.store.base import insert_rows

if TYPE_CHECKING:
    import duckdb
    import httpx

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS created (txid VARCHAR, vout INTEGER, value_sat BIGINT,
                                    created_height INTEGER, created_time TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS spent (txid VARCHAR, vout INTEGER, spent_height INTEGER, spent_time TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS synced (height INTEGER PRIMARY KEY, hash VARCHAR);
"""
VERBOSITY = 2
"""`getblock` verbosity: transactions decoded, inputs naming the output they spend."""
MAX_REORG_DEPTH = 100
"""Deepest reorg `sync` undoes on its own (Bitcoin's coinbase maturity); deeper means a wrong node."""


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


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one `sync` did: blocks appended, and orphaned blocks undone on the way."""

    added: int
    undone: int


def block_rows(block: dict[str, Any]) -> BlockRows:
    """Split a verbosity-2 `getblock` result into created and spent rows."""
    height, when = int(block["height"]), datetime.fromtimestamp(int(block["time"]), tz=UTC)
    created, spent = [], []
    for tx in block["tx"]:
        for out in tx["vout"]:
            created.append((tx["txid"], int(out["n"]), to_sat(out["value"]), height, when))
        for vin in tx["vin"]:
            if "coinbase" in vin:
                continue
            if "txid" not in vin:
                raise OnchainError(f"block {height}: an input without txid; is this getblock verbosity {VERBOSITY}?")
            spent.append((vin["txid"], int(vin["vout"]), height, when))
    return BlockRows(height, block["hash"], block.get("previousblockhash"), created, spent)


def _ledger(path: str | Path) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(LEDGER_SCHEMA)
    return con


def _tip(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    rows = con.execute("SELECT height, hash FROM synced ORDER BY height DESC LIMIT 1").fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def _block(client: RpcClient, block_hash: str) -> BlockRows:
    return block_rows(client.call("getblock", block_hash, VERBOSITY))


def _append(con: duckdb.DuckDBPyConnection, rows: BlockRows) -> None:
    """One block in one transaction, so an interrupted sync resumes at a block boundary."""
    con.execute("BEGIN TRANSACTION")
    if rows.created:  # multi-row INSERTs: executemany runs a statement per row (2.9 s for 5,000 outputs; 0.17 s)
        insert_rows(con, "created", rows.created)
    if rows.spent:
        insert_rows(con, "spent", rows.spent)
    con.execute("INSERT INTO synced VALUES (?, ?)", [rows.height, rows.hash])
    con.execute("COMMIT")


def _unwind(con: duckdb.DuckDBPyConnection, client: RpcClient, node_height: int, max_depth: int) -> int:
    """Undo the ledger's blocks that are not on the node's best chain; return how many.

    Walks down from the ledger's tip comparing hashes with the node's, one `getblockhash` per
    height (usually one in all). Refuses — changing nothing — when the fork is deeper than
    `max_depth` or the two disagree on the genesis block (a node of another network).
    """
    tip = _tip(con)
    if tip is None:
        return 0
    fork, ledger_hash = tip
    while fork > node_height or client.call("getblockhash", fork) != ledger_hash:
        if fork == 0:
            raise OnchainError("the node's genesis block is not the ledger's: a different network? nothing was changed")
        if tip[0] - fork + 1 > max_depth:
            raise OnchainError(
                f"the ledger's last {tip[0] - fork + 1}+ blocks are not on the node's best chain (more than the "
                f"{max_depth} a reorg may undo): a different node or network? nothing was changed"
            )
        fork -= 1
        ledger_hash = con.execute("SELECT hash FROM synced WHERE height = ?", [fork]).fetchall()[0][0]
    undone = tip[0] - fork
    if undone:
        con.execute("BEGIN TRANSACTION")
        # Outputs the orphaned blocks spent become unspent again; outputs they created disappear
        # (a transaction the best chain includes again comes back with its new block).
        con.execute("DELETE FROM spent WHERE spent_height > ?", [fork])
        con.execute("DELETE FROM created WHERE created_height > ?", [fork])
        con.execute("DELETE FROM synced WHERE height > ?", [fork])
        con.execute("COMMIT")
    return undone


def sync(
    client: RpcClient, ledger: str | Path, *, to_height: int | None = None, max_reorg_depth: int = MAX_REORG_DEPTH
) -> SyncResult:
    """Make the ledger the node's best chain up to `to_height` (default: the node's tip).

    Orphaned blocks are undone first (see the module docstring); `to_height` only limits what is
    appended, so a ledger already past it is only unwound where it left the best chain.
    """
    con = _ledger(ledger)
    added = undone = 0
    orphan: BlockRows | None = None  # a fetched block that did not extend the ledger
    try:
        while True:
            best = _block(client, client.call("getbestblockhash"))
            unwound = _unwind(con, client, best.height, max_reorg_depth)
            if orphan is not None and not unwound:
                raise OnchainError(
                    f"block {orphan.height} ({orphan.hash}) does not extend block {orphan.height - 1}, yet the node "
                    "still reports the ledger's block at that height; its replies are inconsistent"
                )
            undone += unwound
            stop = best.height if to_height is None else min(to_height, best.height)
            tip = _tip(con)
            parent = None if tip is None else tip[1]
            for height in range(0 if tip is None else tip[0] + 1, stop + 1):
                rows = _block(client, client.call("getblockhash", height))
                if rows.previous != parent:
                    orphan = rows  # the best chain changed while syncing: unwind again from the new tip
                    break
                _append(con, rows)
                parent, added = rows.hash, added + 1
            else:
                return SyncResult(added, undone)
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
