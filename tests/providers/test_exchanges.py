"""The exchanges provider: parsers on our fixtures and the real samples, and `fetch` over loopback.

Every `fetch` here crosses a real socket: `RedirectTransport` sends each request to a pytest-httpserver on
127.0.0.1 (the original host as the first path segment), which answers with bodies shaped like the venues'
recorded responses (tests/fixtures/exchanges, or built below in the same shape).
"""

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
from werkzeug import Request, Response

from signaldesk.clock import day_start, pinned_now
from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.metrics.derive import derive_all
from signaldesk.providers.exchanges import (
    _FETCHERS,
    ENDPOINTS,
    Exchanges,
    Settlement,
    VenueData,
    closing_day,
    daily_funding,
    endpoint_url,
    history_days,
    parse_binance_current,
    parse_binance_funding_history,
    parse_binance_oi_history,
    parse_bybit_funding_history,
    parse_bybit_oi_history,
    parse_bybit_ticker,
    parse_okx_funding_history,
    parse_okx_funding_rate,
    parse_okx_oi_history,
    settlement_time,
    venue_observations,
)
from signaldesk.store import Store
from tests.conftest import FIXTURES, shared_file
from tests.reliability.faults import RedirectTransport

FIX = FIXTURES / "exchanges"
NOW = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)


def load(name: str):
    return json.loads((FIX / name).read_text())


def sample(*parts: str):
    return json.loads(shared_file("api-samples", *parts).read_text())


# -- arithmetic ---------------------------------------------------------------------------------
def test_daily_funding_normalises_each_settlement_by_its_own_interval():
    # 8 h settlements until 08:00, then 4 h: periods closing on 2026-02-24 are
    # 08:00 (8 h, 0.0001), 12:00 (4 h, 0.00005 → 0.0001), 16:00 (4 h, 0.0001 → 0.0002) → mean 0.000133…
    s = [
        Settlement(datetime(2026, 2, 24, h, tzinfo=UTC), r)
        for h, r in ((0, 0.0003), (8, 0.0001), (12, 0.00005), (16, 0.0001))
    ]
    daily = daily_funding(s, 8.0)
    assert daily[date(2026, 2, 24)] == pytest.approx((0.0001 + 0.0001 + 0.0002) / 3, rel=1e-12)
    assert daily[date(2026, 2, 23)] == pytest.approx(0.0003)  # 00:00 closes the day before


def test_closing_day_puts_midnight_on_the_day_that_ended():
    assert closing_day(datetime(2026, 2, 25, 0, 0, tzinfo=UTC)) == date(2026, 2, 24)
    assert closing_day(datetime(2026, 2, 25, 0, 0, 1, tzinfo=UTC)) == date(2026, 2, 25)


def test_a_settlement_stamped_one_millisecond_late_still_closes_its_day():
    # Binance: fundingTime 1700006400001 = 2023-11-15 00:00:00.001 UTC, the 00:00 settlement of 2023-11-14
    assert settlement_time(1700006400001) == datetime(2023, 11, 15, tzinfo=UTC)
    assert closing_day(settlement_time(1700006400001)) == date(2023, 11, 14)
    assert settlement_time(1700006399999) == datetime(2023, 11, 15, tzinfo=UTC)  # and a millisecond early
    assert settlement_time(1700035200000) == datetime(2023, 11, 15, 8, tzinfo=UTC)


def test_history_days():
    assert history_days(None, date(2026, 2, 25)) == 30
    assert history_days(date(2026, 2, 24), date(2026, 2, 25)) == 3
    assert history_days(date(2020, 1, 1), date(2026, 2, 25)) == 30


def test_venue_observations_are_per_venue_and_today_is_the_current_quote():
    data = VenueData(
        "okx",
        "btc",
        NOW,
        -0.0001,
        4e9,
        {date(2026, 2, 24): 0.0001, date(2026, 2, 25): 0.0009},
        {date(2026, 2, 24): 5e9},
    )
    got = {(o.metric, o.entity, o.ts.date()): o.value for o in venue_observations(data, date(2026, 2, 25))}
    assert got == {
        ("venue_funding_rate_8h", "btc.okx", date(2026, 2, 24)): 0.0001,
        ("venue_open_interest_usd", "btc.okx", date(2026, 2, 24)): 5e9,
        ("venue_funding_rate_8h", "btc.okx", date(2026, 2, 25)): -0.0001,  # current, not the partial day
        ("venue_open_interest_usd", "btc.okx", date(2026, 2, 25)): 4e9,
    }


