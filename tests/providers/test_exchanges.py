import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.exchanges import (
    Exchanges,
    Settlement,
    VenueData,
    bybit_result,
    closing_day,
    combine,
    daily_funding,
    history_days,
    oi_weighted,
    okx_data,
    parse_binance_current,
    parse_binance_funding_history,
    parse_binance_oi_history,
    parse_bybit_funding_history,
    parse_bybit_oi_history,
    parse_bybit_ticker,
    parse_okx_funding_history,
    parse_okx_funding_rate,
    parse_okx_oi_history,
    to_8h,
)
from tests.conftest import FIXTURES, shared_file

FIX = FIXTURES / "exchanges"
NOW = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)


def load(name: str):
    return json.loads((FIX / name).read_text())


def sample(*parts: str):
    return json.loads(shared_file("api-samples", *parts).read_text())


# -- arithmetic ---------------------------------------------------------------------------------
def test_oi_weighted_funding_across_venues_with_different_intervals():
    # Binance 0.0100 %/8 h on $10B; Bybit 0.0050 % per 4 h = 0.0100 %/8 h on $5B;
    # OKX −0.0010 % per 1 h = −0.0080 %/8 h on $5B → (0.0001·10 + 0.0001·5 − 0.00008·5) / 20 = 0.000055
    pairs = [(to_8h(0.0001, 8), 10e9), (to_8h(0.00005, 4), 5e9), (to_8h(-0.00001, 1), 5e9)]
    assert oi_weighted(pairs) == pytest.approx(0.000055, rel=1e-12)
    with pytest.raises(ValueError):
        oi_weighted([(0.0001, 0.0)])


def test_daily_funding_normalises_each_settlement_by_its_own_interval():
    # 8 h settlements until 08:00, then 4 h: periods closing on 2026-02-24 are
    # 08:00 (8 h, 0.0001), 12:00 (4 h, 0.00005 → 0.0001), 16:00 (4 h, 0.0001 → 0.0002) → mean 0.000133…
    s = [Settlement(datetime(2026, 2, 24, h, tzinfo=UTC), r) for h, r in ((0, 0.0003), (8, 0.0001), (12, 0.00005), (16, 0.0001))]
    daily = daily_funding(s, 8.0)
    assert daily[date(2026, 2, 24)] == pytest.approx((0.0001 + 0.0001 + 0.0002) / 3, rel=1e-12)
    assert daily[date(2026, 2, 23)] == pytest.approx(0.0003)  # 00:00 closes the day before


def test_closing_day_puts_midnight_on_the_day_that_ended():
    assert closing_day(datetime(2026, 2, 25, 0, 0, tzinfo=UTC)) == date(2026, 2, 24)
    assert closing_day(datetime(2026, 2, 25, 0, 0, 1, tzinfo=UTC)) == date(2026, 2, 25)


def test_history_days():
    assert history_days(None, date(2026, 2, 25)) == 30
    assert history_days(date(2026, 2, 24), date(2026, 2, 25)) == 3
    assert history_days(date(2020, 1, 1), date(2026, 2, 25)) == 30


def test_combine_keeps_only_days_every_venue_covers():
    a = VenueData("binance", "btc", NOW, 0.0001, 6e9, {date(2026, 2, 23): 0.0002, date(2026, 2, 24): 0.0003},
                  {date(2026, 2, 23): 5e9, date(2026, 2, 24): 5e9})
    b = VenueData("okx", "btc", NOW, -0.0001, 4e9, {date(2026, 2, 24): 0.0001}, {date(2026, 2, 24): 5e9})
    obs = combine("btc", [a, b], date(2026, 2, 25))
    got = {(o.metric, o.ts.date()): o.value for o in obs}
    assert (("funding_rate_8h", date(2026, 2, 23))) not in got
    assert got[("funding_rate_8h", date(2026, 2, 24))] == pytest.approx(0.0002)
    assert got[("open_interest_usd", date(2026, 2, 24))] == 10e9
    assert got[("funding_rate_8h", date(2026, 2, 25))] == pytest.approx((0.0001 * 6 - 0.0001 * 4) / 10)
    assert all(o.ts.hour == 0 and o.entity == "btc" for o in obs)


