import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.defillama import (
    DEX_PARAMS,
    ChainNames,
    DefiLlama,
    configured_chains,
    parse_chain_tvl,
    parse_dex_overview,
    parse_stablecoin_chart,
)
from tests.conftest import shared_file

TODAY = date(2026, 2, 25)
NOW = datetime(2026, 2, 25, 23, 0, tzinfo=UTC)


def _load(fixtures, name):
    return json.loads((fixtures / "defillama" / name).read_text())


def _values(obs):
    return {o.ts.date(): o.value for o in obs}


# -- parsing our own fixtures --------------------------------------------------------------------
def test_chain_tvl_int_dates(fixtures):
    obs = parse_chain_tvl(_load(fixtures, "historicalChainTvl_Ethereum__eleven_days.json"), "ethereum")
    values = _values(obs)
    assert len(values) == 11
    assert values[date(2026, 2, 15)] == 50e9 and values[TODAY] == 60e9  # today's point: the latest level, kept
    assert {(o.metric, o.entity, o.source) for o in obs} == {("chain_tvl_usd", "ethereum", "defillama")}
    assert all(o.ts.utcoffset().total_seconds() == 0 and o.ts.hour == 0 for o in obs)


def test_stablecoin_chart_sums_every_peg_in_usd_and_reads_string_dates(fixtures):
    obs = parse_stablecoin_chart(_load(fixtures, "stablecoincharts_Solana__eleven_days.json"), "solana")
    values = _values(obs)
    assert values[date(2026, 2, 15)] == pytest.approx(8.9e9 + 5e6)  # peggedUSD + peggedEUR (in USD)
    assert values[TODAY] == pytest.approx(8.9e9 + 1e8 + 5e6)
    assert {o.metric for o in obs} == {"stablecoin_supply_usd"}


def test_dex_overview_is_dated_by_the_charts_complete_days(fixtures):
    payload = _load(fixtures, "overview_dexs_solana__partial_day.json")
    values = _values(parse_dex_overview(payload, "solana", TODAY))
    # the chart's 02-25 point (3.0e9, still accruing) is not stored, and nothing is stamped on today:
    # total24h (2.9e9) is the server's record of 02-24, already in the chart under its own day
    assert TODAY not in values
    assert max(values) == date(2026, 2, 24) and values[date(2026, 2, 24)] == 2.9e9
    assert values[date(2026, 2, 15)] == 2.0e9 and len(values) == 10


def test_dex_overview_on_a_later_day_keeps_every_complete_day(fixtures):
    obs = parse_dex_overview(_load(fixtures, "overview_dexs_solana__partial_day.json"), "solana", date(2026, 2, 26))
    values = _values(obs)
    assert values[TODAY] == 3.0e9 and date(2026, 2, 26) not in values


def test_dex_overview_with_an_empty_chart_dates_total24h_yesterday():
    values = _values(parse_dex_overview({"totalDataChart": [], "total24h": 1.5e9}, "tron", TODAY))
    assert values == {date(2026, 2, 24): 1.5e9}


# -- parsing the real samples ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("chain", "entity", "last_total"),
    [
        ("all", "", 137457066907 + 86126657 + 238737616),
        ("Ethereum", "ethereum", 85439408817 + 85929743 + 200770957),
        ("Tron", "tron", 33641427278),
        ("Solana", "solana", 1823044407 + 38444),
        ("BSC", "bsc", 9253629375),
        ("Arbitrum", "arbitrum", 936004354 + 22140 + 386072),
        ("Polygon", "polygon", 1715229918 + 64150 + 9798372),
    ],
)
def test_real_recorded_stablecoin_charts(chain, entity, last_total):
    payload = json.loads(
        shared_file("api-samples", "defillama", "recorded", f"stablecoincharts_{chain}.json").read_text()
    )
    obs = parse_stablecoin_chart(payload, entity)
    assert obs[-1].ts == datetime(2022, 12, 31, tzinfo=UTC)
    assert obs[-1].value == pytest.approx(last_total)
    assert len(obs) == len({row["date"] for row in payload})
    assert [o.ts for o in obs] == sorted(o.ts for o in obs)
    assert {o.entity for o in obs} == {entity}


