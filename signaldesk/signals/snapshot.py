"""Build the `Snapshot` the engine judges: from a snapshot file, a history dict, or the store.

From history (and so from the store) the snapshot is what was known at the end of `as_of`:
every series is cut at that day, derived metrics (drawdown, changes, streaks …) are computed
from the cut history only, each key's last value is taken, values older than the catalog's
`max_age_days` are marked stale with their age, those older than `expire_factor` × that go to
`missing`, and every key the rulebook wants but lacks is listed in `missing` with a reason
(the provider's failure text when the caller passes one).

Snapshot file (ARCHITECTURE.md), any subset of ids:
`{"as_of": "2026-02-25", "values": {"fear_greed": 8, "chain_tvl_usd:ethereum": 5.5e10}}`, plus
three optional keys this module also reads: `observed_at` ({key: ISO time}, default the as-of
day), `missing` ({key: reason}) and `history` ({key: {"YYYY-MM-DD": value}}) for rules whose
transform needs more than one value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from signaldesk.catalog import CATALOG
from signaldesk.clock import day_start, iso_to_utc
from signaldesk.errors import SignaldeskError
from signaldesk.models import MetricKey, Snapshot, flat_to_key, key_to_flat
from signaldesk.signals.series import cut, daily, max_age

if TYPE_CHECKING:
    from signaldesk.signals.rulebook import Rulebook
    from signaldesk.store import Store


class SnapshotError(SignaldeskError):
    """A snapshot file is unreadable or holds an unknown id or an absurd value (the message names it)."""


def wanted_keys(rulebook: Rulebook | None = None) -> list[MetricKey]:
    """Every key the engine reads: the rules' inputs, the phase inputs and the level inputs."""
    from signaldesk.signals.levels import LEVEL_KEYS
    from signaldesk.signals.phase import PHASE_KEYS
    from signaldesk.signals.rulebook import default_rulebook

    out = list((rulebook or default_rulebook()).input_keys())
    out.extend(k for k in (*PHASE_KEYS, *LEVEL_KEYS) if k not in out)
    return out


# -- from a file ---------------------------------------------------------------------------------
def _key(flat: str, where: str) -> MetricKey:
    key = flat_to_key(flat)
    if key[0] not in CATALOG:
        raise SnapshotError(f"{where}: unknown metric id {key[0]!r} in {flat!r}")
    return key