# -- parsers on our fixtures and on the real samples ------------------------------------------------
def test_parse_binance_fixtures():
    # the third settlement is stamped 1771977600001, 1 ms after 2026-02-25 00:00: it still closes 2026-02-24
    funding = daily_funding(parse_binance_funding_history(load("fapi_v1_fundingRate__btc.json")), 8.0)
    assert funding == {date(2026, 2, 24): pytest.approx((0.0001 + 0.0002 + 0.0003) / 3), date(2026, 2, 25): 0.0001}
    ts, rate, mark, oi = parse_binance_current(
        load("fapi_v1_premiumIndex__btc.json"), load("fapi_v1_openInterest__btc.json")
    )
    assert (rate, mark, oi) == (0.0001, 60000.0, 6e9)
    assert ts == datetime(2026, 2, 25, 11, 59, 59, tzinfo=UTC)
    assert parse_binance_oi_history(load("futures_data_openInterestHist__btc.json")) == {
        date(2026, 2, 23): 5e9,
        date(2026, 2, 24): 5.5e9,
    }


def test_parse_binance_real_samples():
    _, rate, mark, oi = parse_binance_current(
        sample("binance", "fapi_v1_premiumIndex_BTCUSDT.json"), sample("binance", "fapi_v1_openInterest_BTCUSDT.json")
    )
    assert rate == 0.00038246 and mark == 11793.63104562
    assert oi == pytest.approx(10659.509 * 11793.63104562)
    history = parse_binance_funding_history(sample("binance", "fapi_v1_fundingRate_BTCUSDT.json"))
    assert [s.rate for s in history] == [-0.0375, 0.0001]
    assert history[1].ts - history[0].ts == datetime(2019, 10, 9, 16, tzinfo=UTC) - datetime(2019, 10, 9, 8, tzinfo=UTC)
    oi_hist = parse_binance_oi_history(sample("binance", "futures_data_openInterestHist_BTCUSDT.json"))
    assert list(oi_hist.values()) == [149940752.14464448]  # two 5-minute rows of one day: the later one wins


def test_parse_bybit_fixtures_and_samples():
    _, rate, interval, oi = parse_bybit_ticker(load("v5_market_tickers__btc_4h.json"))
    assert (rate, interval, oi) == (0.00005, 4.0, 3e9)
    oi_hist = parse_bybit_oi_history(load("v5_market_open-interest__btc.json"), load("v5_market_kline__btc.json"))
    assert oi_hist == {date(2026, 2, 24): 50000 * 62000.0, date(2026, 2, 23): 40000 * 61000.0}
    _, rate, interval, _ = parse_bybit_ticker(sample("bybit", "v5_market_tickers_inverse_BTCUSD.docs-example.json"))
    assert (rate, interval) == (0.0001, 8.0)
    funding = parse_bybit_funding_history(sample("bybit", "v5_market_funding_history.docs-example.json"))
    assert funding == [Settlement(datetime(2022, 12, 26, 8, tzinfo=UTC), 0.0001)]


def test_bybit_one_side_of_open_interest_is_pinned():
    # After Bybit's 2026-06-11 change `openInterest` counts both sides; we use singleOpenInterest.
    oi = sample("bybit", "v5_market_open-interest_BTCUSD.docs-example.json")
    kline = {
        "retCode": 0,
        "retMsg": "OK",
        "time": 1,
        "result": {"list": [[str(1780963200000 - 86_400_000), "1", "2", "0.5", "2.0", "1", "1"]]},
    }
    assert parse_bybit_oi_history(oi, kline) == {date(2026, 6, 8): 31955346 * 2.0}


def test_parse_okx_fixtures_and_sample():
    _, rate, interval = parse_okx_funding_rate(load("public_funding-rate__btc_1h.json"))
    assert (rate, interval) == (-0.00001, 1.0)
    assert parse_okx_oi_history(load("rubik_open-interest-history__btc.json")) == {
        date(2026, 2, 24): 2e9,
        date(2026, 2, 23): 1.5e9,
    }
    history = parse_okx_funding_history(sample("okx", "api_v5_public_funding-rate-history_BTC-USDT-SWAP.json"))
    assert [s.rate for s in history] == [0.0001515032, -0.0000236017]  # fundingRate; realizedRate is rounded (0.00015)
    assert history[0].ts == datetime(2024, 1, 1, tzinfo=UTC)
    # 1 h settlements at 22:00, 23:00 and 00:00 close 2026-02-24: fundingRate 0.0000104 each (realizedRate 0.00001)
    ours = daily_funding(parse_okx_funding_history(load("public_funding-rate-history__btc_1h.json")), 1.0)
    assert ours == {date(2026, 2, 24): pytest.approx(0.0000104 * 8)}


