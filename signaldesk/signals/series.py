"""Series plumbing shared by the per-day judge and the vectorised history.

Both paths read "the value known on day D" through `asof`, so that judging one day and computing
a ten-year history cannot disagree: a value observed on day d is seen on every later day with
age D − d (in days) until a newer one arrives, and it expires after `expire_factor` × the
catalog's `max_age_days`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from signaldesk.catalog import CATALOG
from signaldesk.clock import utc_day
from signaldesk.models import MetricKey

if TYPE_CHECKING:
    from signaldesk.models import Snapshot

DEFAULT_MAX_AGE = 3.0


def max_age(metric: str) -> float:
    """The catalog's freshness limit in days (3 for ids outside the catalog)."""
    spec = CATALOG.get(metric)
    return spec.max_age_days if spec is not None else DEFAULT_MAX_AGE


_DAY_TICKS = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
"""One day in each datetime64 unit's ticks."""


def _is_daily(series: pd.Series) -> bool:
    """True when `series` already is what `daily` makes (the common case: the store's and the derived
    series), checked with vectorised tests instead of re-sorting and de-duplicating it."""
    index = series.index
    return (
        series.dtype == np.float64
        and isinstance(index, pd.DatetimeIndex)
        and index.tz is None
        and index.unit in _DAY_TICKS
        and index.is_monotonic_increasing
        and index.is_unique
        and not (index.asi8 % _DAY_TICKS[index.unit]).any()
        and bool(np.isfinite(series.to_numpy()).all())
    )


def daily(series: pd.Series) -> pd.Series:
    """A clean daily series: float values, tz-naive midnight dates, sorted, one value per day, no NaN."""
    if series is None or len(series) == 0:
        return pd.Series([], dtype=float, index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
    if _is_daily(series):  # already clean: the same values (copied: pandas 2 would share them) and index
        return pd.Series(series.to_numpy(copy=True), index=series.index.as_unit("ns"))
    index = pd.DatetimeIndex(series.index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    out = pd.Series(
        pd.to_numeric(series.to_numpy(), errors="coerce").astype(float), index=index.normalize().as_unit("ns")
    )
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out[np.isfinite(out.to_numpy())]


def day_index(days: pd.DatetimeIndex | list[date]) -> pd.DatetimeIndex:
    """Days as a midnight `datetime64[ns]` index (passed through when it already is one)."""
    if isinstance(days, pd.DatetimeIndex) and days.dtype == "datetime64[ns]" and days.tz is None:
        return days
    return pd.DatetimeIndex(pd.to_datetime(list(days))).normalize().as_unit("ns")


def cut(history: Mapping[MetricKey, pd.Series], as_of: date) -> dict[MetricKey, pd.Series]:
    """Every series limited to days ≤ `as_of` (empty ones dropped): what was known that day."""
    limit = pd.Timestamp(as_of)
    out = {}
    for key, series in history.items():
        clean = daily(series)
        clean = clean[clean.index <= limit]
        if not clean.empty:
            out[key] = clean
    return out


@dataclass(frozen=True, slots=True)
class AsOf:
    """Values of one series as known on each of `days`: value, observation day's position, age."""

    value: np.ndarray
    position: np.ndarray
    age: np.ndarray

    @property
    def known(self) -> np.ndarray:
        return np.isfinite(self.value)


def asof(
    series: pd.Series | None,
    days: pd.DatetimeIndex,
    *,
    limit_days: float | None = None,
    values: np.ndarray | None = None,
) -> AsOf:
    """Look up, for each day, the latest observation on or before it.

    `values` (same length as the series) replaces the series' own values — used to look up a
    transform's output while ageing by the input's observation days. Observations older than
    `limit_days` count as unknown (NaN).
    """
    n = len(days)
    if series is None or len(series) == 0:
        return AsOf(np.full(n, np.nan), np.full(n, -1), np.full(n, np.nan))
    obs = series.index.to_numpy(dtype="datetime64[D]")
    wanted = days.to_numpy(dtype="datetime64[D]")
    position = np.searchsorted(obs, wanted, side="right") - 1
    found = position >= 0
    safe = np.where(found, position, 0)
    source = series.to_numpy(dtype=float) if values is None else np.asarray(values, dtype=float)
    value = np.where(found, source[safe], np.nan)
    age = np.where(found, (wanted - obs[safe]).astype(float), np.nan)
    if limit_days is not None:
        value = np.where(age > limit_days, np.nan, value)
    return AsOf(value, np.where(found, position, -1), age)


def view(snapshot: Snapshot) -> dict[MetricKey, pd.Series]:
    """The snapshot's history with its `values` folded in, as points on their observation day.

    A snapshot built from the store already has each value as its history's last point; one read
    from a file may have values only, which then become one-point series (enough for `level`).
    """
    out = {key: daily(series) for key, series in snapshot.history.items()}
    for key, value in snapshot.values.items():
        when = snapshot.observed_at.get(key)
        day = pd.Timestamp(utc_day(when) if isinstance(when, datetime) else snapshot.as_of)
        current = out.get(key)
        if current is None or current.empty:
            out[key] = pd.Series([float(value)], index=pd.DatetimeIndex([day]).as_unit("ns"))
        elif day not in current.index or current.loc[day] != value:
            current = current.copy()
            current.loc[day] = float(value)
            out[key] = current.sort_index()
    limit = pd.Timestamp(snapshot.as_of)
    cut_out = {}
    for key, series in out.items():
        if len(series) and series.index[-1] > limit:
            series = series[series.index <= limit]
        if len(series):
            cut_out[key] = series
    return cut_out
