"""Runs: one collect's observations, news and provider outcomes written in one transaction, and
the reads of outcomes and news."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from signaldesk.clock import end_of_day, now_utc
from signaldesk.models import NewsItem, Observation, ProviderOutcome
from signaldesk.redact import scrub
from signaldesk.store.base import aware, insert_rows, naive_utc
from signaldesk.store.observations import Observations, WriteStats


class Runs(Observations):
    """A run writes observations too, so it builds on `Observations`."""

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
        fetched = naive_utc(fetched_at or now_utc())
        with self._transaction(f"writing run {run_id}") as con:
            stats = self._insert_observations(observations, run_id, fetched)
            self._insert_news(news, run_id, fetched)
            con.execute("DELETE FROM provider_outcomes WHERE run_id = ?", [run_id]).fetchall()
            con.execute("DELETE FROM runs WHERE run_id = ?", [run_id]).fetchall()
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, mode, as_of, naive_utc(started_at), naive_utc(now_utc()), status],
            ).fetchall()
            if outcomes:
                insert_rows(
                    con,
                    "provider_outcomes",
                    [
                        [
                            run_id,
                            o.provider,
                            o.status,
                            scrub(o.reason),
                            o.error_type,
                            o.observations,
                            None if o.latest_ts is None else naive_utc(o.latest_ts),
                            o.duration_s,
                        ]
                        for o in outcomes
                    ],
                )
        return stats

    def _insert_news(self, items: Sequence[NewsItem], run_id: str, fetched: datetime) -> None:
        """Keep the first copy of each item (the id is the deduplication key)."""
        if not items:
            return
        insert_rows(
            self._con,
            "news",
            [
                [i.id, naive_utc(i.ts), i.source, i.title, i.link, list(i.themes), i.summary, fetched, run_id]
                for i in items  # a repeated id keeps its first row, as one statement per row did
            ],
            suffix="ON CONFLICT (id) DO NOTHING",
        )

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
            ProviderOutcome(p, s, r, n, aware(ts), et, d)  # type: ignore[arg-type]
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
            p: (ProviderOutcome(p, s, r, n, aware(ts), et, d), aware(fin))  # type: ignore[arg-type]
            for p, s, r, n, ts, et, d, fin in rows
        }

    def run_finished(self, as_of: date) -> datetime | None:
        """When the last run about `as_of` finished: the moment its report stated what was known."""
        row = self._con.execute("SELECT max(finished_at) FROM runs WHERE as_of = ?", [as_of]).fetchone()
        return None if row is None else aware(row[0])

    def news(self, *, as_of: date, days: int = 1) -> list[NewsItem]:
        """News published in the `days` UTC days ending with `as_of`, newest first."""

        from signaldesk.clock import day_start

        rows = self._con.execute(
            "SELECT id, ts, source, title, link, themes, summary FROM news "
            "WHERE ts >= ? AND ts <= ? ORDER BY ts DESC, id",
            [naive_utc(day_start(as_of) - timedelta(days=days - 1)), naive_utc(end_of_day(as_of))],
        ).fetchall()
        return [
            NewsItem(i, aware(ts), s, t, link, tuple(th), summ)  # type: ignore[arg-type]
            for i, ts, s, t, link, th, summ in rows
        ]
