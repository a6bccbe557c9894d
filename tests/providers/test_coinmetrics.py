import csv
import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.coinmetrics import CORE_METRICS, URL, CoinMetrics, parse_page, parse_rows
from tests.conftest import shared_file


def _load(fixtures, name):
    return json.loads((fixtures / "coinmetrics" / name).read_text())


def _values(observations):
    return {(o.metric, o.ts.date()): o.value for o in observations}


def test_parse_rows_by_hand(fixtures):
    rows, next_url = parse_page(_load(fixtures, "asset-metrics__page1.json"))
    assert next_url.endswith("next_page_token=0.MjAyNi0wMi0yM1QwMDowMDowMFo")
    values = _values(parse_rows(rows))
    day = date(2026, 2, 22)
    assert values[("mvrv", day)] == pytest.approx(1.25)
    # realised cap = CapMrktCurUSD / CapMVRVCur = 1.25e12 / 1.25
    assert values[("realized_cap_usd", day)] == pytest.approx(1.0e12)
    # realised price = realised cap / SplyCur = 1e12 / 2e7
    assert values[("realized_price_usd", day)] == pytest.approx(50_000.0)
    assert values[("supply_btc", day)] == pytest.approx(20_000_000.0)
    # HashRate is TH/s: 1,012,345,678.5 TH/s = 1,012.3456785 EH/s
    assert values[("hashrate_ehs", day)] == pytest.approx(1_012.3456785)
    assert values[("mvrv", date(2026, 2, 23))] == pytest.approx(1.2)


def test_cap_real_is_used_when_served_and_mvrv_rebuilt_from_it(fixtures):
    rows, next_url = parse_page(_load(fixtures, "asset-metrics__page2.json"))
    assert next_url is None
    obs = parse_rows(rows)
    values = _values(obs)
    day = date(2026, 2, 24)
    assert values[("realized_cap_usd", day)] == pytest.approx(1.05e12)
    assert values[("mvrv", day)] == pytest.approx(1.26e12 / 1.05e12)
    assert values[("realized_price_usd", day)] == pytest.approx(52_500.0)
    assert all(o.ts == datetime(2026, 2, 24, tzinfo=UTC) for o in obs)  # nanoseconds dropped, UTC midnight


def test_reconstructed_sample_parses():
    payload = json.loads(
        shared_file(
            "api-samples", "coinmetrics", "timeseries_asset-metrics_btc_CapMVRVCur.RECONSTRUCTED.json"
        ).read_text()
    )
    rows, next_url = parse_page(payload)
    assert "next_page_token=" in next_url
    obs = parse_rows(rows)
    # Only CapMVRVCur and PriceUSD: MVRV, nothing it cannot honestly derive.
    assert [(o.metric, o.ts.date(), o.value) for o in obs] == [
        ("mvrv", date(2026, 9, 13), pytest.approx(1.4708)),
        ("mvrv", date(2026, 9, 14), pytest.approx(1.4712)),
    ]


def test_forbidden_body_is_an_error():
    payload = json.loads(shared_file("api-samples", "coinmetrics", "error_forbidden.json").read_text())
    with pytest.raises(MalformedError, match="forbidden"):
        parse_page(payload)


