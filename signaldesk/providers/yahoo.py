"""Yahoo Finance chart API: daily adjusted closes of the AI, miner and ETF universe.

Endpoint: `GET https://query1.finance.yahoo.com/v8/finance/chart/{ticker}?range=2y&interval=1d&events=div,split`
(unofficial, keyless; it is what yfinance calls — https://github.com/ranaroussi/yfinance, and the
shape is described in https://cryptocointracker.com/yahoo-finance/yahoo-finance-api).

Shape: `{"chart": {"result": [{"meta": {currency, exchangeTimezoneName, currentTradingPeriod, …},
"timestamp": [unix s…], "events": {"splits": {…}, "dividends": {…}},
"indicators": {"quote": [{open, high, low, close, volume}], "adjclose": [{adjclose}]}}],
"error": null}}`; an unknown symbol answers `{"chart": {"result": null, "error": {"code": "Not Found", …}}}`.

Why `adjclose`: it is split *and* dividend adjusted, so a close-to-close ratio is a total return
and NVDA's 10:1 split (2024-06-10) is not a −90 % day. Adjustment is retroactive, which is why a
collect that sees a split or dividend newer than its cursor re-fetches the ticker's whole backfill
range: the store then keeps every row of the window on the same basis (rows older than the
window stay on the previous basis, beyond every window the cross-market metrics read).

Universe: the baskets' tickers, defined once with the baskets in `signaldesk.metrics.crossmarket`
(`AI_TICKERS`, `MINER_TICKERS`, `ETF_TICKERS`; `[equities] ai/miners/etfs` lists replace them;
`[equities] range` sets the backfill range).

Quirks handled here:
- daily bars are stamped at the session *open* (14:30 UTC); the bar's day is the exchange's local
  day (`exchangeTimezoneName`), stored as 00:00 UTC of that day;
- arrays carry `null` for halts and missing bars: those bars are skipped;
- the last bar during market hours is live, not a close: it is dropped until the session ends;
- intraday charts (and some indices) have no `adjclose`: `close` is used instead;
- since 2025 Yahoo answers bot-like clients "Too Many Requests" (HTTP 429, yfinance#2289/#2422)
  whatever their User-Agent string says: requests go out with a browser's TLS fingerprint and
  headers (`browser=True`, `signaldesk.impersonate`, as yfinance does with curl_cffi), are paced
  (`REQUESTS_PER_SECOND`), and 429s are retried with backoff;
- a ticker Yahoo still refuses is asked of Stooq (`signaldesk.providers.stooq`, daily CSV) over the
  same days; its closes are stored with `source = "stooq"`. One ticker failing on both never loses
  the others — every ticker that answered is returned, and the provider fails only when none did
  (the failures, with both sources' reasons, are kept in `Yahoo.failures`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from signaldesk import settings
from signaldesk.clock import day_start, epoch_s_to_utc, now_utc, today_utc
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError
from signaldesk.metrics.crossmarket import universe
from signaldesk.models import Observation
from signaldesk.providers import stooq
from signaldesk.providers._checks import as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NAME = "yahoo"
HOST = "query1.finance.yahoo.com"
URL = f"https://{HOST}/v8/finance/chart/{{ticker}}"
METRIC = "equity_close_usd"

REQUESTS_PER_SECOND = 5.0
"""Spacing of our chart requests (23 a run, about 5 s). yfinance's `download()` fires every ticker at
once; Yahoo's 2025 throttling keys on client fingerprints and volume per hour more than on bursts,
so a paced burst of two dozen requests a day stays far below what gets an IP throttled."""
MAX_CLOSE_USD = 1e6
"""Above any US-listed share (BRK.A trades near $0.7M): the catalog's range is looser, made for any
price; a ticker's whole history is rejected when one close is above this (a scaling error)."""
BACKFILL_RANGE = "2y"
"""History asked for on a fresh store: enough for 90-day windows and a year of z-score history."""
#: Yahoo's `range` values, each with the calendar days it surely covers.
_RANGES: tuple[tuple[str, int], ...] = (
    ("5d", 7),
    ("1mo", 28),
    ("3mo", 89),
    ("6mo", 180),
    ("1y", 365),
    ("2y", 730),
    ("5y", 1826),
    ("10y", 3652),
)

