"""Loopback plumbing for tests of sources that filter clients: real sockets, real curl_cffi.

`HostAsPath` sends `https://host/path?q` to `http://127.0.0.1:port/host/path?q` and then through the
*live* transport (`BrowserRouting`), so a request marked `browser=True` really goes out through
curl_cffi with Chrome's header set, and the rest through plain httpx. `browser_gate` makes a
server answer only browser-like requests, as Yahoo's UA filter and Cloudflare do.

What loopback cannot show: the TLS fingerprint (JA3/JA4) and HTTP/2 settings, which Cloudflare
checks first — the test server speaks plain HTTP/1.1. The gate therefore judges the header set a
browser sends (`Sec-Ch-Ua`, `Sec-Fetch-Mode`, a Chrome User-Agent) and that httpx does not.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from signaldesk.http import HttpClient
from signaldesk.impersonate import BrowserRouting


class HostAsPath(httpx.AsyncBaseTransport):
    """Rewrites every URL onto the loopback `server` (the original host as the first path segment)."""

    def __init__(self, server: HTTPServer, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._server = server
        self._inner = inner or BrowserRouting()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        request.url = httpx.URL(
            scheme="http",
            host=self._server.host,
            port=self._server.port,
            path=f"/{original.host}{original.path}",
            query=original.query,
        )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def loopback_client(server: HTTPServer, *, plain_only: bool = False, **kwargs) -> HttpClient:
    """The shared client on the loopback server; `plain_only`: every request through plain httpx,
    as a client without impersonation would send it."""
    inner = httpx.AsyncHTTPTransport(retries=0) if plain_only else None
    kwargs = {"polite": False, "backoff_initial": 0.0, "max_retry_wait": 0.0, **kwargs}
    return HttpClient(transport=HostAsPath(server, inner), **kwargs)


def looks_like_browser(request: Request) -> bool:
    """What a browser sends and httpx does not: client hints, fetch metadata, a Chrome User-Agent."""
    agent = request.headers.get("User-Agent", "")
    return (
        agent.startswith("Mozilla/5.0")
        and "Chrome/" in agent
        and "signaldesk" not in agent
        and "Sec-Ch-Ua" in request.headers
        and "Sec-Fetch-Mode" in request.headers
    )


def browser_gate(
    handler: Callable[[Request], Response], refusal: Callable[[], Response]
) -> Callable[[Request], Response]:
    """`handler` for browser-like requests, `refusal()` for the rest."""

    def gate(request: Request) -> Response:
        return handler(request) if looks_like_browser(request) else refusal()

    return gate


def too_many_requests() -> Response:
    """Yahoo's answer to a filtered client (2025): 429 with a plain-text body, no Retry-After."""
    return Response("Too Many Requests", status=429, content_type="text/plain")
