"""The shared HTTP client: which answers are retried and how often, how long it waits between tries
(`Retry-After`, exponential backoff, the cap), per-host politeness, typed errors, record/replay.

Waits and rate limits are checked as the delays the code *asks for* (a recording sleep, a fake
clock), never by measuring wall time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import stamina

import signaldesk.http as http_module
from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import RETRY_STATUSES, HttpClient, parse_retry_after
from signaldesk.recordings import RecordingTransport, recording_stem, request_key, write_recording

API = "https://api.example.test/v1/data"
Handler = Callable[[httpx.Request], httpx.Response]


# -- helpers ---------------------------------------------------------------------------------------
class Counting:
    """A MockTransport handler that plays a script of answers (the last one repeats) and counts calls."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def calls(self) -> int:
        return len(self.requests)


def _client(handler: Handler, **kwargs: object) -> HttpClient:
    return HttpClient(transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def own_attempts() -> None:
    """Let each client's own `attempts` decide (conftest forces 3 for every retry loop); still no waits.

    conftest's `_no_retry_waits` switches testing mode off again after the test.
    """
    stamina.set_testing(True, attempts=1000, cap=True)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Real backoff computation (testing mode off), but every sleep is recorded instead of slept.

    Tests using this are synchronous and drive the client with `asyncio.run`, so the patched
    `asyncio.sleep` never meets pytest's own event loop.
    """
    stamina.set_testing(False)
    delays: list[float] = []

    async def record(delay: float, result: object = None) -> object:
        delays.append(delay)
        return result

    monkeypatch.setattr(asyncio, "sleep", record)
    return delays


class FakeClock:
    """Monotonic and wall time that only move when the code sleeps."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replace the clock and sleep that `signaldesk.http` sees (and only those)."""
    fake = FakeClock(1000.0)
    monkeypatch.setattr(
        http_module, "time", SimpleNamespace(**{**vars(time), "monotonic": lambda: fake.now, "time": lambda: fake.now})
    )
    monkeypatch.setattr(http_module, "asyncio", SimpleNamespace(**{**vars(asyncio), "sleep": fake.sleep}))
    return fake


def _get(client_kwargs: dict[str, object], handler: Handler, url: str = API) -> object:
    """Run one `get_json` to completion outside pytest's loop (for the `slept` tests)."""

    async def go() -> object:
        async with _client(handler, **client_kwargs) as client:
            return await client.get_json(url, provider="p")

    return asyncio.run(go())


# -- Retry-After parsing ---------------------------------------------------------------------------
NOW = datetime(2026, 2, 25, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 7 ", 7.0),  # surrounding whitespace is not part of the value
        ("0", 0.0),
        ("86400", 86400.0),  # parsing does not cap; the retry loop does (see the wait tests)
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),  # delta-seconds is 1*DIGIT: a sign makes it garbage
        ("1.5", None),  # no fractions either
        ("Wed, 25 Feb 2026 12:00:30 GMT", 30.0),  # IMF-fixdate, 30 s after NOW
        ("Wednesday, 25-Feb-26 12:01:00 GMT", 60.0),  # obsolete RFC 850 form, which recipients must accept
        ("Wed, 25 Feb 2026 11:59:00 GMT", 0.0),  # a date in the past means "now", never negative
        ("Wed, 32 Feb 2026 12:00:00 GMT", None),  # a broken date is garbage
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Both RFC 9110 forms become seconds from `now`; anything else means 'no advice'."""
    assert parse_retry_after(header, now=NOW) == expected


def test_parse_retry_after_defaults_to_the_wall_clock(clock: FakeClock) -> None:
    """Without `now`, an HTTP date is measured against the current time."""
    when = datetime.fromtimestamp(clock.now + 42, tz=UTC)
    assert parse_retry_after(format_datetime(when, usegmt=True)) == 42.0


def test_asctime_retry_after_is_gmt_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 9110 §5.6.7: recipients must accept asctime dates, and every HTTP date is GMT."""
    monkeypatch.setenv("TZ", "EST5")  # a POSIX zone (UTC-5, no DST), so no tz database is needed
    time.tzset()
    try:
        assert parse_retry_after("Wed Feb 25 12:00:30 2026", now=NOW) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_a_superscript_retry_after_is_garbage_not_a_crash(own_attempts: None) -> None:
    """A header byte that is a 'digit' only to Unicode must be ignored like any other garbage."""
    handler = Counting(httpx.Response(503, headers=[(b"Retry-After", b"\xb2")]))
    async with _client(handler, attempts=2) as client:
        with pytest.raises(UnavailableError):
            await client.get_json(API)


# -- which answers are retried, and how often --------------------------------------------------------
@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
@pytest.mark.parametrize("attempts", [1, 4])
async def test_retryable_statuses_are_tried_attempts_times_then_typed(
    own_attempts: None, status: int, attempts: int
) -> None:
    """429 and 5xx are retried up to `attempts` tries in all; 429 ends as RateLimitedError, 5xx as Unavailable."""
    handler = Counting(httpx.Response(status, text="busy"))
    async with _client(handler, attempts=attempts) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.get_json(API, provider="prov")
    assert handler.calls == attempts
    assert isinstance(caught.value, RateLimitedError) == (status == 429)
    assert caught.value.provider == "prov"
    assert f"after {attempts} tries" in str(caught.value) and "api.example.test" in str(caught.value)


async def test_a_retry_that_succeeds_returns_the_answer(own_attempts: None) -> None:
    """Two 503s then a 200: the caller sees only the 200."""
    handler = Counting(httpx.Response(503), httpx.Response(503), httpx.Response(200, json={"ok": 1}))
    async with _client(handler, attempts=5) as client:
        assert await client.get_json(API) == {"ok": 1}
    assert handler.calls == 3


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "client error"),
        (401, "client error"),
        (404, "client error"),
        (403, "forbidden"),
        (451, "legal reasons"),
    ],
)
async def test_other_4xx_fail_at_once(own_attempts: None, status: int, words: str) -> None:
    """A client error will not cure itself: one try, an Unavailable (not rate-limited) error naming the status."""
    handler = Counting(httpx.Response(status, text="no"))
    async with _client(handler, attempts=5) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.get_json(API, provider="prov")
    assert handler.calls == 1
    assert not isinstance(caught.value, RateLimitedError)
    assert f"HTTP {status}" in str(caught.value) and words in str(caught.value)
    assert caught.value.provider == "prov"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ConnectTimeout("slow connect"), "timed out after 7 s (3 tries)"),
        (httpx.ReadTimeout("slow read"), "timed out after 7 s (3 tries)"),
        (httpx.ConnectError("connection refused"), "cannot reach api.example.test: connection refused"),
        (httpx.RemoteProtocolError("peer closed"), "cannot reach api.example.test: peer closed"),
    ],
)
async def test_transport_errors_are_retried_then_typed(own_attempts: None, error: Exception, words: str) -> None:
    """Timeouts and connection failures are retried like 5xx and end as UnavailableError saying which."""
    handler = Counting(error)
    async with _client(handler, attempts=3, timeout=7.0) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.get_json(API, provider="prov")
    assert handler.calls == 3
    assert words in str(caught.value)
    assert caught.value.provider == "prov"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # `from None`: one clean line


