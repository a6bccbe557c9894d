import copy
import json
import re
from datetime import UTC, date, datetime

import httpx
import pytest
from werkzeug import Response

from signaldesk import settings
from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.impersonate import BROWSER
from signaldesk.providers.stooq import HOST as STOOQ_HOST
from signaldesk.providers.yahoo import HOST, Yahoo, all_tickers, events_since, parse_chart, range_for
from tests.conftest import shared_file
from tests.loopback import browser_gate, loopback_client, too_many_requests

AFTER_CLOSE = datetime(2024, 6, 14, 21, 0, tzinfo=UTC)  # the fixture's last session ended 20:00 UTC
IN_SESSION = datetime(2024, 6, 14, 15, 0, tzinfo=UTC)


@pytest.fixture
def chart(fixtures):
    return json.loads((fixtures / "yahoo" / "chart__nvda_split_dividend.json").read_text())


@pytest.fixture
def universe_config(tmp_path, monkeypatch):
    """A config with a three-ticker universe (AI: NVDA, AMD; no miners; ETF: SMH)."""

    def write(text: str) -> None:
        path = tmp_path / "config.toml"
        path.write_text(text)
        monkeypatch.setenv("SIGNALDESK_CONFIG", str(path))
        settings.reload()

    write('[equities]\nai = ["NVDA", "amd"]\nminers = []\netfs = ["SMH"]\n')
    yield write
    monkeypatch.delenv("SIGNALDESK_CONFIG")
    settings.reload()


def test_parse_uses_adjclose_skips_null_bars_and_stamps_the_local_day(chart):
    obs = parse_chart(chart, "NVDA", now=AFTER_CLOSE)
    # adjclose, not close (the dividend-adjusted 120.98807, not 120.998); the null 12 June bar is absent
    assert [(o.ts.date(), o.value) for o in obs] == [
        (date(2024, 6, 6), 120.98807),
        (date(2024, 6, 7), 120.87808),
        (date(2024, 6, 10), 121.78),
        (date(2024, 6, 11), 120.91),
        (date(2024, 6, 13), 129.61),
        (date(2024, 6, 14), 131.88),
    ]
    assert all(o.ts.tzinfo == UTC and o.ts.hour == 0 for o in obs)
    assert {(o.metric, o.entity, o.source) for o in obs} == {("equity_close_usd", "NVDA", "yahoo")}


def test_live_bar_is_dropped_while_the_session_is_open(chart):
    obs = parse_chart(chart, "NVDA", now=IN_SESSION)
    assert obs[-1].ts.date() == date(2024, 6, 13)
    assert len(obs) == 5


def test_without_adjclose_the_close_is_used_and_the_last_bar_of_the_day_wins(chart):
    body = copy.deepcopy(chart)
    del body["chart"]["result"][0]["indicators"]["adjclose"]
    obs = parse_chart(body, "NVDA", now=AFTER_CLOSE)
    assert obs[0].value == 120.998


def test_parse_real_intraday_sample():
    payload = json.loads(
        shared_file("api-samples", "yahoo-finance", "v8_finance_chart_TNX_5m_1d.recorded.json").read_text()
    )
    obs = parse_chart(payload, "^TNX", now=datetime(2026, 2, 3, tzinfo=UTC))
    # fifteen 5-minute bars of 2 Feb 2026 (Chicago time), no adjclose: one close for the day, the last bar's
    assert [(o.ts, o.value) for o in obs] == [(datetime(2026, 2, 2, tzinfo=UTC), 4.275000095367432)]


def _broken(chart, mutate):
    body = copy.deepcopy(chart)
    mutate(body["chart"]["result"][0])
    return body


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda r: r["meta"].update(currency="EUR"), MalformedError),
        (lambda r: r.pop("timestamp"), MalformedError),
        (lambda r: r["indicators"]["adjclose"][0]["adjclose"].pop(), MalformedError),
        (lambda r: r["indicators"].pop("quote") and r["indicators"].pop("adjclose"), MalformedError),
        (lambda r: r["indicators"]["adjclose"][0]["adjclose"].__setitem__(0, "n/a"), MalformedError),
        (lambda r: r["indicators"]["adjclose"][0]["adjclose"].__setitem__(0, -5.0), ImplausibleError),
        (lambda r: r["indicators"]["adjclose"][0]["adjclose"].__setitem__(0, 9e9), ImplausibleError),
        # every close scaled x1e6 (a unit error): even a $2.61 stock lands above any listed share
        (
            lambda r: r["indicators"]["adjclose"][0].update(
                adjclose=[None if v is None else v / 50 * 1e6 for v in r["indicators"]["adjclose"][0]["adjclose"]]
            ),
            ImplausibleError,
        ),
    ],
)
def test_nonsense_raises_typed_errors(chart, mutate, error):
    with pytest.raises(error):
        parse_chart(_broken(chart, mutate), "NVDA", now=AFTER_CLOSE)


