from datetime import UTC, date

import httpx
import pytest
from werkzeug import Response

from signaldesk.collect import collect
from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.impersonate import BROWSER
from signaldesk.providers.farside import URLS, Farside, parse_date, parse_flows, parse_millions
from tests.loopback import browser_gate, loopback_client


def _by_key(observations):
    return {(o.entity, o.ts.date()): o.value for o in observations}


def _page(fixtures, name):
    return (fixtures / "farside" / name).read_text()


def test_btc_table_header_defines_the_columns(fixtures):
    obs = parse_flows(_page(fixtures, "btc_all_data__synthetic.html"), "btc")
    values = _by_key(obs)
    assert {o.metric for o in obs} == {"etf_net_flow_usd"}
    assert {o.source for o in obs} == {"farside"}
    # US$ millions → USD; parentheses are outflows; thousands separators.
    assert values[("IBIT", date(2024, 1, 11))] == pytest.approx(111.7e6)
    assert values[("GBTC", date(2024, 1, 11))] == pytest.approx(-95.1e6)
    assert values[("IBIT", date(2024, 1, 16))] == pytest.approx(1_175.6e6)
    assert values[("GBTC", date(2024, 1, 16))] == pytest.approx(-1_594.4e6)
    # The page's own Total column is the total, under the lower-case asset entity.
    assert values[("btc", date(2024, 1, 16))] == pytest.approx(-144.3e6)
    assert values[("btc", date(2026, 2, 23))] == pytest.approx(-194.0e6)
    # The mini trust's ticker BTC is a fund, distinct from the total btc.
    assert values[("BTC", date(2024, 7, 31))] == pytest.approx(18.1e6)


def test_dash_and_blank_are_missing_not_zero(fixtures):
    values = _by_key(parse_flows(_page(fixtures, "btc_all_data__synthetic.html"), "btc"))
    assert ("BTC", date(2024, 1, 11)) not in values  # "-": not launched yet
    assert ("ARKB", date(2026, 2, 23)) not in values  # "-": not reported yet
    assert ("BTC", date(2026, 2, 23)) not in values  # blank cell
    assert values[("IBIT", date(2024, 1, 15))] == 0.0  # a holiday row of real zeros stays zero


def test_summary_and_fee_rows_are_skipped(fixtures):
    obs = parse_flows(_page(fixtures, "btc_all_data__synthetic.html"), "btc")
    days = sorted({o.ts.date() for o in obs})
    assert days == [date(2024, 1, 11), date(2024, 1, 15), date(2024, 1, 16), date(2024, 7, 31), date(2026, 2, 23)]
    assert all(o.ts.tzinfo is UTC and o.ts.hour == 0 for o in obs)
    # 5 days x 7 columns, minus 5 missing cells (BTC three times before launch and once blank, ARKB once).
    assert len(obs) == 5 * 7 - 5
    assert obs == sorted(obs, key=lambda o: (o.ts, o.entity))


def test_eth_page_picks_the_flow_table_not_the_summary(fixtures):
    values = _by_key(parse_flows(_page(fixtures, "eth_all_data__synthetic.html"), "eth"))
    assert values[("ETHE", date(2024, 7, 23))] == pytest.approx(-484.1e6)
    assert values[("eth", date(2024, 7, 24))] == pytest.approx(-219.5e6)
    assert values[("ETH", date(2024, 7, 23))] == pytest.approx(64.8e6)
    assert len(values) == 2 * 5


def test_cloudflare_challenge_is_a_clear_error(fixtures):
    with pytest.raises(MalformedError, match="Cloudflare challenge"):
        parse_flows(_page(fixtures, "challenge__cloudflare.html"), "btc")


