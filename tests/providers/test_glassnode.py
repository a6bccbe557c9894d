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
from signaldesk.providers.glassnode import (
    BASE_URL,
    KEY_ENV,
    PATHS,
    Glassnode,
    parse_points,
)
from signaldesk.recordings import RecordingTransport

KEY_HEADER = Glassnode.capabilities.key_header

KEY = "gn-test-key-0c9d42"
TODAY = date(2026, 2, 25)
NOW = datetime(2026, 2, 25, 9, 30, tzinfo=UTC)
FILES = {
    "indicators/realized_price_less_155": "realized_price_less_155__24h.json",
    "indicators/realized_loss": "realized_loss__24h.json",
}


def _load(fixtures, name):
    return json.loads((fixtures / "glassnode" / name).read_text())


def _client(handler, **kwargs):
    return HttpClient(transport=httpx.MockTransport(handler), backoff_initial=0.0, max_retry_wait=0.0, **kwargs)


def _serve(fixtures, seen=None, overrides=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path = request.url.path.removeprefix("/v1/metrics/")
        if overrides and path in overrides:
            return overrides[path]
        return httpx.Response(200, json=_load(fixtures, FILES[path]))

    return handler


def test_parse_by_hand(fixtures):
    sth = parse_points(_load(fixtures, "realized_price_less_155__24h.json"), "sth_cost_basis_usd", TODAY)
    # t = 1771891200 s = 2026-02-24 00:00 UTC; the 25th (today) is dropped
    assert [(o.ts.date(), o.value) for o in sth] == [
        (date(2026, 2, 22), 94612.31),
        (date(2026, 2, 23), 94480.5),
        (date(2026, 2, 24), 94355.07),
    ]
    loss = parse_points(_load(fixtures, "realized_loss__24h.json"), "realized_loss_usd", TODAY)
    assert [(o.ts.date(), o.value) for o in loss] == [
        (date(2026, 2, 22), 1180456789.4),
        (date(2026, 2, 24), 1412345678.9),
    ]
    assert {(o.entity, o.source) for o in sth + loss} == {("", "glassnode")}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ([], MalformedError),
        ({"data": []}, MalformedError),
        ([{"time": 1771891200, "v": 94000.0}], MalformedError),  # renamed field
        ([{"t": 1771891200 + 3600, "v": 94000.0}], MalformedError),  # hourly, not a daily point
        ([{"t": 1771891200, "v": "n/a"}], MalformedError),
        ([{"t": 1771891200, "v": -94000.0}], ImplausibleError),
        ([{"t": 1771891200, "v": 9.4e10}], ImplausibleError),  # a million times a BTC price
        ({"error": "metric not available in your plan"}, UnavailableError),
    ],
)
def test_nonsense_raises_typed_error(payload, error):
    with pytest.raises(error):
        parse_points(payload, "sth_cost_basis_usd", TODAY)


async def test_without_key_it_is_skipped_before_any_request():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=[])

    async with _client(handler) as client:
        with pytest.raises(MissingKeyError, match=f"set {KEY_ENV} to enable"):
            await Glassnode().fetch(client, None)
    assert calls == []


async def test_key_goes_in_the_x_api_key_header_never_in_the_url(fixtures, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen: list[httpx.Request] = []
    with pinned_now(NOW):
        async with _client(_serve(fixtures, seen)) as client:
            obs = await Glassnode().fetch(client, since=date(2026, 2, 24))
    assert [f"{r.url.scheme}://{r.url.host}{r.url.path}" for r in seen] == [BASE_URL + p for p in PATHS.values()]
    for request in seen:
        assert request.headers[KEY_HEADER] == KEY
        assert KEY not in str(request.url) and "api_key" not in request.url.params
        assert dict(request.url.params) == {"a": "BTC", "i": "24h", "s": "1771632000"}  # since − 3 days
    assert {o.metric for o in obs} == set(Glassnode.metrics)


async def test_one_moved_path_costs_only_its_metric(fixtures, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    moved = {"indicators/realized_price_less_155": httpx.Response(404, json={"error": "not found"})}
    provider = Glassnode()
    with pinned_now(NOW):
        async with _client(_serve(fixtures, overrides=moved)) as client:
            obs = await provider.fetch(client, since=date(2026, 2, 24))
    assert {o.metric for o in obs} == {"realized_loss_usd"}
    assert list(provider.failures) == ["indicators/realized_price_less_155"]


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (httpx.Response(401, json={"error": "unauthorized"}), UnavailableError, KEY_ENV),
        (httpx.Response(403, content=b"Forbidden"), UnavailableError, KEY_ENV),
        (httpx.Response(429, headers={"Retry-After": "0"}), RateLimitedError, "429"),
        (
            httpx.Response(200, content=b"<html><head><title>Just a moment...</title></head>challenge</html>"),
            MalformedError,
            "HTML",
        ),
    ],
)
async def test_failures_are_typed_and_never_show_the_key(monkeypatch, response, error, match):
    monkeypatch.setenv(KEY_ENV, KEY)
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return response

    with pinned_now(NOW):
        async with _client(handler) as client:
            with pytest.raises(error, match=match) as raised:
                await Glassnode().fetch(client, since=date(2026, 2, 24))
    assert KEY not in str(raised.value)
    if error is RateLimitedError:
        assert set(seen) == {"/v1/metrics/indicators/realized_price_less_155"}  # quota spent: stop asking


async def test_recordings_never_hold_the_key(fixtures, monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_ENV, KEY)

    def server(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1/metrics/")
        return httpx.Response(
            200,
            content=(fixtures / "glassnode" / FILES[path]).read_bytes(),
            headers={"content-type": "application/json"},
        )

    with pinned_now(NOW):
        async with HttpClient(transport=RecordingTransport(tmp_path, inner=httpx.MockTransport(server))) as client:
            await Glassnode().fetch(client, since=None)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 2 and not [p for p in files if KEY.encode() in p.read_bytes() or KEY in str(p)]


def test_error_fixture_is_refused(fixtures):
    with pytest.raises(UnavailableError, match="not available in your plan"):
        parse_points(_load(fixtures, "error__forbidden.json"), "realized_loss_usd", TODAY)
