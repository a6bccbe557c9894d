"""One contract for every registered provider, run through its real `fetch` and the real `HttpClient`.

Every request crosses a real socket: the client's transport (`tests.loopback.HostAsPath`) sends it to a pytest-httpserver
on 127.0.0.1, the original host as the first path segment, and the server answers from the `SCENARIOS`
table below. The contract: the yielded metrics are exactly the ones a scenario can honestly yield
(declared ⊇ yielded), timestamps are UTC-aware and not in the future, values are finite and inside
`CATALOG[metric].plausible`, `obs.source` is the provider's name, and at least one value equals a number
read by hand from the served body. Every route of a scenario must be requested and every request must
hit a route, so the table cannot claim coverage the provider never asked for.

Where the bodies come from (REAL = a recorded response from ../shared/api-samples; REAL* = recorded for
another symbol/chain/category than the one requested, same endpoint and shape; DOCS = the provider's own
published example; HAND = written for signaldesk's tests, inline below or under tests/fixtures/<provider>/):

| provider | endpoint | body |
|---|---|---|
| alternative_me | api.alternative.me/fng/ | REAL fng_limit2.json |
| bitview | bitview.space/api/series/bulk | HAND bitview/series_bulk__four_days.json (no sample exists) |
| coinbase | exchange.coinbase.com/products/BTC-USD/candles | REAL* products_BTC-USDT_candles_3600.json (BTC-USDT, hourly) |
| coinbase | exchange.coinbase.com/products/BTC-USD/ticker | REAL* products_BTC-USDT_ticker.json (BTC-USDT) |
| coinbase | exchange.coinbase.com/products/USDT-USD/candles, /ticker | HAND inline (no sample) |
| coinbase | okx.com/api/v5/market/candles, /market/ticker (first venue) | HAND inline (no sample) |
| coingecko | api.coingecko.com/api/v3/coins/{id}/market_chart | DOCS coins_bitcoin_market_chart (bitcoin; served for every id) |
| coingecko | api.coingecko.com/api/v3/global | REAL global.recorded-2023-12-21.json |
| coingecko | api.coingecko.com/api/v3/coins/markets | not requested: altseason stops at the 90-day BTC check |
| coinglass (keyed) | open-api-v4.coinglass.com/api/futures/liquidation/aggregated-history | HAND coinglass/aggregated-history__1d.json |
| coinmetrics | community-api.coinmetrics.io/v4/timeseries/asset-metrics (CapRealUSD) | REAL error_forbidden.json, HTTP 403 |
| coinmetrics | same endpoint, core metrics | HAND inline (shared has only a RECONSTRUCTED body) |
| cryptoquant (keyed) | api.cryptoquant.com/v1/btc/flow-indicator/exchange-whale-ratio | HAND cryptoquant/exchange-whale-ratio__day.json |
| defillama | stablecoins.llama.fi/stablecoincharts/{all,Ethereum,Solana,BSC,Tron,Arbitrum} | REAL recorded/stablecoincharts_*.json |
| defillama | stablecoins.llama.fi/stablecoincharts/Base | REAL* recorded/stablecoincharts_Ethereum.json |
| defillama | api.llama.fi/v2/historicalChainTvl/{chain}, /overview/dexs/{chain} | HAND inline (shared: RECONSTRUCTED only) |
| deribit | deribit.com/api/v2/public/get_index_price | REAL index_price.json (the `result`; envelope added) |
| deribit | deribit.com/api/v2/public/get_volatility_index_data | REAL volatility_index.json (the `result`; envelope added) |
| deribit | deribit.com/api/v2/public/get_book_summary_by_currency?kind=option | HAND deribit/get_book_summary_by_currency__two_expiries.json |
| ethgas | ethereum-rpc.publicnode.com (POST eth_feeHistory) | REAL eth_feeHistory.execution-apis-test.json (test chain) |
| exchanges[binance] | fapi.binance.com premiumIndex, openInterest, fundingRate, openInterestHist | REAL (BTCUSDT; served for ETHUSDT too) |
| exchanges[bybit] | api.bybit.com/v5/market/tickers, /open-interest | DOCS (inverse BTCUSD; served for linear) |
| exchanges[bybit] | api.bybit.com/v5/market/funding/history | DOCS (ETHPERP) |
| exchanges[bybit] | api.bybit.com/v5/market/kline | HAND inline (no sample) |
| exchanges[okx] | okx.com/api/v5/public/funding-rate-history | REAL (BTC-USDT-SWAP; served for ETH too) |
| exchanges[okx] | okx.com/api/v5/public/funding-rate, /open-interest, /rubik/.../open-interest-history | HAND inline |
| farside | farside.co.uk/{bitcoin,ethereum}-etf-flow-all-data/ | HAND farside/*_all_data__synthetic.html (no HTML sample) |
| glassnode (keyed) | api.glassnode.com/v1/metrics/indicators/{realized_price_less_155,realized_loss} | HAND glassnode/*__24h.json |
| mempool | mempool.space/api/v1/fees/recommended | REAL v1_fees_recommended.recorded.json |
| mempool | mempool.space/api/v1/mining/hashrate/3y | DOCS v1_mining_hashrate_3d.docs-example.json |
| mempool | mempool.space/api/v1/mining/blocks/fees/3y | HAND inline (no sample) |
| news | the eight default feeds | HAND news/rss__mixed.xml (shared: RECONSTRUCTED only) |
| sec_edgar | data.sec.gov/api/xbrl/companyconcept/CIK{cik}/us-gaap/{tag}.json | HAND sec_edgar/companyconcept__fy_june.json |
| yahoo | query1.finance.yahoo.com/v8/finance/chart/{ticker} | REAL* v8_finance_chart_TNX_5m_1d.recorded.json (^TNX; every ticker) |

The exchanges provider runs once per venue (`Exchanges(venues=(venue,))`): each venue's samples come from
a different year, and a venue's "current" quote must be within a day of the pinned clock.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from signaldesk.catalog import CATALOG
from signaldesk.clock import day_start, pinned_now
from signaldesk.demo import DEMO_DIR, DEMO_NOW
from signaldesk.errors import MalformedError, MissingKeyError, ProviderError
from signaldesk.http import HttpClient
from signaldesk.models import Observation
from signaldesk.providers import registry
from signaldesk.providers.base import Provider
from signaldesk.providers.exchanges import Exchanges
from tests.conftest import FIXTURES, shared_file
from tests.loopback import HostAsPath

PROVIDERS = sorted(registry())
FAKE_KEY = "test-key-123"
REAL, REAL_OTHER, DOCS, HAND = "real", "real (other symbol)", "docs example", "hand-written"


# -- bodies and routes ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Served:
    """Bytes ready to serve (read in the test's thread, so a missing shared file skips the test)."""

    data: bytes
    status: int
    content_type: str


@dataclass(frozen=True, slots=True)
class Body:
    """One response body and where it comes from; `kind` is what the coverage table reports."""

    kind: str
    source: tuple[str, ...] | str | bytes
    status: int = 200
    content_type: str = "application/json"
    envelope: bool = False
    """Wrap the file in a JSON-RPC envelope: Deribit's samples hold only the `result` member."""

    def read(self) -> Served:
        if isinstance(self.source, bytes):
            data = self.source
        elif isinstance(self.source, str):
            data = (FIXTURES / self.source).read_bytes()
        else:
            data = shared_file("api-samples", *self.source).read_bytes()
        if self.envelope:
            data = json.dumps({"jsonrpc": "2.0", "id": 1, "result": json.loads(data)}).encode()
        return Served(data, self.status, self.content_type)


def real(*parts: str, kind: str = REAL, status: int = 200, envelope: bool = False) -> Body:
    return Body(kind, parts, status=status, envelope=envelope)


def docs(*parts: str) -> Body:
    return Body(DOCS, parts)


def fixture(path: str, content_type: str = "application/json") -> Body:
    return Body(HAND, path, content_type=content_type)


def inline(payload: Any) -> Body:
    return Body(HAND, json.dumps(payload).encode())


@dataclass(frozen=True, slots=True)
class Route:
    """`host/path` (`{*}` matches one path segment, `{**}` anything) plus query parameters that must match exactly."""

    endpoint: str
    body: Body
    query: Mapping[str, str] = field(default_factory=dict)

    def matches(self, endpoint: str, args: Mapping[str, str]) -> bool:
        pattern = re.escape(self.endpoint).replace(re.escape("{**}"), ".*").replace(re.escape("{*}"), "[^/]+")
        return re.fullmatch(pattern, endpoint) is not None and all(args.get(k) == v for k, v in self.query.items())


@dataclass(frozen=True, slots=True)
class Check:
    """A value read by hand from a served body, converted to the metric's unit by hand."""

    metric: str
    entity: str
    day: date
    value: float


@dataclass(frozen=True, slots=True)
class Partial:
    """Break one route with an HTML page: the provider must list the part in `part_failures()` and keep the rest."""

    endpoint: str
    failure: str
    lost: tuple[str | None, str | None] | None
    """(metric, entity) that must then be absent (None in either matches any); None: the part has no
    metric or entity of its own (a news feed's items are also in the other feeds)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One provider run: the clock, what every URL answers, what it must yield and one hand-read value."""

    provider: str
    now: datetime
    routes: tuple[Route, ...]
    checks: tuple[Check, ...]
    yields: frozenset[str] | None = None
    """None: exactly the declared metrics."""
    failures: str = ""
    """A part the provider must report as failed even on this answer (e.g. a sample too short for it)."""
    key_header: tuple[str, str] | None = None
    """(header, value template) the provider's docs require for the key; `{key}` is the key."""
    make: Callable[[], Provider] | None = None
    partial: Partial | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or self.provider


# -- the loopback server ------------------------------------------------------------------------------
@dataclass(slots=True)
class Seen:
    """One request as the server received it, and the index of the route that answered it (None: no route)."""

    endpoint: str
    url: str
    headers: dict[str, str]
    """Lower-cased names: HTTP header names are case-insensitive."""
    route: int | None


def _headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def serve(server: HTTPServer, routes: tuple[Route, ...]) -> list[Seen]:
    """Answer every request from `routes` (first match wins); unmatched requests get a 404 and are recorded."""
    served = [route.body.read() for route in routes]
    seen: list[Seen] = []

    def handle(request: Request) -> Response:
        endpoint = request.path.lstrip("/")
        for i, route in enumerate(routes):
            if route.matches(endpoint, request.args):
                seen.append(Seen(endpoint, request.url, _headers(request), i))
                body = served[i]
                return Response(body.data, status=body.status, content_type=body.content_type)
        seen.append(Seen(endpoint, request.url, _headers(request), None))
        return Response("no route in the contract table", status=404, content_type="text/plain")

    server.expect_request(re.compile("^/")).respond_with_handler(handle)
    return seen


def loopback_client(server: HTTPServer) -> HttpClient:
    return HttpClient(
        transport=HostAsPath(server, httpx.AsyncHTTPTransport(retries=0)),
        polite=False,
        backoff_initial=0.0,
        max_retry_wait=0.0,
    )


# -- the table -----------------------------------------------------------------------------------------
_CG = "api.coingecko.com/api/v3"
_DERIBIT = "www.deribit.com/api/v2/public"
_OKX = "www.okx.com/api/v5"
_CHAINS_WITH_RECORDINGS = ("Ethereum", "Solana", "BSC", "Tron", "Arbitrum")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "alternative_me",
        datetime(2026, 9, 25, 12, tzinfo=UTC),
        (Route("api.alternative.me/fng/", real("alternative-me", "fng_limit2.json"), {"limit": "0"}),),
        # "value": "71" on timestamp "1790294400" (2026-09-25 00:00 UTC)
        (Check("fear_greed", "", date(2026, 9, 25), 71.0),),
    ),
    Scenario(
        "bitview",
        datetime(2026, 2, 25, 12, tzinfo=UTC),
        (Route("bitview.space/api/series/bulk", fixture("bitview/series_bulk__four_days.json")),),
        # asked from 2026-02-25 − 1461 days = 2022-02-25; row 0 of the first envelope (sth_realized_price)
        # is 91250.5, row 3 of supply_in_profit_share is 57.0 percent
        (
            Check("sth_cost_basis_usd", "", date(2022, 2, 25), 91250.5),
            Check("supply_in_profit", "", date(2022, 2, 28), 0.57),
        ),
    ),
    Scenario(
        "coinbase",
        datetime(2024, 3, 13, 12, tzinfo=UTC),
        (
            Route(
                "api.exchange.coinbase.com/products/BTC-USD/candles",
                real("coinbase", "products_BTC-USDT_candles_3600.json", kind=REAL_OTHER),
            ),
            Route(
                "api.exchange.coinbase.com/products/BTC-USD/ticker",
                real("coinbase", "products_BTC-USDT_ticker.json", kind=REAL_OTHER),
            ),
            Route(
                "api.exchange.coinbase.com/products/USDT-USD/candles",
                inline([[1710288000, 0.9995, 1.0008, 1.0001, 1.0004, 1200000.0]]),
            ),
            Route(
                "api.exchange.coinbase.com/products/USDT-USD/ticker",
                inline({"price": "1.0005", "time": "2024-03-13T11:10:00.000000Z", "bid": "1.0004", "ask": "1.0005"}),
            ),
            Route(
                "www.okx.com/api/v5/market/candles",
                inline(
                    {
                        "code": "0",
                        "msg": "",
                        "data": [["1710288000000", "71500", "73500", "71400", "73300", "900", "6.5e7", "6.5e7", "0"]],
                    }
                ),
            ),
            Route(
                "www.okx.com/api/v5/market/ticker",
                inline(
                    {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT", "last": "73300", "ts": "1710328200000"}]}
                ),
            ),
        ),
        # the ticker sample's "price": "73367.8" at 2024-03-13T11:10:41Z is today's: premium against the
        # venue's 73300 USDT × 1.0005 USD/USDT = 73336.65 USD
        (Check("coinbase_premium", "", date(2024, 3, 13), (73367.8 - 73336.65) / 73336.65),),
    ),
    Scenario(
        "coingecko",
        datetime(2026, 5, 17, 15, tzinfo=UTC),
        (
            Route(f"{_CG}/coins/{{*}}/market_chart", docs("coingecko", "coins_bitcoin_market_chart.docs-example.json")),
            Route(f"{_CG}/global", real("coingecko", "global.recorded-2023-12-21.json")),
        ),
        (
            # prices[1] = [1779028199661, 78052.87543398788]: 14:29 UTC, its own day's latest value
            Check("price_usd", "btc", date(2026, 5, 17), 78052.87543398788),
            Check("spot_volume_usd", "btc", date(2026, 5, 17), 18974828816.446976),
            # market_cap_percentage.btc 49.60537150157383 percent, updated_at 1703201062 = 2023-12-21 23:24 UTC
            Check("btc_dominance", "", date(2023, 12, 21), 0.4960537150157383),
            Check("crypto_market_cap_usd", "", date(2023, 12, 21), 1731998238933.4412),
        ),
        # two chart points five minutes apart: no 30-day volume mean and no 90-day altseason benchmark
        yields=frozenset({"price_usd", "spot_volume_usd", "crypto_market_cap_usd", "btc_dominance"}),
        failures="altseason",
        key_header=("x-cg-demo-api-key", "{key}"),
        partial=Partial(f"{_CG}/global", "global", ("btc_dominance", None)),
    ),
    Scenario(
        "coinglass",
        datetime(2026, 2, 25, 9, 30, tzinfo=UTC),
        (
            Route(
                "open-api-v4.coinglass.com/api/futures/liquidation/aggregated-history",
                fixture("coinglass/aggregated-history__1d.json"),
                {"symbol": "BTC", "interval": "1d"},
            ),
        ),
        # time 1771891200000 ms = 2026-02-24 00:00 UTC
        (
            Check("long_liquidations_usd_24h", "btc", date(2026, 2, 24), 412876543.21),
            Check("short_liquidations_usd_24h", "btc", date(2026, 2, 24), 35678901.0),
        ),
        key_header=("CG-API-KEY", "{key}"),
    ),
    Scenario(
        "coinmetrics",
        datetime(2024, 1, 2, 12, tzinfo=UTC),
        (
            Route(
                "community-api.coinmetrics.io/v4/timeseries/asset-metrics",
                real("coinmetrics", "error_forbidden.json", status=403),
                {"metrics": "CapRealUSD"},
            ),
            Route(
                "community-api.coinmetrics.io/v4/timeseries/asset-metrics",
                inline(
                    {
                        "data": [
                            {
                                "asset": "btc",
                                "time": "2024-01-01T00:00:00.000000000Z",
                                "CapMVRVCur": "1.8",
                                "CapMrktCurUSD": "826000000000",
                                "HashRate": "500000000",
                                "PriceUSD": "42200",
                                "SplyCur": "19573000",
                            },
                        ],
                        "next_page_url": None,
                    }
                ),
            ),
        ),
        # CapRealUSD refused (the real 403 body): realised cap = 826e9 / 1.8; HashRate 5e8 TH/s = 500 EH/s
        (
            Check("hashrate_ehs", "", date(2024, 1, 1), 500.0),
            Check("realized_cap_usd", "", date(2024, 1, 1), 826e9 / 1.8),
            Check("realized_price_usd", "", date(2024, 1, 1), 826e9 / 1.8 / 19573000),
        ),
    ),
    Scenario(
        "cryptoquant",
        datetime(2026, 2, 25, 9, 30, tzinfo=UTC),
        (
            Route(
                "api.cryptoquant.com/v1/btc/flow-indicator/exchange-whale-ratio",
                fixture("cryptoquant/exchange-whale-ratio__day.json"),
                {"exchange": "all_exchange", "window": "day"},
            ),
        ),
        (Check("exchange_whale_ratio", "", date(2026, 2, 24), 0.64031785),),
        key_header=("Authorization", "Bearer {key}"),
    ),
    Scenario(
        "defillama",
        datetime(2023, 1, 1, 12, tzinfo=UTC),
        (
            Route(
                "stablecoins.llama.fi/stablecoincharts/all", real("defillama", "recorded", "stablecoincharts_all.json")
            ),
            *(
                Route(
                    f"stablecoins.llama.fi/stablecoincharts/{chain}",
                    real("defillama", "recorded", f"stablecoincharts_{chain}.json"),
                )
                for chain in _CHAINS_WITH_RECORDINGS
            ),
            Route(
                "stablecoins.llama.fi/stablecoincharts/Base",
                real("defillama", "recorded", "stablecoincharts_Ethereum.json", kind=REAL_OTHER),
            ),
            Route(
                "api.llama.fi/v2/historicalChainTvl/{*}",
                inline([{"date": 1672358400, "tvl": 30.1e9}, {"date": 1672444800, "tvl": 30.5e9}]),
            ),
            Route(
                "api.llama.fi/overview/dexs/{*}",
                inline(
                    {
                        "totalDataChart": [[1672358400, 1.1e9], [1672444800, 1.2e9], [1672531200, 0.3e9]],
                        "total24h": 1.25e9,
                    }
                ),
                {"excludeTotalDataChartBreakdown": "true"},
            ),
        ),
        (
            # last row, date "1672444800" (2022-12-31): totalCirculatingUSD summed over its pegs
            Check("stablecoin_supply_usd", "", date(2022, 12, 31), 137457066907 + 86126657 + 238737616),
            Check("stablecoin_supply_usd", "ethereum", date(2022, 12, 31), 85439408817 + 85929743 + 200770957),
            Check("stablecoin_supply_usd", "tron", date(2022, 12, 31), 33641427278),
            # the chart's last complete day; today's partial point (0.3e9) is dropped, total24h is that same day's
            Check("dex_volume_usd_24h", "solana", date(2022, 12, 31), 1.2e9),
        ),
        partial=Partial(
            "stablecoins.llama.fi/stablecoincharts/Base", "stablecoincharts/Base", ("stablecoin_supply_usd", "base")
        ),
    ),
    Scenario(
        "deribit",
        datetime(2026, 9, 20, 22, tzinfo=UTC),
        (
            Route(
                f"{_DERIBIT}/get_index_price",
                real("deribit", "index_price.json", envelope=True),
                {"index_name": "btc_usd"},
            ),
            Route(
                f"{_DERIBIT}/get_book_summary_by_currency",
                fixture("deribit/get_book_summary_by_currency__two_expiries.json"),
                {"kind": "option"},
            ),
            Route(
                f"{_DERIBIT}/get_volatility_index_data",
                real("deribit", "volatility_index.json", envelope=True),
                {"currency": "BTC", "resolution": "1D"},
            ),
        ),
        # the day's later candle wins: [1789905600000 (2026-09-20 12:00), …, close 35.47]; the first candle,
        # 1789300800000, is 2026-09-13 12:00, that day's only one (close 38.89)
        (Check("dvol", "", date(2026, 9, 20), 35.47), Check("dvol", "", date(2026, 9, 13), 38.89)),
    ),
    Scenario(
        "ethgas",
        datetime(2026, 2, 25, 12, tzinfo=UTC),
        (Route("ethereum-rpc.publicnode.com/", real("ethereum-gas", "eth_feeHistory.execution-apis-test.json")),),
        # next base fee 0x342a385a = 875,182,170 wei + median tip 0x1 wei = 0.875182171 gwei
        (Check("gas_price_gwei", "ethereum", date(2026, 2, 25), 0.875182171),),
    ),
    Scenario(
        "exchanges",
        datetime(2020, 8, 14, 12, tzinfo=UTC),
        (
            Route("fapi.binance.com/fapi/v1/premiumIndex", real("binance", "fapi_v1_premiumIndex_BTCUSDT.json")),
            Route("fapi.binance.com/fapi/v1/openInterest", real("binance", "fapi_v1_openInterest_BTCUSDT.json")),
            Route("fapi.binance.com/fapi/v1/fundingRate", real("binance", "fapi_v1_fundingRate_BTCUSDT.json")),
            Route(
                "fapi.binance.com/futures/data/openInterestHist",
                real("binance", "futures_data_openInterestHist_BTCUSDT.json"),
                {"period": "1d"},
            ),
        ),
        # lastFundingRate 0.00038246 per 8 h (the fundingRate sample's settlements are 8 h apart);
        # OI = 10659.509 BTC × markPrice 11793.63104562
        (
            Check("venue_funding_rate_8h", "btc.binance", date(2020, 8, 14), 0.00038246),
            Check("venue_open_interest_usd", "btc.binance", date(2020, 8, 14), 10659.509 * 11793.63104562),
        ),
        make=lambda: Exchanges(venues=("binance",)),
        label="exchanges[binance]",
    ),
    Scenario(
        "exchanges",
        datetime(2025, 10, 13, 12, tzinfo=UTC),
        (
            Route(
                "api.bybit.com/v5/market/tickers", docs("bybit", "v5_market_tickers_inverse_BTCUSD.docs-example.json")
            ),
            Route(
                "api.bybit.com/v5/market/funding/history", docs("bybit", "v5_market_funding_history.docs-example.json")
            ),
            Route(
                "api.bybit.com/v5/market/open-interest",
                docs("bybit", "v5_market_open-interest_BTCUSD.docs-example.json"),
            ),
            Route(
                "api.bybit.com/v5/market/kline",
                inline(
                    {
                        "retCode": 0,
                        "retMsg": "OK",
                        "result": {
                            "category": "linear",
                            "list": [["1760313600000", "114000", "116000", "113500", "115200", "1000", "1.15e8"]],
                        },
                        "time": 1760352369814,
                    }
                ),
            ),
        ),
        # fundingRate "0.0001" with fundingIntervalHour "8". The inverse sample's openInterestValue is in BTC,
        # not USD as for the linear contracts asked for, so the OI is not checked against a number.
        (Check("venue_funding_rate_8h", "btc.bybit", date(2025, 10, 13), 0.0001),),
        make=lambda: Exchanges(venues=("bybit",)),
        label="exchanges[bybit]",
    ),
    Scenario(
        "exchanges",
        datetime(2024, 1, 1, 12, tzinfo=UTC),
        (
            Route(
                f"{_OKX}/public/funding-rate-history",
                real("okx", "api_v5_public_funding-rate-history_BTC-USDT-SWAP.json"),
            ),
            Route(
                f"{_OKX}/public/funding-rate",
                inline(
                    {
                        "code": "0",
                        "msg": "",
                        "data": [
                            {
                                "instId": "BTC-USDT-SWAP",
                                "fundingRate": "0.0001",
                                "fundingTime": "1704096000000",
                                "nextFundingTime": "1704124800000",
                                "ts": "1704103200000",
                            }
                        ],
                    }
                ),
            ),
            Route(
                f"{_OKX}/public/open-interest",
                inline(
                    {
                        "code": "0",
                        "msg": "",
                        "data": [
                            {
                                "instId": "BTC-USDT-SWAP",
                                "oi": "300000",
                                "oiCcy": "3000",
                                "oiUsd": "3000000000",
                                "ts": "1704103200000",
                            }
                        ],
                    }
                ),
            ),
            Route(
                f"{_OKX}/rubik/stat/contracts/open-interest-history",
                inline({"code": "0", "msg": "", "data": [["1704067200000", "250000", "2500", "2500000000"]]}),
                {"period": "1Dutc"},
            ),
        ),
        # the two real settlements (2023-12-31 16:00, fundingRate -0.0000236017; 2024-01-01 00:00, 0.0001515032 —
        # realizedRate is the same rounded) both close 2023-12-31, 8 h apart: that day's funding is their mean
        (
            Check("venue_funding_rate_8h", "btc.okx", date(2023, 12, 31), (-0.0000236017 + 0.0001515032) / 2),
            Check("venue_open_interest_usd", "eth.okx", date(2023, 12, 31), 2.5e9),
            Check("venue_funding_rate_8h", "btc.okx", date(2024, 1, 1), 0.0001),
        ),
        make=lambda: Exchanges(venues=("okx",)),
        label="exchanges[okx]",
    ),
    Scenario(
        "farside",
        datetime(2026, 2, 25, 12, tzinfo=UTC),
        (
            Route(
                "farside.co.uk/bitcoin-etf-flow-all-data/", fixture("farside/btc_all_data__synthetic.html", "text/html")
            ),
            Route(
                "farside.co.uk/ethereum-etf-flow-all-data/",
                fixture("farside/eth_all_data__synthetic.html", "text/html"),
            ),
        ),
        # 11 Jan 2024: Total 546.8 and GBTC (95.1), in US$ millions
        (
            Check("etf_net_flow_usd", "btc", date(2024, 1, 11), 546.8e6),
            Check("etf_net_flow_usd", "GBTC", date(2024, 1, 11), -95.1e6),
        ),
    ),
    Scenario(
        "glassnode",
        datetime(2026, 2, 25, 9, 30, tzinfo=UTC),
        (
            Route(
                "api.glassnode.com/v1/metrics/indicators/realized_price_less_155",
                fixture("glassnode/realized_price_less_155__24h.json"),
                {"a": "BTC", "i": "24h"},
            ),
            Route(
                "api.glassnode.com/v1/metrics/indicators/realized_loss",
                fixture("glassnode/realized_loss__24h.json"),
                {"a": "BTC", "i": "24h"},
            ),
        ),
        # t = 1771891200 (2026-02-24 00:00 UTC), v = 94355.07
        (
            Check("sth_cost_basis_usd", "", date(2026, 2, 24), 94355.07),
            Check("realized_loss_usd", "", date(2026, 2, 24), 1412345678.9),
        ),
        key_header=("X-Api-Key", "{key}"),
        partial=Partial(
            "api.glassnode.com/v1/metrics/indicators/realized_loss",
            "indicators/realized_loss",
            ("realized_loss_usd", None),
        ),
    ),
    Scenario(
        "mempool",
        datetime(2022, 5, 17, 12, tzinfo=UTC),
        (
            Route("mempool.space/api/v1/fees/recommended", real("mempool", "v1_fees_recommended.recorded.json")),
            Route(
                "mempool.space/api/v1/mining/hashrate/3y", docs("mempool", "v1_mining_hashrate_3d.docs-example.json")
            ),
            Route(
                "mempool.space/api/v1/mining/blocks/fees/3y",
                inline(
                    [
                        {"avgHeight": 736300, "timestamp": 1652530000, "avgFees": 2400000, "USD": 700},
                        {"avgHeight": 736450, "timestamp": 1652620000, "avgFees": 1800000, "USD": 520},
                    ]
                ),
            ),
        ),
        # fastestFee 3 sat/vB today; avgHashrate 236499762108771800000 H/s on 2022-05-14 = 236.4997621… EH/s
        (
            Check("btc_fee_sat_vb", "", date(2022, 5, 17), 3.0),
            Check("hashrate_ehs", "", date(2022, 5, 14), 236499762108771800000 / 1e18),
            Check("btc_fee_per_block_btc", "", date(2022, 5, 14), 0.024),
        ),
    ),
    Scenario(
        "news",
        datetime(2026, 2, 25, 12, tzinfo=UTC),
        (Route("{**}", fixture("news/rss__mixed.xml", "application/rss+xml")),),
        # usable items: 23 Feb 22:00 GMT, 24 Feb 13:05 −0500, 25 Feb 08:00; the 23rd is each feed's oldest day,
        # so counting starts on the 24th and ends yesterday (the 25th is counted once it has ended); the same
        # items in every feed count once
        (Check("news_count", "all", date(2026, 2, 24), 1.0),),
        partial=Partial("cointelegraph.com/rss", "Cointelegraph", None),
    ),
    Scenario(
        "sec_edgar",
        datetime(2026, 2, 25, 12, tzinfo=UTC),
        (
            Route(
                "data.sec.gov/api/xbrl/companyconcept/{*}/us-gaap/{*}",
                fixture("sec_edgar/companyconcept__fy_june.json"),
            ),
        ),
        # Q2 of the June fiscal year (Oct–Dec 2023) = 6-month YTD 19,629 − Q1 9,917 ($M)
        (Check("capex_usd", "MSFT", date(2023, 12, 31), 19629000000 - 9917000000),),
        partial=Partial("data.sec.gov/api/xbrl/companyconcept/CIK0000789019/us-gaap/{*}", "MSFT", (None, "MSFT")),
    ),
    Scenario(
        "yahoo",
        datetime(2026, 2, 2, 21, tzinfo=UTC),
        (
            Route(
                "query1.finance.yahoo.com/v8/finance/chart/{*}",
                real("yahoo-finance", "v8_finance_chart_TNX_5m_1d.recorded.json", kind=REAL_OTHER),
                {"interval": "1d"},
            ),
        ),
        # the session closed at 20:00 UTC; the last 5-minute bar (19:55 UTC) closed at 4.275000095367432
        (Check("equity_close_usd", "NVDA", date(2026, 2, 2), 4.275000095367432),),
        partial=Partial("query1.finance.yahoo.com/v8/finance/chart/NVDA", "NVDA", (None, "NVDA")),
    ),
)


