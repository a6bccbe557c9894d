import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.coinbase import (
    Coinbase,
    combine_premium,
    parse_coinbase_candles,
    parse_coinbase_ticker,
    premium,
)
from tests.conftest import FIXTURES, shared_file

FIX = FIXTURES / "coinbase"
NOW = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)


def load(name: str):
    return json.loads((FIX / name).read_text())


def test_premium_with_a_usdt_discount_by_hand():
    # Coinbase $100.00; venue 100.00 USDT; 1 USDT = $0.998 → venue $99.80 → premium 0.20/99.80
    assert premium(100.0, 100.0, 0.998) == pytest.approx(0.2 / 99.8, rel=1e-12)
    # The raw USD-vs-USDT gap would call this −0.1 % (Coinbase cheaper); in dollars Coinbase is dearer.
    assert premium(100.0, 100.1, 0.998) == pytest.approx((100.0 - 100.1 * 0.998) / (100.1 * 0.998), rel=1e-12)
    assert premium(100.0, 100.1, 0.998) > 0 > 100.0 / 100.1 - 1


def test_candles_are_low_high_open_close():
    closes = parse_coinbase_candles(
        json.loads(shared_file("api-samples", "coinbase", "products_BTC-USDT_candles_3600.json").read_text()),
        product="BTC-USDT",
    )
    assert closes == {date(2024, 3, 13): 73370.65}
    # an OHLC-ordered row read as low-high-open-close puts the close below the "low"
    swapped = [[1710327600, 73243.33, 73402.47, 73241.5, 73100.0, 1.5]]
    with pytest.raises(MalformedError, match="column order"):
        parse_coinbase_candles(swapped, product="BTC-USD")


def test_ticker_real_sample():
    ts, price = parse_coinbase_ticker(
        json.loads(shared_file("api-samples", "coinbase", "products_BTC-USDT_ticker.json").read_text()),
        product="BTC-USDT",
    )
    assert price == 73367.8 and ts == datetime(2024, 3, 13, 11, 10, 41, 270099, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ([], MalformedError),
        ({"message": "NotFound"}, UnavailableError),
        ([[1771977600, 1.0, 2.0, 1.5]], MalformedError),
        ([[1771977600, 1.0, 2.0, 1.5, "x", 3.0]], MalformedError),
        ([[1771977600, -5.0, 2.0, 1.5, -1.0, 3.0]], ImplausibleError),
    ],
)
def test_broken_candles(payload, error):
    with pytest.raises(error):
        parse_coinbase_candles(payload, product="BTC-USD")


def test_combine_uses_tickers_for_today():
    obs = combine_premium(
        {date(2026, 2, 24): 100.0, date(2026, 2, 25): 101.0},
        {date(2026, 2, 24): 1.0, date(2026, 2, 25): 1.0},
        {date(2026, 2, 24): 100.0, date(2026, 2, 25): 100.0},
        today=date(2026, 2, 25),
        now=(99.0, 100.0, 1.0),
    )
    assert [(o.ts.date(), o.value) for o in obs] == [
        (date(2026, 2, 24), 0.0),
        (date(2026, 2, 25), pytest.approx(-0.01)),
    ]


ROUTES = {
    ("api.exchange.coinbase.com", "/products/BTC-USD/candles"): "products_BTC-USD_candles__3days.json",
    ("api.exchange.coinbase.com", "/products/USDT-USD/candles"): "products_USDT-USD_candles__3days.json",
    ("api.exchange.coinbase.com", "/products/BTC-USD/ticker"): "products_BTC-USD_ticker.json",
    ("api.exchange.coinbase.com", "/products/USDT-USD/ticker"): "products_USDT-USD_ticker.json",
    ("www.okx.com", "/api/v5/market/candles"): "okx_market_candles__3days.json",
    ("www.okx.com", "/api/v5/market/ticker"): "okx_market_ticker.json",
    ("api.bybit.com", "/v5/market/kline"): "bybit_kline_spot__3days.json",
    ("api.bybit.com", "/v5/market/tickers"): "bybit_error_10006.json",
    ("data-api.binance.vision", "/api/v3/klines"): "binance_klines__3days.json",
    ("data-api.binance.vision", "/api/v3/ticker/price"): "binance_ticker_price.json",
}


