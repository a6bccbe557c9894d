"""Deribit public API: BTC option book → ATM IV term structure and 25-delta skew; DVOL history.

Endpoints (JSON-RPC over HTTP GET, keyless; docs https://docs.deribit.com/#market-data):
- `public/get_book_summary_by_currency?currency=BTC&kind=option` — one row per listed option
  with `mark_iv` (percent), `underlying_price` (the forward Deribit uses for that expiry) and
  `creation_timestamp` (ms). About a thousand rows; we keep only what the surface needs.
- `public/get_index_price?index_name=btc_usd` — the spot index (USD): the fallback forward for a
  row without `underlying_price`, and a sanity check on the forwards (a forward 50 % away from
  spot means a broken payload, not a market).
- `public/get_volatility_index_data?currency=BTC&resolution=1D&start_timestamp&end_timestamp`
  — DVOL candles `[ts_ms, open, high, low, close]` in vol points. A page holds at most ~1000
  candles; `continuation` is the `end_timestamp` of the next (older) page, null at the end.

Why snapshots: Deribit keeps no free history of the option surface, so each daily collect stores
that day's `atm_iv` and `skew_25d` (stamped 00:00 UTC of the snapshot's day) and history builds up
from there. DVOL does have history, back to its 2021 launch.

Quirks: errors come as `{"jsonrpc": "2.0", "error": {"code", "message"}}` with HTTP **400** (code
10028 = too many requests): the client hands such a body back instead of a bare "HTTP 400", so the
code survives and a rate limit is reported as one; option prices are in BTC, not USD; expired or illiquid strikes can carry a `mark_iv` of
0 (dropped); options expire at 08:00 UTC; expiries under one day are dropped, since their IV is
dominated by the last hours' noise. A book with no usable expiry (e.g. futures only) is a
`MalformedError`.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from signaldesk.clock import day_start, epoch_ms_to_utc, now_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError, UnavailableError
from signaldesk.metrics.options import ATM_TENORS_DAYS, Smile, constant_maturity
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "deribit"
BASE = "https://www.deribit.com/api/v2/public"
BOOK_URL = f"{BASE}/get_book_summary_by_currency"
INDEX_URL = f"{BASE}/get_index_price"
DVOL_URL = f"{BASE}/get_volatility_index_data"
DVOL_START = date(2021, 3, 24)
"""DVOL's first day (Deribit launched the index in March 2021); a fresh store backfills from here."""
MIN_EXPIRY_DAYS = 1.0
MAX_DVOL_PAGES = 20
EXPIRY_HOUR = time(8, 0, tzinfo=UTC)
_INSTRUMENT = re.compile(
    r"^(?P<ccy>[A-Z_]+)-(?P<day>\d{1,2})(?P<mon>[A-Z]{3})(?P<yy>\d{2})-(?P<strike>[\dd.]+)-(?P<kind>[CP])$"
)
_MONTHS = {
    m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)
}

log = logging.getLogger(__name__)


JSON_RPC_ERROR_STATUS = frozenset({400})
"""HTTP statuses whose body is a JSON-RPC error document (read by `unwrap`), not a bare client error."""


async def rpc_get(http: Session, url: str, params: dict[str, Any]) -> Any:
    """GET one public method; the JSON-RPC envelope comes back even with HTTP 400, for `unwrap` to type its error."""
    return await http.get_json(url, params=params, error_statuses=JSON_RPC_ERROR_STATUS)


def unwrap(payload: Any, *, what: str) -> Any:
    """The `result` of a JSON-RPC envelope, or a typed error for an `error` member.

    Code 10028 (too_many_requests) is a rate limit; any other error means Deribit refused the
    request, so the source is unavailable for this run.
    """
    body = as_mapping(payload, field=what)
    error = body.get("error")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message", error) if isinstance(error, dict) else error
        text = f"Deribit {what} error {code}: {message}"
        if code == 10028:
            raise RateLimitedError(text)
        raise UnavailableError(text)
    if "result" not in body:
        raise MalformedError(f"Deribit {what}: no result member")
    return body["result"]


def parse_instrument(name: str) -> tuple[datetime, float, str] | None:
    """`BTC-27MAR26-60000-P` → (expiry 08:00 UTC, strike USD, "put"); None for non-options."""
    match = _INSTRUMENT.match(name)
    if not match:
        return None
    month = _MONTHS.get(match["mon"])
    if month is None:
        return None
    expiry = datetime.combine(date(2000 + int(match["yy"]), month, int(match["day"])), EXPIRY_HOUR)
    strike = float(match["strike"].replace("d", "."))
    return expiry, strike, "call" if match["kind"] == "C" else "put"


def parse_index_price(payload: Any) -> float:
    """`get_index_price` envelope → index price in USD."""
    result = unwrap(payload, what="get_index_price")
    price = as_float(get_path(result, ["index_price"]), field="index_price")
    if not price > 0:
        raise ImplausibleError(f"Deribit index price {price:g} is not positive")
    return price