# -- running and judging -------------------------------------------------------------------------------
def _provider(scenario: Scenario) -> Provider:
    return scenario.make() if scenario.make else registry()[scenario.provider]()


async def _run(
    scenario: Scenario, routes: tuple[Route, ...], server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Provider, list[Observation], list[Seen]]:
    """Fetch through the loopback server with the clock pinned; a fake key set for keyed providers."""
    cls = registry()[scenario.provider]
    if cls.capabilities.key_env:
        monkeypatch.setenv(cls.capabilities.key_env, FAKE_KEY)
    seen = serve(server, routes)
    provider = _provider(scenario)
    with pinned_now(scenario.now):
        async with loopback_client(server) as client:
            try:
                observations = await provider.fetch(client, None)
            except ProviderError as exc:
                unmatched = [s.url for s in seen if s.route is None]
                if unmatched:
                    pytest.fail(f"{exc!r}; requests the contract table has no route for: {unmatched}")
                raise
    return provider, observations, seen


def assert_contract(scenario: Scenario, observations: list[Observation], *, partial: bool = False) -> None:
    """The checks every provider's output must pass (declared ⊇ yielded; == where the scenario says so)."""
    declared = set(registry()[scenario.provider].metrics)
    yielded = {o.metric for o in observations}
    assert observations, f"{scenario.id} yielded nothing"
    assert yielded <= declared, yielded - declared
    if not partial:
        assert yielded == (scenario.yields if scenario.yields is not None else declared)
    for obs in observations:
        assert obs.ts.tzinfo is not None and obs.ts.utcoffset() == timedelta(0), obs
        assert obs.ts <= scenario.now + timedelta(days=1), obs
        assert math.isfinite(obs.value) and CATALOG[obs.metric].plausible(obs.value), obs
        assert obs.source == scenario.provider, obs