def test_renamed_field_is_malformed():
    body = load("fapi_v1_premiumIndex__btc.json")
    body["fundingRate"] = body.pop("lastFundingRate")
    with pytest.raises(MalformedError, match="lastFundingRate"):
        parse_binance_current(body, load("fapi_v1_openInterest__btc.json"))


# -- fetch through ccxt and the shared client, over loopback ----------------------------------------
ROUTES = {
    ("fapi.binance.com", "/fapi/v1/premiumIndex"): "fapi_v1_premiumIndex__btc.json",
    ("fapi.binance.com", "/fapi/v1/openInterest"): "fapi_v1_openInterest__btc.json",
    ("fapi.binance.com", "/fapi/v1/fundingRate"): "fapi_v1_fundingRate__btc.json",
    ("fapi.binance.com", "/futures/data/openInterestHist"): "futures_data_openInterestHist__btc.json",
    ("api.bybit.com", "/v5/market/tickers"): "v5_market_tickers__btc_4h.json",
    ("api.bybit.com", "/v5/market/funding/history"): "v5_market_funding_history__btc_4h.json",
    ("api.bybit.com", "/v5/market/open-interest"): "v5_market_open-interest__btc.json",
    ("api.bybit.com", "/v5/market/kline"): "v5_market_kline__btc.json",
    ("www.okx.com", "/api/v5/public/funding-rate"): "public_funding-rate__btc_1h.json",
    ("www.okx.com", "/api/v5/public/open-interest"): "public_open-interest__btc.json",
    ("www.okx.com", "/api/v5/public/funding-rate-history"): "public_funding-rate-history__btc_1h.json",
    ("www.okx.com", "/api/v5/rubik/stat/contracts/open-interest-history"): "rubik_open-interest-history__btc.json",
}
VENUE_HOSTS = ("fapi.binance.com", "api.bybit.com", "www.okx.com")


class Venues:
    """A loopback server for the three venues: the fixture bodies, unless `bodies` or `faults` say otherwise."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: dict[tuple[str, str], bytes] = {
            (host, path): (FIX / name).read_bytes() for (host, path), name in ROUTES.items()
        }
        self.faults: dict[tuple[str, str] | str, tuple[int, bytes]] = {}
        self.seen: list[tuple[str, str, dict[str, str], str]] = []

    def answer(self, request: Request) -> Response:
        host, _, rest = request.path.lstrip("/").partition("/")
        path = "/" + rest
        self.seen.append((host, path, dict(request.args), request.headers.get("User-Agent", "")))
        status, body = self.faults.get((host, path)) or self.faults.get(host) or (200, self.bodies[(host, path)])
        return Response(body, status, content_type="application/json")

    async def fetch(self, since=date(2026, 2, 24), provider=None, now=NOW):
        provider = provider or Exchanges()
        with pinned_now(now):
            async with HttpClient(transport=RedirectTransport(self.port)) as client:
                return provider, await provider.fetch(client, since)


@pytest.fixture
def venues(httpserver) -> Venues:
    server = Venues(httpserver.port)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.answer)
    return server


def _values(observations):
    return {(o.metric, o.entity, o.ts.date()): o.value for o in observations}


def aggregated(observations) -> dict[tuple[str, str, date], float]:
    """What the report reads: the derived cross-venue series, from the provider's per-venue observations."""
    history: dict[tuple[str, str], dict[pd.Timestamp, float]] = {}
    for o in observations:
        history.setdefault((o.metric, o.entity), {})[pd.Timestamp(o.ts.date())] = o.value
    derived = derive_all({key: pd.Series(points).sort_index() for key, points in history.items()})
    return {
        (m, e, ts.date()): float(v)
        for (m, e), series in derived.items()
        if m in {"funding_rate_8h", "open_interest_usd", "open_interest_change_7d"}
        for ts, v in series.items()
    }