# -- parsers on our fixtures and on the real samples ------------------------------------------------
def test_parse_binance_fixtures():
    ts, rate, mark, oi = parse_binance_current(load("fapi_v1_premiumIndex__btc.json"), load("fapi_v1_openInterest__btc.json"))
    assert (rate, mark, oi) == (0.0001, 60000.0, 6e9)
    assert ts == datetime(2026, 2, 25, 11, 59, 59, tzinfo=UTC)
    assert parse_binance_oi_history(load("futures_data_openInterestHist__btc.json")) == {date(2026, 2, 23): 5e9, date(2026, 2, 24): 5.5e9}


def test_parse_binance_real_samples():
    _, rate, mark, oi = parse_binance_current(sample("binance", "fapi_v1_premiumIndex_BTCUSDT.json"),
                                              sample("binance", "fapi_v1_openInterest_BTCUSDT.json"))
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
    kline = {"retCode": 0, "retMsg": "OK", "time": 1,
             "result": {"list": [[str(1780963200000 - 86_400_000), "1", "2", "0.5", "2.0", "1", "1"]]}}
    assert parse_bybit_oi_history(oi, kline) == {date(2026, 6, 8): 31955346 * 2.0}


def test_parse_okx_fixtures_and_sample():
    _, rate, interval = parse_okx_funding_rate(load("public_funding-rate__btc_1h.json"))
    assert (rate, interval) == (-0.00001, 1.0)
    assert parse_okx_oi_history(load("rubik_open-interest-history__btc.json")) == {date(2026, 2, 24): 2e9, date(2026, 2, 23): 1.5e9}
    history = parse_okx_funding_history(sample("okx", "api_v5_public_funding-rate-history_BTC-USDT-SWAP.json"))
    assert [s.rate for s in history] == [0.00015, -0.00002]  # realizedRate, what was actually paid
    assert history[0].ts == datetime(2024, 1, 1, tzinfo=UTC)


# -- envelopes ----------------------------------------------------------------------------------------
def test_bybit_retcode_in_a_200_body():
    with pytest.raises(RateLimitedError, match="10006"):
        bybit_result(load("v5_market_tickers__retcode_10006.json"), what="tickers")
    with pytest.raises(UnavailableError, match="restricted region"):
        bybit_result(load("v5_market_tickers__retcode_10009_region.json"), what="tickers")
    with pytest.raises(MalformedError):
        bybit_result({"code": 0, "data": []}, what="tickers")


def test_okx_error_envelope():
    with pytest.raises(RateLimitedError):
        okx_data(load("public_funding-rate__error_50011.json"), what="funding-rate")
    with pytest.raises(UnavailableError, match="51001"):
        okx_data(load("public_funding-rate__error_51001.json"), what="funding-rate")
    with pytest.raises(UnavailableError):
        okx_data({"code": 50001, "msg": "Service temporarily unavailable"}, what="funding-rate")  # numeric code
    with pytest.raises(MalformedError):
        okx_data({"code": "0", "msg": "", "data": []}, what="funding-rate")
    with pytest.raises(MalformedError, match="not a v5 body"):  # no code at all: not an OKX error, a wrong body
        okx_data({"unexpected": ["shape"]}, what="funding-rate")


def test_renamed_field_is_malformed():
    body = load("fapi_v1_premiumIndex__btc.json")
    body["fundingRate"] = body.pop("lastFundingRate")
    with pytest.raises(MalformedError, match="lastFundingRate"):
        parse_binance_current(body, load("fapi_v1_openInterest__btc.json"))


# -- fetch through ccxt and the shared client ------------------------------------------------------
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


def serve(overrides=None, seen=None):
    overrides = overrides or {}

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        key = (request.url.host, request.url.path)
        if key in overrides:
            return overrides[key](request)
        if request.url.host in overrides:
            return overrides[request.url.host](request)
        return httpx.Response(200, content=(FIX / ROUTES[key]).read_bytes())

    return httpx.MockTransport(handler)


async def _fetch(transport, since=date(2026, 2, 24), provider=None):
    provider = provider or Exchanges()
    with pinned_now(NOW):
        async with HttpClient(transport=transport) as client:
            return provider, await provider.fetch(client, since)


def _values(observations):
    return {(o.metric, o.entity, o.ts.date()): o.value for o in observations}