@pytest.mark.parametrize(
    ("html", "match"),
    [
        ("", "empty page"),
        ("<html><body><p>Nothing here</p></body></html>", "no flow table"),
        # Renamed header: no Total column any more.
        (
            "<table class='etf'><tr><th></th><th>IBIT</th><th>Sum</th></tr><tr><td>11 Jan 2024</td><td>1.0</td><td>1.0</td></tr></table>",
            "no flow table",
        ),
        # Header but no dated rows.
        (
            "<table class='etf'><tr><th></th><th>IBIT</th><th>Total</th></tr><tr><td>Total</td><td>1.0</td><td>1.0</td></tr></table>",
            "no dated rows",
        ),
        # A row shorter than the header: columns would be misattributed.
        (
            "<table class='etf'><tr><th></th><th>IBIT</th><th>FBTC</th><th>Total</th></tr><tr><td>11 Jan 2024</td><td>1.0</td><td>1.0</td></tr></table>",
            "header names 4 columns",
        ),
        # Text where a number belongs.
        (
            "<table class='etf'><tr><th></th><th>IBIT</th><th>Total</th></tr><tr><td>11 Jan 2024</td><td>n.a.x</td><td>1.0</td></tr></table>",
            "not a number",
        ),
        # The same day twice.
        (
            (
                "<table class='etf'><tr><th></th><th>IBIT</th><th>Total</th></tr><tr><td>11 Jan 2024</td><td>1</td><td>1</td></tr>"
                "<tr><td>11 Jan 2024</td><td>2</td><td>2</td></tr></table>"
            ),
            "appears twice",
        ),
    ],
)
def test_malformed_pages_raise(html, match):
    with pytest.raises(MalformedError, match=match):
        parse_flows(html, "btc")


def test_absurd_flow_is_implausible():
    html = (
        "<table class='etf'><tr><th></th><th>IBIT</th><th>Total</th></tr>"
        "<tr><td>11 Jan 2024</td><td>99,999,999.0</td><td>99,999,999.0</td></tr></table>"
    )
    with pytest.raises(ImplausibleError):
        parse_flows(html, "btc")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("52.7", 52.7e6),
        ("(52.7)", -52.7e6),
        ("1,175.6", 1_175.6e6),
        ("(1,175.6)", -1_175.6e6),
        ("0.0", 0.0),
        ("-", None),
        ("", None),
        ("\xa0", None),
        ("–", None),
        ("-3.5", -3.5e6),
    ],
)
def test_parse_millions(text, expected):
    value = parse_millions(text, where="x")
    assert value == (pytest.approx(expected) if expected is not None else None)


def test_parse_millions_rejects_unbalanced_parentheses():
    with pytest.raises(MalformedError):
        parse_millions("(52.7", where="x")


def test_parse_date():
    assert parse_date("11 Jan 2024") == date(2024, 1, 11)
    assert parse_date(" 02 Feb 2026 ") == date(2026, 2, 2)
    assert parse_date("11 January 2024") == date(2024, 1, 11)
    assert parse_date("Total") is None
    assert parse_date("Fee") is None


async def test_fetch_asks_for_a_browser_and_filters_since(fixtures):
    seen: list[httpx.Request] = []
    pages = {
        httpx.URL(URLS["btc"]).path: "btc_all_data__synthetic.html",
        httpx.URL(URLS["eth"]).path: "eth_all_data__synthetic.html",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=_page(fixtures, pages[request.url.path]), headers={"content-type": "text/html"})

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await Farside().fetch(client, since=date(2024, 7, 31))
    assert [r.url.path for r in seen] == ["/bitcoin-etf-flow-all-data/", "/ethereum-etf-flow-all-data/"]
    assert all(r.extensions[BROWSER] is True for r in seen)  # Cloudflare refuses httpx's TLS fingerprint
    # since minus a week of revisions: from 2024-07-24 on.
    assert sorted({o.ts.date() for o in obs}) == [date(2024, 7, 24), date(2024, 7, 31), date(2026, 2, 23)]


async def test_fetch_403_is_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<html><title>Attention Required! | Cloudflare</title></html>")

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(UnavailableError, match="403"):
            await Farside().fetch(client, since=None)


async def test_fetch_challenge_page_with_200_is_malformed(fixtures):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=_page(fixtures, "challenge__cloudflare.html"))

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(MalformedError, match="Cloudflare"):
            await Farside().fetch(client, since=None)