def test_real_reconstructed_samples():
    base = ("api-samples", "defillama")
    tvl_body = json.loads(shared_file(*base, "v2_historicalChainTvl_Ethereum.RECONSTRUCTED.json").read_text())
    tvl = parse_chain_tvl(tvl_body, "ethereum")
    assert _values(tvl) == {date(2021, 1, 1): 45e9, date(2021, 1, 2): 45512345678.9, date(2021, 1, 3): 46023456789.12}
    stables = parse_stablecoin_chart(
        json.loads(shared_file(*base, "stablecoincharts_Ethereum.RECONSTRUCTED.json").read_text()), "ethereum"
    )
    assert _values(stables) == {date(2024, 2, 15): 88718597, date(2024, 2, 16): 88750000 + 1080000}
    dex = parse_dex_overview(
        json.loads(shared_file(*base, "overview_dexs_Ethereum.RECONSTRUCTED.json").read_text()), "ethereum", TODAY
    )
    assert _values(dex) == {date(2026, 2, 24): 1.5e9}  # empty chart: total24h is yesterday's volume


# -- nonsense → typed errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parse", "payload", "error"),
    [
        (parse_chain_tvl, [], MalformedError),  # empty list
        (parse_chain_tvl, [{"date": 1771977600, "totalLiquidityUSD": 5e10}], MalformedError),  # renamed field
        (parse_chain_tvl, {"message": "chain not found"}, MalformedError),
        (parse_chain_tvl, [{"date": 1771977600, "tvl": -1.0}], ImplausibleError),
        (parse_chain_tvl, [{"date": 1771977600, "tvl": 5e16}], ImplausibleError),  # $50 quadrillion
        (parse_chain_tvl, [{"date": 4102444800, "tvl": 5e10}], ImplausibleError),  # year 2100
        (parse_stablecoin_chart, [{"date": "1771977600", "totalCirculating": {"peggedUSD": 1e9}}], MalformedError),
        (
            parse_stablecoin_chart,
            [{"date": "1771977600", "totalCirculatingUSD": {"peggedUSD": "lots"}}],
            MalformedError,
        ),
        (parse_stablecoin_chart, [{"date": "soon", "totalCirculatingUSD": {"peggedUSD": 1e9}}], MalformedError),
    ],
)
def test_nonsense_raises_typed_error(parse, payload, error):
    with pytest.raises(error):
        parse(payload, "ethereum")


@pytest.mark.parametrize(
    "payload",
    [
        {"message": "chain not supported"},
        {"totalDataChart": [], "total24h": None},
        {"totalDataChart": [[1771977600]], "total24h": 1e9},
        [],
    ],
)
def test_dex_nonsense(payload):
    with pytest.raises(MalformedError):
        parse_dex_overview(payload, "tron", TODAY)


# -- chains configuration -------------------------------------------------------------------------
@pytest.fixture
def config(write_config):
    return write_config


def test_default_chains_and_their_spellings(config):
    config("")
    chains = configured_chains()
    assert list(chains) == ["ethereum", "solana", "bsc", "tron", "arbitrum", "base"]
    assert chains["bsc"] == ChainNames("BSC", "BSC", "bsc")


def test_chains_override_and_name_fixes(config):
    config('[defillama]\nchains = ["Ethereum", "avalanche"]\n[defillama.names.avalanche]\ndex = "avax"\n')
    chains = configured_chains()
    assert chains == {
        "ethereum": ChainNames("Ethereum", "Ethereum", "ethereum"),
        "avalanche": ChainNames("Avalanche", "Avalanche", "avax"),
    }


# -- fetch: each part fails alone -----------------------------------------------------------------
def _handler(fixtures, seen, broken=()):
    tvl = _load(fixtures, "historicalChainTvl_Ethereum__eleven_days.json")
    stables = _load(fixtures, "stablecoincharts_Solana__eleven_days.json")
    dex = _load(fixtures, "overview_dexs_solana__partial_day.json")
    html = (fixtures / "defillama" / "cloudflare_challenge.html").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        for part, response in broken:
            if part in path:
                return response() if callable(response) else response
        if path.startswith("/v2/historicalChainTvl/"):
            return httpx.Response(200, json=tvl)
        if path.startswith("/stablecoincharts/"):
            return httpx.Response(200, json=stables)
        if path.startswith("/overview/dexs/"):
            return httpx.Response(200, json=dex)
        return httpx.Response(200, content=html, headers={"content-type": "text/html"})

    return handler