async def test_fetch_all_venues_by_hand():
    seen = []
    _, obs = await _fetch(serve(seen=seen))
    got = _values(obs)
    # today: (0.0001·6e9 + 0.0001·3e9 − 0.00008·1e9) / 10e9
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.000082, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(10e9)
    # 2026-02-24: Binance 0.0002 on $5.5B, Bybit 0.00008 on $3.1B, OKX 0.00008 on $2B
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] == pytest.approx(1.508e6 / 10.6e9, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 24))] == pytest.approx(10.6e9)
    assert ("funding_rate_8h", "btc", date(2026, 2, 23)) not in got  # before `since`
    assert {o.entity for o in obs} == {"btc", "eth"}
    # every request went through our client (its User-Agent), none loaded ccxt's market lists
    assert all(r.headers["user-agent"].startswith("signaldesk/") for r in seen)
    assert not any("exchangeInfo" in r.url.path or "instruments" in r.url.path for r in seen)
    okx_hist = next(r for r in seen if r.url.path.endswith("open-interest-history"))
    assert okx_hist.url.params["period"] == "1Dutc"


async def test_binance_451_with_the_others_answering():
    body = shared_file("api-samples", "binance", "error_451_restricted_location.json").read_bytes()
    provider, obs = await _fetch(serve({"fapi.binance.com": lambda r: httpx.Response(451, content=body)}))
    got = _values(obs)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.000055, rel=1e-12)
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(4e9)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] == pytest.approx(0.00008, rel=1e-12)
    assert "451" in provider.venue_errors["binance:btc"] and "binance:eth" in provider.venue_errors


async def test_bybit_rate_limit_in_200_body_drops_only_bybit():
    body = (FIX / "v5_market_tickers__retcode_10006.json").read_bytes()
    provider, obs = await _fetch(serve({"api.bybit.com": lambda r: httpx.Response(200, content=body)}))
    got = _values(obs)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx((0.0001 * 6e9 - 0.00008 * 1e9) / 7e9)
    assert "RateLimitedError" in provider.venue_errors["bybit:btc"]


async def test_html_challenge_from_okx_drops_okx():
    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>"
    provider, obs = await _fetch(serve({"www.okx.com": lambda r: httpx.Response(200, content=page)}))
    assert _values(obs)[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(9e9)
    assert "MalformedError" in provider.venue_errors["okx:btc"]


async def test_absurd_funding_from_one_venue_is_left_out():
    absurd = load("public_funding-rate__btc_1h.json")
    absurd["data"][0]["fundingRate"] = "0.5"  # 400 % per 8 h once normalised from 1 h
    provider, obs = await _fetch(serve({("www.okx.com", "/api/v5/public/funding-rate"): lambda r: httpx.Response(200, json=absurd)}))
    assert _values(obs)[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(0.0001)
    assert "ImplausibleError" in provider.venue_errors["okx:btc"]


async def test_no_venue_answering_raises_typed_errors():
    blocked = {h: (lambda r: httpx.Response(403, text="forbidden")) for h in ("fapi.binance.com", "api.bybit.com", "www.okx.com")}
    with pytest.raises(UnavailableError, match="no venue answered"):
        await _fetch(serve(blocked))
    limited = {h: (lambda r: httpx.Response(200, json={"code": "50011", "msg": "slow down", "retCode": 10006}))
               for h in ("api.bybit.com", "www.okx.com")}
    with pytest.raises(RateLimitedError):
        await _fetch(serve(limited), provider=Exchanges(venues=("bybit", "okx")))


async def test_empty_list_is_malformed_and_drops_the_venue():
    empty = {("fapi.binance.com", "/fapi/v1/fundingRate"): lambda r: httpx.Response(200, json=[])}
    provider, _ = await _fetch(serve(empty))
    assert "empty list" in provider.venue_errors["binance:btc"]


def test_demo_matches_seed_000():
    # The shipped demo: funding just below zero, OI $35.6B across three venues, down on the week.
    import asyncio

    from signaldesk.demo.build import DEMO_DIR, DEMO_NOW

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Exchanges().fetch(client, None)

    with pinned_now(DEMO_NOW):
        got = _values(asyncio.run(run()))
    assert got[("funding_rate_8h", "btc", date(2026, 2, 25))] == pytest.approx(-0.00002, abs=1e-12)
    assert got[("funding_rate_8h", "btc", date(2026, 2, 24))] > 0
    assert got[("open_interest_usd", "btc", date(2026, 2, 25))] == pytest.approx(35.6e9, abs=1.0)
    assert got[("open_interest_usd", "btc", date(2026, 2, 18))] > 38e9


def test_ccxt_is_not_imported_at_module_level():
    source = Path(__file__).resolve().parents[2].joinpath("signaldesk", "providers", "exchanges.py").read_text()
    assert "\nimport ccxt" not in source and "\nfrom ccxt" not in source
