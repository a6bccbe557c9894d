import asyncio
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace

import httpx
import pytest

import signaldesk.http as http_module
import signaldesk.providers.coingecko as coingecko_module
from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.coingecko import (
    DEMO_CALLS_PER_MINUTE,
    KEY_ENV,
    KEYLESS_CALLS_PER_MINUTE,
    Coin,
    CoinGecko,
    altseason_candidates,
    altseason_index,
    exclusion_reason,
    history_days,
    parse_global,
    parse_market_chart,
    parse_markets,
    return_over,
)
from tests.conftest import shared_file

KEY_HEADER = CoinGecko.capabilities.key_header

NOW = datetime(2026, 2, 25, 12, 0, 7, tzinfo=UTC)


def _load(fixtures, name):
    return json.loads((fixtures / "coingecko" / name).read_text())


def _by(obs, metric, entity="btc"):
    return {o.ts.date(): o.value for o in obs if o.metric == metric and o.entity == entity}


# -- market_chart ---------------------------------------------------------------------------------
def test_midnight_points_are_the_previous_days_close_and_now_is_todays_latest(fixtures):
    obs = parse_market_chart(_load(fixtures, "coins_bitcoin_market_chart__daily.json"), "btc")
    prices = _by(obs, "price_usd")
    # 00:00 UTC of 2026-01-25 carries the close of 2026-01-24 (60,000); 00:00 of 02-25 the close of 02-24
    assert min(prices) == date(2026, 1, 24) and prices[date(2026, 1, 24)] == 60_000
    assert prices[date(2026, 2, 24)] == 60_000 + 100 * 31
    # the trailing point (12:00 on 02-25) is 02-25's provisional value, stamped at 00:00 like the others
    assert prices[date(2026, 2, 25)] == 62_900
    assert len(prices) == 33
    assert all(o.ts.hour == 0 and o.ts.minute == 0 and o.ts.utcoffset() == timedelta(0) for o in obs)


def test_spot_volume_30d_average_needs_a_full_window(fixtures):
    obs = parse_market_chart(_load(fixtures, "coins_bitcoin_market_chart__daily.json"), "btc")
    avg = _by(obs, "spot_volume_usd_30d_avg")
    # day k (k = 0 on 01-24) has volume (k + 1) × 1e9: the first full window ends on k = 29 (02-22)
    assert sorted(avg) == [date(2026, 2, 22), date(2026, 2, 23), date(2026, 2, 24), date(2026, 2, 25)]
    assert avg[date(2026, 2, 22)] == pytest.approx(15.5e9)  # mean of 1..30
    assert avg[date(2026, 2, 25)] == pytest.approx(18.5e9)  # mean of 4..33


def test_real_docs_example_chart_keeps_the_later_of_two_same_day_points():
    payload = json.loads(
        shared_file("api-samples", "coingecko", "coins_bitcoin_market_chart.docs-example.json").read_text()
    )
    obs = parse_market_chart(payload, "btc")
    assert [(o.metric, o.ts, o.value) for o in obs] == [
        ("price_usd", datetime(2026, 5, 17, tzinfo=UTC), 78052.87543398788),
        ("spot_volume_usd", datetime(2026, 5, 17, tzinfo=UTC), 18974828816.446976),
    ]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"prices": []}, MalformedError),  # empty list
        ({"price": [[1771977600000, 1.0]]}, MalformedError),  # renamed field
        ({"prices": [[1771977600000]]}, MalformedError),  # not a pair
        ({"prices": [[1771977600000, "abc"]]}, MalformedError),
        ({"prices": [[1771977600000, -5.0]]}, ImplausibleError),  # negative price
        ({"prices": [[1771977600000, 1e12]]}, ImplausibleError),  # a trillion-dollar bitcoin
        ({"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit"}}, MalformedError),
        ({"error": "coin not found"}, MalformedError),
    ],
)
def test_chart_nonsense_raises_typed_error(payload, error):
    with pytest.raises(error):
        parse_market_chart(payload, "btc")


# -- /global --------------------------------------------------------------------------------------
def test_global_percent_becomes_a_fraction(fixtures):
    obs = parse_global(_load(fixtures, "global__bear_day.json"))
    assert {(o.metric, o.ts, o.value) for o in obs} == {
        ("crypto_market_cap_usd", datetime(2026, 2, 25, tzinfo=UTC), 2.163e12),
        ("btc_dominance", datetime(2026, 2, 25, tzinfo=UTC), 0.58),
    }


