"""The store's connection: opening a DuckDB file safely, migrations, and the one transaction block.

Every other part of the store (observations, runs, assessments) builds on `StoreBase`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import duckdb

from signaldesk.clock import now_utc
from signaldesk.errors import StoreError, StoreLockedError
from signaldesk.settings import lock_wait_s
from signaldesk.store.schema import MIGRATIONS

DUCKDB_MAGIC = b"DUCK"
"""Bytes 8–11 of every DuckDB database file (after an 8-byte checksum)."""
CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""The store never needs an extension, and must never fetch one from the internet on its own."""


def naive_utc(ts: datetime) -> datetime:
    """An aware timestamp as the naive UTC value DuckDB's TIMESTAMP columns hold."""
    if ts.tzinfo is UTC:  # the common case, without the conversion
        return ts.replace(tzinfo=None)
    if ts.tzinfo is None:
        raise StoreError("naive datetime offered to the store; timestamps must be aware UTC")
    return ts.astimezone(UTC).replace(tzinfo=None)


INSERT_CHUNK_ROWS = 500
"""Rows per multi-row INSERT statement (keeps one statement's parameter list modest)."""


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]], *, suffix: str = "") -> None:
    """Insert `rows` with one `INSERT … VALUES (…), (…)` statement per chunk: DuckDB's `executemany`
    runs a statement per row (~2 ms each, 60 ms for a day's 30 news items)."""
    for start in range(0, len(rows), INSERT_CHUNK_ROWS):
        chunk = rows[start : start + INSERT_CHUNK_ROWS]
        placeholders = "(" + ", ".join("?" * len(chunk[0])) + ")"
        con.execute(
            f"INSERT INTO {table} VALUES {', '.join([placeholders] * len(chunk))} {suffix}",
            [value for row in chunk for value in row],
        ).fetchall()


def aware(ts: datetime | None) -> datetime | None:
    """A naive UTC value read from DuckDB as an aware timestamp."""
    return None if ts is None else ts.replace(tzinfo=UTC)


def _refuse_foreign_file(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[8:12] != DUCKDB_MAGIC:
        kind = "a SQLite database" if head.startswith(b"SQLite format 3") else "not a DuckDB database"
        raise StoreError(f"{path} is {kind}; give --db a DuckDB file (or a new path to create one)")


def _connect(target: str, *, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file's lock, for at most `wait_s` seconds."""
    deadline, pause = time.monotonic() + wait_s, 0.05
    while True:
        try:
            return duckdb.connect(target, read_only=read_only, config=dict(CONNECT_CONFIG))
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise StoreError(f"cannot open store {target}: {exc}") from exc
            if time.monotonic() + pause > deadline:
                holder = re.search(r"\(PID (\d+)\)", str(exc))
                who = f"process {holder.group(1)}" if holder else "another process"
                raise StoreLockedError(
                    f"{target} is in use by {who} (waited {wait_s:g} s); close it or try again later"
                ) from None
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {target}: {exc}") from exc


class StoreBase:
    """A DuckDB file (or `:memory:`) opened safely and migrated; the parts of the store share it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path

    @classmethod
    def open(cls, path: str | Path = ":memory:", *, read_only: bool = False, wait_s: float | None = None) -> Self:
        """Open (creating and migrating when needed) the store at `path`.

        Another process holding the file (a notebook, `signals --as-of`, a second run) is waited
        for, with backoff, up to `wait_s` seconds (default `settings.lock_wait_s()`); then the error
        names the holder's PID. A file
        that is not a DuckDB database is refused before DuckDB sees it: DuckDB would otherwise try
        to download the SQLite extension from the internet to read it.
        """
        target = str(path)
        if target != ":memory:":
            _refuse_foreign_file(Path(target))
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        store = cls(_connect(target, read_only=read_only, wait_s=lock_wait_s() if wait_s is None else wait_s), target)
        if not read_only:
            store._migrate()
        return store

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The raw connection, for engines (on-chain, backtest) that run their own SQL."""
        return self._con

    def _migrate(self) -> None:
        con = self._con
        con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
        done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self._transaction(f"migration {name}"):
                con.execute(sql)
                con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, naive_utc(now_utc())])

    @contextmanager
    def _transaction(self, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """All of the block's writes or none. On failure the *original* error is reported: a full
        disk fails the COMMIT, after which DuckDB's ROLLBACK complains "no transaction is active" —
        that second error would hide the "No space left on device" a user needs to read."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            if isinstance(exc, StoreError) or not isinstance(exc, Exception):
                raise
            raise StoreError(f"{what} failed, nothing was stored: {exc}") from exc
