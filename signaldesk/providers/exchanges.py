"""Perpetual funding and open interest for BTC and ETH across Binance, Bybit and OKX (public REST endpoints).

Venues (all keyless public GETs, sent through our shared `HttpClient` — rate limits, retries,
typed errors and record/replay apply as for every other provider; no market lists are loaded):

| venue | current | history (daily) |
|---|---|---|
| Binance USD-M | `fapi/v1/premiumIndex` (lastFundingRate, markPrice), `fapi/v1/openInterest` (coins) | `fapi/v1/fundingRate`, `futures/data/openInterestHist?period=1d` (**30 days only**) |
| Bybit linear | `v5/market/tickers` (fundingRate, fundingIntervalHour, openInterestValue) | `v5/market/funding/history`, `v5/market/open-interest?intervalTime=1d` (coins) × `v5/market/kline` close |
| OKX swap | `public/funding-rate` (fundingTime → nextFundingTime = interval), `public/open-interest` (oiUsd) | `public/funding-rate-history`, `rubik/stat/contracts/open-interest-history?period=1Dutc` |

Docs: https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api ,
https://bybit-exchange.github.io/docs/v5/market/tickers , https://www.okx.com/docs-v5/en/#public-data-rest-api .

What is stored (METRICS.md): one series per venue and asset, `venue_funding_rate_8h` (a fraction
per 8 h — a venue that settles every 4 h or 1 h is scaled by 8 / interval) and
`venue_open_interest_usd`, entity `asset.venue` (`btc.binance`). The cross-venue
`funding_rate_8h` (OI-weighted) and `open_interest_usd` (sum) are derived from them in
`signaldesk.metrics.derivatives`, over one venue set, so a venue that fails today cannot make
the aggregate jump. Today's value uses each venue's *current* (accruing) rate and OI; a past day D
uses the mean of the rates settled for periods inside D and the OI snapshot that closes D (a
snapshot or settlement stamped 00:00 UTC belongs to the day that just ended; settlement times are
rounded to the minute first, because Binance stamps some `fundingTime`s 1 ms late —
1700006400001 — which would move a 00:00 settlement into the next day).

Why several venues: Binance answers HTTP 451 to US and many cloud IPs, Bybit answers 403 to US
IPs and reports errors in HTTP 200 bodies, OKX wraps errors in `{code ≠ "0", msg}` (envelopes in
`venues.py`; Bybit `retCode` 10006 and OKX `code` 50011 are rate limits). A venue that fails is
dropped for this run (see `failures`, outcome `partial`); the provider fails only when no venue
answers. USDT-margined OI is counted in USDT ≈ USD.

Why not ccxt: its unified methods (`fetch_funding_rate_history`, `fetch_open_interest_history`,
`fetch_ohlcv`) give different numbers for the same requests. OKX's unified funding history reads
`realizedRate`, which OKX rounds (0.0001515032 → 0.00015, up to 15 % off on small rates; we read
the unrounded `fundingRate`), its unified OI history accepts only the `1D` period, whose buckets
close at 00:00 Hong Kong time (we ask for `1Dutc`), and Bybit's unified OI history returns coins
only (we value them at the day's close). They also need market lists (`load_markets`, megabytes).
What remained of ccxt, its *implicit* methods, only joined a base URL, a path and a query string
for these twelve public endpoints — and importing it loads every exchange it supports (~1 s of
every run). `ENDPOINTS` holds the twelve URLs; a test checks each request against the one
ccxt's implicit method builds for the same parameters.

Bybit changed its schema on 2026-06-11: `openInterest` became "both sides" and
`singleOpenInterest(Value)` was added. We pin one side: `single*` when present, else the old field.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from signaldesk.catalog import metric
from signaldesk.clock import day_start, epoch_ms_to_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, RateLimitedError, UnavailableError
from signaldesk.metrics.derivatives import VENUE_FUNDING, VENUE_OI, venue_entity
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window
from signaldesk.providers.venues import binance_list, binance_object, bybit_result, okx_data

NAME = "exchanges"
ASSETS = ("btc", "eth")
VENUES = ("binance", "bybit", "okx")
HISTORY_DAYS = 30
"""Backfill depth on a fresh store: Binance serves no more than 30 days of OI history."""
_SYMBOLS = {
    "binance": {"btc": "BTCUSDT", "eth": "ETHUSDT"},
    "bybit": {"btc": "BTCUSDT", "eth": "ETHUSDT"},
    "okx": {"btc": "BTC-USDT-SWAP", "eth": "ETH-USDT-SWAP"},
}
_ONE_MS = timedelta(milliseconds=1)
SETTLEMENT_GRID_MS = 60_000
"""Settlement timestamps are rounded to this grid (one minute) before they are given a day."""


# -- the pieces every venue reduces to ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Settlement:
    """One funding settlement: the rate paid for the period that ended at `ts` (fraction per period)."""

    ts: datetime
    rate: float


@dataclass(slots=True)
class VenueData:
    """One venue, one asset: its current rate and OI, and its daily history (days before today)."""

    venue: str
    asset: str
    ts: datetime
    funding_8h: float
    oi_usd: float
    funding_history: dict[date, float] = field(default_factory=dict)
    oi_history: dict[date, float] = field(default_factory=dict)


def settlement_time(epoch_ms: float) -> datetime:
    """A funding settlement's time, rounded to the minute: settlements fall on whole hours, but Binance
    stamps some a millisecond late (`fundingTime` 1700006400001), which would move 00:00 into the next day."""
    return epoch_ms_to_utc(round(epoch_ms / SETTLEMENT_GRID_MS) * SETTLEMENT_GRID_MS)


def closing_day(ts: datetime) -> date:
    """The UTC day a period-end timestamp closes: 00:00 UTC of D+1 closes D."""
    return utc_day(ts - _ONE_MS)


def to_8h(rate: float, interval_hours: float) -> float:
    """A rate per `interval_hours` → per 8 h (funding accrues linearly in time)."""
    if not interval_hours > 0:
        raise ValueError(f"funding interval must be positive, got {interval_hours!r}")
    return rate * 8.0 / interval_hours


def daily_funding(settlements: Iterable[Settlement], default_interval_hours: float) -> dict[date, float]:
    """Settlements → {day: mean rate per 8 h of the periods that closed in that day}.

    Each settlement's interval is the gap since the previous one (so a venue that moved a symbol
    from 8 h to 4 h funding mid-history is still normalised right); the first uses the next gap,
    or `default_interval_hours` when it is alone.
    """
    ordered = sorted(settlements, key=lambda s: s.ts)
    gaps = [(b.ts - a.ts).total_seconds() / 3600.0 for a, b in itertools.pairwise(ordered)]
    per_day: dict[date, list[float]] = defaultdict(list)
    for i, s in enumerate(ordered):
        interval = gaps[i - 1] if i > 0 else (gaps[0] if gaps else default_interval_hours)
        per_day[closing_day(s.ts)].append(to_8h(s.rate, interval))
    return {day: statistics.fmean(rates) for day, rates in sorted(per_day.items())}


def venue_observations(data: VenueData, today: date) -> list[Observation]:
    """One venue's answer → its own `venue_funding_rate_8h` / `venue_open_interest_usd` series.

    Past days come from the history endpoints; today from the current rate and OI. Each venue is
    stored on its own: the cross-venue aggregate is derived over a fixed venue set
    (`signaldesk.metrics.derivatives`).
    """
    entity = venue_entity(data.asset, data.venue)
    out = [
        Observation(VENUE_FUNDING, entity, day_start(day), rate, NAME)
        for day, rate in sorted(data.funding_history.items())
        if day < today
    ]
    out += [
        Observation(VENUE_OI, entity, day_start(day), usd, NAME)
        for day, usd in sorted(data.oi_history.items())
        if day < today
    ]
    out.append(Observation(VENUE_FUNDING, entity, day_start(today), data.funding_8h, NAME))
    out.append(Observation(VENUE_OI, entity, day_start(today), data.oi_usd, NAME))
    return out


def _positive(value: float, what: str) -> float:
    if not value > 0:
        raise ImplausibleError(f"{what} = {value:g} is not positive")
    return value


# -- Binance ----------------------------------------------------------------------------------------
def parse_binance_current(premium: Any, open_interest: Any) -> tuple[datetime, float, float, float]:
    """premiumIndex + openInterest → (time, current rate per interval, mark price, OI in USD)."""
    p = binance_object(premium, what="premiumIndex")
    o = binance_object(open_interest, what="openInterest")
    rate = as_float(get_path(p, ["lastFundingRate"]), field="lastFundingRate")
    mark = _positive(as_float(get_path(p, ["markPrice"]), field="markPrice"), "markPrice")
    coins = as_float(get_path(o, ["openInterest"]), field="openInterest")
    ts = epoch_ms_to_utc(as_float(get_path(p, ["time"]), field="time"))
    return ts, rate, mark, coins * mark


def parse_binance_funding_history(payload: Any) -> list[Settlement]:
    """`fapi/v1/fundingRate` → settlements (rate per interval, period ending at fundingTime)."""
    rows = binance_list(payload, what="fundingRate")
    return [
        Settlement(
            settlement_time(as_float(get_path(r, ["fundingTime"]), field=f"[{i}].fundingTime")),
            as_float(get_path(r, ["fundingRate"]), field=f"[{i}].fundingRate"),
        )
        for i, r in enumerate(rows)
    ]


def parse_binance_oi_history(payload: Any) -> dict[date, float]:
    """`futures/data/openInterestHist?period=1d` → {day closed: OI in USD (sumOpenInterestValue, USDT≈USD)}."""
    rows = binance_list(payload, what="openInterestHist")
    out = {}
    for i, r in enumerate(rows):
        ts = epoch_ms_to_utc(as_float(get_path(r, ["timestamp"]), field=f"[{i}].timestamp"))
        out[closing_day(ts)] = as_float(get_path(r, ["sumOpenInterestValue"]), field=f"[{i}].sumOpenInterestValue")
    return out


# -- Bybit ------------------------------------------------------------------------------------------
def parse_bybit_ticker(payload: Any) -> tuple[datetime, float, float, float]:
    """`v5/market/tickers` → (time, current rate per interval, interval hours, OI in USD)."""
    body = as_mapping(payload, field="tickers")
    result = bybit_result(body, what="tickers")
    row = as_mapping(as_list(get_path(result, ["list"]), field="result.list")[0], field="result.list[0]")
    rate = as_float(get_path(row, ["fundingRate"]), field="fundingRate")
    interval = as_float(row.get("fundingIntervalHour", 8), field="fundingIntervalHour")
    value_field = (
        "singleOpenInterestValue" if row.get("singleOpenInterestValue") not in (None, "") else "openInterestValue"
    )
    oi_usd = as_float(get_path(row, [value_field]), field=value_field)
    ts = epoch_ms_to_utc(as_float(get_path(body, ["time"]), field="time"))
    return ts, rate, _positive(interval, "fundingIntervalHour"), oi_usd


def parse_bybit_funding_history(payload: Any) -> list[Settlement]:
    """`v5/market/funding/history` → settlements."""
    rows = as_list(get_path(bybit_result(payload, what="funding/history"), ["list"]), field="result.list")
    return [
        Settlement(
            settlement_time(as_float(get_path(r, ["fundingRateTimestamp"]), field=f"list[{i}].fundingRateTimestamp")),
            as_float(get_path(r, ["fundingRate"]), field=f"list[{i}].fundingRate"),
        )
        for i, r in enumerate(rows)
    ]


def parse_bybit_oi_history(open_interest: Any, kline: Any) -> dict[date, float]:
    """`v5/market/open-interest?intervalTime=1d` (coins) × the day's `v5/market/kline` close → {day: USD}.

    A snapshot stamped 00:00 of D+1 closes day D and is valued at D's close. One side only:
    `singleOpenInterest` when Bybit sends it (after its 2026-06-11 change), else `openInterest`.
    """
    rows = as_list(get_path(bybit_result(open_interest, what="open-interest"), ["list"]), field="result.list")
    candles = as_list(get_path(bybit_result(kline, what="kline"), ["list"]), field="result.list")
    closes: dict[date, float] = {}
    for i, c in enumerate(candles):
        if not isinstance(c, list) or len(c) < 5:
            raise MalformedError(f"kline list[{i}] is not [start, open, high, low, close, …]")
        closes[utc_day(epoch_ms_to_utc(as_float(c[0], field=f"kline[{i}][0]")))] = as_float(
            c[4], field=f"kline[{i}][4]"
        )
    out = {}
    for i, r in enumerate(rows):
        day = closing_day(epoch_ms_to_utc(as_float(get_path(r, ["timestamp"]), field=f"list[{i}].timestamp")))
        key = "singleOpenInterest" if r.get("singleOpenInterest") not in (None, "") else "openInterest"
        coins = as_float(get_path(r, [key]), field=f"list[{i}].{key}")
        if day in closes:
            out[day] = coins * closes[day]
    return out


# -- OKX --------------------------------------------------------------------------------------------
def parse_okx_funding_rate(payload: Any) -> tuple[datetime, float, float]:
    """`public/funding-rate` → (time, current rate per interval, interval hours = nextFundingTime − fundingTime)."""
    row = as_mapping(okx_data(payload, what="funding-rate")[0], field="data[0]")
    rate = as_float(get_path(row, ["fundingRate"]), field="fundingRate")
    settle = as_float(get_path(row, ["fundingTime"]), field="fundingTime")
    following = as_float(get_path(row, ["nextFundingTime"]), field="nextFundingTime")
    interval = (following - settle) / 3_600_000.0
    ts = epoch_ms_to_utc(as_float(row.get("ts", settle), field="ts"))
    return ts, rate, _positive(interval, "OKX funding interval")


def parse_okx_open_interest(payload: Any) -> float:
    """`public/open-interest` → OI in USD (`oiUsd`)."""
    row = as_mapping(okx_data(payload, what="open-interest")[0], field="data[0]")
    return as_float(get_path(row, ["oiUsd"]), field="oiUsd")


def parse_okx_funding_history(payload: Any) -> list[Settlement]:
    """`public/funding-rate-history` → settlements, from `fundingRate`.

    OKX documents `fundingRate` as the period's funding rate and `realizedRate` as the "actual"
    one, but `realizedRate` is rounded to five decimals (the recorded sample: fundingRate
    0.0001515032, realizedRate 0.00015 — 1 % off here, up to 15 % on small rates), so the
    unrounded field is the better number.
    """
    out = []
    for i, r in enumerate(okx_data(payload, what="funding-rate-history")):
        ts = settlement_time(as_float(get_path(r, ["fundingTime"]), field=f"data[{i}].fundingTime"))
        rate = as_float(get_path(r, ["fundingRate"]), field=f"data[{i}].fundingRate")
        out.append(Settlement(ts, rate))
    return out


def parse_okx_oi_history(payload: Any) -> dict[date, float]:
    """`rubik/stat/contracts/open-interest-history?period=1Dutc` rows `[ts, oi, oiCcy, oiUsd]` → {day: USD}.

    The `1Dutc` period matters: OKX's plain `1D` buckets are aligned to Hong Kong time (UTC+8).
    """
    out = {}
    for i, r in enumerate(okx_data(payload, what="open-interest-history")):
        if not isinstance(r, list) or len(r) < 4:
            raise MalformedError(f"open-interest-history data[{i}] is not [ts, oi, oiCcy, oiUsd]")
        ts = epoch_ms_to_utc(as_float(r[0], field=f"data[{i}][0]"))
        out[closing_day(ts)] = as_float(r[3], field=f"data[{i}][3]")
    return out


# -- the endpoints ----------------------------------------------------------------------------------
ENDPOINTS = {
    "binance": {
        "premium_index": "https://fapi.binance.com/fapi/v1/premiumIndex",
        "open_interest": "https://fapi.binance.com/fapi/v1/openInterest",
        "funding_history": "https://fapi.binance.com/fapi/v1/fundingRate",
        "oi_history": "https://fapi.binance.com/futures/data/openInterestHist",
    },
    "bybit": {
        "tickers": "https://api.bybit.com/v5/market/tickers",
        "funding_history": "https://api.bybit.com/v5/market/funding/history",
        "oi_history": "https://api.bybit.com/v5/market/open-interest",
        "kline": "https://api.bybit.com/v5/market/kline",
    },
    "okx": {
        "funding_rate": "https://www.okx.com/api/v5/public/funding-rate",
        "open_interest": "https://www.okx.com/api/v5/public/open-interest",
        "funding_history": "https://www.okx.com/api/v5/public/funding-rate-history",
        "oi_history": "https://www.okx.com/api/v5/rubik/stat/contracts/open-interest-history",
    },
}
"""venue → endpoint → URL without its query (what ccxt's implicit public methods call)."""


def endpoint_url(venue: str, endpoint: str, params: dict[str, Any]) -> str:
    """The full URL of one request, the query in the caller's order (as ccxt's `urlencode` writes it)."""
    return f"{ENDPOINTS[venue][endpoint]}?{urlencode(params)}" if params else ENDPOINTS[venue][endpoint]


Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


async def fetch_binance(call: Call, asset: str, days: int) -> VenueData:
    symbol = _SYMBOLS["binance"][asset]
    premium = await call("premium_index", {"symbol": symbol})
    oi_now = await call("open_interest", {"symbol": symbol})
    funding = await call("funding_history", {"symbol": symbol, "limit": min(1000, days * 3 + 3)})
    oi_hist = await call("oi_history", {"symbol": symbol, "period": "1d", "limit": min(30, days)})
    ts, rate, _mark, oi_usd = parse_binance_current(premium, oi_now)
    settlements = parse_binance_funding_history(funding)
    interval = _latest_gap_hours(settlements, default=8.0)
    return VenueData(
        "binance",
        asset,
        ts,
        to_8h(rate, interval),
        oi_usd,
        daily_funding(settlements, interval),
        parse_binance_oi_history(oi_hist),
    )


async def fetch_bybit(call: Call, asset: str, days: int) -> VenueData:
    symbol = _SYMBOLS["bybit"][asset]
    ticker = await call("tickers", {"category": "linear", "symbol": symbol})
    funding = await call("funding_history", {"category": "linear", "symbol": symbol, "limit": min(200, days * 3 + 3)})
    oi_hist = await call(
        "oi_history", {"category": "linear", "symbol": symbol, "intervalTime": "1d", "limit": min(200, days)}
    )
    kline = await call("kline", {"category": "linear", "symbol": symbol, "interval": "D", "limit": min(1000, days + 1)})
    ts, rate, interval, oi_usd = parse_bybit_ticker(ticker)
    return VenueData(
        "bybit",
        asset,
        ts,
        to_8h(rate, interval),
        oi_usd,
        daily_funding(parse_bybit_funding_history(funding), interval),
        parse_bybit_oi_history(oi_hist, kline),
    )


async def fetch_okx(call: Call, asset: str, days: int) -> VenueData:
    inst = _SYMBOLS["okx"][asset]
    current = await call("funding_rate", {"instId": inst})
    oi_now = await call("open_interest", {"instType": "SWAP", "instId": inst})
    funding = await call("funding_history", {"instId": inst, "limit": min(100, days * 3 + 3)})
    oi_hist = await call("oi_history", {"instId": inst, "period": "1Dutc", "limit": min(100, days)})
    ts, rate, interval = parse_okx_funding_rate(current)
    return VenueData(
        "okx",
        asset,
        ts,
        to_8h(rate, interval),
        parse_okx_open_interest(oi_now),
        daily_funding(parse_okx_funding_history(funding), interval),
        parse_okx_oi_history(oi_hist),
    )


_FETCHERS: dict[str, Callable[[Call, str, int], Awaitable[VenueData]]] = {
    "binance": fetch_binance,
    "bybit": fetch_bybit,
    "okx": fetch_okx,
}


def _latest_gap_hours(settlements: Sequence[Settlement], *, default: float) -> float:
    """The venue's current interval: the gap between its two latest settlements (Binance does not
    say it in premiumIndex, and `fundingInfo` lists only symbols whose interval was changed)."""
    ordered = sorted(s.ts for s in settlements)
    if len(ordered) < 2:
        return default
    return (ordered[-1] - ordered[-2]).total_seconds() / 3600.0


def history_days(since: date | None, today: date) -> int:
    """How many past days to ask each venue for: the backfill depth, or just the gap since `since`."""
    if since is None:
        return HISTORY_DAYS
    return max(2, min(HISTORY_DAYS, (today - since).days + 2))


class Exchanges(Provider):
    """Perpetual funding and open interest for BTC and ETH, one series per venue (three venues)."""

    name = NAME
    metrics = (VENUE_FUNDING, VENUE_OI)
    capabilities = Capabilities(
        hosts={"fapi.binance.com": 5.0, "api.bybit.com": 5.0, "www.okx.com": 4.0},
        history="30 days (Binance OI history); stored daily from then on",
        docs="https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api",
        max_days=HISTORY_DAYS,
    )

    def __init__(self, venues: Sequence[str] = VENUES) -> None:
        super().__init__()
        self.venues = tuple(venues)

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """Every venue and asset at once; one that fails is named in `failures` (`venue:asset`) and left out."""
        days = history_days(window.since, window.today)
        results = await asyncio.gather(*(self._venue(http, v, a, days) for a in ASSETS for v in self.venues))
        answered = [data for data in results if isinstance(data, VenueData)]
        if not answered:
            raise _all_failed([e for e in results if isinstance(e, ProviderError)])
        return check_observations(o for data in answered for o in venue_observations(data, window.today))

    async def _venue(self, http: Session, venue: str, asset: str, days: int) -> VenueData | ProviderError:
        async def call(endpoint: str, params: dict[str, Any]) -> Any:
            return await http.get_json(endpoint_url(venue, endpoint, params))

        try:
            return validate_venue(await _FETCHERS[venue](call, asset, days))
        except ProviderError as exc:
            self.part_failed(f"{venue}:{asset}", f"{type(exc).__name__}: {exc}")
            return exc


MAX_QUOTE_AGE = timedelta(days=1)
"""A venue's "current" rate and OI older than this are not today's: the venue is left out."""


def validate_venue(data: VenueData) -> VenueData:
    """Reject one venue's absurd numbers (a funding of 50 % per 8 h, a negative OI) or a stale
    "current" quote before they are averaged with the others', so one bad venue cannot spoil the
    aggregate (nor an old quote be stamped as today's)."""
    from signaldesk.clock import now_utc

    if now_utc() - data.ts > MAX_QUOTE_AGE:
        raise ImplausibleError(
            f"{data.venue} {data.asset}: the current quote is from {data.ts:%Y-%m-%d %H:%M} UTC, more than a day old"
        )
    funding, oi = metric("funding_rate_8h"), metric("open_interest_usd")
    for day, rate in [(None, data.funding_8h), *data.funding_history.items()]:
        if not funding.plausible(rate):
            raise ImplausibleError(f"{data.venue} {data.asset} funding {rate:g}/8h on {day or 'today'} is absurd")
    for day, usd in [(None, data.oi_usd), *data.oi_history.items()]:
        if not (oi.plausible(usd) and usd > 0):
            raise ImplausibleError(f"{data.venue} {data.asset} open interest {usd:g} USD on {day or 'today'} is absurd")
    return data


def _all_failed(errors: Sequence[ProviderError]) -> ProviderError:
    """One typed error for 'no venue answered': rate-limited only if every venue was."""
    text = "; ".join(dict.fromkeys(str(e) for e in errors)) or "no venue configured"
    if errors and all(isinstance(e, RateLimitedError) for e in errors):
        return RateLimitedError(f"every venue rate-limited us: {text}")
    if errors and all(isinstance(e, MalformedError) for e in errors):
        return MalformedError(f"every venue sent an unusable payload: {text}")
    return UnavailableError(f"no venue answered: {text}")