@pytest.mark.parametrize(
    ("name", "day", "cap", "dominance"),
    [
        ("global.docs-example.json", date(2026, 5, 27), 2621040321355.0405, 0.579539332566265),
        ("global.recorded-2023-12-21.json", date(2023, 12, 21), 1731998238933.4412, None),
    ],
)
def test_real_global_samples(name, day, cap, dominance):
    payload = json.loads(shared_file("api-samples", "coingecko", name).read_text())
    obs = {o.metric: o for o in parse_global(payload)}
    assert obs["crypto_market_cap_usd"].value == cap
    assert obs["crypto_market_cap_usd"].ts == datetime(day.year, day.month, day.day, tzinfo=UTC)
    expected = payload["data"]["market_cap_percentage"]["btc"] / 100 if dominance is None else dominance
    assert obs["btc_dominance"].value == pytest.approx(expected)
    assert 0.3 < obs["btc_dominance"].value < 0.7


@pytest.mark.parametrize(
    "payload",
    [
        {"data": {"total_market_cap": {"usd": 2e12}, "updated_at": 1772060040}},  # no market_cap_percentage
        {
            "data": {
                "total_market_cap": {"usd": 2e12},
                "market_cap_percentage": {"btc": 158.0},
                "updated_at": 1772060040,
            }
        },
    ],
)
def test_global_nonsense(payload):
    with pytest.raises((MalformedError, ImplausibleError)):
        parse_global(payload)


# -- altseason universe and index ---------------------------------------------------------------
def test_markets_universe_drops_benchmark_stables_receipts_and_priceless_rows(fixtures):
    coins = parse_markets(_load(fixtures, "coins_markets__mixed.json"))
    assert "fresh-listing" not in {c.id for c in coins}  # null price: cannot be ranked
    reasons = {c.id: exclusion_reason(c) for c in coins}
    assert reasons["bitcoin"] == "benchmark"
    assert reasons["tether"] == "stablecoin"
    assert reasons["some-new-dollar"] == "pegged to $1"  # not on any list, caught by the price band
    assert (
        reasons["staked-ether"]
        == reasons["wrapped-bitcoin"]
        == reasons["lombard-staked-btc"]
        == "receipt of another coin"
    )
    assert [c.id for c in altseason_candidates(coins)] == ["ethereum", "ripple", "dogecoin", "cardano"]


@pytest.mark.parametrize(
    ("coin", "reason"),
    [
        (Coin("ethereum", "eth", "Ethereum", 2e11, 1840.0), ""),
        (Coin("x-usd", "xusd", "X Dollar", 1e9, 0.93), "stablecoin"),  # de-pegged, still a stablecoin
        (Coin("rocket-pool-eth", "reth", "Rocket Pool ETH", 1e9, 2100.0), "receipt of another coin"),
        (Coin("some-btc", "fbtc", "Ignition FBTC", 1e9, 62000.0), "receipt of another coin"),
        (Coin("binance-staked-sol", "bnsol", "Binance Staked SOL", 1e9, 85.0), "receipt of another coin"),
        (Coin("near", "near", "NEAR Protocol", 1e9, 1.01, 1.05, 0.97), ""),  # near $1 but swinging: not pegged
    ],
)
def test_exclusion_rules(coin, reason):
    assert exclusion_reason(coin) == reason


def test_altseason_index_hand_made_case():
    # BTC −20 %: two of five coins did better (strictly), one tied, two worse → 40
    returns = {"a": 0.10, "b": -0.05, "c": -0.20, "d": -0.35, "e": -0.60}
    assert altseason_index(returns, -0.20) == 40.0
    assert altseason_index({"a": 0.5}, -0.2) == 100.0
    with pytest.raises(ValueError):
        altseason_index({}, 0.0)


def _chart(first_day: date, closes: list[float], now: datetime) -> dict:
    """A daily market_chart body: close of day k at 00:00 of day k + 1, then a "now" point."""
    stamps = [
        int(datetime.combine(first_day + timedelta(days=k + 1), datetime.min.time(), UTC).timestamp() * 1000)
        for k in range(len(closes) - 1)
    ] + [int(now.timestamp() * 1000)]
    return {
        "prices": [[t, p] for t, p in zip(stamps, closes, strict=True)],
        "market_caps": [[t, p * 1e6] for t, p in zip(stamps, closes, strict=True)],
        "total_volumes": [[t, 1e9] for t in stamps],
    }