async def test_a_transport_error_then_success_recovers(own_attempts: None) -> None:
    handler = Counting(httpx.ConnectError("blip"), httpx.Response(200, json=[1, 2]))
    async with _client(handler, attempts=2) as client:
        assert await client.get_json(API) == [1, 2]
    assert handler.calls == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("<!DOCTYPE html><html><title>Just a moment...</title>Cloudflare</html>", "an HTML challenge page"),
        ("  <html><body>Maintenance</body></html>", "sent HTML where JSON"),
        ('{"price": 1', "invalid JSON"),
    ],
)
async def test_a_200_that_is_not_json_is_malformed_and_not_retried(own_attempts: None, body: str, words: str) -> None:
    """A 200 with the wrong body is the source's problem, not the network's: MalformedError, one try."""
    handler = Counting(httpx.Response(200, text=body))
    async with _client(handler, attempts=3) as client:
        with pytest.raises(MalformedError, match=words) as caught:
            await client.get_json(API, provider="prov")
    assert handler.calls == 1 and caught.value.provider == "prov"


async def test_requests_carry_a_descriptive_user_agent() -> None:
    """SEC and Coinbase reject anonymous clients: every request names signaldesk."""
    handler = Counting(httpx.Response(200, json={}))
    async with _client(handler) as client:
        await client.get_json(API)
    assert handler.requests[0].headers["User-Agent"].startswith("signaldesk/")