def _number(value: Any, flat: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SnapshotError(f"{where}: {flat} must be a number, got {value!r}")
    number = float(value)
    spec = CATALOG[flat_to_key(flat)[0]]
    if not spec.plausible(number):
        raise SnapshotError(
            f"{where}: {flat} = {value!r} is outside the plausible range [{spec.lo:g}, {spec.hi:g}] ({spec.unit})"
        )
    return number


def snapshot_from_dict(data: Mapping[str, Any], *, name: str = "snapshot") -> Snapshot:
    """A snapshot from the parsed JSON of a snapshot file (errors name `name` and the key)."""
    if not isinstance(data, Mapping):
        raise SnapshotError(f"{name}: expected a JSON object with 'as_of' and 'values'")
    try:
        as_of = date.fromisoformat(str(data["as_of"]))
    except (KeyError, ValueError):
        raise SnapshotError(f"{name}: 'as_of' must be a date (YYYY-MM-DD), got {data.get('as_of')!r}") from None
    raw_values = data.get("values", {})
    if not isinstance(raw_values, Mapping):
        raise SnapshotError(f"{name}: 'values' must be an object of metric[:entity] → number")
    snap = Snapshot(as_of=as_of)
    for flat, reason in (data.get("missing") or {}).items():
        snap.missing[_key(flat, name)] = str(reason)
    for flat, raw in raw_values.items():
        key = _key(flat, name)
        number = _number(raw, flat, name)
        if number is None:
            snap.missing.setdefault(key, "null in the snapshot file")
            continue
        snap.values[key] = number
    _read_observed_at(snap, data.get("observed_at") or {}, name)
    history = _read_history(data.get("history") or {}, name)
    if history:
        _fill_from_history(snap, history)
    for key in snap.values:
        snap.observed_at.setdefault(key, day_start(as_of))
    _mark_stale(snap)
    return snap


def _read_observed_at(snap: Snapshot, raw: Mapping[str, Any], name: str) -> None:
    """Take the file's observation times; one after `as_of` would make a stale value look fresh, so it is refused."""
    for flat, text in raw.items():
        key = _key(flat, name)
        try:
            when = iso_to_utc(str(text))
        except ValueError:
            raise SnapshotError(f"{name}: observed_at[{flat!r}] is not an ISO time: {text!r}") from None
        if when.date() > snap.as_of:
            raise SnapshotError(f"{name}: observed_at[{flat!r}] = {text} is after as_of {snap.as_of}")
        snap.observed_at[key] = when


def _read_history(raw: Mapping[str, Any], name: str) -> dict[MetricKey, pd.Series]:
    """The file's `{key: {date: value}}` as daily series, each date and value checked like `values`."""
    history: dict[MetricKey, pd.Series] = {}
    for flat, points in raw.items():
        key = _key(flat, name)
        if not isinstance(points, Mapping):
            raise SnapshotError(f"{name}: history[{flat!r}] must be an object of date → number")
        try:
            index = pd.DatetimeIndex([pd.Timestamp(date.fromisoformat(d)) for d in points])
        except ValueError:
            raise SnapshotError(f"{name}: history[{flat!r}] has a key that is not a YYYY-MM-DD date") from None
        values = [_number(v, flat, name) for v in points.values()]
        history[key] = daily(pd.Series([math.nan if v is None else v for v in values], index=index))
    return history


def _fill_from_history(snap: Snapshot, history: dict[MetricKey, pd.Series]) -> None:
    """Derive metrics from the history cut at `as_of`, as a run from the store would.

    A derived key the file neither gives nor lists as missing takes its last value, observed that day.
    """
    from signaldesk.metrics.derive import derive_all

    for key, series in derive_all(cut(history, snap.as_of)).items():
        snap.history[key] = series
        if key not in snap.values and key not in snap.missing and not series.empty:
            snap.values[key] = float(series.iloc[-1])
            snap.observed_at[key] = day_start(series.index[-1].date())


def snapshot_from_file(path: str | Path) -> Snapshot:
    """Read a snapshot JSON file (ARCHITECTURE.md)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    return snapshot_from_dict(data, name=str(path))


# -- from history --------------------------------------------------------------------------------
def _mark_stale(snap: Snapshot) -> None:
    for key, when in snap.observed_at.items():
        if key not in snap.values:
            continue
        age = (snap.as_of - when.date()).days
        limit = max_age(key[0])
        if age > limit:
            snap.stale[key] = f"{age} days old (limit {limit:g})"


def _derived_from() -> dict[str, tuple[str, ...]]:
    from signaldesk.metrics.derive import derivations

    return {out: d.inputs for d in derivations() for out in d.outputs}


def _reason(key: MetricKey, reasons: Mapping[str, str], as_of: date, parents: Mapping[str, tuple[str, ...]]) -> str:
    flat = key_to_flat(key)
    if flat in reasons:
        return reasons[flat]
    if key[0] in reasons:
        return reasons[key[0]]
    for source in parents.get(key[0], ()):
        if source in reasons:
            return f"derived from {source}: {reasons[source]}"
    if key[0] in parents:
        return f"derived from {', '.join(parents[key[0]])}: no data up to {as_of}"
    return f"no data up to {as_of}"


def snapshot_from_history(
    history: Mapping[MetricKey, pd.Series],
    as_of: date,
    *,
    reasons: Mapping[str, str] | None = None,
    wanted: Iterable[MetricKey] | None = None,
    sources: Mapping[MetricKey, str] | None = None,
    expire_factor: float = 5.0,
) -> Snapshot:
    """What was known at the end of `as_of`, from daily series (the store's `history()` shape).

    `reasons` maps a metric id (or `metric:entity`) to why it is missing (provider outcomes);
    `wanted` are the keys to report as missing when absent (default: what the rulebook reads).
    """
    from signaldesk.metrics.derive import derive_all

    reasons = reasons or {}
    known = derive_all(cut(history, as_of))
    snap = Snapshot(as_of=as_of)
    for key in sorted(known):
        series = known[key]
        if series is None or series.empty:
            continue
        series = daily(series)
        if series.empty:
            continue
        snap.history[key] = series
        last_day = series.index[-1].date()
        age = (as_of - last_day).days
        if age > expire_factor * max_age(key[0]):
            snap.missing[key] = (
                f"last value on {last_day} is {age} days old (limit {expire_factor * max_age(key[0]):g} days)"
            )
            continue
        snap.values[key] = float(series.iloc[-1])
        snap.observed_at[key] = day_start(last_day)
        if sources and key in sources:
            snap.sources[key] = sources[key]
    parents = _derived_from()
    for key in wanted if wanted is not None else wanted_keys():
        if key not in snap.values and key not in snap.missing:
            snap.missing[key] = _reason(key, reasons, as_of, parents)
    _mark_stale(snap)
    return snap


def snapshot_from_store(
    store: Store,
    as_of: date,
    reasons: Mapping[str, str] | None = None,
    *,
    wanted: Iterable[MetricKey] | None = None,
    expire_factor: float = 5.0,
    known_at: datetime | None = None,
) -> Snapshot:
    """The store as it stood at the end of `as_of` (no observation dated later is read) and, given
    `known_at`, as it was known then (no value fetched later, such as a revision, is read).

    `reasons` ({metric id: why}) comes from the caller, who knows which provider yields what
    (the signal stage does not import providers); without it a gap reads "no data up to D".
    """
    history, sources = store.history_and_sources(as_of=as_of, known_at=known_at)
    return snapshot_from_history(
        history, as_of, reasons=reasons, wanted=wanted, sources=sources, expire_factor=expire_factor
    )
