"""`daily`: one float per UTC day, sorted, no NaN — whether the input is clean already or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from signaldesk.signals.series import daily

points = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 23), st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")))),
    max_size=40,
)


def by_hand(rows: list[tuple[int, int, float]]) -> dict[pd.Timestamp, float]:
    """Per day, the value of the row that comes last in input order, kept only when finite."""
    out: dict[pd.Timestamp, float] = {}
    for day, _hour, value in rows:
        out[pd.Timestamp("2026-01-01") + pd.Timedelta(days=day)] = value
    return {day: value for day, value in sorted(out.items()) if np.isfinite(value)}


@given(points, st.sampled_from(["s", "us", "ns"]))
def test_daily_keeps_the_last_value_of_each_day(rows: list[tuple[int, int, float]], unit: str) -> None:
    index = pd.DatetimeIndex(
        [pd.Timestamp("2026-01-01") + pd.Timedelta(days=d, hours=h) for d, h, _ in rows], name="date"
    ).as_unit(unit)
    got = daily(pd.Series([v for *_, v in rows], index=index, name="metric", dtype=float))
    assert dict(got.items()) == by_hand(rows)
    assert got.index.dtype == "datetime64[ns]" and got.dtype == np.float64
    assert got.index.is_monotonic_increasing and got.index.is_unique


@given(points, st.sampled_from(["s", "us", "ns"]))
def test_a_clean_series_comes_back_equal_and_unnamed(rows: list[tuple[int, int, float]], unit: str) -> None:
    clean = pd.Series(by_hand(rows), dtype=float, name="metric")
    clean.index = pd.DatetimeIndex(clean.index, name="date").as_unit(unit)
    got = daily(clean)
    assert got.to_numpy().tolist() == clean.to_numpy().tolist()
    assert list(got.index) == list(clean.index) and got.index.dtype == "datetime64[ns]"
    assert got.name is None and got.index.name == ("date" if len(clean) else None)
    got[:] = 0.0  # a change to the result never reaches the caller's series
    assert clean.to_numpy().tolist() == list(by_hand(rows).values())
