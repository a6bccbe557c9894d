"""Requests that must look like a browser: a browser's TLS handshake and header set, via curl_cffi.

Why: some sources filter clients, not people. Yahoo answers "Too Many Requests" to bot-like
clients (yfinance#2289/#2422, 2025), and Cloudflare (in front of Farside and Stooq) refuses
httpx's TLS fingerprint (JA3/JA4) and HTTP/2 settings before it reads a single header — no
User-Agent string fixes that. curl_cffi (what yfinance itself uses) drives a libcurl built to
reproduce a real Chrome's handshake, HTTP/2 frames and default headers.

How: a request marked with the `BROWSER` extension (`HttpClient.request(..., browser=True)`) is
sent by `BrowserTransport`; every other request by httpx's own transport (`BrowserRouting`).
Both sit *under* the shared client, so rate limits, retries, `Retry-After`, the cache, typed
errors and record/replay apply to browser requests exactly as to the rest; test transports
(mock, loopback, replay) ignore the mark and keep working.

What it cannot do: solve a JavaScript challenge ("Just a moment…", proof-of-work pages). Such a
page still comes back, and the provider reports it as a challenge, never as data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from curl_cffi.requests import AsyncSession

BROWSER = "signaldesk.browser"
"""httpx request extension that asks for the browser transport."""
IMPERSONATE = "chrome"
"""curl_cffi's alias for the newest Chrome it can reproduce (TLS, HTTP/2 and header order)."""
_CLIENT_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "connection", "content-length"})
"""Headers httpx adds for itself: dropped so the browser's own (which its fingerprint implies) go out."""
_DECODED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
"""libcurl has already decompressed and de-chunked the body: httpx must not try again."""


def _forwarded_headers(request: httpx.Request) -> list[tuple[str, str]]:
    """The caller's own headers; httpx's defaults (and its `Accept: */*`) give way to the browser's."""
    return [
        (name, value)
        for name, value in request.headers.multi_items()
        if name.lower() not in _CLIENT_HEADERS and not (name.lower() == "accept" and value == "*/*")
    ]


def _timeout(request: httpx.Request) -> tuple[float, float] | None:
    """httpx's per-request timeouts as curl_cffi's (connect, read) pair."""
    timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
    connect, read = timeouts.get("connect"), timeouts.get("read")
    if connect is None or read is None:
        return None
    return float(connect), float(read)


class BrowserTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through curl_cffi, impersonating `IMPERSONATE`.

    curl_cffi's failures become httpx's (`ConnectTimeout`, `ReadTimeout`, `ConnectError`), so the
    shared client retries and words them exactly as it does for plain requests.
    """

    def __init__(self, impersonate: str = IMPERSONATE) -> None:
        self.impersonate = impersonate
        self._session: AsyncSession[Any] | None = None

    def _open(self) -> AsyncSession[Any]:
        if self._session is None:
            from curl_cffi.requests import AsyncSession  # heavy (libcurl): only when a browser request is made

            self._session = AsyncSession(impersonate=self.impersonate)  # type: ignore[arg-type]
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from curl_cffi.requests import exceptions as curl_errors

        session = self._open()
        try:
            answer = await session.request(
                request.method,  # type: ignore[arg-type]
                str(request.url),
                headers=_forwarded_headers(request),
                data=await request.aread() or None,
                timeout=_timeout(request),
                allow_redirects=False,  # httpx follows redirects itself, through this transport again
            )
        except curl_errors.ConnectTimeout as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except curl_errors.Timeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except curl_errors.RequestException as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _DECODED_HEADERS]
        return httpx.Response(answer.status_code, headers=headers, content=answer.content, request=request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class BrowserRouting(httpx.AsyncBaseTransport):
    """The live transport: requests marked `BROWSER` go through `browser`, the rest through `plain`."""

    def __init__(
        self, plain: httpx.AsyncBaseTransport | None = None, browser: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.plain = plain or httpx.AsyncHTTPTransport(retries=0)
        self.browser = browser or BrowserTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self.browser if request.extensions.get(BROWSER) else self.plain
        return await target.handle_async_request(request)

    async def aclose(self) -> None:
        await self.plain.aclose()
        await self.browser.aclose()
