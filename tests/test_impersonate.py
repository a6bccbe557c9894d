"""The browser transport over real loopback sockets: a client filter that refuses plain httpx lets
curl_cffi's Chrome through; its failures and bodies reach the shared client like httpx's own.

(The TLS fingerprint itself cannot be checked over plain-HTTP loopback: see tests/loopback.py.)
"""

from __future__ import annotations

import gzip
import time

import pytest
from werkzeug import Request, Response

from signaldesk.errors import UnavailableError
from signaldesk.http import HttpClient
from tests.loopback import browser_gate, looks_like_browser, loopback_client


def _forbidden() -> Response:
    return Response(
        "<html><title>Attention Required! | Cloudflare</title></html>",
        status=403,
        headers={"Server": "cloudflare", "CF-RAY": "8f0e1d2c3b4a5968-FRA"},
        content_type="text/html",
    )


async def test_a_client_filter_refuses_plain_httpx_and_answers_the_browser(httpserver):
    seen: list[dict[str, str]] = []

    def page(request: Request) -> Response:
        seen.append(dict(request.headers))
        return Response("<html>flows</html>", content_type="text/html")

    httpserver.expect_request("/example.org/page").respond_with_handler(browser_gate(page, _forbidden))
    async with loopback_client(httpserver, attempts=1) as client:
        with pytest.raises(UnavailableError, match="HTTP 403"):
            await client.get_text("https://example.org/page")
        assert (
            await client.get_text("https://example.org/page", headers={"Accept-Language": "en-GB"}, browser=True)
            == "<html>flows</html>"
        )
    [headers] = seen
    assert "Chrome/" in headers["User-Agent"] and "signaldesk" not in headers["User-Agent"]
    assert headers["Accept-Language"] == "en-GB"  # the caller's own headers still go out
    assert headers["Accept"] != "*/*"  # httpx's default gave way to the browser's


async def test_the_browser_transport_hands_back_a_decoded_body(httpserver):
    """libcurl decompresses; a stale `Content-Encoding: gzip` would make httpx decode twice and fail."""
    body = b'{"chart": {"result": []}}'
    httpserver.expect_request("/example.org/api").respond_with_response(
        Response(gzip.compress(body), headers={"Content-Encoding": "gzip"}, content_type="application/json")
    )
    async with loopback_client(httpserver) as client:
        assert await client.get_json("https://example.org/api", browser=True) == {"chart": {"result": []}}


async def test_a_browser_request_that_times_out_is_unavailable_with_the_reason(httpserver):
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    httpserver.expect_request("/example.org/slow").respond_with_handler(slow)
    async with loopback_client(httpserver, timeout=0.3, attempts=1) as client:
        with pytest.raises(UnavailableError, match="timed out"):
            await client.get_text("https://example.org/slow", browser=True)


async def test_a_browser_request_to_a_closed_port_cannot_reach_the_host():
    async with HttpClient(attempts=1, polite=False) as client:
        with pytest.raises(UnavailableError, match=r"cannot reach 127\.0\.0\.1"):
            await client.get_text("http://127.0.0.1:9/nothing", browser=True)


def test_the_gate_tells_a_browser_from_httpx():
    from werkzeug.test import EnvironBuilder

    def request(headers: dict[str, str]) -> Request:
        return Request(EnvironBuilder(headers=headers).get_environ())

    assert not looks_like_browser(request({"User-Agent": "python-httpx/0.28.1"}))
    assert not looks_like_browser(request({"User-Agent": "Mozilla/5.0 (compatible; signaldesk/0.1)"}))
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    assert not looks_like_browser(request({"User-Agent": chrome}))  # a borrowed User-Agent alone is not enough
    assert looks_like_browser(
        request({"User-Agent": chrome, "Sec-Ch-Ua": '"Chromium";v="131"', "Sec-Fetch-Mode": "navigate"})
    )
