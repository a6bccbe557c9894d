"""The collector: concurrency, outcomes per provider, partial answers, staleness, the as-of cut."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import httpx

from signaldesk.clock import pinned_now
from signaldesk.collect import collect, staleness
from signaldesk.errors import MalformedError, MissingKeyError
from signaldesk.http import HttpClient
from signaldesk.models import Observation
from signaldesk.providers.alternative_me import AlternativeMe
from signaldesk.providers.base import Capabilities, Provider
from tests.providers.test_contract import Route, inline, loopback_client, serve

DAY = date(2026, 2, 25)


def obs(metric: str, day: date, value: float = 1.0, source: str = "p") -> Observation:
    return Observation(metric, "", datetime(day.year, day.month, day.day, tzinfo=UTC), value, source)


class Fixed(Provider):
    """A provider whose behaviour each test sets."""

    name = "fixed"
    metrics: ClassVar[tuple[str, ...]] = ("fear_greed",)
    capabilities = Capabilities(hosts={"x.test": 100.0}, docs="https://x.test")

    def __init__(self, name: str, result=None, error: Exception | None = None, failures=None) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self._result, self._error = result or [], error
        self.failures = failures or {}

    async def fetch(self, client, since):
        if self._error:
            raise self._error
        return self._result


async def test_outcomes_for_each_way_a_provider_can_end():
    providers = [
        Fixed("good", [obs("fear_greed", DAY, source="good")]),
        Fixed("broken", error=MalformedError("renamed field")),
        Fixed("keyless", error=MissingKeyError("set X to enable it")),
        Fixed("empty", []),
        Fixed("old", [obs("fear_greed", DAY - timedelta(days=10), source="old")]),
        Fixed("buggy", error=ZeroDivisionError("oops")),
        Fixed("half", [obs("fear_greed", DAY, source="half")], failures={"solana": "HTTP 503"}),
    ]
    async with HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        result = await collect(providers, client, as_of=DAY)
    got = {o.provider: (o.status, o.reason) for o in result.outcomes}
    assert got["good"] == ("ok", "")
    assert got["broken"] == ("failed", "renamed field")
    assert got["keyless"] == ("skipped", "set X to enable it")
    assert got["empty"] == ("failed", "answered but returned no data")
    assert got["old"] == ("stale", "fear_greed is 10 days old (max 2)")
    assert got["buggy"][0] == "failed" and "ZeroDivisionError" in got["buggy"][1]
    assert got["half"] == ("partial", "1 part(s) failed: solana: HTTP 503")
    assert sorted(o.source for o in result.observations) == ["good", "half", "old"]
    assert {o.provider for o in result.failed} == {"broken", "empty", "old", "buggy", "half"}


async def test_values_after_the_as_of_day_are_dropped():
    provider = Fixed("p", [obs("fear_greed", DAY), obs("fear_greed", DAY + timedelta(days=1))])
    async with HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        result = await collect([provider], client, as_of=DAY)
    assert [o.ts.date() for o in result.observations] == [DAY]


def test_staleness_uses_each_metrics_own_limit():
    fresh = [obs("fear_greed", DAY - timedelta(days=2)), obs("capex_usd", DAY - timedelta(days=150))]
    assert staleness(fresh, DAY) == ""
    assert staleness([obs("fear_greed", DAY - timedelta(days=3))], DAY) == "fear_greed is 3 days old (max 2)"


class Slow(Provider):
    """Asks a local server for /delay/<name>; the server answers after a fixed delay."""

    metrics: ClassVar[tuple[str, ...]] = ("fear_greed",)
    capabilities = Capabilities(hosts={"127.0.0.1": 100.0}, docs="https://x.test")

    def __init__(self, name: str, url: str) -> None:
        super().__init__()
        self.name, self.url = name, url  # type: ignore[misc]

    async def fetch(self, client, since):
        await client.get_json(self.url, provider=self.name)
        return [obs("fear_greed", DAY, source=self.name)]


def test_providers_run_concurrently():
    """Five sources that each take 0.5 s are all in flight at once: a full collect takes about as
    long as the slowest source, not the sum. Measured as the server's peak of requests in flight,
    which does not depend on how busy the machine is."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.5)
            with lock:
                state["now"] -= 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        providers = [Slow(f"s{i}", f"http://127.0.0.1:{port}/delay/{i}") for i in range(5)]

        async def run():
            async with HttpClient() as client:
                return await collect(providers, client, as_of=DAY)

        result = asyncio.run(run())
    finally:
        server.shutdown()
        server.server_close()
    assert [o.status for o in result.outcomes] == ["ok"] * 5
    assert state["peak"] == 5


def test_two_values_for_one_day_are_a_conflict_both_dropped_and_the_outcome_partial(httpserver):
    """alternative.me over loopback, its answer repeating 24 Feb with another value (71 and 64): the collector
    keeps neither (last-wins would hide it), keeps the other days, and says which metric, day and values."""
    day = 86400
    feb24 = 1771891200  # 2026-02-24 00:00 UTC
    body = {
        "name": "Fear and Greed Index",
        "metadata": {"error": None},
        "data": [
            {"value": "40", "value_classification": "Fear", "timestamp": str(feb24 + day)},
            {"value": "71", "value_classification": "Greed", "timestamp": str(feb24)},
            {"value": "64", "value_classification": "Greed", "timestamp": str(feb24 + 3600)},
            {"value": "30", "value_classification": "Fear", "timestamp": str(feb24 - day)},
        ],
    }
    serve(httpserver, (Route("api.alternative.me/fng/", inline(body)),))

    async def run():
        async with loopback_client(httpserver) as client:
            return await collect([AlternativeMe()], client, as_of=DAY)

    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)):
        result = asyncio.run(run())
    (outcome,) = result.outcomes
    assert outcome.status == "partial"
    assert outcome.reason == "1 part(s) failed: fear_greed on 2026-02-24: conflicting values 71 and 64 (both dropped)"
    assert {o.ts.date(): o.value for o in result.observations} == {date(2026, 2, 23): 30.0, date(2026, 2, 25): 40.0}