def assert_checks(scenario: Scenario, observations: list[Observation]) -> None:
    """Each hand-read value is yielded exactly once, at 00:00 UTC of its day."""
    for check in scenario.checks:
        found = [
            o.value
            for o in observations
            if (o.metric, o.entity, o.ts) == (check.metric, check.entity, day_start(check.day))
        ]
        assert found == [pytest.approx(check.value, rel=1e-12)], (check, found)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_fetch_honours_the_contract(
    scenario: Scenario, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real `fetch`, real client, real socket, the table's bodies: the contract and the hand-read values hold."""
    provider, observations, seen = await _run(scenario, scenario.routes, httpserver, monkeypatch)
    assert not [s.url for s in seen if s.route is None], "requests without a route"
    assert {s.route for s in seen} == set(range(len(scenario.routes))), "a route in the table was never requested"
    assert_contract(scenario, observations)
    assert_checks(scenario, observations)
    failures = provider.part_failures()
    if scenario.failures:
        assert any(scenario.failures in f for f in failures), failures
    else:
        assert failures == []
    if scenario.key_header is not None:
        header, template = scenario.key_header
        assert all(s.headers.get(header.lower()) == template.format(key=FAKE_KEY) for s in seen), "key header missing"
        assert not [s.url for s in seen if FAKE_KEY in s.url], "the key must never be in a URL"


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.partial], ids=lambda s: s.id)
async def test_one_malformed_part_is_reported_and_the_rest_kept(
    scenario: Scenario, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A multi-part provider loses only the part that sent HTML, and says so in `part_failures()`."""
    assert scenario.partial is not None
    broken = Route(scenario.partial.endpoint, Body(HAND, MALFORMED["html"]["json"], content_type="text/html"))
    provider, observations, _ = await _run(scenario, (broken, *scenario.routes), httpserver, monkeypatch)
    assert_contract(scenario, observations, partial=True)
    assert any(scenario.partial.failure in f for f in provider.part_failures()), provider.part_failures()
    if scenario.partial.lost is not None:
        metric, entity = scenario.partial.lost
        assert not [o for o in observations if metric in (None, o.metric) and entity in (None, o.entity)]


# -- malformed payloads --------------------------------------------------------------------------------
_FORMATS: dict[str, str] = {"farside": "html", "news": "feed"}
"""What each provider expects; every other provider expects JSON."""
MALFORMED: dict[str, dict[str, bytes]] = {
    "html": dict.fromkeys(
        ("json", "html", "feed"),
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        b"<body>Checking your browser (Cloudflare challenge)</body></html>",
    ),
    "truncated": {
        "json": b'{"data": [{"time": 1771891200000, "value": "12',
        "html": b'<!DOCTYPE html><html><body><table class="etf"><tr><th></th><th>IBIT</th>',
        "feed": b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><title>Cut',
    },
    "wrong_shape": dict.fromkeys(("json", "html", "feed"), b'{"unexpected": ["shape", 1, null]}'),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
@pytest.mark.parametrize("name", PROVIDERS)
async def test_malformed_payload_raises_a_typed_error(
    name: str, kind: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every URL answers a body that is not what the provider documents: a `MalformedError`, no observations."""
    cls = registry()[name]
    if cls.capabilities.key_env:
        monkeypatch.setenv(cls.capabilities.key_env, FAKE_KEY)
    body = MALFORMED[kind][_FORMATS.get(name, "json")]
    seen = serve(httpserver, (Route("{**}", Body(HAND, body)),))
    async with loopback_client(httpserver) as client:
        with pytest.raises(MalformedError) as raised:
            await cls().fetch(client, None)
    assert raised.value.provider == name
    assert seen and not [s.url for s in seen if s.route is None]


# -- declarations and the demo -------------------------------------------------------------------------
def test_every_registered_provider_has_a_contract_scenario() -> None:
    """A new provider cannot slip past the contract: the table must name it."""
    assert {s.provider for s in SCENARIOS} == set(PROVIDERS)


@pytest.mark.parametrize("name", PROVIDERS)
def test_declarations(name: str) -> None:
    cls = registry()[name]
    assert cls.name == name
    assert cls.metrics, "a provider declares the metrics it yields"
    assert set(cls.metrics) <= set(CATALOG), set(cls.metrics) - set(CATALOG)
    assert cls.capabilities.hosts and cls.capabilities.docs.startswith("http")


async def _replay_demo(name: str) -> list[Observation]:
    async with HttpClient.replay(DEMO_DIR) as client:
        return await registry()[name]().fetch(client, None)


@pytest.mark.parametrize("name", PROVIDERS)
async def test_the_offline_demo_replays_every_provider(name: str) -> None:
    """The demo's recordings (written by tools/demo/rec_*.py) replay through every keyless provider.

    This proves the demo runs offline and that our generators match our parsers; it proves nothing about
    the real APIs — `test_fetch_honours_the_contract` does that.
    """
    cls = registry()[name]
    with pinned_now(DEMO_NOW):
        if cls.capabilities.key_required:
            with pytest.raises(MissingKeyError):
                await _replay_demo(name)
            return
        observations = await _replay_demo(name)
    assert {o.metric for o in observations} == set(cls.metrics)
    for obs in observations:
        assert obs.ts.utcoffset() == timedelta(0) and obs.ts <= DEMO_NOW + timedelta(days=1)
        assert math.isfinite(obs.value) and CATALOG[obs.metric].plausible(obs.value)
        assert obs.source == name