def _path(start: float, end: float, days: int) -> list[float]:
    """`days` + 1 closes from `start` (day 0) to `end` (today), geometric."""
    return [start * (end / start) ** (k / days) for k in range(days + 1)]


def test_return_over_90_days_uses_the_point_nearest_to_90_days_before_now():
    first = date(2025, 11, 27)
    assert return_over(_chart(first, _path(100.0, 80.0, 90), NOW)) == pytest.approx(-0.2)
    # a coin listed 30 days ago has no 90-day return
    assert return_over(_chart(date(2026, 1, 26), _path(10.0, 30.0, 30), NOW)) is None


def test_history_days():
    assert history_days(None, date(2026, 2, 25)) == 365
    assert history_days(date(2026, 2, 24), date(2026, 2, 25)) == 92  # still enough for the 90-day benchmark
    assert history_days(date(2025, 12, 1), date(2026, 2, 25)) == 86 + 31
    assert history_days(date(2020, 1, 1), date(2026, 2, 25)) == 365


# -- fetch: partial failures, key header, altseason end to end ----------------------------------
@pytest.fixture
def config(write_config):
    return write_config


def _bodies(fixtures):
    """A small hand-made world: URL path → JSON body (SOL's chart and most coins are missing: 404)."""
    start365 = NOW.date() - timedelta(days=365)
    start90 = NOW.date() - timedelta(days=90)
    return {
        "/api/v3/coins/bitcoin/market_chart": _chart(start365, [100.0] * 275 + _path(100.0, 80.0, 90), NOW),
        "/api/v3/coins/ethereum/market_chart": _chart(start365, [2000.0] * 275 + _path(2000.0, 1800.0, 90), NOW),
        "/api/v3/global": _load(fixtures, "global__bear_day.json"),
        "/api/v3/coins/markets": _load(fixtures, "coins_markets__mixed.json"),
        "/api/v3/coins/dogecoin/market_chart": _chart(NOW.date() - timedelta(days=30), _path(0.1, 0.2, 30), NOW),
        "/api/v3/coins/cardano/market_chart": _chart(start90, _path(0.4, 0.28, 90), NOW),
    }


def _handler(fixtures, seen, overrides=None):
    """Serve `_bodies`; `overrides` maps a URL path to a Response."""
    bodies = _bodies(fixtures)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if overrides and path in overrides:
            return overrides[path]
        if path in bodies:
            return httpx.Response(200, json=bodies[path])
        return httpx.Response(404, json={"error": "coin not found"})

    return handler


async def _fetch(handler, since=None):
    provider = CoinGecko()
    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler), polite=False) as client:
            obs = await provider.fetch(client, since)
    return provider, obs


async def test_fetch_end_to_end_with_a_failing_asset_and_a_replaced_member(fixtures, config):
    config("[coingecko]\naltseason_top = 2\n")
    seen = []
    provider, obs = await _fetch(_handler(fixtures, seen))
    # SOL's chart 404s: its metrics are missing, everything else is there
    assert {o.entity for o in obs if o.metric == "price_usd"} == {"btc", "eth"}
    assert len(provider.part_failures()) == 1 and "solana" in provider.part_failures()[0]
    # members: ETH (−10 %, beats BTC's −20 %), XRP (404: replaced), DOGE (30 days old: skipped), ADA (−30 %)
    index = [o for o in obs if o.metric == "altcoin_season_index"]
    assert [(o.ts, o.value) for o in index] == [(datetime(2026, 2, 25, tzinfo=UTC), 50.0)]
    asked = [r.url.path for r in seen]
    assert "/api/v3/coins/ethereum/market_chart" in asked and asked.count("/api/v3/coins/ethereum/market_chart") == 1
    assert "/api/v3/coins/bitcoin/market_chart" in asked and "/api/v3/coins/tether/market_chart" not in asked
    assert all(KEY_HEADER not in r.headers for r in seen)


async def test_demo_key_goes_in_a_header_never_in_the_query(fixtures, config, monkeypatch):
    config("[coingecko]\naltseason = false\n")
    monkeypatch.setenv(KEY_ENV, "CG-secret")
    seen = []
    _, obs = await _fetch(_handler(fixtures, seen))
    assert seen and all(r.headers[KEY_HEADER] == "CG-secret" for r in seen)
    assert all("secret" not in str(r.url) for r in seen)
    assert "altcoin_season_index" not in {o.metric for o in obs}
    assert seen[0].url.params["interval"] == "daily" and seen[0].url.params["days"] == "365"


