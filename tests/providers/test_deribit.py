import json
import math
import re
import warnings
from datetime import UTC, date, datetime

import httpx
import numpy as np
import pytest
from werkzeug import Request, Response

from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.deribit import (
    BOOK_URL,
    DVOL_URL,
    INDEX_URL,
    Deribit,
    book_to_smiles,
    parse_dvol,
    parse_index_price,
    parse_instrument,
    parse_option_book,
    unwrap,
)
from tests.conftest import FIXTURES, shared_file
from tests.reliability.faults import RedirectTransport

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    black_greeks = pytest.importorskip("py_vollib.black.greeks.analytical")

FIX = FIXTURES / "deribit"
SNAP = datetime(2026, 2, 25, 8, 0, tzinfo=UTC)


def load(name: str):
    return json.loads((FIX / name).read_text())


def envelope(result):
    return {"jsonrpc": "2.0", "result": result}


def test_parse_instrument():
    assert parse_instrument("BTC-27MAR26-60000-P") == (datetime(2026, 3, 27, 8, tzinfo=UTC), 60000.0, "put")
    assert parse_instrument("BTC-6MAR26-62000-C") == (datetime(2026, 3, 6, 8, tzinfo=UTC), 62000.0, "call")
    assert parse_instrument("XRP_USDC-27MAR26-0d625-C")[1] == 0.625
    assert parse_instrument("BTC-PERPETUAL") is None and parse_instrument("BTC-27MAR26") is None


def test_parse_instrument_on_real_ticker_names():
    names = json.loads(shared_file("api-samples", "deribit", "ticker_options_BTC_subset.json").read_text())
    parsed = [parse_instrument(n) for n in names]
    assert parsed[0] == (datetime(2026, 9, 21, 8, tzinfo=UTC), 68000.0, "call")
    assert {p[2] for p in parsed} == {"call", "put"}


def test_smiles_from_book_by_hand():
    snapshot, smiles = book_to_smiles(load("get_book_summary_by_currency__two_expiries.json"), index_price=60010.0)
    assert snapshot == SNAP
    # the expiry at the snapshot is dropped; 6MAR26 is 9 days out, 27MAR26 exactly 30
    assert [round(s.t * 365, 9) for s in smiles] == [9.0, 30.0]
    near, far = smiles
    assert near.forward == 59900.0 and far.forward == 60000.0
    assert far.strikes == (50000.0, 55000.0, 60000.0, 65000.0, 70000.0)  # 75000 had no mark IV
    assert far.atm() == pytest.approx(0.60)
    x1, x2 = math.log(58000 / 59900), math.log(60000 / 59900)
    assert near.atm() == pytest.approx(0.66 + (0.63 - 0.66) * (-x1) / (x2 - x1), rel=1e-12)


def _wing_by_py_vollib(forward, t, strikes, ivs, flag, target):
    deltas = [black_greeks.delta(flag, forward, k, t, 0.0, v) for k, v in zip(strikes, ivs, strict=True)]
    order = np.argsort(deltas)
    return float(np.interp(target, np.asarray(deltas)[order], np.asarray(ivs)[order]))


def test_option_book_observations_cross_checked_with_py_vollib():
    obs = parse_option_book(load("get_book_summary_by_currency__two_expiries.json"), index_price=60010.0)
    got = {(o.metric, o.entity): o.value for o in obs}
    assert {o.ts for o in obs} == {datetime(2026, 2, 25, tzinfo=UTC)}
    t30 = 30 / 365
    put = _wing_by_py_vollib(60000.0, t30, [50000, 55000, 60000], [0.75, 0.68, 0.60], "p", -0.25)
    call = _wing_by_py_vollib(60000.0, t30, [60000, 65000, 70000], [0.60, 0.56, 0.55], "c", 0.25)
    # 30d is a listed expiry, so no time interpolation: the expiry's own numbers
    assert got[("atm_iv", "30d")] == pytest.approx(0.60)
    assert got[("skew_25d", "30d")] == pytest.approx(put - call, abs=1e-12)
    assert got[("skew_25d", "30d")] > 0.05  # puts richer → positive (Glassnode's sign)
    # 90d lies beyond the last expiry: held flat at 30d's vol; 7d before the first: flat at 9d's
    assert got[("atm_iv", "90d")] == pytest.approx(0.60)
    t9 = 9 / 365
    put9 = _wing_by_py_vollib(59900.0, t9, [55000, 58000], [0.72, 0.66], "p", -0.25)
    call9 = _wing_by_py_vollib(59900.0, t9, [60000, 62000, 65000], [0.63, 0.61, 0.60], "c", 0.25)
    assert got[("skew_25d", "7d")] == pytest.approx(put9 - call9, abs=1e-12)