# -- how long it waits between tries ----------------------------------------------------------------
def test_retry_after_seconds_is_the_wait(slept: list[float]) -> None:
    """`Retry-After: 2` on two 503s: the client waits exactly 2 s before each retry, no jitter."""
    handler = Counting(
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, json={}),
    )
    assert _get({"attempts": 3}, handler) == {}
    assert slept == [2.0, 2.0]


def test_retry_after_date_is_the_wait(slept: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """An HTTP-date `Retry-After` 15 s ahead of the (pinned) wall clock means a 15 s wait."""
    monkeypatch.setattr(http_module, "time", SimpleNamespace(**{**vars(time), "time": lambda: NOW}))
    header = format_datetime(datetime.fromtimestamp(NOW + 15, tz=UTC), usegmt=True)
    handler = Counting(httpx.Response(503, headers={"Retry-After": header}), httpx.Response(200, json={}))
    _get({"attempts": 2}, handler)
    assert slept == [15.0]


@pytest.mark.parametrize("header", ["120", "86400"])
def test_a_long_retry_after_is_capped(slept: list[float], header: str) -> None:
    """The server may ask for minutes; no single wait exceeds `max_retry_wait` (here 30 s)."""
    handler = Counting(httpx.Response(429, headers={"Retry-After": header}), httpx.Response(200, json={}))
    _get({"attempts": 2, "max_retry_wait": 30.0}, handler)
    assert slept == [30.0]


def test_retry_after_zero_or_past_retries_at_once(slept: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """`0` and a date already past both mean 'retry now' (a wait of 0, not the exponential default)."""
    monkeypatch.setattr(http_module, "time", SimpleNamespace(**{**vars(time), "time": lambda: NOW}))
    past = format_datetime(datetime.fromtimestamp(NOW - 60, tz=UTC), usegmt=True)
    handler = Counting(
        httpx.Response(503, headers={"Retry-After": "0"}),
        httpx.Response(503, headers={"Retry-After": past}),
        httpx.Response(200, json={}),
    )
    _get({"attempts": 3, "backoff_initial": 5.0}, handler)
    assert slept == [0.0, 0.0]


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}, {"Retry-After": "-3"}])
def test_without_usable_advice_the_backoff_is_exponential(slept: list[float], headers: dict[str, str]) -> None:
    """No (or garbage) `Retry-After`: waits start at `backoff_initial` and double, plus up to 1 s of jitter."""
    handler = Counting(httpx.Response(503, headers=headers))
    with pytest.raises(UnavailableError):
        _get({"attempts": 4, "backoff_initial": 0.5, "max_retry_wait": 30.0}, handler)
    assert len(slept) == 3
    for wait, base in zip(slept, [0.5, 1.0, 2.0], strict=True):
        assert base <= wait <= base + 1.0


def test_the_exponential_backoff_is_capped_too(slept: list[float]) -> None:
    """backoff_initial 10 s with a 3 s cap: every wait is exactly the cap (jitter cannot exceed it)."""
    handler = Counting(httpx.ConnectError("down"))
    with pytest.raises(UnavailableError):
        _get({"attempts": 3, "backoff_initial": 10.0, "max_retry_wait": 3.0}, handler)
    assert slept == [3.0, 3.0]