def test_error_envelope_and_empty_result_are_malformed(fixtures):
    with pytest.raises(MalformedError, match="No data found"):
        parse_chart(json.loads((fixtures / "yahoo" / "chart__not_found.json").read_text()), "NOPE")
    with pytest.raises(MalformedError):
        parse_chart({"chart": {"result": [], "error": None}}, "NVDA")
    with pytest.raises(MalformedError):
        parse_chart({"finance": {"error": {"code": "Unauthorized"}}}, "NVDA")


def test_events_since_finds_the_split_and_the_dividend(chart):
    result = chart["chart"]["result"][0]
    assert events_since(result, date(2024, 6, 10)) == ["split 2024-06-10", "dividend 2024-06-11"]
    assert events_since(result, date(2024, 6, 12)) == []


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (date(2024, 6, 12), "5d"),
        (date(2024, 6, 1), "1mo"),
        (date(2024, 4, 1), "3mo"),
        (date(2023, 7, 1), "1y"),
        (date(2022, 7, 1), "2y"),
        (date(2020, 1, 1), "5y"),
        (date(1999, 1, 1), "max"),
    ],
)
def test_range_covers_the_gap_since_the_last_collect(since, expected):
    assert range_for(since, today=date(2024, 6, 14)) == expected


def test_fresh_store_backfills_two_years_unless_configured(universe_config):
    assert range_for(None) == "2y"
    universe_config('[equities]\nrange = "5y"\n')
    assert range_for(None) == "5y"
    universe_config('[equities]\nrange = "5 years"\n')
    assert range_for(None) == "2y"


def test_universe_comes_from_config_and_bad_tickers_are_dropped(universe_config):
    assert all_tickers() == ("NVDA", "AMD", "SMH")
    universe_config('[equities]\nai = ["NVDA", "../etc/passwd", "MSFT"]\n')
    assert all_tickers()[:2] == ("NVDA", "MSFT")
    assert "MARA" in all_tickers()  # groups not configured keep their defaults


async def test_one_ticker_failing_does_not_lose_the_others(chart, fixtures, universe_config):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        ticker = request.url.path.rsplit("/", 1)[-1]
        if ticker == "NVDA":
            return httpx.Response(200, json=chart)
        if ticker == "AMD":
            return httpx.Response(
                200,
                content=(fixtures / "yahoo" / "challenge__cloudflare.html").read_bytes(),
                headers={"content-type": "text/html"},
            )
        return httpx.Response(404, json=json.loads((fixtures / "yahoo" / "chart__not_found.json").read_text()))

    provider = Yahoo()
    with pinned_now(AFTER_CLOSE):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await provider.fetch(client, None)
    assert {o.entity for o in obs} == {"NVDA"} and len(obs) == 6
    assert set(provider.failures) == {"AMD", "SMH"}
    assert "HTML" in provider.failures["AMD"] and "404" in provider.failures["SMH"]
    first = seen[0]
    assert first.url.host == HOST and first.url.path == "/v8/finance/chart/NVDA"
    assert dict(first.url.params) == {"range": "2y", "interval": "1d", "events": "div,split"}
    assert first.extensions[BROWSER] is True  # Yahoo filters non-browser clients: sent with a browser's fingerprint


@pytest.mark.parametrize(
    ("status", "error"), [(429, RateLimitedError), (403, UnavailableError), (451, UnavailableError)]
)
async def test_raises_only_when_no_ticker_answered(status, error, universe_config):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="Too Many Requests" if status == 429 else "blocked")

    provider = Yahoo()
    with pinned_now(AFTER_CLOSE):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(error, match="nothing answered"):
                await provider.fetch(client, None)
    assert set(provider.failures) == {"NVDA", "AMD", "SMH"}


async def test_incremental_collect_keeps_only_new_days(chart, universe_config):
    universe_config('[equities]\nai = ["NVDA"]\nminers = []\netfs = []\n')
    ranges = []

    def handler(request: httpx.Request) -> httpx.Response:
        ranges.append(request.url.params["range"])
        return httpx.Response(200, json=chart)

    with pinned_now(AFTER_CLOSE):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await Yahoo().fetch(client, date(2024, 6, 13))
    assert ranges == ["5d"]
    assert [o.ts.date() for o in obs] == [date(2024, 6, 13), date(2024, 6, 14)]