log = logging.getLogger(__name__)


def all_tickers() -> tuple[str, ...]:
    """Every ticker of the universe once, in group order."""
    return tuple(dict.fromkeys(t for tickers in universe().values() for t in tickers))


def range_for(since: date | None, *, today: date | None = None) -> str:
    """The smallest Yahoo `range` that covers `since` (with a few days' overlap), or the backfill."""
    if since is None:
        configured = str(settings.section("equities").get("range", BACKFILL_RANGE))
        if configured not in {name for name, _ in _RANGES} | {"max"}:
            log.warning("[equities] range = %r is not a Yahoo range; using %s", configured, BACKFILL_RANGE)
            return BACKFILL_RANGE
        return configured
    days = ((today or today_utc()) - since).days + 3
    for name, covered in _RANGES:
        if days <= covered:
            return name
    return "max"


def _zone(meta: Mapping[str, Any]) -> Any:
    """The exchange's time zone (DST-aware), else its fixed `gmtoffset`, else UTC."""
    name = meta.get("exchangeTimezoneName")
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = meta.get("gmtoffset")
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        return timezone(timedelta(seconds=offset))
    return UTC


def _session_open(meta: Mapping[str, Any], now: datetime) -> bool:
    """True while the current regular session has started and not yet closed."""
    regular = (meta.get("currentTradingPeriod") or {}).get("regular") or {}
    start, end = regular.get("start"), regular.get("end")
    if not isinstance(start, int | float) or not isinstance(end, int | float):
        return False
    return epoch_s_to_utc(start) <= now < epoch_s_to_utc(end)


def chart_result(payload: Any, ticker: str) -> Mapping[str, Any]:
    """The single `chart.result[0]` of a body, or a typed error for Yahoo's error envelope."""
    chart = as_mapping(get_path(payload, ["chart"]), field="chart")
    error = chart.get("error")
    if error:
        detail = error.get("description") or error.get("code") if isinstance(error, Mapping) else error
        raise MalformedError(f"Yahoo chart error for {ticker}: {detail}")
    results = as_list(chart.get("result"), field="chart.result")
    return as_mapping(results[0], field="chart.result[0]")


def events_since(result: Mapping[str, Any], since: date) -> list[str]:
    """Split/dividend events dated on or after `since`, as words ("split 2024-06-10", …).

    Any such event means Yahoo re-based the adjusted history after our last collect.
    """
    found = []
    events = result.get("events") or {}
    for kind in ("splits", "dividends"):
        for event in (events.get(kind) or {}).values():
            when = event.get("date") if isinstance(event, Mapping) else None
            if isinstance(when, int | float) and epoch_s_to_utc(when).date() >= since:
                found.append(f"{kind[:-1]} {epoch_s_to_utc(when):%Y-%m-%d}")
    return found


def parse_chart(payload: Any, ticker: str, *, now: datetime | None = None) -> list[Observation]:
    """Chart body → one `equity_close_usd` observation per trading day (entity = ticker), oldest first.

    Null bars are skipped; a bar of a session still open at `now` is dropped; two bars on one
    local day (Yahoo appends the live bar with its own timestamp) keep the last.
    """
    result = chart_result(payload, ticker)
    meta = as_mapping(result.get("meta") or {}, field="chart.result[0].meta")
    currency = meta.get("currency")
    if currency not in (None, "USD"):
        raise MalformedError(f"{ticker} is quoted in {currency}, not USD")
    stamps = result.get("timestamp")
    if stamps is None:  # Yahoo omits `timestamp` entirely for a range with no bars
        raise MalformedError(f"no bars for {ticker} (chart.result[0].timestamp is absent)")
    stamps = as_list(stamps, field="timestamp")
    indicators = as_mapping(get_path(result, ["indicators"]), field="indicators")
    adjusted = indicators.get("adjclose") or [{}]
    adjclose = adjusted[0].get("adjclose") if isinstance(adjusted, list) and isinstance(adjusted[0], Mapping) else None
    closes = adjclose if adjclose is not None else get_path(indicators, ["quote", 0, "close"])
    closes = as_list(closes, field="indicators close")
    if len(closes) != len(stamps):
        raise MalformedError(f"{ticker}: {len(stamps)} timestamps but {len(closes)} closes")
    zone = _zone(meta)
    now = now or now_utc()
    live = _session_open(meta, now)
    session_start = ((meta.get("currentTradingPeriod") or {}).get("regular") or {}).get("start")
    by_day: dict[date, float] = {}
    for stamp, close in zip(stamps, closes, strict=True):
        if close is None or stamp is None:
            continue
        if isinstance(close, bool) or not isinstance(close, int | float):
            raise MalformedError(f"{ticker}: close {str(close)[:20]!r} is not a number")
        if live and isinstance(session_start, int | float) and stamp >= session_start:
            continue  # today's bar while the market is open: a price, not a close
        local_day = epoch_s_to_utc(stamp).astimezone(zone).date()
        by_day[local_day] = float(close)
    return closes_to_observations(by_day, ticker, NAME, now=now)


