"""UTC helpers: the calendar day and the store's naive value of an aware timestamp, on both paths
(a `UTC` tzinfo taken as is, any other offset converted), and naive input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signaldesk.clock import utc_day
from signaldesk.errors import StoreError
from signaldesk.store.base import naive_utc

instants = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(instants, offsets)
def test_the_day_and_naive_value_are_those_of_the_same_instant_in_utc(naive: datetime, zone: timezone) -> None:
    in_utc = naive.replace(tzinfo=UTC)
    elsewhere = in_utc.astimezone(zone)  # the same instant, written in another offset
    assert utc_day(in_utc) == utc_day(elsewhere) == naive.date()
    assert naive_utc(in_utc) == naive_utc(elsewhere) == naive


def test_a_utc_zone_that_is_not_the_utc_object_takes_the_converting_path() -> None:
    """`ZoneInfo("UTC")` and a named zero offset are UTC without being `datetime.UTC`."""
    from zoneinfo import ZoneInfo

    for zone in (ZoneInfo("UTC"), timezone(timedelta(0), "Z")):
        late = datetime(2026, 2, 25, 23, 59, tzinfo=zone)
        assert late.tzinfo is not UTC
        assert utc_day(late).isoformat() == "2026-02-25"
        assert naive_utc(late) == datetime(2026, 2, 25, 23, 59)
    assert utc_day(datetime(2026, 2, 25, 23, 30, tzinfo=timezone(timedelta(hours=-1)))).isoformat() == "2026-02-26"


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_day(datetime(2026, 2, 25))
    with pytest.raises(StoreError, match="naive"):
        naive_utc(datetime(2026, 2, 25))
