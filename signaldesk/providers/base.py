"""The provider kit: declare what a source allows, and keep only the endpoint knowledge in the provider.

A provider module owns one source. Its `parse_*` functions are pure (payload → Observations) so
they can be tested on recorded bodies; `observe` is the only code that touches the network. What
every provider used to write by hand lives here, once:

- `Capabilities` declares the source's hosts and rate limits, its key (environment variable, and
  the header or query parameter that carries it), and its window in days (`backfill_days`,
  `revision_days`, `max_days`) — `Window` does the arithmetic;
- `Session` is the request helper bound to one provider: it adds the key where the declaration
  says, rewords a 401/403 on a keyed request as a key problem, and names the provider;
- `Provider.fetch` runs `observe` with that session and window, tags every `ProviderError` with the
  provider's name (so parsing code never repeats it), and keeps only the days of the window;
- `Provider.gather_parts` runs independent parts (chains, venues, tickers, feeds), keeps what
  answered, records what failed in `failures` (the collector makes that a `partial` outcome), and
  raises only when nothing answered;
- `_checks` reads payloads (`get_path`, `as_float`, …) and validates observations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from signaldesk import settings
from signaldesk.clock import today_utc, utc_day
from signaldesk.errors import MissingKeyError, ProviderError, RateLimitedError, UnavailableError

if TYPE_CHECKING:
    from signaldesk.http import HttpClient
    from signaldesk.models import NewsItem, Observation

log = logging.getLogger(__name__)
T = TypeVar("T")

NewsReader = Callable[[date, date], list["NewsItem"]]
"""The stored news items published from the first day to the last (inclusive), for feed providers."""


@dataclass(frozen=True, slots=True)
class Window:
    """The days one fetch asks for: from `start` (None: all the source has) up to `today`.

    `since` is the collector's cursor (None on a fresh store); `start` is derived from it by the
    provider's declared `backfill_days` / `revision_days` / `max_days` (`Capabilities.window`).
    """

    today: date
    since: date | None = None
    start: date | None = None

    @property
    def days(self) -> int | None:
        """Days from `start` to today (None when the window is open-ended)."""
        return None if self.start is None else (self.today - self.start).days

    def keep(self, observations: Iterable[Observation]) -> list[Observation]:
        """The observations dated on or after `start`."""
        return [o for o in observations if self.start is None or utc_day(o.ts) >= self.start]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a source allows, declared once.

    Args:
        hosts: host → requests per second we allow ourselves (the client enforces it).
        history: how far back the free tier serves, in words (for `signaldesk providers`).
        key_env: environment variable holding the API key ("" = keyless).
        key_required: the provider yields nothing without the key (skipped with a note).
        key_header: the request header that carries the key (`key_prefix` before it, e.g. "Bearer ").
        key_param: the query parameter that carries it, for sources that accept no header.
        key_host: only requests to this host carry the key ("" = every host of the provider).
        docs: the endpoint documentation URL.
        backfill_days: a fresh store asks for this many days (None: all the source has).
        revision_days: days re-read before the cursor, because the source revises them; None: the
            provider decides what it re-reads and keeps (SEC re-reads every filing for restatements,
            Yahoo a ticker's whole window after a split), so the kit cuts nothing.
        max_days: the most days the source serves; an old cursor asks for no more than this.
    """

    hosts: dict[str, float]
    history: str = "full"
    key_env: str = ""
    key_required: bool = False
    key_header: str = ""
    key_prefix: str = ""
    key_param: str = ""
    key_host: str = ""
    docs: str = ""
    backfill_days: int | None = None
    revision_days: int | None = 0
    max_days: int | None = None

    @property
    def rate_limit(self) -> str:
        """Human summary of the per-host limits, for `signaldesk providers`."""
        return ", ".join(f"{host} {rps:g}/s" for host, rps in sorted(self.hosts.items()))

    def window(self, since: date | None, today: date) -> Window:
        """The window of one fetch: the backfill on a fresh store, else the cursor minus the revised days,
        never more than `max_days`."""
        if self.revision_days is None:
            return Window(today, since, None)
        if since is None:
            start = None if self.backfill_days is None else today - timedelta(days=self.backfill_days)
        else:
            start = since - timedelta(days=self.revision_days)
            if self.max_days is not None:
                start = max(start, today - timedelta(days=self.max_days))
        return Window(today, since, start)


