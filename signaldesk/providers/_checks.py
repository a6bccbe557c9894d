"""Payload validators shared by providers: they turn nonsense into typed errors with a path.

Providers never trust a payload: a renamed field, a string where a number belongs, a timestamp
in the future or a Fear & Greed of 150 must stop *that* provider with a clear reason, and never
reach the store.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from signaldesk.catalog import metric
from signaldesk.clock import now_utc
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, RateLimitedError, UnavailableError
from signaldesk.models import Observation

log = logging.getLogger(__name__)


def get_path(payload: Any, path: Sequence[str | int], *, provider: str) -> Any:
    """`payload[p0][p1]…`, or `MalformedError` naming the first missing step."""
    node = payload
    walked: list[str] = []
    for step in path:
        walked.append(str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            raise MalformedError(f"missing field {'.'.join(walked)!s} in response", provider=provider) from None
    return node


def as_float(value: Any, *, field: str, provider: str) -> float:
    """A number that may arrive as a string (most free APIs) → finite float, or MalformedError."""
    if isinstance(value, bool):
        raise MalformedError(f"{field} is a boolean, expected a number", provider=provider)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MalformedError(f"{field} is not a number: {str(value)[:40]!r}", provider=provider) from None
    if not math.isfinite(number):
        raise MalformedError(f"{field} is not finite: {value!r}", provider=provider)
    return number


def as_list(value: Any, *, field: str, provider: str, allow_empty: bool = False) -> list[Any]:
    """A JSON array, non-empty unless allowed."""
    if not isinstance(value, list):
        raise MalformedError(f"{field} is {type(value).__name__}, expected a list", provider=provider)
    if not value and not allow_empty:
        raise MalformedError(f"{field} is an empty list", provider=provider)
    return value


def as_mapping(value: Any, *, field: str, provider: str) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise MalformedError(f"{field} is {type(value).__name__}, expected an object", provider=provider)
    return value


def check_observations(
    observations: Iterable[Observation],
    *,
    provider: str,
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
            raise MalformedError(f"{obs.metric}: timestamp {obs.ts!r} is not UTC-aware", provider=provider)
        if obs.ts > limit:
            raise ImplausibleError(f"{obs.metric}: timestamp {obs.ts:%Y-%m-%d} is in the future", provider=provider)
        spec = metric(obs.metric)
        if not spec.plausible(obs.value):
            raise ImplausibleError(
                f"{obs.metric}{'[' + obs.entity + ']' if obs.entity else ''} = {obs.value:g} on {obs.ts:%Y-%m-%d} "
                f"is outside the plausible range [{spec.lo:g}, {spec.hi:g}] {spec.unit}",
                provider=provider,
            )
    return out


def partial_results(provider: str, results: Mapping[str, Any], failures: dict[str, str]) -> dict[str, Any]:
    """The answers among `asyncio.gather(..., return_exceptions=True)` results, by key.

    Sources that fan out (one request per ticker, company or feed) lose only the parts that
    failed: `failures` is refilled with key → reason (and logged), and a typed error is raised only
    when *nothing* answered (`RateLimitedError` when every part was rate limited, else the first
    part's error type). An exception that is not a `ProviderError` is a bug and is re-raised.
    """
    answered: dict[str, Any] = {}
    failures.clear()
    errors: list[ProviderError] = []
    for key, result in results.items():
        if isinstance(result, ProviderError):
            failures[key] = str(result)
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            answered[key] = result
    if failures:
        log.warning("%s: %d of %d failed: %s", provider, len(failures), len(results),
                    "; ".join(f"{k}: {r}" for k, r in failures.items()))
    if results and not answered:
        kind = RateLimitedError if all(isinstance(e, RateLimitedError) for e in errors) else type(errors[0])
        summary = "; ".join(f"{k}: {r}" for k, r in list(failures.items())[:3])
        raise kind(f"nothing answered ({len(results)} failed): {summary}", provider=provider)
    return answered


def key_refused(exc: UnavailableError, *, service: str, key_env: str, provider: str, what: str = "") -> UnavailableError:
    """Reword a 401/403 from a keyed API: the client's generic "forbidden (bot or geo block?)" here
    means the key (or its plan); name the variable to fix, never the key itself."""
    text = str(exc)
    prefix = f"{what}: " if what else ""
    if "HTTP 401" in text or "HTTP 403" in text:
        target = f"{what} " if what else ""
        return UnavailableError(f"{service} refused {target}the key in {key_env} (key or plan): {text}", provider=provider)
    return UnavailableError(f"{prefix}{text}", provider=provider) if what else exc