def closes_to_observations(
    by_day: Mapping[date, float], ticker: str, source: str, *, now: datetime | None = None
) -> list[Observation]:
    """Closes per local day → checked `equity_close_usd` observations, oldest first (Yahoo's or Stooq's)."""
    if by_day and max(by_day.values()) > MAX_CLOSE_USD:
        raise ImplausibleError(
            f"{ticker} closed at ${max(by_day.values()):,.0f} ({source}): no listed share costs "
            f"that much (a unit or scaling error upstream)"
        )
    observations = [Observation(METRIC, ticker, day_start(d), v, source) for d, v in sorted(by_day.items())]
    return check_observations(observations, now=now)


class Yahoo(Provider):
    """Daily adjusted closes for the configured universe, one chart request per ticker."""

    name = NAME
    metrics = (METRIC,)
    capabilities = Capabilities(
        hosts={HOST: REQUESTS_PER_SECOND, stooq.HOST: stooq.REQUESTS_PER_SECOND},
        history="decades (range=max); 2 years on a fresh store",
        key_env=stooq.KEY_ENV,  # optional: only the Stooq fallback sends it
        key_param=stooq.KEY_PARAM,
        key_host=stooq.HOST,
        docs="https://github.com/ranaroussi/yfinance",
        revision_days=None,  # a split or dividend re-reads a ticker's whole window (see `_yahoo`)
    )

    async def _chart(self, http: Session, ticker: str, range_: str) -> Any:
        params = {"range": range_, "interval": "1d", "events": "div,split"}
        return await http.get_json(URL.format(ticker=ticker), params=params, browser=True)

    async def _ticker(self, http: Session, ticker: str, since: date | None) -> list[Observation]:
        """Yahoo's closes, else Stooq's over the days Yahoo's range would have covered."""
        try:
            return await self._yahoo(http, ticker, since)
        except ProviderError as refused:
            start = today_utc() - timedelta(days=dict(_RANGES).get(range_for(since), 3652))
            try:
                closes = await stooq.fetch_closes(http, ticker, start)
            except ProviderError as also:
                raise type(refused)(f"yahoo: {refused}; stooq fallback: {also}") from None
            log.warning("%s: Yahoo refused (%s); %d closes from Stooq instead", ticker, refused, len(closes))
            observations = closes_to_observations(closes, ticker, stooq.NAME)
            return [o for o in observations if since is None or o.ts >= day_start(since)]

    async def _yahoo(self, http: Session, ticker: str, since: date | None) -> list[Observation]:
        range_ = range_for(since)
        payload = await self._chart(http, ticker, range_)
        if since is not None:
            rebased = events_since(chart_result(payload, ticker), since - timedelta(days=1))
            if rebased:
                log.info("%s: %s since the last collect; re-fetching its adjusted history", ticker, ", ".join(rebased))
                return parse_chart(await self._chart(http, ticker, range_for(None)), ticker)
        observations = parse_chart(payload, ticker)
        return [o for o in observations if since is None or o.ts >= day_start(since)]

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """Every ticker's closes since the cursor; raises only when no ticker answered at all."""
        tickers = all_tickers()
        if not tickers:
            raise MalformedError("the [equities] universe is empty")
        return flat(await self.gather_parts({t: self._ticker(http, t, window.since) for t in tickers}))
