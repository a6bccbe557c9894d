import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import (
    ImplausibleError,
    MalformedError,
    MissingKeyError,
    RateLimitedError,
    UnavailableError,
)
from signaldesk.http import HttpClient
from signaldesk.providers.cryptoquant import (
    KEY_ENV,
    URL,
    CryptoQuant,
    parse_whale_ratio,
)
from signaldesk.recordings import RecordingTransport

KEY = "cq-test-key-5b1f0e"
TODAY = date(2026, 2, 25)
NOW = datetime(2026, 2, 25, 9, 30, tzinfo=UTC)


def _load(fixtures, name):
    return json.loads((fixtures / "cryptoquant" / name).read_text())


def _client(handler, **kwargs):
    return HttpClient(transport=httpx.MockTransport(handler), backoff_initial=0.0, max_retry_wait=0.0, **kwargs)


def test_parse_by_hand_oldest_first_without_partial_day(fixtures):
    obs = parse_whale_ratio(_load(fixtures, "exchange-whale-ratio__day.json"), TODAY)
    # newest first on the wire; 2026-02-25 is today (partial) and 2026-02-22 is null
    assert [(o.ts.date(), o.value) for o in obs] == [
        (date(2026, 2, 21), 0.4471),
        (date(2026, 2, 23), 0.58117),
        (date(2026, 2, 24), 0.64031785),
    ]
    assert {(o.metric, o.entity, o.source) for o in obs} == {("exchange_whale_ratio", "", "cryptoquant")}
    assert all(o.ts == datetime.combine(o.ts.date(), datetime.min.time(), tzinfo=UTC) for o in obs)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda b: b["result"].update(data=[]), MalformedError),  # empty
        (lambda b: b["result"].update(rows=b["result"].pop("data")), MalformedError),  # renamed
        (
            lambda b: b["result"]["data"][1].update(whale_ratio=b["result"]["data"][1].pop("exchange_whale_ratio")),
            MalformedError,
        ),
        (
            lambda b: b["result"]["data"][1].update(exchange_whale_ratio=64.03),
            ImplausibleError,
        ),  # percent, not fraction
        (lambda b: b["result"]["data"][1].update(date="24/02/2026"), MalformedError),
        (lambda b: b.update(status={"code": 429, "message": "too_many_requests"}), RateLimitedError),
        (lambda b: b.update(status={"code": 403, "message": "forbidden"}), UnavailableError),
    ],
)
def test_nonsense_raises_typed_error(fixtures, mutate, error):
    body = _load(fixtures, "exchange-whale-ratio__day.json")
    mutate(body)
    with pytest.raises(error):
        parse_whale_ratio(body, TODAY)


async def test_without_key_it_is_skipped_before_any_request():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    async with _client(handler) as client:
        with pytest.raises(MissingKeyError, match=f"set {KEY_ENV} to enable"):
            await CryptoQuant().fetch(client, None)
    assert calls == []


async def test_key_goes_in_the_bearer_header_only(fixtures, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_load(fixtures, "exchange-whale-ratio__day.json"))

    with pinned_now(NOW):
        async with _client(handler) as client:
            obs = await CryptoQuant().fetch(client, since=date(2026, 2, 24))
    request = seen[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in str(request.url)
    assert f"{request.url.scheme}://{request.url.host}{request.url.path}" == URL
    assert dict(request.url.params) == {"exchange": "all_exchange", "window": "day", "from": "20260221", "limit": "6"}
    assert [o.value for o in obs][-1] == 0.64031785


async def test_fresh_store_asks_for_four_years_with_a_limit_that_covers_them(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(500)

    with pinned_now(NOW), pytest.raises(UnavailableError):
        async with _client(handler, attempts=1) as client:
            await CryptoQuant().fetch(client, since=None)
    assert seen[0].params["from"] == "20220225" and seen[0].params["limit"] == "1463"


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (httpx.Response(401, json={"status": {"code": 401, "message": "unauthorized"}}), UnavailableError, KEY_ENV),
        (httpx.Response(403, json={"status": {"code": 403, "message": "forbidden"}}), UnavailableError, KEY_ENV),
        (httpx.Response(429, headers={"Retry-After": "0"}), RateLimitedError, "429"),
        (httpx.Response(200, content=b"<html><title>Just a moment...</title>challenge</html>"), MalformedError, "HTML"),
        (httpx.Response(200, json={"status": {"code": 401, "message": "unauthorized"}}), UnavailableError, KEY_ENV),
    ],
)
async def test_failures_are_typed_and_never_show_the_key(monkeypatch, response, error, match):
    monkeypatch.setenv(KEY_ENV, KEY)
    with pinned_now(NOW):
        async with _client(lambda request: response) as client:
            with pytest.raises(error, match=match) as raised:
                await CryptoQuant().fetch(client, since=date(2026, 2, 24))
    assert KEY not in str(raised.value)


async def test_recordings_never_hold_the_key(fixtures, monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_ENV, KEY)
    body = (fixtures / "cryptoquant" / "exchange-whale-ratio__day.json").read_bytes()
    inner = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with pinned_now(NOW):
        async with HttpClient(transport=RecordingTransport(tmp_path, inner=inner)) as client:
            await CryptoQuant().fetch(client, since=date(2026, 2, 24))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if KEY.encode() in p.read_bytes() or KEY in str(p)]
