"""The one HTTP client every provider uses.

It owns what providers must not each reinvent: a descriptive User-Agent (SEC and Coinbase reject
empty ones), timeouts, a per-host rate limit (free APIs ban the impatient), retries with
exponential backoff that honour `Retry-After` (via stamina's backoff hook), an optional response
cache (hishel), and record/replay of responses (signaldesk.recordings). It turns every transport
or HTTP failure into a typed `ProviderError`, so the collector can say *why* a source is missing.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import stamina

from signaldesk import __version__
from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.impersonate import BROWSER, BrowserRouting
from signaldesk.recordings import RecordingTransport, ReplayTransport

USER_AGENT = f"signaldesk/{__version__} (+https://github.com/signaldesk/signaldesk; self-hosted market-signal desk)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Default cap on a response body *after* decompression; the largest real payload (a Farside page,
three years of mempool blocks) is a few MB. A provider with a bigger one passes `max_bytes`."""
_ENCODING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class _Retryable(Exception):
    """Internal: a response worth retrying, carrying the server's `Retry-After` if it sent one."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts "²" (a stray 0xB2 byte)
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # the asctime form carries no zone, and every HTTP date is GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class _HostGate:
    """Spaces requests to one host at least `interval` seconds apart, across all coroutines."""

    interval: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            if self.next_at > now:
                await asyncio.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval


class HttpClient:
    """Async HTTP client with rate limits, retries, cache and record/replay.

    Args:
        transport: an httpx transport (tests pass a mock; `replay`/`record` build one for you).
        timeout: seconds for connect/read; a slow source fails alone, bounded by this.
        attempts: tries per request, the first included.
        max_retry_wait: cap on any single wait, even when `Retry-After` asks for longer.
        rate_limits: requests per second allowed per host; providers add theirs with `limit_host`.
        cache_dir: where hishel keeps cached responses (None: no cache). What is served from it follows
            each response's own `Cache-Control`/`Expires`/`ETag` (RFC 9111, as a private cache).
        cache_ttl: seconds a stored response is kept for revalidation, fresh or not.
        polite: apply the per-host rate limits (off for replays and loopback test servers).
    """

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 20.0,
        attempts: int = 3,
        backoff_initial: float = 0.5,
        max_retry_wait: float = 30.0,
        rate_limits: dict[str, float] | None = None,
        cache_dir: Path | None = None,
        cache_ttl: float = 2 * 86400.0,
        user_agent: str = USER_AGENT,
        polite: bool = True,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        base = transport or BrowserRouting()  # `browser=True` requests go out with a browser's TLS and headers
        if cache_dir is not None:
            base = _cached(base, cache_dir, cache_ttl)
        self._client = httpx.AsyncClient(
            transport=base,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
        )
        self.live = not isinstance(transport, ReplayTransport)
        """False when every answer comes from recordings: nothing leaves the machine (the demo)."""
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_initial = backoff_initial
        self.max_retry_wait = max_retry_wait
        self.max_response_bytes = max_response_bytes
        self._gates: dict[str, _HostGate] = {}
        self._polite = polite
        for host, rps in (rate_limits or {}).items():
            self.limit_host(host, rps)

    @classmethod
    def replay(cls, directory: Path | str, **kwargs: Any) -> HttpClient:
        """A client that serves only recorded responses from `directory` (demo, tests)."""
        kwargs.setdefault("attempts", 1)
        kwargs.setdefault("polite", False)  # replaying files: no host to be polite to
        return cls(transport=ReplayTransport(directory), **kwargs)

    @classmethod
    def record(cls, directory: Path | str, **kwargs: Any) -> HttpClient:
        """A live client that also writes every response into `directory`."""
        return cls(transport=RecordingTransport(directory), **kwargs)

    def limit_host(self, host: str, requests_per_second: float) -> None:
        """Allow at most `requests_per_second` to `host` (the stricter limit wins)."""
        interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        gate = self._gates.get(host)
        if gate is None:
            self._gates[host] = _HostGate(interval)
        else:
            gate.interval = max(gate.interval, interval)

    def request_interval(self, host: str) -> float:
        """Seconds between requests to `host` on this client (0 when it is not polite: replays, loopback)."""
        gate = self._gates.get(host)
        return gate.interval if gate is not None and self._polite else 0.0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- requests ----------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        provider: str = "",
        browser: bool = False,
        error_statuses: frozenset[int] = frozenset(),
        max_bytes: int | None = None,
    ) -> httpx.Response:
        """Send a request with rate limit and retries; return a 2xx response or raise typed.

        429 and 5xx are retried (waiting `Retry-After` when given, capped by `max_retry_wait`);
        timeouts and connection errors are retried; other 4xx fail at once (403/451 are geo or
        bot blocks that a retry will not cure). `browser=True`: sent with a browser's TLS fingerprint and
        headers (`signaldesk.impersonate`), for sources that refuse other clients. A 4xx in `error_statuses` is
        returned, not raised: its body is an API error document the provider reads (Deribit's JSON-RPC errors).
        A body larger than `max_bytes` (default `max_response_bytes`) once decompressed is refused as malformed.
        """

        def backoff_hook(exc: Exception) -> bool | float:
            if isinstance(exc, _Retryable):
                if exc.retry_after is not None:
                    return min(exc.retry_after, self.max_retry_wait)
                return True
            return isinstance(exc, httpx.TransportError)

        host = httpx.URL(url).host
        try:
            async for attempt in stamina.retry_context(
                on=backoff_hook,
                attempts=self.attempts,
                timeout=None,
                wait_initial=self.backoff_initial,
                wait_max=self.max_retry_wait,
            ):
                with attempt:
                    gate = self._gates.get(host) if self._polite else None
                    if gate is not None:
                        await gate.wait()
                    request = self._client.build_request(
                        method,
                        url,
                        params=params,
                        headers=headers,
                        json=json_body,
                        extensions={BROWSER: True} if browser else None,
                    )
                    response = await self._send_capped(request, max_bytes or self.max_response_bytes, provider)
                    if response.status_code in RETRY_STATUSES:
                        raise _Retryable(response, parse_retry_after(response.headers.get("Retry-After")))
        except _Retryable as exc:
            status = exc.response.status_code
            detail = _short_body(exc.response)
            if status == 429:
                raise RateLimitedError(
                    f"rate limited by {host} (HTTP 429) after {self.attempts} tries{detail}", provider=provider
                ) from None
            raise UnavailableError(
                f"{host} answered HTTP {status} after {self.attempts} tries{detail}", provider=provider
            ) from None
        except httpx.TimeoutException:
            raise UnavailableError(
                f"{host} timed out after {self.timeout:g} s ({self.attempts} tries)", provider=provider
            ) from None
        except httpx.TransportError as exc:
            raise UnavailableError(f"cannot reach {host}: {_exc_text(exc)}", provider=provider) from None
        if response.status_code >= 400 and response.status_code not in error_statuses:
            why = {
                403: "forbidden (bot or geo block?)",
                451: "unavailable for legal reasons (restricted location)",
            }.get(response.status_code, "client error")
            raise UnavailableError(
                f"{host} answered HTTP {response.status_code}: {why}{_short_body(response)}", provider=provider
            )
        return response

    async def _send_capped(self, request: httpx.Request, limit: int, provider: str) -> httpx.Response:
        """Send, and read the body counting *decoded* bytes, so a 1 MB gzip that inflates to 1 GiB is
        refused at `limit` instead of being held in memory (httpx would inflate all of it). The answer
        is rebuilt from the decoded bytes, without the encoding headers that no longer apply."""
        response = await self._client.send(request, stream=True)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise MalformedError(
                        f"{request.url.host} sent more than {limit / 2**20:g} MiB (decompressed); refused",
                        provider=provider,
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        headers = [(k, v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in _ENCODING_HEADERS]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )

    async def get_json(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        provider: str = "",
        browser: bool = False,
        error_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """GET and decode JSON; an HTML challenge page or broken JSON raises `MalformedError`."""
        response = await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            provider=provider,
            browser=browser,
            error_statuses=error_statuses,
        )
        return decode_json(response, provider=provider)

    async def post_json(self, url: str, body: Any, *, headers: dict[str, str] | None = None, provider: str = "") -> Any:
        """POST a JSON body (JSON-RPC) and decode the JSON answer."""
        response = await self.request("POST", url, json_body=body, headers=headers, provider=provider)
        return decode_json(response, provider=provider)

    async def get_text(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        provider: str = "",
        browser: bool = False,
    ) -> str:
        """GET a text body (HTML tables, RSS/Atom feeds, CSV)."""
        response = await self.request("GET", url, params=params, headers=headers, provider=provider, browser=browser)
        return response.text


def decode_json(response: httpx.Response, *, provider: str = "") -> Any:
    """Decode a JSON body, naming the common ways free APIs send something else."""
    text = response.text
    head = text.lstrip()[:200].lower()
    if head.startswith("<"):
        kind = "an HTML challenge page" if ("cloudflare" in head or "challenge" in text[:2000].lower()) else "HTML"
        raise MalformedError(f"{response.url.host} sent {kind} where JSON was expected", provider=provider)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedError(
            f"{response.url.host} sent invalid JSON ({exc.msg} at char {exc.pos} of {len(text)})", provider=provider
        ) from None


def _short_body(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:160]
    return f": {text}" if text else ""


def _exc_text(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _cached(transport: httpx.AsyncBaseTransport, cache_dir: Path, ttl: float) -> httpx.AsyncBaseTransport:
    """Wrap a transport in hishel's cache so re-running a day does not hammer free APIs.

    RFC 9111 mode, private (one user, so `private` answers and keyed requests may be kept): a response
    is reused only while its own headers say it is fresh, revalidated with its `ETag`/`Last-Modified`
    after that, and never stored under `no-store`. hishel's default mode would ignore those headers.
    """
    from hishel import AsyncSqliteStorage, CacheOptions
    from hishel.httpx import AsyncCacheTransport

    cache_dir.mkdir(parents=True, exist_ok=True)
    storage = AsyncSqliteStorage(database_path=cache_dir / "http-cache.sqlite", default_ttl=ttl)
    return AsyncCacheTransport(next_transport=transport, storage=storage, rfc=CacheOptions(shared=False))
