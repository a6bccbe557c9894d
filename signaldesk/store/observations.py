"""Observations: the bitemporal table (`ts` = what a value is about, `fetched_at` = when we learnt
it), the idempotent upsert, and the as-of reads that never see a value dated after the day nor,
given `known_at`, one fetched after that moment (a past report, reproduced)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from signaldesk.clock import end_of_day, now_utc
from signaldesk.models import MetricKey, Observation
from signaldesk.store.base import StoreBase, aware, naive_utc

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class WriteStats:
    """What one write changed: rows offered, rows that were new or revised."""

    offered: int
    inserted: int


class Observations(StoreBase):
    """Writes and as-of reads of observations."""

    def write_observations(
        self, observations: Iterable[Observation], *, run_id: str, fetched_at: datetime | None = None
    ) -> WriteStats:
        """Add observations outside a collect run (CSV import, on-chain engine), atomically."""
        fetched = naive_utc(fetched_at or now_utc())
        with self._transaction("writing observations"):
            return self._insert_observations(list(observations), run_id, fetched)

    def _insert_observations(self, observations: Sequence[Observation], run_id: str, fetched: datetime) -> WriteStats:
        """Insert only rows whose value differs from the latest known version (idempotent upsert)."""
        if not observations:
            return WriteStats(0, 0)
        import pandas as pd

        frame = pd.DataFrame(
            {
                "metric": [o.metric for o in observations],
                "entity": [o.entity for o in observations],
                "ts": [naive_utc(o.ts) for o in observations],
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

    def _visible(self, as_of: date | None, known_at: datetime | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if as_of is not None:
            clauses.append("ts <= ?")
            params.append(naive_utc(end_of_day(as_of)))
        if known_at is not None:
            clauses.append("fetched_at <= ?")
            params.append(naive_utc(known_at))
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
        """Every key's daily series up to `as_of`, as {(metric, entity): Series}.

        The days are `datetime64[ns]`, the unit `signals.series.daily` yields, whatever unit DuckDB
        hands over: pandas 2.x unions daily-frequency indexes of other units two years off
        (2026-03-04 comes back as 2028-11-11), and the derivations align these series by union.
        """
        return _series_of(self.daily_frame(metrics, as_of=as_of, known_at=known_at))

    def history_and_sources(
        self, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> tuple[dict[MetricKey, pd.Series], dict[MetricKey, str]]:
        """`history()` and, for each key, the source its series comes from (the one `daily_frame`
        picks), from one read of the store (a snapshot needs both)."""
        frame = self.daily_frame(as_of=as_of, known_at=known_at)
        return _series_of(frame), _sources_of(frame)

    def last_day(self) -> date | None:
        """The newest day any observation is about (the backtest's default end)."""
        row = self._con.execute("SELECT max(ts) FROM observations").fetchone()
        return None if row is None or row[0] is None else row[0].date()

    def count(self) -> int:
        return int(self._con.execute("SELECT count(*) FROM observations").fetchone()[0])

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
        return aware(self._con.execute(sql, params).fetchone()[0])


def _series_of(frame: pd.DataFrame) -> dict[MetricKey, pd.Series]:
    import pandas as pd

    return {
        (metric, entity): pd.Series(
            group["value"].to_numpy(), index=pd.DatetimeIndex(group["date"], name="date").as_unit("ns"), name=metric
        )
        for (metric, entity), group in frame.groupby(["metric", "entity"], sort=True)
    }


def _sources_of(frame: pd.DataFrame) -> dict[MetricKey, str]:
    return {(m, e): s for (m, e), s in frame.groupby(["metric", "entity"])["source"].last().items()}
