"""`signaldesk doctor` against a loopback server that plays each way a source fails from a server's IP.

Every probe crosses a real socket (`tests.loopback.HostAsPath`: the original host becomes the first
path segment); browser probes really go out through curl_cffi. The server is threaded, so a
source that hangs delays nothing but its own probe.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from signaldesk import doctor
from signaldesk.doctor import EXIT_FULL, EXIT_NOTHING, EXIT_PARTIAL, diagnose, run_doctor
from tests.loopback import HostAsPath, browser_gate, too_many_requests

CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    "<noscript>Enable JavaScript and cookies to continue</noscript>"
    "<script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script></body></html>"
)
CLOUDFLARE = {"Server": "cloudflare", "CF-RAY": "8f0e1d2c3b4a5968-FRA", "cf-mitigated": "challenge"}


def _json(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")


def _hang(request: Request) -> Response:
    time.sleep(1.5)
    return _json({"data": []})


PLAYS: dict[str, Callable[[Request], Response]] = {
    # Binance-style region block
    "www.deribit.com/": lambda r: _json({"code": 0, "msg": "Service unavailable from a restricted location"}, 451),
    # Cloudflare managed challenge in front of Farside
    "farside.co.uk/": lambda r: Response(CHALLENGE, status=403, headers=CLOUDFLARE, content_type="text/html"),
    # CoinGecko's keyless quota, with its rate-limit headers
    "api.coingecko.com/": lambda r: _json(
        {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit"}},
        429,
        {"Retry-After": "60", "x-ratelimit-limit": "30", "x-ratelimit-remaining": "0"},
    ),
    # a client filter: refuses httpx, answers a browser
    "mempool.space/": browser_gate(lambda r: _json({"fastestFee": 3}), lambda: Response("Forbidden", status=403)),
    # a host that never answers in time
    "api.alternative.me/": _hang,
    # a wrong key
    "api.glassnode.com/": lambda r: Response("invalid api key", status=401, content_type="text/plain"),
    # healthy
    "community-api.coinmetrics.io/": lambda r: _json({"data": [{"asset": "btc", "PriceUSD": "97000"}]}),
    "data.sec.gov/": lambda r: _json({"cik": 789019, "units": {"USD": []}}),
    # Yahoo throttles this IP even for a browser; its Stooq fallback answers the browser
    "query1.finance.yahoo.com/": lambda r: too_many_requests(),
    "stooq.com/": browser_gate(
        lambda r: Response("Date,Open,High,Low,Close,Volume\n", content_type="text/csv"), too_many_requests
    ),
}


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    seen: list[Request] = []

    def play(request: Request) -> Response:
        seen.append(request)
        endpoint = request.path.lstrip("/")
        for prefix, handler in PLAYS.items():
            if endpoint.startswith(prefix):
                return handler(request)
        return Response("no play for this host", status=404)

    httpserver = HTTPServer(threaded=True)
    httpserver.expect_request(re.compile("^/")).respond_with_handler(play)
    httpserver.start()
    httpserver.seen = seen  # type: ignore[attr-defined]
    yield httpserver
    httpserver.clear()
    httpserver.stop()


def _by_provider(report):
    return {(r.provider, r.label): r for r in report.results}


async def test_each_failure_is_named_and_the_exit_code_says_partial(server, monkeypatch):
    monkeypatch.setenv("GLASSNODE_API_KEY", "not-a-valid-key")
    monkeypatch.setenv("STOOQ_API_KEY", "stooq-key-1")
    only = [
        "deribit",
        "farside",
        "coingecko",
        "mempool",
        "alternative_me",
        "glassnode",
        "coinmetrics",
        "sec_edgar",
        "cryptoquant",
        "yahoo",
    ]
    report = await run_doctor(only, transport=HostAsPath(server), timeout=0.5)
    got = _by_provider(report)

    region = got["deribit", "index"]
    assert (region.verdict, region.status, region.reachable) == ("blocked", 451, True)
    assert "region block" in region.cause

    for page in ("btc", "eth"):
        cloudflare = got["farside", page]
        assert (cloudflare.verdict, cloudflare.status) == ("blocked", 403)
        assert "Cloudflare challenge" in cloudflare.cause
        assert cloudflare.rate_limit == {"cf-mitigated": "challenge"}

    limited = got["coingecko", "ping"]
    assert (limited.verdict, limited.status, limited.key) == ("blocked", 429, "missing")
    assert "Retry-After 60 s" in limited.cause
    assert limited.rate_limit == {"retry-after": "60", "x-ratelimit-limit": "30", "x-ratelimit-remaining": "0"}

    filtered = got["mempool", "fees"]
    assert (filtered.verdict, filtered.status) == ("blocked", 403)
    assert "answers a browser" in filtered.cause

    hung = got["alternative_me", "fng"]
    assert (hung.verdict, hung.reachable, hung.status) == ("failed", False, None)
    assert "timed out after 0.5 s" in hung.cause

    bad_key = got["glassnode", "metrics"]
    assert (bad_key.verdict, bad_key.status, bad_key.key) == ("failed", 401, "refused")
    assert "GLASSNODE_API_KEY" in bad_key.cause and "not-a-valid-key" not in bad_key.cause

    healthy = got["coinmetrics", "asset-metrics"]
    assert (healthy.verdict, healthy.status, healthy.cause) == ("ok", 200, "")
    assert healthy.latency_ms is not None and healthy.latency_ms >= 0

    assert got["sec_edgar", "sec_edgar"].verdict == "ok"
    sec_request = next(r for r in server.seen if r.path.startswith("/data.sec.gov/"))
    assert "tests@signaldesk-ci.dev" in sec_request.headers["User-Agent"]  # the user's contact, as SEC requires

    assert got["cryptoquant", "whale-ratio"].verdict == "skipped"
    assert "CRYPTOQUANT_API_KEY" in got["cryptoquant", "whale-ratio"].cause

    # Yahoo refuses even the browser here (429), but its Stooq fallback answers: prices are still there
    assert got["yahoo", "chart"].verdict == "blocked" and got["yahoo", "stooq fallback"].verdict == "ok"
    assert got["yahoo", "stooq fallback"].key == "accepted"
    stooq_request = next(r for r in server.seen if r.path.startswith("/stooq.com/"))
    assert stooq_request.args["apikey"] == "stooq-key-1"  # Stooq takes its key in the query, as the provider sends it

    assert report.providers == {
        "deribit": "blocked",
        "farside": "blocked",
        "coingecko": "blocked",
        "mempool": "blocked",
        "alternative_me": "failed",
        "glassnode": "failed",
        "coinmetrics": "ok",
        "sec_edgar": "ok",
        "cryptoquant": "skipped",
        "yahoo": "ok",
    }
    assert report.exit_code == EXIT_PARTIAL
    assert report.to_json()["full_report_possible"] is False


async def test_all_answering_means_a_full_report(server):
    report = await run_doctor(["coinmetrics", "sec_edgar"], transport=HostAsPath(server))
    assert report.providers == {"coinmetrics": "ok", "sec_edgar": "ok"}
    assert report.exit_code == EXIT_FULL


async def test_nothing_answering_means_no_report(server):
    report = await run_doctor(["deribit", "farside"], transport=HostAsPath(server))
    assert report.exit_code == EXIT_NOTHING


async def test_a_missing_sec_contact_skips_without_a_request(server, monkeypatch):
    monkeypatch.delenv("SIGNALDESK_SEC_CONTACT")
    report = await run_doctor(["sec_edgar", "coinmetrics"], transport=HostAsPath(server))
    assert report.providers["sec_edgar"] == "skipped"
    assert "SIGNALDESK_SEC_CONTACT" in report.results[0].cause
    assert not [r for r in server.seen if r.path.startswith("/data.sec.gov/")]
    assert report.exit_code == EXIT_FULL  # like a missing optional key: the user's choice, not a failure


async def test_an_unknown_provider_is_a_usage_error():
    with pytest.raises(ValueError, match="unknown provider"):
        await run_doctor(["nope"])


@pytest.mark.parametrize(
    ("status", "headers", "body", "key", "verdict", "words"),
    [
        (200, {}, "<title>Just a moment...</title>", "", "blocked", "Cloudflare challenge (HTTP 200)"),
        (403, {"server": "cloudflare"}, "blocked", "", "blocked", "forbidden by Cloudflare"),
        (403, {}, "Forbidden", "", "blocked", "forbidden by the service"),
        (403, {}, "Forbidden", "COINGLASS_API_KEY", "failed", "key refused (HTTP 403): check COINGLASS_API_KEY"),
        (429, {}, "Too Many Requests", "", "blocked", "rate limited (HTTP 429)"),
        (503, {}, "", "", "failed", "HTTP 503"),
        (204, {}, "", "", "ok", ""),
    ],
)
def test_diagnose(status, headers, body, key, verdict, words):
    import httpx

    got = diagnose(status, httpx.Headers(headers), body, key_sent=key)
    assert got[0] == verdict and words in got[1]


def test_the_cli_prints_json_and_exits_with_the_verdict(server, monkeypatch):
    from signaldesk.cli import app

    monkeypatch.setattr(doctor, "BrowserRouting", lambda: HostAsPath(server))
    result = CliRunner().invoke(app, ["doctor", "--only", "coinmetrics", "--only", "deribit", "--json"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    body = json.loads(result.stdout)
    assert body["providers"] == {"coinmetrics": "ok", "deribit": "blocked"}
    assert {p["provider"]: p["status"] for p in body["probes"]} == {"coinmetrics": 200, "deribit": 451}

    table = CliRunner().invoke(app, ["doctor", "--only", "deribit"])
    assert table.exit_code == EXIT_NOTHING and "deribit" in table.stdout and "451" in table.stdout


def test_the_cli_refuses_an_unknown_provider():
    from signaldesk.cli import app

    result = CliRunner().invoke(app, ["doctor", "--only", "nope"])
    assert result.exit_code == 2 and "unknown provider" in result.output