class Session:
    """The shared client bound to one provider: its name on every error, its key where it belongs."""

    def __init__(self, client: HttpClient, provider: Provider) -> None:
        self.client = client
        self.provider = provider

    @property
    def live(self) -> bool:
        """False when answers come from recordings (nothing leaves the machine)."""
        return self.client.live

    def _keyed(
        self, url: str, params: dict[str, Any] | None, headers: dict[str, str] | None
    ) -> tuple[dict[str, Any] | None, dict[str, str] | None, bool]:
        caps = self.provider.capabilities
        key = self.provider.api_key()
        if key is None or (caps.key_host and caps.key_host not in url):
            return params, headers, False
        if caps.key_header:
            headers = {**(headers or {}), caps.key_header: caps.key_prefix + key}
        if caps.key_param:
            params = {**(params or {}), caps.key_param: key}
        return params, headers, True

    async def _send(
        self,
        send: Callable[..., Awaitable[Any]],
        url: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        **kwargs: Any,
    ) -> Any:
        params, headers, keyed = self._keyed(url, params, headers)
        if params is not None:
            kwargs["params"] = params
        try:
            return await send(url, headers=headers, provider=self.provider.name, **kwargs)
        except RateLimitedError:
            raise
        except UnavailableError as exc:
            if keyed and ("HTTP 401" in str(exc) or "HTTP 403" in str(exc)):
                raise UnavailableError(
                    f"{self.provider.name} refused the key in {self.provider.capabilities.key_env} "
                    f"(key or plan): {exc}",
                    provider=self.provider.name,
                ) from None
            raise

    async def get_json(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        browser: bool = False,
        error_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """GET and decode JSON (see `HttpClient.get_json`)."""
        return await self._send(
            self.client.get_json, url, params, headers, browser=browser, error_statuses=error_statuses
        )

    async def get_text(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        browser: bool = False,
    ) -> str:
        """GET a text body: HTML tables, feeds, CSV."""
        return await self._send(self.client.get_text, url, params, headers, browser=browser)

    async def post_json(self, url: str, body: Any, *, headers: dict[str, str] | None = None) -> Any:
        """POST a JSON body (JSON-RPC) and decode the JSON answer."""
        return await self._send(lambda u, **kw: self.client.post_json(u, body, **kw), url, None, headers)

    def limit_host(self, host: str, requests_per_second: float) -> None:
        self.client.limit_host(host, requests_per_second)

    def request_interval(self, host: str) -> float:
        return self.client.request_interval(host)


class Provider:
    """One data source. Subclasses set `name`, `metrics`, `capabilities` and implement `observe`."""

    name: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]]
    capabilities: ClassVar[Capabilities]
    optional_metrics: ClassVar[tuple[str, ...]] = ()
    """Declared metrics a run may rightly not yield (an index needing more calls than a keyless tier
    allows): they never hold the collect cursor back, so their absence cannot force a full backfill."""
    yields_news: ClassVar[bool] = False

    def __init__(self) -> None:
        self.failures: dict[str, str] = {}
        """Part → why it failed in the last fetch, while other parts answered (`gather_parts` fills it)."""

    # -- what a provider writes ----------------------------------------------------------------------
    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """Fetch and parse the window's observations (errors need not name the provider: `fetch` does).

        Every provider implements it; it is not abstract only so that a test double may override
        `fetch` itself and skip the kit."""
        raise NotImplementedError(f"{type(self).__name__} implements neither observe nor fetch")

    async def observe_news(self, http: Session, window: Window) -> list[NewsItem]:
        """News items, for the few providers that yield text (feeds); numeric providers yield none."""
        return []

    def remember_news(self, read: NewsReader) -> None:
        """Hand a feed provider the stored news, so it can count days over stored ∪ fetched items."""

    # -- what the kit does ---------------------------------------------------------------------------
    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        """Everything new since `since` (None: the declared backfill), errors named after this provider."""
        self.failures.clear()
        window = self.capabilities.window(since, today_utc())
        return window.keep(await self._tagged(self.observe(Session(client, self), window)))

    async def fetch_news(self, client: HttpClient, since: date | None) -> list[NewsItem]:
        """News items; called by the collector after `fetch` when `yields_news` is True."""
        window = self.capabilities.window(since, today_utc())
        return await self._tagged(self.observe_news(Session(client, self), window))

    async def _tagged(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except ProviderError as exc:
            exc.provider = self.name
            raise

    def api_key(self) -> str | None:
        """The key from the environment, or None; never logged, never written anywhere."""
        return settings.secret(self.capabilities.key_env) if self.capabilities.key_env else None

    def require_key(self) -> str:
        """The key, or `MissingKeyError` naming the variable to set."""
        key = self.api_key()
        if key is None:
            raise MissingKeyError(f"{self.name} needs an API key: set {self.capabilities.key_env} to enable it")
        return key

    def part_failures(self) -> list[str]:
        """What failed in the last `fetch` while other parts answered, as "part: reason" lines."""
        return [f"{part}: {reason}" for part, reason in self.failures.items()]

    def part_failed(self, part: str, exc: ProviderError | str) -> None:
        """Record one failed part (and log it): the outcome will be `partial`, naming it."""
        self.failures[part] = str(exc)
        log.warning("%s %s failed: %s", self.name, part, exc)

    async def gather_parts(
        self, parts: Mapping[str, Awaitable[T]], *, one_by_one: bool = False, stop_when_rate_limited: bool = False
    ) -> dict[str, T]:
        """Run independent parts; return part → result for those that answered.

        A part's `ProviderError` costs that part only (`failures` names it); when no part answered,
        the error is raised: `RateLimitedError` when every part was rate limited, else the first
        part's type, naming every failure. `one_by_one` awaits the parts in order (a paced source);
        `stop_when_rate_limited` then stops at the first rate limit (a spent key quota would refuse the
        rest too). Any other exception is a bug and is raised.
        """
        self.failures.clear()
        answered: dict[str, T] = {}
        errors: list[ProviderError] = []
        if one_by_one:
            results: list[Any] = []
            for work in parts.values():
                try:
                    results.append(await work)
                except ProviderError as exc:
                    results.append(exc)
                    if stop_when_rate_limited and isinstance(exc, RateLimitedError):
                        break
            for leftover in list(parts.values())[len(results) :]:
                if asyncio.iscoroutine(leftover):
                    leftover.close()
        else:
            results = await asyncio.gather(*parts.values(), return_exceptions=True)
        for part, result in zip(parts, results, strict=False):
            if isinstance(result, ProviderError):
                errors.append(result)
                self.part_failed(part, result)
            elif isinstance(result, BaseException):
                raise result
            else:
                answered[part] = result
        if errors and not answered:
            kind = RateLimitedError if all(isinstance(e, RateLimitedError) for e in errors) else type(errors[0])
            first, why = next(iter(self.failures.items()))
            raise kind(f"nothing answered ({len(errors)} failed: {', '.join(self.failures)}); {first}: {why}")
        return answered


def flat(results: Mapping[str, list[T]]) -> list[T]:
    """The parts' lists, one after the other (in part order)."""
    return [item for items in results.values() for item in items]
