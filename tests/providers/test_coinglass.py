import json
import logging
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
from signaldesk.providers.coinglass import (
    EXCHANGES,
    KEY_ENV,
    URL,
    CoinGlass,
    parse_liquidations,
)
from signaldesk.recordings import RecordingTransport

KEY_HEADER = CoinGlass.capabilities.key_header

KEY = "cg-test-key-71c2aa"
TODAY = date(2026, 2, 25)
NOW = datetime(2026, 2, 25, 9, 30, tzinfo=UTC)


def _load(fixtures, name):
    return json.loads((fixtures / "coinglass" / name).read_text())


def _client(handler, **kwargs):
    return HttpClient(transport=httpx.MockTransport(handler), backoff_initial=0.0, max_retry_wait=0.0, **kwargs)


def test_parse_by_hand_completed_days_only(fixtures):
    obs = parse_liquidations(_load(fixtures, "aggregated-history__1d.json"), TODAY)
    values = {(o.metric, o.ts.date()): o.value for o in obs}
    # time 1771891200000 ms = 2026-02-24 00:00 UTC
    assert values[("long_liquidations_usd_24h", date(2026, 2, 24))] == 412876543.21
    assert values[("short_liquidations_usd_24h", date(2026, 2, 24))] == 35678901.0
    assert values[("short_liquidations_usd_24h", date(2026, 2, 23))] == 61000000.25
    assert values[("long_liquidations_usd_24h", date(2026, 2, 22))] == 152345678.12
    assert {o.ts.date() for o in obs} == {date(2026, 2, 22), date(2026, 2, 23), date(2026, 2, 24)}  # 25th: partial
    assert {(o.entity, o.source) for o in obs} == {("btc", "coinglass")}
    assert all(o.ts.hour == 0 and o.ts.tzinfo is UTC for o in obs)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda b: b.update(data=[]), MalformedError),
        (lambda b: b.update(result=b.pop("data")), MalformedError),
        (lambda b: b["data"][0].update(long_usd=b["data"][0].pop("aggregated_long_liquidation_usd")), MalformedError),
        (lambda b: b["data"][0].update(aggregated_long_liquidation_usd=-5.0), ImplausibleError),
        (lambda b: b["data"][0].update(aggregated_long_liquidation_usd=4.1e15), ImplausibleError),
        (lambda b: b["data"][0].update(time="yesterday"), MalformedError),
        (lambda b: b.update(code="429", msg="Too Many Requests"), RateLimitedError),
        (lambda b: b.update(code="401", msg="Invalid API key"), UnavailableError),
        (lambda b: b.update(code="400", msg="exchange_list is required"), UnavailableError),
    ],
)
def test_nonsense_raises_typed_error(fixtures, mutate, error):
    body = _load(fixtures, "aggregated-history__1d.json")
    mutate(body)
    with pytest.raises(error):
        parse_liquidations(body, TODAY)


async def test_without_key_it_is_skipped_before_any_request():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    async with _client(handler) as client:
        with pytest.raises(MissingKeyError, match=f"set {KEY_ENV} to enable"):
            await CoinGlass().fetch(client, None)
    assert calls == []


async def test_key_goes_in_the_cg_api_key_header_only(fixtures, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_load(fixtures, "aggregated-history__1d.json"))

    with pinned_now(NOW):
        async with _client(handler) as client:
            obs = await CoinGlass().fetch(client, since=date(2026, 2, 24))
    request = seen[0]
    assert request.headers[KEY_HEADER] == KEY
    assert KEY not in str(request.url)
    assert f"{request.url.scheme}://{request.url.host}{request.url.path}" == URL
    params = request.url.params
    assert params["symbol"] == "BTC" and params["interval"] == "1d" and params["limit"] == "1000"
    assert params["exchange_list"].split(",") == list(EXCHANGES) and "Binance" in EXCHANGES
    assert params["start_time"] == "1771632000000"  # 2026-02-21 00:00 UTC: since − 3 days, in ms
    assert len(obs) == 6


async def test_fresh_store_asks_for_the_latest_thousand_days(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(502)

    with pinned_now(NOW), pytest.raises(UnavailableError):
        async with _client(handler, attempts=1) as client:
            await CoinGlass().fetch(client, since=None)
    assert "start_time" not in seen[0].params and seen[0].params["limit"] == "1000"


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (httpx.Response(401, json={"code": "401", "msg": "Invalid API key"}), UnavailableError, KEY_ENV),
        (httpx.Response(403, content=b"forbidden"), UnavailableError, KEY_ENV),
        (httpx.Response(429, headers={"Retry-After": "0"}), RateLimitedError, "429"),
        (
            httpx.Response(200, content=b"<!DOCTYPE html><title>Just a moment...</title>Cloudflare"),
            MalformedError,
            "HTML",
        ),
        (httpx.Response(200, json={"code": "401", "msg": "Invalid API key"}), UnavailableError, KEY_ENV),
    ],
)
async def test_failures_are_typed_and_never_show_the_key(monkeypatch, response, error, match):
    monkeypatch.setenv(KEY_ENV, KEY)
    with pinned_now(NOW):
        async with _client(lambda request: response) as client:
            with pytest.raises(error, match=match) as raised:
                await CoinGlass().fetch(client, since=date(2026, 2, 24))
    assert KEY not in str(raised.value)


def test_error_fixture_is_a_key_error(fixtures):
    with pytest.raises(UnavailableError, match=KEY_ENV):
        parse_liquidations(_load(fixtures, "error__invalid_key.json"), TODAY)


async def test_recordings_never_hold_the_key(fixtures, monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_ENV, KEY)
    body = (fixtures / "coinglass" / "aggregated-history__1d.json").read_bytes()
    inner = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with pinned_now(NOW):
        async with HttpClient(transport=RecordingTransport(tmp_path, inner=inner)) as client:
            await CoinGlass().fetch(client, since=date(2026, 2, 24))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not [p for p in files if KEY.encode() in p.read_bytes() or KEY in str(p)]


async def test_the_key_is_sent_in_its_header_and_never_logged(fixtures, monkeypatch, caplog):
    """httpx logs every request URL at INFO (the CLI writes INFO to a file): the key must not be in it."""
    monkeypatch.setenv(KEY_ENV, KEY)
    body = (fixtures / "coinglass" / "aggregated-history__1d.json").read_bytes()
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    caplog.set_level(logging.DEBUG)
    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            await CoinGlass().fetch(client, since=date(2026, 2, 24))
    assert sent and all(r.headers[KEY_HEADER] == KEY and KEY not in str(r.url) for r in sent)
    assert "HTTP Request" in caplog.text and KEY not in caplog.text