# -- per-host politeness -----------------------------------------------------------------------------
async def _times_of_requests(clock: FakeClock, client: HttpClient, urls: list[str], *, together: bool) -> list[float]:
    seen: list[float] = []
    original = client._client._transport  # wrap the mock to stamp each request with the fake time
    assert isinstance(original, httpx.MockTransport)
    inner = original.handler

    def stamped(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now)
        return inner(request)  # type: ignore[return-value]

    original.handler = stamped
    if together:
        await asyncio.gather(*(client.get_json(url) for url in urls))
    else:
        for url in urls:
            await client.get_json(url)
    return seen


@pytest.mark.parametrize("together", [False, True])
async def test_requests_to_one_host_are_spaced_by_its_rate_limit(clock: FakeClock, together: bool) -> None:
    """2 requests/s means 0.5 s between requests, one after another or all at once."""
    async with _client(lambda r: httpx.Response(200, json={}), rate_limits={"api.example.test": 2.0}) as client:
        seen = await _times_of_requests(clock, client, [API] * 3, together=together)
    assert seen == [1000.0, 1000.5, 1001.0]
    assert clock.sleeps == [0.5, 0.5]


async def test_other_hosts_are_not_held_back(clock: FakeClock) -> None:
    """The limit is per host: an unlimited host is never delayed by a limited one."""
    urls = [API, "https://other.example.test/x", "https://other.example.test/y", API]
    async with _client(lambda r: httpx.Response(200, json={}), rate_limits={"api.example.test": 1.0}) as client:
        seen = await _times_of_requests(clock, client, urls, together=False)
    assert seen == [1000.0, 1000.0, 1000.0, 1001.0]


async def test_the_stricter_limit_for_a_host_wins(clock: FakeClock) -> None:
    """Providers sharing a host each declare a limit; the lowest rate applies, later looser ones don't relax it."""
    async with _client(lambda r: httpx.Response(200, json={}), rate_limits={"api.example.test": 4.0}) as client:
        client.limit_host("api.example.test", 0.25)  # one request every 4 s
        client.limit_host("api.example.test", 10.0)
        seen = await _times_of_requests(clock, client, [API] * 3, together=False)
    assert seen == [1000.0, 1004.0, 1008.0]


async def test_retries_also_wait_their_turn(clock: FakeClock) -> None:
    """A retry is a request too: it respects the host's spacing (stamina's own wait is zero in tests)."""
    script = Counting(httpx.Response(503), httpx.Response(200, json={}))
    async with _client(script, rate_limits={"api.example.test": 0.5}) as client:
        seen = await _times_of_requests(clock, client, [API], together=False)
    assert seen == [1000.0, 1002.0]


@pytest.mark.parametrize("make", ["impolite", "replay"])
async def test_impolite_clients_skip_the_limits(clock: FakeClock, tmp_path: Path, make: str) -> None:
    """`polite=False` (loopback servers) and replays (default) never wait for a rate limit."""
    for _ in range(2):
        write_recording(tmp_path, httpx.Request("GET", API), b"{}")
    if make == "replay":
        client = HttpClient.replay(tmp_path, rate_limits={"api.example.test": 0.1})
    else:
        client = _client(lambda r: httpx.Response(200, json={}), rate_limits={"api.example.test": 0.1}, polite=False)
    async with client:
        for _ in range(3):
            await client.get_json(API)
    assert clock.sleeps == []


# -- record and replay ---------------------------------------------------------------------------------
async def test_replay_serves_the_recorded_body_whatever_the_query_order(tmp_path: Path) -> None:
    """A recording is keyed on the sorted query, so parameter order does not matter."""
    write_recording(tmp_path, httpx.Request("GET", API + "?b=2&a=1"), b'{"v": 42}')
    async with HttpClient.replay(tmp_path) as client:
        assert await client.get_json(API, params={"a": "1", "b": "2"}) == {"v": 42}