def test_demo_page_hits_seed_000():
    """The shipped (synthetic) demo page carries the seed's 2026-02-23 numbers."""
    from signaldesk.demo import DEMO_DIR

    page = next((DEMO_DIR / "farside.co.uk").glob("bitcoin-etf-flow-all-data__*.html")).read_text()
    assert "SYNTHETIC" in page
    values = _by_key(parse_flows(page, "btc"))
    day = date(2026, 2, 23)
    assert values[("btc", day)] == pytest.approx(-203.8e6)
    assert values[("IBIT", day)] == pytest.approx(-116.4e6)
    assert values[("BITB", day)] == pytest.approx(-43.6e6)
    assert values[("FBTC", day)] == pytest.approx(-27.9e6)
    assert max(d for _, d in values) == day
    assert min(d for _, d in values) == date(2024, 1, 11)


async def test_eth_page_failure_keeps_btc(fixtures, caplog):
    def handler(request: httpx.Request) -> httpx.Response:
        if "ethereum" in request.url.path:
            return httpx.Response(200, text=_page(fixtures, "challenge__cloudflare.html"))
        return httpx.Response(200, text=_page(fixtures, "btc_all_data__synthetic.html"))

    provider = Farside()
    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await provider.fetch(client, since=None)
    assert {o.entity for o in obs} >= {"btc", "IBIT"}
    assert not {o.entity for o in obs} & {"eth", "ETHA", "ETHE"}
    assert "farside eth failed: ETH flows not fetched" in caplog.text
    assert list(provider.failures) == ["eth"] and "Cloudflare" in provider.failures["eth"]


async def test_btc_page_failure_fails_the_provider(fixtures):
    def handler(request: httpx.Request) -> httpx.Response:
        if "bitcoin" in request.url.path:
            return httpx.Response(403, text="forbidden")
        return httpx.Response(200, text=_page(fixtures, "eth_all_data__synthetic.html"))

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(UnavailableError):
            await Farside().fetch(client, since=None)


# -- live behaviour on loopback: Cloudflare's client filter, and the ETH page failing alone ---------------
def _cloudflare_403() -> Response:
    return Response(
        "<html><title>Attention Required! | Cloudflare</title></html>",
        status=403,
        headers={"Server": "cloudflare", "CF-RAY": "8f0e1d2c3b4a5968-LHR"},
        content_type="text/html",
    )


def _serve(httpserver, fixtures, *, eth: Response | None = None) -> None:
    for asset, page in (("btc", "btc_all_data__synthetic.html"), ("eth", "eth_all_data__synthetic.html")):
        url = httpx.URL(URLS[asset])
        ok = Response(_page(fixtures, page), content_type="text/html")
        answer = eth if asset == "eth" and eth is not None else ok
        httpserver.expect_request(f"/{url.host}{url.path}").respond_with_handler(
            browser_gate(lambda request, answer=answer: answer, _cloudflare_403)
        )


async def test_cloudflare_refuses_plain_httpx_and_serves_the_browser(fixtures, httpserver):
    _serve(httpserver, fixtures)
    async with loopback_client(httpserver, plain_only=True) as client:
        with pytest.raises(UnavailableError, match="HTTP 403"):
            await Farside().fetch(client, since=None)
    async with loopback_client(httpserver) as client:
        obs = await Farside().fetch(client, since=None)
    assert {"btc", "eth"} <= {o.entity for o in obs}


async def test_an_eth_page_failure_makes_the_outcome_partial_with_the_eth_reason(fixtures, httpserver):
    """ETH flows used to go stale silently behind an `ok`; now the collector says `partial` and why."""
    _serve(httpserver, fixtures, eth=Response(_page(fixtures, "challenge__cloudflare.html"), content_type="text/html"))
    async with loopback_client(httpserver) as client:
        result = await collect([Farside()], client, as_of=date(2026, 2, 24))
    [outcome] = result.outcomes
    assert outcome.status == "partial"
    assert "eth: ETH flows not fetched" in outcome.reason and "challenge" in outcome.reason
    assert {o.entity for o in result.observations} >= {"btc", "IBIT"}
    assert not {o.entity for o in result.observations} & {"eth", "ETHA"}


async def test_both_pages_answering_is_ok(fixtures, httpserver):
    _serve(httpserver, fixtures)
    async with loopback_client(httpserver) as client:
        result = await collect([Farside()], client, as_of=date(2026, 2, 24))
    assert [(o.status, o.reason) for o in result.outcomes] == [("ok", "")]