def test_skew_sign_flips_when_calls_are_richer():
    book = load("get_book_summary_by_currency__two_expiries.json")
    for row in book["result"]:
        if "27MAR26" in row["instrument_name"] and row["mark_iv"]:
            strike = float(row["instrument_name"].split("-")[2])
            row["mark_iv"] = 60.0 + (strike - 60000) / 1000  # calls richer
    got = {(o.metric, o.entity): o.value for o in parse_option_book(book)}
    assert got[("skew_25d", "30d")] < 0


def test_json_rpc_errors_are_typed():
    with pytest.raises(RateLimitedError, match="10028"):
        unwrap(load("error__too_many_requests.json"), what="get_book_summary_by_currency")
    with pytest.raises(UnavailableError, match="-32602"):
        unwrap(load("error__invalid_params.json"), what="get_book_summary_by_currency")
    with pytest.raises(MalformedError):
        unwrap({"jsonrpc": "2.0"}, what="x")


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda rows: [r | {"mark_iv": 6000.0} for r in rows], ImplausibleError),
        (lambda rows: [{k.replace("mark_iv", "markIv"): v for k, v in r.items()} for r in rows], MalformedError),
        (lambda rows: [], MalformedError),
        (lambda rows: [{k: v for k, v in r.items() if k != "creation_timestamp"} for r in rows], MalformedError),
        (lambda rows: [r | {"underlying_price": 600_000.0} for r in rows], ImplausibleError),
        (lambda rows: [r | {"mark_iv": "n/a"} for r in rows], MalformedError),
    ],
)
def test_broken_books_raise(mutate, error):
    book = load("get_book_summary_by_currency__two_expiries.json")
    with pytest.raises(error):
        parse_option_book(envelope(mutate(book["result"])), index_price=60010.0)


def test_docs_example_book_has_no_options():
    # The legacy docs example lists a future and the perpetual only: nothing to build a smile from.
    with pytest.raises(MalformedError, match="no expiry"):
        parse_option_book(
            json.loads(
                shared_file("api-samples", "deribit", "get_book_summary_by_currency.docs-example.json").read_text()
            )
        )


def test_real_index_and_dvol_samples():
    assert (
        parse_index_price(envelope(json.loads(shared_file("api-samples", "deribit", "index_price.json").read_text())))
        == 80814.47
    )
    dvol = json.loads(shared_file("api-samples", "deribit", "volatility_index.json").read_text())
    obs, continuation = parse_dvol(envelope(dvol))
    assert continuation is None
    # 15 twelve-hour candles → 8 UTC days; a day's value is its last candle's close
    assert len(obs) == 8
    assert obs[-1].value == 35.47 and obs[-1].ts == datetime(2026, 9, 20, tzinfo=UTC)
    assert obs[0].value == 38.89


