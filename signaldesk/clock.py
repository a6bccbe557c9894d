"""UTC helpers: the only place timestamps are converted.

Providers hand us epoch seconds, epoch milliseconds (sometimes as strings), ISO strings with
nanoseconds, or dates. Everything becomes an aware UTC `datetime` here, so no naive datetime
ever reaches the store or a signal. A daily value belongs to the UTC day it closes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta

from signaldesk.errors import UsageError

EARLIEST_MARKET_DAY = date(2009, 1, 3)
"""Bitcoin's genesis block: no day before it has anything for signaldesk to say."""
_NANOS = re.compile(r"(\.\d{6})\d+")
_PINNED: ContextVar[datetime | None] = ContextVar("signaldesk_pinned_now", default=None)


def epoch_s_to_utc(value: int | float | str) -> datetime:
    """Unix seconds (int, float or numeric string) → aware UTC datetime."""
    return datetime.fromtimestamp(float(value), tz=UTC)


def epoch_ms_to_utc(value: int | float | str) -> datetime:
    """Unix milliseconds (int, float or numeric string) → aware UTC datetime."""
    return datetime.fromtimestamp(float(value) / 1000.0, tz=UTC)


def iso_to_utc(value: str) -> datetime:
    """ISO-8601 (with `Z`, an offset, or none = UTC; nanoseconds truncated) → aware UTC datetime."""
    text = _NANOS.sub(r"\1", value.strip()).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day_start(day: date) -> datetime:
    """00:00 UTC of `day`: the timestamp daily observations are stored under."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def utc_day(ts: datetime) -> date:
    """The UTC calendar day of an aware timestamp."""
    if ts.tzinfo is UTC:  # how providers build them: no conversion needed (a run asks ~10⁵ times)
        return ts.date()
    if ts.tzinfo is None:
        raise ValueError("naive datetime: signaldesk only accepts aware UTC timestamps")
    return ts.astimezone(UTC).date()


def end_of_day(day: date) -> datetime:
    """The last instant of `day` in UTC; the as-of cut for 'what was known on day D'."""
    return day_start(day) + timedelta(days=1) - timedelta(microseconds=1)


def now_utc() -> datetime:
    """The current time, aware UTC — or the pinned time inside `pinned_now` (demo, tests)."""
    pinned = _PINNED.get()
    return pinned if pinned is not None else datetime.now(tz=UTC)


def today_utc() -> date:
    """Today's UTC date (respecting `pinned_now`)."""
    return now_utc().date()


@contextmanager
def pinned_now(moment: datetime) -> Iterator[None]:
    """Make `now_utc()` return `moment` in this context.

    The offline demo replays responses recorded "on" 2026-02-25; requests that depend on today
    (a `days=` window, a DVOL start timestamp) must be built for that day to find their recording.
    """
    if moment.tzinfo is None:
        raise ValueError("pinned_now needs an aware datetime")
    token = _PINNED.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _PINNED.reset(token)


def parse_day(text: str) -> date:
    """`YYYY-MM-DD` → date, with an error message a CLI user can act on."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"not a date (want YYYY-MM-DD): {text!r}") from exc


def parse_market_day(text: str) -> date:
    """A day a report or assessment can be about: from Bitcoin's genesis (no market data before it)
    to today in UTC (no data yet after it) — `2099-01-01` or `0001-01-01` are mistakes, said so."""
    day = parse_day(text)
    today = now_utc().date()
    if not EARLIEST_MARKET_DAY <= day <= today:
        raise UsageError(
            f"{text} is outside the days signaldesk can report on: {EARLIEST_MARKET_DAY} to {today} (today, UTC)"
        )
    return day