async def test_rate_limit_on_a_member_gives_up_the_index_only(fixtures, config):
    config("[coingecko]\naltseason_top = 2\n")
    seen = []
    overrides = {"/api/v3/coins/ripple/market_chart": httpx.Response(429, json={"status": {"error_code": 429}})}
    provider, obs = await _fetch(_handler(fixtures, seen, overrides))
    assert "altcoin_season_index" not in {o.metric for o in obs}
    assert "btc_dominance" in {o.metric for o in obs}
    assert any(f.startswith("altseason") and "429" in f for f in provider.part_failures())
    assert "/api/v3/coins/cardano/market_chart" not in [r.url.path for r in seen]  # stopped at once


async def test_html_challenge_on_global_loses_only_global(fixtures, config):
    config("[coingecko]\naltseason = false\n")
    html = (fixtures / "defillama" / "cloudflare_challenge.html").read_bytes()
    overrides = {"/api/v3/global": httpx.Response(200, content=html, headers={"content-type": "text/html"})}
    provider, obs = await _fetch(_handler(fixtures, [], overrides))
    assert {o.metric for o in obs} == {"price_usd", "spot_volume_usd", "spot_volume_usd_30d_avg"}
    assert set(provider.failures) <= {"global", "market_chart solana"}
    assert any("HTML challenge page" in f for f in provider.part_failures())


@pytest.mark.parametrize(
    ("status", "error"), [(451, UnavailableError), (403, UnavailableError), (429, RateLimitedError)]
)
async def test_nothing_answers_raises_the_typed_error(status, error):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"status": {"error_code": status, "error_message": "blocked"}})

    with pytest.raises(error) as caught:
        await _fetch(handler)
    assert "nothing answered" in str(caught.value)
    assert "market_chart bitcoin" in str(caught.value) and "global" in str(caught.value)


async def test_since_keeps_only_new_days(fixtures, config):
    config("[coingecko]\naltseason = false\n")
    seen = []
    _, obs = await _fetch(_handler(fixtures, seen), since=date(2026, 2, 24))
    assert {o.ts.date() for o in obs} == {date(2026, 2, 24), date(2026, 2, 25)}
    assert seen[0].url.params["days"] == "92"