def test_realized_cap_and_hashrate_against_real_history():
    """Coin Metrics' own 2021-11-10 and 2020-01-01 values, re-shaped as API rows."""
    path = shared_file("data", "btc_onchain_coinmetrics_mvrv_mcap_supply.csv")
    with path.open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["date"] == "2021-11-10")
    api_row = {
        "asset": "btc",
        "time": "2021-11-10T00:00:00.000000000Z",
        "CapMVRVCur": row["mvrv"],
        "CapMrktCurUSD": row["market_cap"],
        "PriceUSD": row["price"],
        "SplyCur": row["supply"],
    }
    values = _values(parse_rows([api_row]))
    # The reference notes realised cap 4.49e11 on that day (market cap / MVRV 2.72).
    assert values[("realized_cap_usd", date(2021, 11, 10))] == pytest.approx(4.49e11, rel=0.005)
    assert values[("mvrv", date(2021, 11, 10))] == pytest.approx(2.72, abs=0.005)
    # Realised price ≈ 23.8K (CryptoQuant's 23,775 uses a different method: within 3 %).
    assert values[("realized_price_usd", date(2021, 11, 10))] == pytest.approx(23_775, rel=0.03)

    multi = shared_file("data", "btc_coinmetrics_2020_2026_multi.csv")
    with multi.open() as handle:
        first = next(csv.DictReader(handle))
    hashrate = _values(
        parse_rows([{"asset": "btc", "time": first["time"] + "T00:00:00.000000000Z", "HashRate": first["HashRate"]}])
    )
    # 112,929,774 TH/s: about 113 EH/s, the network's rate in January 2020.
    assert hashrate[("hashrate_ehs", date(2020, 1, 1))] == pytest.approx(112.929774, rel=1e-6)


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([{"asset": "btc", "CapMVRVCur": "1.2"}], MalformedError),  # no time
        ([{"asset": "btc", "time": "yesterday", "CapMVRVCur": "1.2"}], MalformedError),
        ([{"asset": "eth", "time": "2026-02-24T00:00:00.000000000Z", "CapMVRVCur": "1.2"}], MalformedError),
        ([{"asset": "btc", "time": "2026-02-24T00:00:00.000000000Z", "CapMVRVCur": "abc"}], MalformedError),
        ([{"asset": "btc", "time": "2026-02-24T00:00:00.000000000Z", "CapMVRVCur": "500"}], ImplausibleError),
        ([{"asset": "btc", "time": "2026-02-24T00:00:00.000000000Z", "SplyCur": "30000000"}], ImplausibleError),
        # market cap inconsistent with price × supply
        (
            [
                {
                    "asset": "btc",
                    "time": "2026-02-24T00:00:00.000000000Z",
                    "CapMrktCurUSD": "9e12",
                    "PriceUSD": "63000",
                    "SplyCur": "20000000",
                }
            ],
            ImplausibleError,
        ),
    ],
)
def test_nonsense_rows_raise(rows, error):
    with pytest.raises(error):
        parse_rows(rows)


@pytest.mark.parametrize("payload", [{"data": "x"}, {"rows": []}, [1, 2], {"data": [], "next_page_url": 5}])
def test_malformed_pages_raise(payload):
    with pytest.raises(MalformedError):
        parse_page(payload)


def _json(payload, status=200):
    return httpx.Response(status, json=payload)


async def test_fetch_follows_next_page_url_unmodified(fixtures):
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if request.url.params["metrics"] == "CapRealUSD":
            return _json(_load(fixtures, "error__forbidden.json"), status=403)
        if "next_page_token" in request.url.params:
            return _json(_load(fixtures, "asset-metrics__page2.json"))
        return _json(_load(fixtures, "asset-metrics__page1.json"))

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await CoinMetrics().fetch(client, since=date(2026, 2, 22))
    assert [u.params["metrics"] for u in seen] == [",".join(CORE_METRICS), ",".join(CORE_METRICS), "CapRealUSD"]
    first = seen[0].params
    assert first["start_time"] == "2026-02-19"  # since minus 3 days of revisions
    assert first["frequency"] == "1d" and first["paging_from"] == "start"
    assert str(seen[1]) == _load(fixtures, "asset-metrics__page1.json")["next_page_url"]
    assert sorted({o.ts.date() for o in obs}) == [date(2026, 2, 22), date(2026, 2, 23), date(2026, 2, 24)]
    assert {o.metric for o in obs} == set(CoinMetrics.metrics)