async def test_replay_without_a_recording_fails_like_a_dead_network(tmp_path: Path) -> None:
    """A request nobody recorded is UnavailableError (the provider fails alone), saying no recording exists."""
    write_recording(tmp_path, httpx.Request("GET", API, params={"asset": "btc"}), b"{}")
    async with HttpClient.replay(tmp_path) as client:
        with pytest.raises(UnavailableError, match=r"no recording for GET api\.example\.test/v1/data") as caught:
            await client.get_json(API, params={"asset": "eth"}, provider="prov")
    assert caught.value.provider == "prov" and not isinstance(caught.value, RateLimitedError)


async def test_replay_finds_recordings_written_after_its_first_lookup(tmp_path: Path) -> None:
    """The replay lists a host folder once; a recording added (or removed) later is still seen as it is."""
    write_recording(tmp_path, httpx.Request("GET", API, params={"asset": "btc"}), b'{"v": 1}')
    async with HttpClient.replay(tmp_path) as client:
        assert await client.get_json(API, params={"asset": "btc"}) == {"v": 1}
        eth = write_recording(tmp_path, httpx.Request("GET", API, params={"asset": "eth"}), b'{"v": 2}')
        assert await client.get_json(API, params={"asset": "eth"}) == {"v": 2}
        eth.unlink()
        with pytest.raises(UnavailableError, match="no recording"):
            await client.get_json(API, params={"asset": "eth"})


async def test_replay_defaults_to_a_single_try(tmp_path: Path, own_attempts: None) -> None:
    """Replaying a recorded 503 again would give the same 503: replays try once (and skip politeness)."""
    write_recording(tmp_path, httpx.Request("GET", API), b"down", status=503, content_type="text/plain")
    client = HttpClient.replay(tmp_path)
    assert client.attempts == 1
    async with client:
        with pytest.raises(UnavailableError, match="after 1 tries: down"):
            await client.get_json(API)


async def test_a_recorded_429_replays_as_rate_limited_with_its_retry_after(tmp_path: Path) -> None:
    """Status and `Retry-After` travel in the sidecar and come back on replay."""
    path = write_recording(
        tmp_path, httpx.Request("GET", API), b'{"error": "slow"}', status=429, headers={"Retry-After": "3"}
    )
    meta = json.loads(path.with_name(path.name.removesuffix(".json") + ".meta.json").read_text())
    assert meta == {"status": 429, "headers": {"Retry-After": "3"}}
    async with HttpClient.replay(tmp_path) as client:
        response = await client._client.get(API)  # the raw replayed response, before retry handling
        assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
        with pytest.raises(RateLimitedError):
            await client.get_json(API)


async def test_record_then_replay_round_trips_bytes_and_types(tmp_path: Path) -> None:
    """Recording writes each body under `<host>/<slug>__<hash>.<ext>`; a replay of the folder gives it back."""
    bodies = {
        "/v1/data": (b'{"price": 1.5}', "application/json; charset=utf-8", ".json"),
        "/page": (b"<html><table></table></html>", "text/html", ".html"),
        "/feed.rss": (b"<rss></rss>", "application/rss+xml", ".xml"),
        "/raw": (b"plain", "application/octet-stream", ".txt"),
    }

    def server(request: httpx.Request) -> httpx.Response:
        body, content_type, _ = bodies[request.url.path]
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    transport = RecordingTransport(tmp_path, inner=httpx.MockTransport(server))
    async with HttpClient(transport=transport) as recorder:
        for path in bodies:
            await recorder.get_text(f"https://api.example.test{path}", params={"q": "1"})
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {name.split("__")[0]: name.rsplit(".", 1)[-1] for name in written} == {
        "api.example.test/v1_data": "json",
        "api.example.test/page": "html",
        "api.example.test/feed.rss": "xml",
        "api.example.test/raw": "txt",
    }
    assert not list(tmp_path.rglob("*.meta.json"))  # 200s need no sidecar
    async with HttpClient.replay(tmp_path) as player:
        for path, (body, _, _) in bodies.items():
            response = await player.request("GET", f"https://api.example.test{path}", params={"q": "1"})
            assert response.content == body