# -- the real rate limit, on loopback ---------------------------------------------------------------
class _FakeClock:
    """The monotonic time and sleep `signaldesk.http` sees; it moves only when the client waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    async def sleep(self, delay: float) -> None:
        self.now += delay


@pytest.fixture
def clock(monkeypatch):
    fake = _FakeClock()
    monkeypatch.setattr(http_module, "time", SimpleNamespace(**{**vars(time), "monotonic": lambda: fake.now}))
    monkeypatch.setattr(http_module, "asyncio", SimpleNamespace(**{**vars(asyncio), "sleep": fake.sleep}))
    return fake


class _ToLoopback(httpx.AsyncBaseTransport):
    """Sends `https://api.coingecko.com/…` to the loopback server, over a real socket."""

    def __init__(self, server) -> None:
        self._server = server
        self._inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host=self._server.host, port=self._server.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _limited_server(httpserver, fixtures, clock, per_minute):
    """CoinGecko as it behaves: more than `per_minute` calls in any 60 s (fake time) → 429 without Retry-After."""
    from werkzeug.wrappers import Response

    bodies = _bodies(fixtures)
    log: list[tuple[float, str, int]] = []

    def handle(request):
        recent = [t for t, _, status in log if status == 200 and clock.now - t < 60.0]
        if len(recent) >= per_minute:
            status, body = 429, {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit"}}
        elif request.path in bodies:
            status, body = 200, bodies[request.path]
        else:
            status, body = 404, {"error": "coin not found"}
        log.append((clock.now, request.path, status))
        return Response(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request(re.compile("^/api/v3/")).respond_with_handler(handle)
    return log


async def test_the_server_really_enforces_the_keyless_limit(httpserver, fixtures, clock):
    log = _limited_server(httpserver, fixtures, clock, KEYLESS_CALLS_PER_MINUTE)
    async with HttpClient(transport=_ToLoopback(httpserver), polite=False) as client:
        for _ in range(KEYLESS_CALLS_PER_MINUTE):
            await client.get_json("https://api.coingecko.com/api/v3/global")
        with pytest.raises(RateLimitedError):
            await client.get_json("https://api.coingecko.com/api/v3/global")
    statuses = [status for _, _, status in log]  # the sixth call and its retries within the minute: 429
    assert statuses[:KEYLESS_CALLS_PER_MINUTE] == [200] * KEYLESS_CALLS_PER_MINUTE
    assert statuses[KEYLESS_CALLS_PER_MINUTE:] and set(statuses[KEYLESS_CALLS_PER_MINUTE:]) == {429}


async def test_keyless_runs_at_five_calls_a_minute_and_leaves_the_index_out(httpserver, fixtures, config, clock):
    config("")  # the default index of 50 coins: ~56 calls, 11 minutes at the keyless pace
    log = _limited_server(httpserver, fixtures, clock, KEYLESS_CALLS_PER_MINUTE)
    provider = CoinGecko()
    with pinned_now(NOW):
        async with HttpClient(transport=_ToLoopback(httpserver)) as client:
            obs = await provider.fetch(client, None)
    assert 429 not in [status for _, _, status in log]
    times = [t for t, _, _ in log]
    assert all(later - earlier >= 60 / KEYLESS_CALLS_PER_MINUTE for earlier, later in pairwise(times))
    assert [path for _, path, _ in log] == [
        "/api/v3/coins/bitcoin/market_chart",
        "/api/v3/coins/ethereum/market_chart",
        "/api/v3/coins/solana/market_chart",
        "/api/v3/global",
    ]
    assert {"price_usd", "btc_dominance", "crypto_market_cap_usd"} <= {o.metric for o in obs}
    assert "altcoin_season_index" not in {o.metric for o in obs}
    # the index was not attempted, so it is no failure: only SOL's missing chart is
    assert len(provider.part_failures()) == 1 and provider.part_failures()[0].startswith("market_chart solana")
    assert CoinGecko.optional_metrics == ("altcoin_season_index",)


async def test_with_a_demo_key_the_index_fits_at_thirty_calls_a_minute(
    httpserver, fixtures, config, clock, monkeypatch
):
    config("[coingecko]\naltseason_top = 2\n")
    monkeypatch.setenv(KEY_ENV, "CG-demo")
    log = _limited_server(httpserver, fixtures, clock, DEMO_CALLS_PER_MINUTE)
    with pinned_now(NOW):
        async with HttpClient(transport=_ToLoopback(httpserver)) as client:
            obs = await CoinGecko().fetch(client, None)
    assert 429 not in [status for _, _, status in log]
    times = [t for t, _, _ in log]
    assert all(later - earlier >= 60 / DEMO_CALLS_PER_MINUTE for earlier, later in pairwise(times))
    assert [o.value for o in obs if o.metric == "altcoin_season_index"] == [50.0]


def test_the_index_is_planned_only_when_it_fits_its_budget():
    # 50 members: /coins/markets + 50 charts + 5 replacements = 56 calls
    assert coingecko_module.altseason_calls(50) == 56
    assert not coingecko_module.altseason_fits(50, 60 / KEYLESS_CALLS_PER_MINUTE)  # 672 s
    assert coingecko_module.altseason_fits(50, 60 / DEMO_CALLS_PER_MINUTE)  # 112 s
    assert coingecko_module.altseason_fits(50, 0.0)  # a replay or loopback client does not pace


async def test_an_index_over_its_budget_is_given_up_and_the_prices_kept(fixtures, config, monkeypatch):
    config("[coingecko]\naltseason_top = 2\n")
    monkeypatch.setattr(coingecko_module, "ALTSEASON_BUDGET_S", 0.2)
    bodies = _bodies(fixtures)

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v3/coins/markets":
            await asyncio.sleep(5)  # far beyond the budget: the index must be cut, not the provider
        if request.url.path in bodies:
            return httpx.Response(200, json=bodies[request.url.path])
        return httpx.Response(404, json={"error": "coin not found"})

    provider = CoinGecko()
    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler), polite=False) as client:
            obs = await provider.fetch(client, None)
    assert {"price_usd", "btc_dominance"} <= {o.metric for o in obs}
    assert "altcoin_season_index" not in {o.metric for o in obs}
    assert any(f.startswith("altseason") and "budget" in f for f in provider.part_failures())