async def test_one_forbidden_metric_degrades_instead_of_failing(fixtures):
    forbidden = _load(fixtures, "error__forbidden.json")
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        metrics = request.url.params["metrics"]
        asked.append(metrics)
        if "," in metrics or metrics == "CapMVRVCur":
            return _json(forbidden, status=403)
        value = {
            "CapMrktCurUSD": "1260000000000",
            "CapRealUSD": "1050000000000",
            "HashRate": "1000000000",
            "PriceUSD": "63000",
            "SplyCur": "20000000",
        }[metrics]
        return _json({"data": [{"asset": "btc", "time": "2026-02-24T00:00:00.000000000Z", metrics: value}]})

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await CoinMetrics().fetch(client, since=None)
    # The core request is refused (MVRV is not free here): each core metric alone, then CapRealUSD.
    assert asked == [",".join(CORE_METRICS), *CORE_METRICS, "CapRealUSD"]
    values = _values(obs)
    day = date(2026, 2, 24)
    # MVRV refused: rebuilt from market cap / realised cap; the rest kept.
    assert values[("mvrv", day)] == pytest.approx(1.2)
    assert values[("realized_cap_usd", day)] == pytest.approx(1.05e12)
    assert values[("realized_price_usd", day)] == pytest.approx(52_500.0)
    assert values[("hashrate_ehs", day)] == pytest.approx(1000.0)


async def test_everything_forbidden_is_unavailable(fixtures):
    forbidden = _load(fixtures, "error__forbidden.json")

    async with HttpClient(transport=httpx.MockTransport(lambda r: _json(forbidden, status=403))) as client:
        with pytest.raises(UnavailableError, match="refused every metric"):
            await CoinMetrics().fetch(client, since=None)


async def test_other_http_failures_are_not_mistaken_for_refusals():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, text="upstream down")

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(UnavailableError, match="503"):
            await CoinMetrics().fetch(client, since=None)
    # Retried as a 5xx, but never fanned out metric by metric.
    assert {r.url.params["metrics"] for r in calls} == {",".join(CORE_METRICS)}


async def test_html_instead_of_json_is_malformed():
    page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cloudflare</body></html>"
    async with HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, text=page))) as client:
        with pytest.raises(MalformedError, match="HTML"):
            await CoinMetrics().fetch(client, since=None)


def test_demo_mvrv_matches_the_scenario():
    import asyncio

    from signaldesk.clock import pinned_now
    from signaldesk.demo import DEMO_DIR, DEMO_NOW
    from tools.demo.scenario import Scenario

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await CoinMetrics().fetch(client, None)

    with pinned_now(DEMO_NOW):
        values = _values(asyncio.run(run()))
    scenario = Scenario()
    day = date(2026, 2, 24)
    expected = scenario.btc["2026-02-24"] / scenario.realized_price["2026-02-24"]
    assert values[("mvrv", day)] == pytest.approx(expected, rel=1e-6)
    assert values[("realized_price_usd", day)] == pytest.approx(scenario.realized_price["2026-02-24"], rel=1e-6)
    assert values[("hashrate_ehs", day)] == pytest.approx(1000.0, rel=1e-6)
    assert URL.startswith("https://community-api.coinmetrics.io/")


async def test_rows_that_are_not_objects_are_malformed():
    async with HttpClient(transport=httpx.MockTransport(lambda r: _json({"data": ["btc"]}))) as client:
        with pytest.raises(MalformedError, match="expected an object"):
            await CoinMetrics().fetch(client, since=None)


async def test_refusal_body_counts_even_with_status_200(fixtures):
    """A proxy (or a replay server) may pass the 403 body on with a 200: still a refusal."""
    forbidden = _load(fixtures, "error__forbidden.json")

    def handler(request: httpx.Request) -> httpx.Response:
        metrics = request.url.params["metrics"]
        if metrics == "CapRealUSD":
            return _json(forbidden)  # status 200
        return _json(
            _load(fixtures, "asset-metrics__page2.json")
            if "next_page_token" in request.url.params
            else _load(fixtures, "asset-metrics__page1.json")
        )

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await CoinMetrics().fetch(client, since=None)
    assert _values(obs)[("realized_cap_usd", date(2026, 2, 22))] == pytest.approx(1.0e12)


def test_unknown_error_type_is_malformed_not_a_refusal():
    from signaldesk.providers.coinmetrics import RefusedError

    with pytest.raises(MalformedError) as info:
        parse_page({"error": {"type": "internal", "message": "oops"}})
    assert not isinstance(info.value, RefusedError)
    with pytest.raises(RefusedError):
        parse_page({"error": {"type": "bad_parameter", "message": "Metric 'X' is not supported"}})