def serve(overrides=None, seen=None):
    overrides = overrides or {}

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.host in overrides:
            return overrides[request.url.host](request)
        return httpx.Response(200, content=(FIX / ROUTES[(request.url.host, request.url.path)]).read_bytes())

    return httpx.MockTransport(handler)


async def _fetch(transport, since=None):
    provider = Coinbase()
    with pinned_now(NOW):
        async with HttpClient(transport=transport) as client:
            return provider, {o.ts.date(): o.value for o in await provider.fetch(client, since)}


async def test_fetch_with_okx_by_hand():
    seen = []
    provider, got = await _fetch(serve(seen=seen))
    assert provider.failures == {}  # OKX, the first venue, answered
    assert got[date(2026, 2, 23)] == pytest.approx(61000 / (61100 * 0.9990) - 1, rel=1e-12)
    assert got[date(2026, 2, 24)] == pytest.approx(62000 / (61950 * 0.9995) - 1, rel=1e-12)
    assert got[date(2026, 2, 25)] == pytest.approx(
        62950 / (63000 * 0.998) - 1, rel=1e-12
    )  # tickers, not the partial candle
    candles = next(r for r in seen if r.url.path == "/api/v5/market/candles")
    assert candles.url.params["bar"] == "1Dutc"
    assert next(r for r in seen if "coinbase" in r.url.host).url.params.get("granularity") == "86400"


async def test_fetch_falls_back_past_okx_rate_limit_and_bybit_retcode_to_binance():
    okx_limited = {"www.okx.com": lambda r: httpx.Response(200, content=(FIX / "okx_error_50011.json").read_bytes())}
    provider, got = await _fetch(serve(okx_limited), since=date(2026, 2, 24))
    assert set(provider.failures) == {"okx", "bybit"} and "10006" in provider.failures["bybit"]  # Binance answered
    assert got == {
        date(2026, 2, 24): pytest.approx(62000 / (61970 * 0.9995) - 1),
        date(2026, 2, 25): pytest.approx(62950 / (63040 * 0.998) - 1),
    }


async def test_no_venue_is_unavailable_and_451_is_reported():
    body = shared_file("api-samples", "binance", "error_451_restricted_location.json").read_bytes()
    down = {
        "www.okx.com": lambda r: httpx.Response(503, text="down"),
        "api.bybit.com": lambda r: httpx.Response(403, text="forbidden"),
        "data-api.binance.vision": lambda r: httpx.Response(451, content=body),
    }
    with pytest.raises(UnavailableError, match="restricted location"):
        await _fetch(serve(down))


async def test_coinbase_html_and_absurd_usdt():
    page = {"api.exchange.coinbase.com": lambda r: httpx.Response(200, text="<html><body>challenge</body></html>")}
    with pytest.raises(MalformedError):
        await _fetch(serve(page))

    def depeg(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/products/USDT-USD/ticker":
            return httpx.Response(200, json=load("products_USDT-USD_ticker.json") | {"price": "0.51"})
        return httpx.Response(200, content=(FIX / ROUTES[(request.url.host, request.url.path)]).read_bytes())

    with pytest.raises(ImplausibleError, match="depeg"):
        await _fetch(serve({"api.exchange.coinbase.com": depeg}))


def test_demo_premium_turns_negative():
    import asyncio

    from signaldesk.demo import DEMO_DIR, DEMO_NOW

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Coinbase().fetch(client, None)

    with pinned_now(DEMO_NOW):
        got = {o.ts.date(): o.value for o in asyncio.run(run())}
    assert got[date(2026, 2, 25)] == pytest.approx(-0.0008, abs=2e-6)
    assert got[date(2026, 2, 24)] > 0
    assert len(got) == 300