async def _fetch(handler, since=None):
    provider = DefiLlama()
    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await provider.fetch(client, since)
    return provider, obs


async def test_fetch_asks_each_endpoint_in_its_spelling(fixtures, config):
    config('[defillama]\nchains = ["bsc"]\n')
    seen = []
    _, obs = await _fetch(_handler(fixtures, seen))
    urls = sorted(f"{r.url.host}{r.url.path}" for r in seen)
    assert urls == [
        "api.llama.fi/overview/dexs/bsc",
        "api.llama.fi/v2/historicalChainTvl/BSC",
        "stablecoins.llama.fi/stablecoincharts/BSC",
        "stablecoins.llama.fi/stablecoincharts/all",
    ]
    dex_request = next(r for r in seen if "/overview/dexs/" in r.url.path)
    assert dict(dex_request.url.params) == DEX_PARAMS
    assert {(o.metric, o.entity) for o in obs} == {
        ("chain_tvl_usd", "bsc"),
        ("stablecoin_supply_usd", "bsc"),
        ("stablecoin_supply_usd", ""),
        ("dex_volume_usd_24h", "bsc"),
    }


async def test_one_broken_chain_and_one_html_page_lose_only_themselves(fixtures, config):
    config('[defillama]\nchains = ["ethereum", "tron"]\n')
    html = (fixtures / "defillama" / "cloudflare_challenge.html").read_bytes()
    broken = [
        ("/historicalChainTvl/Tron", httpx.Response(451, text="unavailable for legal reasons")),
        ("/overview/dexs/ethereum", httpx.Response(200, content=html, headers={"content-type": "text/html"})),
    ]
    provider, obs = await _fetch(_handler(fixtures, [], broken))
    keys = {(o.metric, o.entity) for o in obs}
    assert ("chain_tvl_usd", "tron") not in keys and ("dex_volume_usd_24h", "ethereum") not in keys
    assert {
        ("chain_tvl_usd", "ethereum"),
        ("dex_volume_usd_24h", "tron"),
        ("stablecoin_supply_usd", "tron"),
        ("stablecoin_supply_usd", ""),
    } <= keys
    assert len(provider.failures) == 2
    assert any("historicalChainTvl/Tron" in f and "451" in f for f in provider.part_failures())
    assert any("overview/dexs/ethereum" in f and "HTML challenge page" in f for f in provider.part_failures())


async def test_absurd_value_in_one_part_drops_that_part(fixtures, config):
    config('[defillama]\nchains = ["ethereum"]\n')
    broken = [("/historicalChainTvl/", httpx.Response(200, json=[{"date": 1771977600, "tvl": -5.0}]))]
    provider, obs = await _fetch(_handler(fixtures, [], broken))
    assert "chain_tvl_usd" not in {o.metric for o in obs}
    assert provider.failures and "outside the plausible range" in provider.part_failures()[0]


async def test_everything_down_raises_naming_every_part(fixtures, config):
    config('[defillama]\nchains = ["ethereum"]\n')
    broken = [("/", httpx.Response(403, text="forbidden"))]
    with pytest.raises(UnavailableError) as caught:
        await _fetch(_handler(fixtures, [], broken))
    message = str(caught.value)
    assert "nothing answered" in message
    for part in (
        "stablecoincharts/all",
        "historicalChainTvl/Ethereum",
        "stablecoincharts/Ethereum",
        "overview/dexs/ethereum",
    ):
        assert part in message


async def test_since_filters_old_days(fixtures, config):
    config('[defillama]\nchains = ["solana"]\n')
    _, obs = await _fetch(_handler(fixtures, []), since=date(2026, 2, 24))
    assert {o.ts.date() for o in obs} == {date(2026, 2, 24), TODAY}
    # levels keep today's latest reading; the DEX flow stops at the last complete day
    assert {o.ts.date() for o in obs if o.metric == "dex_volume_usd_24h"} == {date(2026, 2, 24)}
