"""Run providers concurrently on one client and record each one's outcome.

A slow or dead source delays nothing but itself: every provider runs as its own task, bounded by
its timeout, and any failure becomes a `ProviderOutcome` with the reason in words. The
collector never lets one failure stop the run. Providers validate their payloads; the collector
checks one thing across each answer: two different values for the same metric, entity, day and
source are a conflict — both are dropped and the outcome is `partial`, naming them (an upstream
that repeats a day with another value cannot be trusted on either, and "last wins" would hide it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from signaldesk.catalog import metric
from signaldesk.clock import day_start, utc_day
from signaldesk.errors import MissingKeyError, ProviderError
from signaldesk.http import HttpClient
from signaldesk.models import NewsItem, Observation, ProviderOutcome
from signaldesk.providers.base import NewsReader, Provider

DEFAULT_TIMEOUT_S = 300.0
"""Upper bound on one provider's whole fetch (pagination and retries included)."""

OnDone = Callable[[ProviderOutcome], None]


@dataclass(slots=True)
class CollectResult:
    """Everything a collect produced, ready for one `Store.write_run` transaction."""

    observations: list[Observation] = field(default_factory=list)
    news: list[NewsItem] = field(default_factory=list)
    outcomes: list[ProviderOutcome] = field(default_factory=list)

    def __repr__(self) -> str:
        """Counts, not contents: Python 3.11's `asyncio.run` formats its finished main task (result
        included) when it restores the SIGINT handler, and the full repr of a demo run's ~90,000
        observations cost 0.5 s of every `signaldesk demo`."""
        return f"CollectResult({len(self.observations)} observations, {len(self.news)} news, {len(self.outcomes)} outcomes)"

    @property
    def failed(self) -> list[ProviderOutcome]:
        """Outcomes that leave data missing or old: failed, stale or partial."""
        return [o for o in self.outcomes if o.status in {"failed", "stale", "partial"}]


def staleness(observations: Sequence[Observation], as_of: date) -> str:
    """Why a provider's data is stale for `as_of` ("" when fresh).

    Stale means the newest point of some metric is older than that metric's `max_age_days`
    (catalog), measured in whole UTC days before `as_of`.
    """
    cut = day_start(as_of + timedelta(days=1))
    newest: dict[str, datetime] = {}
    for obs in observations:
        if obs.ts < cut and (obs.metric not in newest or obs.ts > newest[obs.metric]):
            newest[obs.metric] = obs.ts
    old = []
    for metric_id, ts in sorted(newest.items()):
        age = (as_of - utc_day(ts)).days
        if age > metric(metric_id).max_age_days:
            old.append(f"{metric_id} is {age} days old (max {metric(metric_id).max_age_days:g})")
    return "; ".join(old)


def drop_conflicts(observations: Sequence[Observation]) -> tuple[list[Observation], list[str]]:
    """The observations without the keys (metric, entity, UTC day, source) that carry two different
    values, and one line per such key naming the metric, the day and the values; exact repeats are
    kept once."""
    keys = [(obs.metric, obs.entity, utc_day(obs.ts), obs.source) for obs in observations]
    if len(set(keys)) == len(keys):  # the usual answer: one value per key, so no conflict and no repeat
        return list(observations), []
    values: dict[tuple[str, str, date, str], list[float]] = {}
    for key, obs in zip(keys, observations, strict=True):
        seen = values.setdefault(key, [])
        if obs.value not in seen:
            seen.append(obs.value)
    conflicts = {key: found for key, found in values.items() if len(found) > 1}
    kept = list(dict.fromkeys(obs for key, obs in zip(keys, observations, strict=True) if key not in conflicts))
    reasons = [
        f"{metric}{'[' + entity + ']' if entity else ''} on {day}: conflicting values "
        f"{' and '.join(f'{v:g}' for v in found)} (both dropped)"
        for (metric, entity, day, _), found in sorted(conflicts.items())
    ]
    return kept, reasons


async def _run_one(
    provider: Provider, client: HttpClient, since: date | None, as_of: date, timeout: float
) -> tuple[ProviderOutcome, list[Observation], list[NewsItem]]:
    started = time.perf_counter()

    def outcome(status: str, reason: str = "", obs: Sequence[Observation] = (), error: str = "") -> ProviderOutcome:
        latest = max((o.ts for o in obs), default=None)
        return ProviderOutcome(
            provider.name,
            status,
            reason,
            len(obs),
            latest,
            error,  # type: ignore[arg-type]
            round(time.perf_counter() - started, 3),
        )

    try:
        async with asyncio.timeout(timeout):
            observations = await provider.fetch(client, since)
            news = await provider.fetch_news(client, since) if provider.yields_news else []
    except MissingKeyError as exc:
        return outcome("skipped", str(exc), error=type(exc).__name__), [], []
    except ProviderError as exc:
        return outcome("failed", str(exc), error=type(exc).__name__), [], []
    except TimeoutError:
        return outcome("failed", f"no answer within {timeout:g} s", error="TimeoutError"), [], []
    except Exception as exc:  # a provider bug must not sink the run; the reason says what it was
        return outcome("failed", f"internal error: {type(exc).__name__}: {exc}", error=type(exc).__name__), [], []
    if not observations and not news:
        return outcome("failed", "answered but returned no data", error="EmptyResponse"), [], []
    observations, conflicts = drop_conflicts(observations)
    stale = staleness(observations, as_of)
    if stale:
        return outcome("stale", stale, observations), observations, news
    parts = provider.part_failures() + conflicts
    if parts:
        reason = f"{len(parts)} part(s) failed: " + "; ".join(parts)
        return outcome("partial", reason, observations), observations, news
    return outcome("ok", "", observations), observations, news


async def collect(
    providers: Sequence[Provider],
    client: HttpClient,
    *,
    as_of: date,
    since: Mapping[str, date | None] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    on_done: OnDone | None = None,
    news_reader: NewsReader | None = None,
) -> CollectResult:
    """Fetch from every provider at once; observations dated after `as_of` are dropped.

    `since` maps a provider name to the day it last has data for (None = backfill everything);
    each provider turns it into its window (`Capabilities.window`: backfill, revised days, maximum).
    Stale data is still kept (it is true, only old); the outcome says it is stale and why.
    `news_reader` (the store's news) is handed to the providers that yield news, which count
    completed days over stored and fetched items.
    """
    for provider in providers:
        for host, rps in provider.capabilities.hosts.items():
            client.limit_host(host, rps)
        if news_reader is not None and provider.yields_news:
            provider.remember_news(news_reader)

    async def run(provider: Provider) -> tuple[ProviderOutcome, list[Observation], list[NewsItem]]:
        result = await _run_one(provider, client, (since or {}).get(provider.name), as_of, timeout)
        if on_done is not None:
            on_done(result[0])
        return result

    results = await asyncio.gather(*(run(p) for p in providers))
    collected = CollectResult()
    cut = day_start(as_of + timedelta(days=1))
    for outcome, observations, news in results:
        collected.outcomes.append(outcome)
        collected.observations.extend(o for o in observations if o.ts < cut)
        collected.news.extend(n for n in news if n.ts < cut)
    collected.outcomes.sort(key=lambda o: o.provider)
    return collected