async def test_fetch_pages_dvol_with_continuation():
    seen = []
    pages = [load("get_volatility_index_data__page1.json"), load("get_volatility_index_data__page2.json")]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        url = str(request.url.copy_with(query=None))
        if url == INDEX_URL:
            return httpx.Response(200, content=(FIX / "get_index_price__60010.json").read_bytes())
        if url == BOOK_URL:
            return httpx.Response(200, content=(FIX / "get_book_summary_by_currency__two_expiries.json").read_bytes())
        assert url == DVOL_URL
        return httpx.Response(200, json=pages[sum(1 for r in seen if r.url.path.endswith("index_data")) - 1])

    with pinned_now(SNAP):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await Deribit().fetch(client, since=date(2026, 2, 21))
    dvol_requests = [r for r in seen if r.url.path.endswith("index_data")]
    assert int(dvol_requests[0].url.params["end_timestamp"]) == int(SNAP.timestamp() * 1000)
    assert int(dvol_requests[1].url.params["end_timestamp"]) == pages[0]["result"]["continuation"]
    assert int(dvol_requests[0].url.params["start_timestamp"]) == int(
        datetime(2026, 2, 21, tzinfo=UTC).timestamp() * 1000
    )
    dvol = {o.ts.date(): o.value for o in obs if o.metric == "dvol"}
    assert dvol == {date(2026, 2, 22): 55.5, date(2026, 2, 23): 58.1, date(2026, 2, 24): 60.2, date(2026, 2, 25): 61.7}
    assert {o.metric for o in obs} == {"atm_iv", "skew_25d", "dvol"}


async def test_fetch_html_challenge_is_malformed():
    page = b"<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=page))
    with pinned_now(SNAP):
        async with HttpClient(transport=transport) as client:
            with pytest.raises(MalformedError, match="HTML"):
                await Deribit().fetch(client, since=None)


# -- JSON-RPC errors with HTTP 400, over loopback -----------------------------------------------------
def _deribit_answers(status: int, body: bytes):
    """A loopback Deribit whose every method answers `status` with `body` (Deribit's errors come with HTTP 400)."""

    def answer(request: Request) -> Response:
        return Response(body, status, content_type="application/json")

    return answer


async def _fetch_over_loopback(httpserver, status: int, body: bytes):
    httpserver.expect_request(re.compile(".*")).respond_with_handler(_deribit_answers(status, body))
    with pinned_now(SNAP):
        async with HttpClient(transport=RedirectTransport(httpserver.port)) as client:
            return await Deribit().fetch(client, since=None)


async def test_too_many_requests_with_http_400_is_a_rate_limit(httpserver):
    with pytest.raises(RateLimitedError, match="10028"):
        await _fetch_over_loopback(httpserver, 400, (FIX / "error__too_many_requests.json").read_bytes())


async def test_other_json_rpc_errors_with_http_400_keep_their_code(httpserver):
    with pytest.raises(UnavailableError, match="-32602") as caught:
        await _fetch_over_loopback(httpserver, 400, (FIX / "error__invalid_params.json").read_bytes())
    assert not isinstance(caught.value, RateLimitedError)


async def test_a_400_without_a_json_rpc_body_is_malformed_not_silent(httpserver):
    with pytest.raises(MalformedError, match="HTML"):
        await _fetch_over_loopback(httpserver, 400, b"<html><body>Bad Request</body></html>")


async def test_other_client_errors_stay_client_errors(httpserver):
    with pytest.raises(UnavailableError, match="HTTP 403"):
        await _fetch_over_loopback(httpserver, 403, (FIX / "error__too_many_requests.json").read_bytes())


def test_demo_option_structure():
    import asyncio

    from signaldesk.demo import DEMO_DIR, DEMO_NOW

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Deribit().fetch(client, None)

    with pinned_now(DEMO_NOW):
        obs = asyncio.run(run())
    got = {(o.metric, o.entity, o.ts.date()): o.value for o in obs}
    day = date(2026, 2, 25)
    assert 0.55 <= got[("atm_iv", "30d", day)] <= 0.60
    assert got[("atm_iv", "7d", day)] > got[("atm_iv", "30d", day)] > got[("atm_iv", "90d", day)]  # inverted: fear
    assert all(got[("skew_25d", t, day)] > 0 for t in ("7d", "30d", "90d"))
    assert got[("dvol", "", day)] == 60.3
    assert min(d for m, _, d in got if m == "dvol") == date(2021, 3, 24)
