"""Saved assessments (each day's `signals.json`, for tomorrow's alerts) and alert bookkeeping."""

from __future__ import annotations

from datetime import date

from signaldesk.clock import now_utc
from signaldesk.redact import scrub
from signaldesk.store.base import StoreBase, naive_utc


class Assessments(StoreBase):
    """The day's saved assessment and which alerts were sent or failed."""

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
            "INSERT INTO alert_failures VALUES (?, ?, ?, ?, ?)",
            [day, key, channel, scrub(reason), naive_utc(now_utc())],
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
            [day, key, channel, naive_utc(now_utc())],
        ).fetchall()