def book_to_smiles(payload: Any, *, index_price: float | None = None) -> tuple[datetime, list[Smile]]:
    """Option book summary envelope → (snapshot time, one `Smile` per usable expiry, nearest first).

    Per expiry the forward is the median `underlying_price` of its rows (the index price when a
    row has none); strikes below the forward use the put's mark IV, strikes above use the call's.
    """
    rows = as_list(unwrap(payload, what="get_book_summary_by_currency"), field="result")
    stamps = [r.get("creation_timestamp") for r in rows if isinstance(r, dict) and r.get("creation_timestamp")]
    if not stamps:
        raise MalformedError("option book rows carry no creation_timestamp")
    snapshot = epoch_ms_to_utc(max(as_float(s, field="creation_timestamp") for s in stamps))
    quotes: dict[datetime, dict[str, dict[float, float]]] = defaultdict(lambda: {"call": {}, "put": {}})
    forwards: dict[datetime, list[float]] = defaultdict(list)
    for i, row in enumerate(rows):
        name = get_path(row, ["instrument_name"])
        parsed = parse_instrument(str(name))
        if parsed is None:
            continue
        expiry, strike, kind = parsed
        iv = row.get("mark_iv")
        if iv is None:
            raise MalformedError(f"result[{i}] ({name}) has no mark_iv: field renamed?")
        iv = as_float(iv, field=f"result[{i}].mark_iv") / 100.0
        if iv > 10:
            raise ImplausibleError(f"{name}: mark IV {iv:.0%} is absurd")
        underlying = row.get("underlying_price")
        forward = as_float(underlying, field=f"result[{i}].underlying_price") if underlying else index_price
        if forward:
            forwards[expiry].append(forward)
        if iv > 0:
            quotes[expiry][kind][strike] = iv
    smiles = []
    for expiry in sorted(quotes):
        t = (expiry - snapshot).total_seconds() / (365.0 * 86400.0)
        if t * 365.0 < MIN_EXPIRY_DAYS or not forwards[expiry]:
            continue
        forward = sorted(forwards[expiry])[len(forwards[expiry]) // 2]
        if index_price and abs(forward / index_price - 1.0) > 0.5:
            raise ImplausibleError(f"forward {forward:g} for {expiry:%d%b%y} is far from index {index_price:g}")
        calls, puts = quotes[expiry]["call"], quotes[expiry]["put"]
        strikes = sorted(set(calls) | set(puts))
        chosen = [(k, puts.get(k, calls.get(k)) if k <= forward else calls.get(k, puts.get(k))) for k in strikes]
        smiles.append(Smile(t, forward, tuple(k for k, _ in chosen), tuple(float(v) for _, v in chosen)))
    if not smiles:
        raise MalformedError("option book has no expiry with usable mark IVs")
    return snapshot, smiles


def parse_option_book(payload: Any, *, index_price: float | None = None) -> list[Observation]:
    """Option book → `atm_iv` and `skew_25d` per tenor (7d/30d/90d) for the snapshot's UTC day."""
    snapshot, smiles = book_to_smiles(payload, index_price=index_price)
    ts = day_start(utc_day(snapshot))
    observations = []
    for tenor, days in ATM_TENORS_DAYS.items():
        point = constant_maturity(smiles, days)
        if math.isfinite(point.atm_iv):
            observations.append(Observation("atm_iv", tenor, ts, point.atm_iv, NAME))
        if math.isfinite(point.skew_25d):
            observations.append(Observation("skew_25d", tenor, ts, point.skew_25d, NAME))
    if not any(o.metric == "atm_iv" for o in observations):
        raise MalformedError("no tenor's ATM IV could be read off the option book")
    return check_observations(observations)


def parse_dvol(payload: Any) -> tuple[list[Observation], int | None]:
    """One DVOL page → (daily closes stamped 00:00 UTC of their day, continuation or None)."""
    result = as_mapping(unwrap(payload, what="get_volatility_index_data"), field="result")
    rows = as_list(get_path(result, ["data"]), field="result.data", allow_empty=True)
    by_day: dict[date, tuple[datetime, float]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"result.data[{i}] is not [ts, open, high, low, close]")
        ts = epoch_ms_to_utc(as_float(row[0], field=f"data[{i}][0]"))
        close = as_float(row[4], field=f"data[{i}][4]")
        day = utc_day(ts)
        if day not in by_day or ts >= by_day[day][0]:
            by_day[day] = (ts, close)
    observations = [Observation("dvol", "", day_start(day), value, NAME) for day, (_, value) in sorted(by_day.items())]
    continuation = result.get("continuation")
    return check_observations(observations), (int(continuation) if continuation else None)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Deribit(Provider):
    """BTC options: today's ATM IV / 25Δ skew snapshot, plus the DVOL history."""

    name = NAME
    metrics = ("atm_iv", "skew_25d", "dvol")
    capabilities = Capabilities(
        hosts={"www.deribit.com": 5.0},
        history="DVOL since 2021-03; option surface: snapshots only (stored daily)",
        docs="https://docs.deribit.com/#market-data",
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        index = parse_index_price(await rpc_get(http, INDEX_URL, {"index_name": "btc_usd"}))
        book = await rpc_get(http, BOOK_URL, {"currency": "BTC", "kind": "option"})
        observations = parse_option_book(book, index_price=index)
        observations += await self._dvol(http, window.start or DVOL_START)
        return observations

    async def _dvol(self, http: Session, first: date) -> list[Observation]:
        """Page DVOL backwards from now to `first` with `continuation`."""
        start = _ms(day_start(first))
        end = _ms(now_utc())
        found: dict[date, Observation] = {}
        for _ in range(MAX_DVOL_PAGES):
            params = {"currency": "BTC", "resolution": "1D", "start_timestamp": start, "end_timestamp": end}
            page, continuation = parse_dvol(await rpc_get(http, DVOL_URL, params))
            for obs in page:
                found.setdefault(utc_day(obs.ts), obs)
            if continuation is None or continuation <= start or continuation >= end or not page:
                break
            end = continuation
        else:
            log.warning("deribit: DVOL paging stopped after %d pages", MAX_DVOL_PAGES)
        return [found[d] for d in sorted(found) if d >= first and day_start(d) <= now_utc() + timedelta(days=1)]
