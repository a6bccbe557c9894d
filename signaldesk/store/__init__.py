"""The embedded DuckDB store: observations, runs and provider outcomes, with as-of reads.

Writes happen in one transaction per call, so a crash leaves either all of a run or none of it.
Reads take an `as_of` day and never see a value dated after it (no look-ahead) nor one fetched
after `known_at` when that is given (reproducibility of past reports).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from signaldesk.clock import end_of_day, now_utc
from signaldesk.errors import StoreError, StoreLockedError
from signaldesk.models import MetricKey, NewsItem, Observation, ProviderOutcome
from signaldesk.redact import scrub
from signaldesk.settings import lock_wait_s
from signaldesk.store.schema import MIGRATIONS

DUCKDB_MAGIC = b"DUCK"
"""Bytes 8–11 of every DuckDB database file (after an 8-byte checksum)."""
CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""The store never needs an extension, and must never fetch one from the internet on its own."""

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What one write changed: rows offered, rows that were new or revised."""

    offered: int
    inserted: int


def _naive_utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise StoreError("naive datetime offered to the store; timestamps must be aware UTC")
    return ts.astimezone(UTC).replace(tzinfo=None)


def _aware(ts: datetime | None) -> datetime | None:
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


class Store:
    """A DuckDB file (or `:memory:`) holding every observation signaldesk has seen."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self._con = con
        self.path = path

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path = ":memory:", *, read_only: bool = False, wait_s: float | None = None) -> Store:
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

    def __enter__(self) -> Store:
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
                con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, _naive_utc(now_utc())])

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

    # -- writes ------------------------------------------------------------------------------
    def write_run(
        self,
        run_id: str,
        *,
        mode: str,
        as_of: date,
        outcomes: Sequence[ProviderOutcome],
        observations: Sequence[Observation],
        started_at: datetime,
        status: str,
        fetched_at: datetime | None = None,
        news: Sequence[NewsItem] = (),
    ) -> WriteStats:
        """Record a whole run — its observations, its provider outcomes — in one transaction.

        Re-running a run id replaces its run row and outcomes; observations only ever gain rows
        whose value is new for their (metric, entity, ts, source).
        """
        fetched = _naive_utc(fetched_at or now_utc())
        with self._transaction(f"writing run {run_id}") as con:
            stats = self._insert_observations(observations, run_id, fetched)
            self._insert_news(news, run_id, fetched)
            con.execute("DELETE FROM provider_outcomes WHERE run_id = ?", [run_id]).fetchall()
            con.execute("DELETE FROM runs WHERE run_id = ?", [run_id]).fetchall()
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, mode, as_of, _naive_utc(started_at), _naive_utc(now_utc()), status],
            ).fetchall()
            if outcomes:
                con.executemany(
                    "INSERT INTO provider_outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        [run_id, o.provider, o.status, scrub(o.reason), o.error_type, o.observations,
                         None if o.latest_ts is None else _naive_utc(o.latest_ts), o.duration_s]
                        for o in outcomes
                    ],
                )
        return stats

    def write_observations(
        self, observations: Iterable[Observation], *, run_id: str, fetched_at: datetime | None = None
    ) -> WriteStats:
        """Add observations outside a collect run (CSV import, on-chain engine), atomically."""
        fetched = _naive_utc(fetched_at or now_utc())
        with self._transaction("writing observations"):
            return self._insert_observations(list(observations), run_id, fetched)

    def _insert_observations(
        self, observations: Sequence[Observation], run_id: str, fetched: datetime
    ) -> WriteStats:
        """Insert only rows whose value differs from the latest known version (idempotent upsert)."""
        if not observations:
            return WriteStats(0, 0)
        import pandas as pd

        frame = pd.DataFrame(
            {
                "metric": [o.metric for o in observations],
                "entity": [o.entity for o in observations],
                "ts": [_naive_utc(o.ts) for o in observations],
                "value": [float(o.value) for o in observations],
                "source": [o.source for o in observations],
            }
        )
        # One value per key in a batch: the last one offered wins (providers list oldest first).
        frame = frame.drop_duplicates(["metric", "entity", "ts", "source"], keep="last")
        con = self._con
        con.register("_incoming", frame)
        try:
            inserted = con.execute(
                """
                INSERT INTO observations
                SELECT i.metric, i.entity, i.ts, i.value, i.source, ?::TIMESTAMP, ?
                FROM _incoming i
                LEFT JOIN (
                    SELECT metric, entity, ts, source, arg_max(value, fetched_at) AS value
                    FROM observations
                    WHERE (metric, entity, ts, source) IN (SELECT metric, entity, ts, source FROM _incoming)
                    GROUP BY ALL
                ) cur USING (metric, entity, ts, source)
                WHERE cur.value IS NULL OR cur.value IS DISTINCT FROM i.value
                """,
                [fetched, run_id],
            ).fetchone()[0]
        finally:
            with suppress(duckdb.Error):  # fails only once the insert has aborted the transaction;
                con.unregister("_incoming")  # raising here would hide the insert's own error
        return WriteStats(len(frame), int(inserted))

    def _insert_news(self, items: Sequence[NewsItem], run_id: str, fetched: datetime) -> None:
        """Keep the first copy of each item (the id is the deduplication key)."""
        if not items:
            return
        self._con.executemany(
            "INSERT INTO news VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [[i.id, _naive_utc(i.ts), i.source, i.title, i.link, list(i.themes), i.summary, fetched, run_id] for i in items],
        )

    # -- reads -------------------------------------------------------------------------------
    def _visible(self, as_of: date | None, known_at: datetime | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if as_of is not None:
            clauses.append("ts <= ?")
            params.append(_naive_utc(end_of_day(as_of)))
        if known_at is not None:
            clauses.append("fetched_at <= ?")
            params.append(_naive_utc(known_at))
        where = " AND ".join(clauses) if clauses else "TRUE"
        return where, params

    def daily_frame(
        self,
        metrics: Iterable[str] | None = None,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> pd.DataFrame:
        """Long frame (metric, entity, date, value, source, ts) with one row per key and UTC day.

        Within a day the latest timestamp wins; between sources of the same key, the one with the
        most rows wins for the whole series (so a series never flips source day to day).
        """
        where, params = self._visible(as_of, known_at)
        metric_list = sorted(set(metrics)) if metrics is not None else None
        if metric_list is not None:
            if not metric_list:
                import pandas as pd

                return pd.DataFrame(columns=["metric", "entity", "date", "value", "source", "ts"])
            where += f" AND metric IN ({', '.join('?' for _ in metric_list)})"
            params += metric_list
        sql = f"""
            WITH visible AS (
                SELECT metric, entity, ts, source, arg_max(value, fetched_at) AS value
                FROM observations WHERE {where}
                GROUP BY metric, entity, ts, source
            ),
            ranked_source AS (
                SELECT metric, entity, source,
                       row_number() OVER (PARTITION BY metric, entity ORDER BY count(*) DESC, source) AS r
                FROM visible GROUP BY metric, entity, source
            )
            SELECT v.metric, v.entity, CAST(v.ts AS DATE) AS date,
                   arg_max(v.value, v.ts) AS value, any_value(v.source) AS source, max(v.ts) AS ts
            FROM visible v JOIN ranked_source s USING (metric, entity, source)
            WHERE s.r = 1
            GROUP BY v.metric, v.entity, CAST(v.ts AS DATE)
            ORDER BY v.metric, v.entity, date
        """
        frame = self._con.execute(sql, params).df()
        if not frame.empty:
            import pandas as pd

            frame["date"] = pd.to_datetime(frame["date"])
        return frame

    def series(
        self, metric: str, entity: str = "", *, as_of: date | None = None, known_at: datetime | None = None
    ) -> pd.Series:
        """Daily series of one key up to `as_of` (index: tz-naive dates meaning UTC days)."""
        import pandas as pd

        frame = self.daily_frame([metric], as_of=as_of, known_at=known_at)
        frame = frame[frame["entity"] == entity]
        return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["date"], name="date"), name=metric)

    def history(
        self, metrics: Iterable[str] | None = None, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[MetricKey, pd.Series]:
        """Every key's daily series up to `as_of`, as {(metric, entity): Series}."""
        import pandas as pd

        frame = self.daily_frame(metrics, as_of=as_of, known_at=known_at)
        out: dict[MetricKey, pd.Series] = {}
        for (metric, entity), group in frame.groupby(["metric", "entity"], sort=True):
            out[(metric, entity)] = pd.Series(
                group["value"].to_numpy(), index=pd.DatetimeIndex(group["date"], name="date"), name=metric
            )
        return out

    def sources(self, *, as_of: date | None = None) -> dict[MetricKey, str]:
        """Which source each key's series comes from (the one `daily_frame` picks)."""
        frame = self.daily_frame(as_of=as_of)
        return {(m, e): s for (m, e), s in frame.groupby(["metric", "entity"])["source"].last().items()}

    def keys(self) -> list[MetricKey]:
        rows = self._con.execute("SELECT DISTINCT metric, entity FROM observations ORDER BY 1, 2").fetchall()
        return [(m, e) for m, e in rows]

    def count(self) -> int:
        return int(self._con.execute("SELECT count(*) FROM observations").fetchone()[0])

    def outcomes(self, run_id: str | None = None) -> list[ProviderOutcome]:
        """Provider outcomes of one run (default: the latest run)."""
        if run_id is None:
            row = self._con.execute("SELECT run_id FROM runs ORDER BY finished_at DESC NULLS LAST LIMIT 1").fetchone()
            if row is None:
                return []
            run_id = row[0]
        rows = self._con.execute(
            "SELECT provider, status, reason, observations, latest_ts, error_type, duration_s "
            "FROM provider_outcomes WHERE run_id = ? ORDER BY provider",
            [run_id],
        ).fetchall()
        return [
            ProviderOutcome(p, s, r, n, _aware(ts), et, d)  # type: ignore[arg-type]
            for p, s, r, n, ts, et, d in rows
        ]

    def last_outcomes(self, *, as_of: date | None = None) -> dict[str, tuple[ProviderOutcome, datetime]]:
        """Each provider's most recent outcome with the time of its run (of runs about `as_of` or before)."""
        rows = self._con.execute(
            """
            SELECT o.provider, o.status, o.reason, o.observations, o.latest_ts, o.error_type, o.duration_s,
                   r.finished_at
            FROM provider_outcomes o JOIN runs r USING (run_id)
            WHERE ?::DATE IS NULL OR r.as_of <= ?::DATE
            QUALIFY row_number() OVER (PARTITION BY o.provider ORDER BY r.finished_at DESC) = 1
            """,
            [as_of, as_of],
        ).fetchall()
        return {
            p: (ProviderOutcome(p, s, r, n, _aware(ts), et, d), _aware(fin))  # type: ignore[arg-type]
            for p, s, r, n, ts, et, d, fin in rows
        }

    def latest_ts(self, metric: str, entity: str | None = "", source: str | None = None) -> datetime | None:
        """Newest stored timestamp of a key: the incremental-collect cursor.

        With `entity=None`, the *oldest* of the per-entity newest timestamps, so an incremental
        fetch starting there misses no entity.
        """
        clauses, params = ["metric = ?"], [metric]
        if entity is not None:
            clauses.append("entity = ?")
            params.append(entity)
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        sql = f"SELECT min(newest) FROM (SELECT max(ts) AS newest FROM observations WHERE {' AND '.join(clauses)} GROUP BY entity)"
        return _aware(self._con.execute(sql, params).fetchone()[0])

    def news(self, *, as_of: date, days: int = 1) -> list[NewsItem]:
        """News published in the `days` UTC days ending with `as_of`, newest first."""
        from datetime import timedelta

        from signaldesk.clock import day_start

        rows = self._con.execute(
            "SELECT id, ts, source, title, link, themes, summary FROM news "
            "WHERE ts >= ? AND ts <= ? ORDER BY ts DESC, id",
            [_naive_utc(day_start(as_of) - timedelta(days=days - 1)), _naive_utc(end_of_day(as_of))],
        ).fetchall()
        return [NewsItem(i, _aware(ts), s, t, link, tuple(th), summ)  # type: ignore[arg-type]
                for i, ts, s, t, link, th, summ in rows]

    # -- assessments and alert bookkeeping ------------------------------------------------------
    def save_assessment(self, as_of: date, run_id: str, payload: str) -> None:
        """Keep the day's signals.json so tomorrow's run can compare (alerts) and charts can plot."""
        with self._transaction(f"saving the assessment of {as_of}") as con:
            con.execute("DELETE FROM assessments WHERE as_of = ?", [as_of]).fetchall()
            con.execute("INSERT INTO assessments VALUES (?, ?, ?)", [as_of, run_id, scrub(payload)]).fetchall()

    def assessment_before(self, as_of: date) -> tuple[date, str] | None:
        """The latest saved signals.json strictly before `as_of`, with its day."""
        row = self._con.execute(
            "SELECT as_of, payload FROM assessments WHERE as_of < ? ORDER BY as_of DESC LIMIT 1", [as_of]
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def alert_sent(self, day: date, key: str, channel: str) -> bool:
        row = self._con.execute(
            "SELECT 1 FROM alerts_sent WHERE day = ? AND key = ? AND channel = ?", [day, key, channel]
        ).fetchone()
        return row is not None

    def record_alert_failure(self, day: date, key: str, channel: str, reason: str) -> None:
        """Keep a failed delivery, so a channel that is down is visible after the run, not only in it."""
        self._con.execute(
            "INSERT INTO alert_failures VALUES (?, ?, ?, ?, ?)", [day, key, channel, scrub(reason), _naive_utc(now_utc())]
        ).fetchall()

    def alert_failures(self, day: date) -> list[tuple[str, str, str]]:
        """(key, channel, reason) of the deliveries that failed on `day`, oldest first."""
        rows = self._con.execute(
            "SELECT key, channel, reason FROM alert_failures WHERE day = ? ORDER BY failed_at", [day]
        ).fetchall()
        return [(key, channel, reason) for key, channel, reason in rows]

    def mark_alert_sent(self, day: date, key: str, channel: str) -> None:
        self._con.execute(
            "INSERT INTO alerts_sent VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [day, key, channel, _naive_utc(now_utc())],
        ).fetchall()
