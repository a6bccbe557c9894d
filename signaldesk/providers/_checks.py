"""The payload reader shared by providers: it turns nonsense into typed errors with a path.

Providers never trust a payload: a renamed field, a string where a number belongs, a timestamp
in the future or a Fear & Greed of 150 must stop *that* provider with a clear reason, and never
reach the store. The errors do not name the provider: `Provider.fetch` tags them once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from signaldesk.catalog import metric
from signaldesk.clock import now_utc
from signaldesk.errors import ImplausibleError, MalformedError
from signaldesk.models import Observation


def get_path(payload: Any, path: Sequence[str | int]) -> Any:
    """`payload[p0][p1]…`, or `MalformedError` naming the first missing step."""
    node = payload
    walked: list[str] = []
    for step in path:
        walked.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise MalformedError(f"missing field {'.'.join(walked)!s} in response") from None
    return node


def as_float(value: Any, *, field: str) -> float:
    """A number that may arrive as a string (most free APIs) → finite float, or MalformedError."""
    if isinstance(value, bool):
        raise MalformedError(f"{field} is a boolean, expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MalformedError(f"{field} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise MalformedError(f"{field} is not finite: {value!r}")
    return number


def as_list(value: Any, *, field: str, allow_empty: bool = False) -> list[Any]:
    """A JSON array, non-empty unless allowed."""
    if not isinstance(value, list):
        raise MalformedError(f"{field} is {type(value).__name__}, expected a list")
    if not value and not allow_empty:
        raise MalformedError(f"{field} is an empty list")
    return value


def as_mapping(value: Any, *, field: str) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise MalformedError(f"{field} is {type(value).__name__}, expected an object")
    return value


def check_observations(
    observations: Iterable[Observation],
    *,
    future_slack: timedelta = timedelta(days=1),
    now: datetime | None = None,
) -> list[Observation]:
    """Validate before anything is returned: aware UTC, not in the future, value in the catalog range.

    One bad value rejects the whole batch, because a source that sends one absurd number is not a
    source whose other numbers we should trust today.
    """
    limit = (now or now_utc()) + future_slack
    out = list(observations)
    for obs in out:
        if obs.ts.tzinfo is None or obs.ts.utcoffset() != timedelta(0):
            raise MalformedError(f"{obs.metric}: timestamp {obs.ts!r} is not UTC-aware")
        if obs.ts > limit:
            raise ImplausibleError(f"{obs.metric}: timestamp {obs.ts:%Y-%m-%d} is in the future")
        spec = metric(obs.metric)
        if not spec.plausible(obs.value):
            raise ImplausibleError(
                f"{obs.metric}{'[' + obs.entity + ']' if obs.entity else ''} = {obs.value:g} on {obs.ts:%Y-%m-%d} "
                f"is outside the plausible range [{spec.lo:g}, {spec.hi:g}] {spec.unit}"
            )
    return out