async def test_fetch_all_venues_by_hand(venues):
    _, obs = await venues.fetch()
    assert {o.metric for o in obs} == {"venue_funding_rate_8h", "venue_open_interest_usd"}
    assert {o.entity for o in obs} == {f"{a}.{v}" for a in ("btc", "eth") for v in ("binance", "bybit", "okx")}
    per_venue = _values(obs)
    assert per_venue[("venue_funding_rate_8h", "btc.okx", date(2026, 2, 25))] == pytest.approx(
        -0.00008
    )  # −0.00001 per 1 h
    assert per_venue[("venue_open_interest_usd", "btc.bybit", date(2026, 2, 24))] == 50000 * 62000.0
    got = aggregated(obs)
    # today: (0.0001·6e9 + 0.0001·3e9 − 0.00008·1e9) / 10e9
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.000082, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(10e9)
    # 2026-02-24: Binance 0.0002 on $5.5B, Bybit 0.00008 on $3.1B, OKX 0.0000104·8 on $2B
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] == pytest.approx(1.5144e6 / 10.6e9, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 24))] == pytest.approx(10.6e9)
    assert ("funding_rate_8h", "btc", date(2026, 2, 23)) not in got  # before `since`
    # every request went through our client (its User-Agent), none loaded ccxt's market lists
    assert all(agent.startswith("signaldesk/") for *_, agent in venues.seen)
    assert not any("exchangeInfo" in path or "instruments" in path for _, path, _, _ in venues.seen)
    okx_hist = next(args for _, path, args, _ in venues.seen if path.endswith("open-interest-history"))
    assert okx_hist["period"] == "1Dutc"


async def test_binance_451_with_the_others_answering(venues):
    venues.faults["fapi.binance.com"] = (
        451,
        shared_file("api-samples", "binance", "error_451_restricted_location.json").read_bytes(),
    )
    provider, obs = await venues.fetch()
    got = aggregated(obs)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.000055, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(4e9)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] == pytest.approx(
        (0.00008 * 3.1 + 0.0000832 * 2) / 5.1, rel=1e-12
    )
    assert "451" in provider.failures["binance:btc"] and "binance:eth" in provider.failures