async def test_a_split_or_dividend_since_the_last_collect_refetches_the_whole_history(chart, universe_config):
    universe_config('[equities]\nai = ["NVDA"]\nminers = []\netfs = []\n')
    ranges = []

    def handler(request: httpx.Request) -> httpx.Response:
        ranges.append(request.url.params["range"])
        return httpx.Response(200, json=chart)

    with pinned_now(AFTER_CLOSE):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await Yahoo().fetch(client, date(2024, 6, 11))
    # the 11 June dividend re-based every earlier adjusted close: all of them come back
    assert ranges == ["5d", "2y"]
    assert len(obs) == 6 and obs[0].ts.date() == date(2024, 6, 6)


# -- live behaviour on loopback: the 2025 client filter, and Stooq when Yahoo refuses --------------------
def _serve_chart(httpserver, chart, *, gate: bool) -> None:
    def answer(request):
        return Response(json.dumps(chart), content_type="application/json")

    handler = browser_gate(answer, too_many_requests) if gate else answer
    httpserver.expect_request(re.compile(rf"^/{re.escape(HOST)}/v8/finance/chart/")).respond_with_handler(handler)


async def test_yahoo_filters_plain_clients_and_answers_the_browser(chart, universe_config, httpserver):
    """Yahoo's 2025 filter on loopback: plain httpx gets 429 on every ticker, the browser transport the chart."""
    universe_config('[equities]\nai = ["NVDA"]\nminers = []\netfs = []\n')
    _serve_chart(httpserver, chart, gate=True)
    httpserver.expect_request(f"/{STOOQ_HOST}/q/d/l/").respond_with_handler(
        browser_gate(lambda r: Response("No data", content_type="text/plain"), too_many_requests)
    )
    with pinned_now(AFTER_CLOSE):
        async with loopback_client(httpserver, plain_only=True) as client:
            with pytest.raises(RateLimitedError, match="nothing answered"):
                await Yahoo().fetch(client, None)
        async with loopback_client(httpserver) as client:
            obs = await Yahoo().fetch(client, None)
    assert [(o.ts.date(), o.value, o.source) for o in obs][-1] == (date(2024, 6, 14), 131.88, "yahoo")


async def test_when_yahoo_refuses_stooq_gives_the_closes(fixtures, universe_config, httpserver):
    universe_config('[equities]\nai = ["NVDA"]\nminers = []\netfs = []\n')
    httpserver.expect_request(re.compile(rf"^/{re.escape(HOST)}/")).respond_with_handler(lambda r: too_many_requests())
    asked = []

    def csv_(request):
        asked.append(dict(request.args))
        return Response((fixtures / "yahoo" / "stooq__nvda_us.csv").read_bytes(), content_type="text/csv")

    httpserver.expect_request(f"/{STOOQ_HOST}/q/d/l/").respond_with_handler(browser_gate(csv_, too_many_requests))
    provider = Yahoo()
    with pinned_now(AFTER_CLOSE):
        async with loopback_client(httpserver) as client:
            obs = await provider.fetch(client, date(2024, 6, 12))
    # the CSV's Close column from 12 June on, stamped on the session's day, marked as Stooq's
    assert [(o.ts, o.value, o.source, o.entity) for o in obs] == [
        (datetime(2024, 6, 12, tzinfo=UTC), 125.2, "stooq", "NVDA"),
        (datetime(2024, 6, 13, tzinfo=UTC), 129.61, "stooq", "NVDA"),
        (datetime(2024, 6, 14, tzinfo=UTC), 131.88, "stooq", "NVDA"),
    ]
    assert provider.failures == {}
    # since 12 June → Yahoo's range 5d (7 days) → the same days asked of Stooq, by its US symbol
    assert asked == [{"s": "nvda.us", "i": "d", "d1": "20240607", "d2": "20240614"}]


async def test_stooq_key_is_sent_when_set_and_both_reasons_kept_when_both_refuse(
    universe_config, httpserver, monkeypatch
):
    universe_config('[equities]\nai = ["NVDA"]\nminers = []\netfs = []\n')
    monkeypatch.setenv("STOOQ_API_KEY", "stooq-key-42")
    httpserver.expect_request(re.compile(rf"^/{re.escape(HOST)}/")).respond_with_handler(lambda r: too_many_requests())
    keys = []

    def limit(request):
        keys.append(request.args.get("apikey"))
        return Response("Exceeded the daily hits limit", content_type="text/plain")

    httpserver.expect_request(f"/{STOOQ_HOST}/q/d/l/").respond_with_handler(limit)
    provider = Yahoo()
    with pinned_now(AFTER_CLOSE):
        async with loopback_client(httpserver) as client:
            with pytest.raises(RateLimitedError):
                await provider.fetch(client, None)
    assert keys == ["stooq-key-42"]
    assert "yahoo: rate limited" in provider.failures["NVDA"] and "stooq fallback" in provider.failures["NVDA"]
    assert "daily hits limit" in provider.failures["NVDA"]