def test_the_recording_name_is_slug_and_hash_of_the_scrubbed_request() -> None:
    """`<host>/<path-slug>__<first 10 hex of sha256(method host path?sorted-query\\nbody)>`."""
    request = httpx.Request("GET", "https://api.example.test/v1/coins/bitcoin:market chart?b=2&a=1&api_key=S3CRET")
    expected_key = "GET api.example.test/v1/coins/bitcoin:market chart?a=1&b=2\n"  # path decoded
    assert request_key(request) == expected_key
    digest = hashlib.sha256(expected_key.encode()).hexdigest()[:10]
    assert recording_stem(request) == Path("api.example.test") / f"v1_coins_bitcoin_market_chart__{digest}"


@pytest.mark.parametrize("name", ["api_key", "apikey", "key", "token", "access_token", "x_cg_demo_api_key", "API_KEY"])
def test_secret_parameters_never_reach_the_key_or_the_file_name(name: str) -> None:
    """Keys differ per user; recordings must match without them and never contain them."""
    with_secret = httpx.Request("GET", API, params={"asset": "btc", name: "S3CRET-value"})
    without = httpx.Request("GET", API, params={"asset": "btc"})
    assert recording_stem(with_secret) == recording_stem(without)
    assert "S3CRET" not in request_key(with_secret) and "S3CRET" not in str(recording_stem(with_secret))


def test_headers_never_reach_the_key_or_the_file_name() -> None:
    """API keys sent as headers (x-api-key, Authorization) are not part of what a recording is keyed on."""
    plain = httpx.Request("GET", API, params={"asset": "btc"})
    keyed = httpx.Request(
        "GET", API, params={"asset": "btc"}, headers={"x-api-key": "S3CRET", "Authorization": "Bearer S3CRET"}
    )
    assert recording_stem(keyed) == recording_stem(plain)
    assert "S3CRET" not in request_key(keyed)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (httpx.Request("GET", API, params={"asset": "btc"}), httpx.Request("GET", API, params={"asset": "eth"})),
        (httpx.Request("GET", API), httpx.Request("POST", API)),
        (httpx.Request("POST", API, json={"id": 1}), httpx.Request("POST", API, json={"id": 2})),
        (httpx.Request("GET", API), httpx.Request("GET", "https://mirror.example.test/v1/data")),
    ],
)
def test_what_does_change_the_recording(first: httpx.Request, second: httpx.Request) -> None:
    """Non-secret parameters, the method, a JSON-RPC body and the host each select a different recording."""
    assert recording_stem(first) != recording_stem(second)


async def test_recording_a_keyed_request_replays_without_the_key(tmp_path: Path) -> None:
    """Recorded with one user's key, replayed by someone with another (or none): the same file answers."""
    transport = RecordingTransport(tmp_path, inner=httpx.MockTransport(lambda r: httpx.Response(200, json={"v": 1})))
    async with HttpClient(transport=transport) as recorder:
        await recorder.get_json(API, params={"asset": "btc", "api_key": "S3CRET"}, headers={"x-api-key": "S3CRET"})
    assert not [
        p for p in tmp_path.rglob("*") if "S3CRET" in p.as_posix() or (p.is_file() and b"S3CRET" in p.read_bytes())
    ]
    async with HttpClient.replay(tmp_path) as player:
        assert await player.get_json(API, params={"asset": "btc", "api_key": "OTHER"}) == {"v": 1}
        assert await player.get_json(API, params={"asset": "btc"}) == {"v": 1}