async def test_bybit_rate_limit_in_200_body_drops_only_bybit(venues):
    venues.faults["api.bybit.com"] = (200, (FIX / "v5_market_tickers__retcode_10006.json").read_bytes())
    provider, obs = await venues.fetch()
    assert aggregated(obs)[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(
        (0.0001 * 6e9 - 0.00008 * 1e9) / 7e9
    )
    assert "RateLimitedError" in provider.failures["bybit:btc"]


async def test_html_challenge_from_okx_drops_okx(venues):
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>"
    venues.faults["www.okx.com"] = (200, page)
    provider, obs = await venues.fetch()
    assert aggregated(obs)[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(9e9)
    assert "MalformedError" in provider.failures["okx:btc"]


async def test_absurd_funding_from_one_venue_is_left_out(venues):
    absurd = load("public_funding-rate__btc_1h.json")
    absurd["data"][0]["fundingRate"] = "0.5"  # 400 % per 8 h once normalised from 1 h
    venues.faults[("www.okx.com", "/api/v5/public/funding-rate")] = (200, json.dumps(absurd).encode())
    provider, obs = await venues.fetch()
    assert aggregated(obs)[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.0001)
    assert "ImplausibleError" in provider.failures["okx:btc"]


async def test_no_venue_answering_raises_typed_errors(venues):
    venues.faults.update({host: (403, b"forbidden") for host in VENUE_HOSTS})
    with pytest.raises(UnavailableError, match="no venue answered"):
        await venues.fetch()
    limited = json.dumps({"code": "50011", "msg": "slow down", "retCode": 10006}).encode()
    venues.faults.update({host: (200, limited) for host in ("api.bybit.com", "www.okx.com")})
    with pytest.raises(RateLimitedError):
        await venues.fetch(provider=Exchanges(venues=("bybit", "okx")))


async def test_empty_list_is_malformed_and_drops_the_venue(venues):
    venues.faults[("fapi.binance.com", "/fapi/v1/fundingRate")] = (200, b"[]")
    provider, _ = await venues.fetch()
    assert "empty list" in provider.failures["binance:btc"]


# -- a venue dropping out: the aggregate keeps one venue set ----------------------------------------
PRICE = 50_000.0
FUNDING = {"binance": 0.0003, "bybit": 0.0001, "okx": 0.0001}
"""Per 8 h, every settlement; Binance's differs so that leaving it out would move the OI-weighted mean."""


def market_bodies(now: datetime, oi_usd) -> dict[tuple[str, str], bytes]:
    """Bodies in the venues' recorded shapes for a market with 8 h settlements, a flat price and
    `oi_usd(venue, day)`; ten past days of history, today's current values."""
    today = now.date()
    past = [today - timedelta(days=k) for k in range(10, 0, -1)]

    def ms(moment: datetime) -> int:
        return int(moment.timestamp() * 1000)

    def snapshot(day: date) -> int:
        """The OI snapshot that closes `day`: 00:00 UTC of the next day."""
        return ms(day_start(day + timedelta(days=1)))

    now_ms = ms(now)
    settlements = [day_start(d) + timedelta(hours=h) for d in [*past, today] for h in (0, 8, 16)]
    settlements = [t for t in settlements if t <= now]
    next_settle = settlements[-1] + timedelta(hours=8)
    body = {
        ("fapi.binance.com", "/fapi/v1/premiumIndex"): {
            "symbol": "BTCUSDT",
            "markPrice": f"{PRICE:.8f}",
            "indexPrice": f"{PRICE:.8f}",
            "estimatedSettlePrice": f"{PRICE:.8f}",
            "lastFundingRate": f"{FUNDING['binance']:.8f}",
            "interestRate": "0.00010000",
            "nextFundingTime": ms(next_settle),
            "time": now_ms,
        },
        ("fapi.binance.com", "/fapi/v1/openInterest"): {
            "openInterest": f"{oi_usd('binance', today) / PRICE:.3f}",
            "symbol": "BTCUSDT",
            "time": now_ms,
        },
        ("fapi.binance.com", "/fapi/v1/fundingRate"): [
            {
                "symbol": "BTCUSDT",
                "fundingTime": ms(t),
                "fundingRate": f"{FUNDING['binance']:.8f}",
                "markPrice": f"{PRICE:.8f}",
            }
            for t in settlements
        ],
        ("fapi.binance.com", "/futures/data/openInterestHist"): [
            {
                "symbol": "BTCUSDT",
                "sumOpenInterest": f"{oi_usd('binance', d) / PRICE:.8f}",
                "sumOpenInterestValue": f"{oi_usd('binance', d):.8f}",
                "timestamp": snapshot(d),
            }
            for d in past
        ],
        ("api.bybit.com", "/v5/market/tickers"): {
            "retCode": 0,
            "retMsg": "OK",
            "result": {
                "category": "linear",
                "list": [
                    {
                        "symbol": "BTCUSDT",
                        "markPrice": f"{PRICE:.2f}",
                        "openInterest": f"{oi_usd('bybit', today) / PRICE:.3f}",
                        "openInterestValue": f"{oi_usd('bybit', today):.2f}",
                        "fundingRate": f"{FUNDING['bybit']}",
                        "fundingIntervalHour": "8",
                        "nextFundingTime": str(ms(next_settle)),
                    }
                ],
            },
            "retExtInfo": {},
            "time": now_ms,
        },
        ("api.bybit.com", "/v5/market/funding/history"): {
            "retCode": 0,
            "retMsg": "OK",
            "result": {
                "category": "linear",
                "list": [
                    {"symbol": "BTCUSDT", "fundingRate": f"{FUNDING['bybit']}", "fundingRateTimestamp": str(ms(t))}
                    for t in reversed(settlements)
                ],
            },
            "retExtInfo": {},
            "time": now_ms,
        },
        ("api.bybit.com", "/v5/market/open-interest"): {
            "retCode": 0,
            "retMsg": "OK",
            "result": {
                "symbol": "BTCUSDT",
                "category": "linear",
                "list": [
                    {"openInterest": f"{oi_usd('bybit', d) / PRICE:.8f}", "timestamp": str(snapshot(d))}
                    for d in reversed(past)
                ],
                "nextPageCursor": "",
            },
            "retExtInfo": {},
            "time": now_ms,
        },
        ("api.bybit.com", "/v5/market/kline"): {
            "retCode": 0,
            "retMsg": "OK",
            "result": {
                "symbol": "BTCUSDT",
                "category": "linear",
                "list": [
                    [str(ms(day_start(d))), *[f"{PRICE:.2f}"] * 4, "1000", "5e7"] for d in reversed([*past, today])
                ],
            },
            "retExtInfo": {},
            "time": now_ms,
        },
        ("www.okx.com", "/api/v5/public/funding-rate"): {
            "code": "0",
            "msg": "",
            "data": [
                {
                    "instId": "BTC-USDT-SWAP",
                    "instType": "SWAP",
                    "fundingRate": f"{FUNDING['okx']:.10f}",
                    "fundingTime": str(ms(next_settle)),
                    "nextFundingTime": str(ms(next_settle + timedelta(hours=8))),
                    "ts": str(now_ms),
                }
            ],
        },
        ("www.okx.com", "/api/v5/public/open-interest"): {
            "code": "0",
            "msg": "",
            "data": [
                {
                    "instId": "BTC-USDT-SWAP",
                    "instType": "SWAP",
                    "oi": "1",
                    "oiCcy": f"{oi_usd('okx', today) / PRICE:.4f}",
                    "oiUsd": f"{oi_usd('okx', today):.4f}",
                    "ts": str(now_ms),
                }
            ],
        },
        ("www.okx.com", "/api/v5/public/funding-rate-history"): {
            "code": "0",
            "msg": "",
            "data": [
                {
                    "fundingRate": f"{FUNDING['okx']:.10f}",
                    "fundingTime": str(ms(t)),
                    "instId": "BTC-USDT-SWAP",
                    "instType": "SWAP",
                    "method": "current_period",
                    "realizedRate": f"{FUNDING['okx']:.5f}",
                }
                for t in reversed(settlements)
            ],
        },
        ("www.okx.com", "/api/v5/rubik/stat/contracts/open-interest-history"): {
            "code": "0",
            "msg": "",
            "data": [
                [str(snapshot(d)), "1", f"{oi_usd('okx', d) / PRICE:.4f}", f"{oi_usd('okx', d):.4f}"]
                for d in reversed(past)
            ],
        },
    }
    return {key: json.dumps(value).encode() for key, value in body.items()}


async def test_a_venue_failing_today_does_not_fake_a_fall_in_open_interest(venues, store: Store):
    """Binance $9B + Bybit $6B + OKX $4B = $19B a week ago; today Binance answers 451 and Bybit and OKX have grown
    10 % ($6.6B + $4.4B). Summed over whoever answered, that reads $11B / $19B − 1 = −42 %; like for like it is +10 %."""
    base = {"binance": 9e9, "bybit": 6e9, "okx": 4e9}
    week_ago, now = datetime(2026, 2, 25, 12, tzinfo=UTC), datetime(2026, 3, 4, 12, tzinfo=UTC)

    def oi_usd(venue: str, day: date) -> float:
        return base[venue] * (1.1 if day >= now.date() else 1.0)

    venues.bodies = market_bodies(week_ago, oi_usd)
    provider, first = await venues.fetch(since=None, now=week_ago)
    assert provider.failures == {}
    store.write_observations(first, run_id="week-ago", fetched_at=week_ago)

    venues.bodies = market_bodies(now, oi_usd)
    venues.faults["fapi.binance.com"] = (
        451,
        shared_file("api-samples", "binance", "error_451_restricted_location.json").read_bytes(),
    )
    provider, second = await venues.fetch(since=date(2026, 2, 22), now=now)
    assert set(provider.failures) == {"binance:btc", "binance:eth"}
    store.write_observations(second, run_id="today", fetched_at=now)

    derived = derive_all(store.history(as_of=now.date()))
    change = derived[("open_interest_change_7d", "btc")]
    assert change.loc[pd.Timestamp(now.date())] == pytest.approx(11e9 / 10e9 - 1, rel=1e-12)  # +10 %, not −42 %
    oi = derived[("open_interest_usd", "btc")]
    assert oi.loc[pd.Timestamp(week_ago.date())] == pytest.approx(10e9)  # the week-ago level over the same two venues
    funding = derived[("funding_rate_8h", "btc")]
    assert funding.loc[pd.Timestamp(week_ago.date())] == pytest.approx(0.0001)  # not (0.0003·9 + 0.0001·10) / 19
    assert funding.loc[pd.Timestamp(now.date())] == pytest.approx(0.0001)

    # the day Binance answers again, the three-venue series is back, like for like as well
    venues.faults.clear()
    later = now + timedelta(days=1)
    venues.bodies = market_bodies(later, oi_usd)
    _, third = await venues.fetch(since=date(2026, 3, 1), now=later)
    store.write_observations(third, run_id="tomorrow", fetched_at=later)
    derived = derive_all(store.history(as_of=later.date()))
    assert derived[("open_interest_usd", "btc")].loc[pd.Timestamp(later.date())] == pytest.approx(9.9e9 + 6.6e9 + 4.4e9)
    assert derived[("funding_rate_8h", "btc")].loc[pd.Timestamp(later.date())] == pytest.approx(
        (0.0003 * 9.9 + 0.0001 * 11) / 20.9
    )


def test_demo_matches_seed_000():
    # The shipped demo: funding just below zero, OI $35.6B across three venues, down on the week.
    import asyncio

    from signaldesk.demo import DEMO_DIR, DEMO_NOW

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Exchanges().fetch(client, None)

    with pinned_now(DEMO_NOW):
        got = aggregated(asyncio.run(run()))
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(-0.00002, abs=1e-12)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] > 0
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(35.6e9, abs=1.0)
    assert got[("open_interest_usd", "btc", date(2026, 2, 18))] > 38e9


CCXT_METHODS = {
    ("binance", "premium_index"): "fapipublic_get_premiumindex",
    ("binance", "open_interest"): "fapipublic_get_openinterest",
    ("binance", "funding_history"): "fapipublic_get_fundingrate",
    ("binance", "oi_history"): "fapidata_get_openinteresthist",
    ("bybit", "tickers"): "public_get_v5_market_tickers",
    ("bybit", "funding_history"): "public_get_v5_market_funding_history",
    ("bybit", "oi_history"): "public_get_v5_market_open_interest",
    ("bybit", "kline"): "public_get_v5_market_kline",
    ("okx", "funding_rate"): "public_get_public_funding_rate",
    ("okx", "open_interest"): "public_get_public_open_interest",
    ("okx", "funding_history"): "public_get_public_funding_rate_history",
    ("okx", "oi_history"): "public_get_rubik_stat_contracts_open_interest_history",
}
"""Our endpoint names → the ccxt implicit API method of the same endpoint (the reference for the URLs)."""
CCXT_IDS = {"binance": "binanceusdm", "bybit": "bybit", "okx": "okx"}


async def _ccxt_url(venue: str, method: str, params: dict) -> str:
    """The URL ccxt's implicit method builds for `params` (its `fetch` captures it instead of sending)."""
    ccxt_async = pytest.importorskip("ccxt.async_support")

    class Captured(Exception):
        pass

    class Capturing(getattr(ccxt_async, CCXT_IDS[venue])):
        async def fetch(self, url, method="GET", headers=None, body=None):
            raise Captured(url)

    exchange = Capturing({"enableRateLimit": False})
    try:
        await getattr(exchange, method)(params)
    except Captured as exc:
        return str(exc)
    finally:
        await exchange.close()
    raise AssertionError(f"{venue} {method} sent nothing")


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx"])
@pytest.mark.parametrize("days", [2, 30])
async def test_every_request_is_the_url_ccxt_builds(venue, days):
    # Run the real fetcher; answer each request from the fixtures; check its URL against ccxt's.
    asked: list[tuple[str, str, dict]] = []
    hosts_paths = {ENDPOINTS[v][e]: (v, e) for v in ENDPOINTS for e in ENDPOINTS[v]}

    async def call(endpoint, params):
        asked.append((endpoint, endpoint_url(venue, endpoint, params), dict(params)))
        split = urlsplit(ENDPOINTS[venue][endpoint])
        return load(ROUTES[(split.hostname, split.path)])

    with pinned_now(NOW):
        await _FETCHERS[venue](call, "btc", days)
    assert {endpoint for endpoint, _, _ in asked} == set(ENDPOINTS[venue])  # every endpoint, once each
    for endpoint, url, params in asked:
        assert hosts_paths[url.partition("?")[0]] == (venue, endpoint)
        assert url == await _ccxt_url(venue, CCXT_METHODS[(venue, endpoint)], params)


def test_the_provider_does_not_import_ccxt():
    # ccxt's package imports every exchange it supports (~1 s); the URLs are ours (checked above).
    source = Path(__file__).resolve().parents[2].joinpath("signaldesk", "providers", "exchanges.py").read_text()
    assert "import ccxt" not in source and "from ccxt" not in source