# -- the response cache (hishel, RFC 9111) -------------------------------------------------------------
def _cache_server(httpserver, headers: dict[str, str]) -> str:
    """A loopback endpoint answering JSON with `headers`, and 304 to a matching `If-None-Match`."""
    from werkzeug.wrappers import Response

    def handle(request):
        if "ETag" in headers and request.headers.get("If-None-Match") == headers["ETag"]:
            return Response(status=304, headers=headers)
        return Response(json.dumps({"n": 1}), content_type="application/json", headers=headers)

    httpserver.expect_request("/cached").respond_with_handler(handle)
    return httpserver.url_for("/cached")


async def _two_runs(url: str, cache_dir: Path) -> list[object]:
    """Two separate clients on one cache directory: a run and its rerun."""
    bodies = []
    for _ in range(2):
        async with HttpClient(cache_dir=cache_dir, polite=False, transport=httpx.AsyncHTTPTransport()) as client:
            bodies.append(await client.get_json(url))
    return bodies


async def test_a_rerun_is_served_from_the_cache_while_the_answer_is_fresh(httpserver, tmp_path: Path) -> None:
    url = _cache_server(httpserver, {"Cache-Control": "max-age=600"})
    assert await _two_runs(url, tmp_path / "cache") == [{"n": 1}, {"n": 1}]
    assert len(httpserver.log) == 1


async def test_no_store_is_never_served_from_the_cache(httpserver, tmp_path: Path) -> None:
    url = _cache_server(httpserver, {"Cache-Control": "no-store"})
    assert await _two_runs(url, tmp_path / "cache") == [{"n": 1}, {"n": 1}]
    assert len(httpserver.log) == 2


async def test_a_stale_answer_is_revalidated_not_downloaded_again(httpserver, tmp_path: Path) -> None:
    url = _cache_server(httpserver, {"Cache-Control": "no-cache", "ETag": '"v1"'})
    assert await _two_runs(url, tmp_path / "cache") == [{"n": 1}, {"n": 1}]
    (first, _), (second, answer) = httpserver.log
    assert "If-None-Match" not in first.headers and second.headers.get("If-None-Match") == '"v1"'
    assert answer.status_code == 304


async def test_the_daily_job_caches_under_the_data_dir(httpserver) -> None:
    from signaldesk.pipeline import live_client
    from signaldesk.settings import data_dir

    url = _cache_server(httpserver, {"Cache-Control": "max-age=600"})
    for _ in range(2):
        async with live_client(polite=False, transport=httpx.AsyncHTTPTransport()) as client:
            await client.get_json(url)
    assert len(httpserver.log) == 1
    assert list((data_dir() / "http-cache").glob("*.sqlite"))


# -- response size ---------------------------------------------------------------------------------
async def test_a_gzip_bomb_is_refused_at_the_cap_after_decompression(httpserver) -> None:
    """1 MB on the wire, 64 MiB inflated: refused when the *decoded* bytes pass the cap, typed."""
    import gzip

    bomb = gzip.compress(b"0" * (64 * 2**20), compresslevel=9)
    assert len(bomb) < 2**20
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    async with HttpClient(attempts=1, max_response_bytes=4 * 2**20) as client:
        with pytest.raises(MalformedError, match=r"sent more than 4 MiB \(decompressed\); refused") as caught:
            await client.get_json(httpserver.url_for("/bomb"), provider="prov")
    assert caught.value.provider == "prov"


async def test_a_compressed_answer_under_the_cap_reads_as_usual(httpserver) -> None:
    import gzip

    body = json.dumps({"rows": list(range(1000))}).encode()
    httpserver.expect_request("/ok").respond_with_data(
        gzip.compress(body), headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    async with HttpClient(attempts=1, max_response_bytes=len(body)) as client:
        answer = await client.request("GET", httpserver.url_for("/ok"))
    assert answer.json() == {"rows": list(range(1000))}
    assert "content-encoding" not in answer.headers  # the body it carries is the decoded one
    async with HttpClient(attempts=1) as client:  # the per-request cap wins over the client's
        with pytest.raises(MalformedError):
            await client.request("GET", httpserver.url_for("/ok"), max_bytes=len(body) - 1)
