"""Coinbase premium: Coinbase BTC-USD against a USDT venue's BTC-USDT, converted to USD.

`coinbase_premium` = (P_Coinbase,USD − P_venue,USDT × USDT/USD) / (P_venue,USDT × USDT/USD), a
fraction. CryptoQuant's index compares Coinbase BTC-USD with Binance BTC-USDT directly; that mixes
dollars and tethers, so a USDT depeg of 0.1 % would show up as a 0.1 % "premium". We convert the
venue price with Coinbase's own `USDT-USD` rate, as research §1.5 recommends.

Endpoints (keyless):
- Coinbase Exchange, https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductcandles :
  `GET https://api.exchange.coinbase.com/products/{BTC-USD|USDT-USD}/candles?granularity=86400`
  (rows `[time_s, low, high, open, close, volume]` — **low, high, open, close**, not OHLC —
  newest first, ≤ 300 rows, the last one today's partial day) and `/products/{id}/ticker`.
  Coinbase rejects requests without a User-Agent (the shared client sends one); ~10 req/s.
- The USDT venue, first that answers: OKX (`/api/v5/market/candles?bar=1Dutc` — plain `1D` is
  aligned to Hong Kong time — and `/market/ticker`), Bybit spot (`/v5/market/kline?interval=D`,
  `/v5/market/tickers`), Binance spot through its public market-data mirror
  `data-api.binance.vision` (`/api/v3/klines?interval=1d`, `/api/v3/ticker/price`), which is not
  geo-blocked like `api.binance.com`.

History: one value per UTC day from daily closes (both venues close their daily candle at 00:00
UTC, so the two closes are the same instant); today's value from the tickers, which the
collector reads within the same second, replaces today's partial candle.

Failures: Coinbase answers errors as `{"message": …}`; a close outside [low, high] means the column
order changed (`MalformedError`); USDT-USD outside 0.8–1.2 is a depeg that makes the premium
meaningless (`ImplausibleError`); a rate-limited or geo-blocked USDT venue moves on to the next one
(the skipped ones are named in `failures`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from signaldesk.clock import day_start, epoch_ms_to_utc, epoch_s_to_utc, iso_to_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window
from signaldesk.providers.venues import binance_list, binance_object, bybit_result, okx_data

NAME = "coinbase"
COINBASE = "https://api.exchange.coinbase.com"
OKX = "https://www.okx.com"
BYBIT = "https://api.bybit.com"
BINANCE = "https://data-api.binance.vision"
VENUES = ("okx", "bybit", "binance")


def premium(coinbase_usd: float, venue_usdt: float, usdt_usd: float) -> float:
    """(Coinbase USD − venue USD) / venue USD, where venue USD = venue USDT price × USDT/USD."""
    venue_usd = venue_usdt * usdt_usd
    return (coinbase_usd - venue_usd) / venue_usd


def _positive(value: float, what: str) -> float:
    if not value > 0:
        raise ImplausibleError(f"{what} = {value:g} is not a price")
    return value


def parse_coinbase_candles(payload: Any, *, product: str) -> dict[date, float]:
    """Daily candles `[time, low, high, open, close, volume]` → {UTC day: close}."""
    if isinstance(payload, dict) and "message" in payload:
        raise UnavailableError(f"Coinbase {product} candles: {payload['message']}")
    rows = as_list(payload, field=f"{product} candles")
    out = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"{product} candle {i} is not [time, low, high, open, close, volume]")
        day = utc_day(epoch_s_to_utc(as_float(row[0], field=f"{product}[{i}].time")))
        low = as_float(row[1], field=f"{product}[{i}].low")
        high = as_float(row[2], field=f"{product}[{i}].high")
        close = _positive(as_float(row[4], field=f"{product}[{i}].close"), f"{product} close")
        if not low <= close <= high:
            raise MalformedError(
                f"{product} candle {i}: close {close:g} outside [low {low:g}, high {high:g}]: column order changed?"
            )
        out[day] = close
    return out


def parse_coinbase_ticker(payload: Any, *, product: str) -> tuple[datetime, float]:
    """`/products/{id}/ticker` → (time, last trade price)."""
    body = as_mapping(payload, field=f"{product} ticker")
    if "message" in body and "price" not in body:
        raise UnavailableError(f"Coinbase {product} ticker: {body['message']}")
    price = _positive(as_float(get_path(body, ["price"]), field=f"{product}.price"), f"{product} price")
    return iso_to_utc(str(get_path(body, ["time"]))), price


def parse_okx_candles(payload: Any) -> dict[date, float]:
    """OKX `market/candles?bar=1Dutc` rows `[ts_ms, o, h, l, c, …]` → {UTC day: close}."""
    out = {}
    for i, row in enumerate(okx_data(payload, what="candles")):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"OKX candle {i} is not [ts, o, h, l, c, …]")
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"candles[{i}][0]")))
        out[day] = _positive(as_float(row[4], field=f"candles[{i}][4]"), "OKX close")
    return out


def parse_okx_ticker(payload: Any) -> tuple[datetime, float]:
    row = as_mapping(okx_data(payload, what="ticker")[0], field="data[0]")
    ts = epoch_ms_to_utc(as_float(get_path(row, ["ts"]), field="ts"))
    return ts, _positive(as_float(get_path(row, ["last"]), field="last"), "OKX last")


def parse_bybit_kline(payload: Any) -> dict[date, float]:
    """Bybit `v5/market/kline` rows `[start_ms, o, h, l, c, volume, turnover]` → {UTC day: close}."""
    rows = as_list(get_path(bybit_result(payload, what="kline"), ["list"]), field="result.list")
    out = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"Bybit kline {i} is not [start, o, h, l, c, …]")
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"kline[{i}][0]")))
        out[day] = _positive(as_float(row[4], field=f"kline[{i}][4]"), "Bybit close")
    return out


def parse_bybit_ticker(payload: Any) -> tuple[datetime, float]:
    body = as_mapping(payload, field="tickers")
    row = as_mapping(
        as_list(get_path(bybit_result(body, what="tickers"), ["list"]), field="result.list")[0], field="result.list[0]"
    )
    ts = epoch_ms_to_utc(as_float(get_path(body, ["time"]), field="time"))
    return ts, _positive(as_float(get_path(row, ["lastPrice"]), field="lastPrice"), "Bybit lastPrice")


def parse_binance_klines(payload: Any) -> dict[date, float]:
    """Binance `api/v3/klines` rows `[openTime_ms, o, h, l, c, …]` → {UTC day: close}."""
    out = {}
    for i, row in enumerate(binance_list(payload, what="klines")):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"Binance kline {i} is not [openTime, o, h, l, c, …]")
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"klines[{i}][0]")))
        out[day] = _positive(as_float(row[4], field=f"klines[{i}][4]"), "Binance close")
    return out


def parse_binance_ticker(payload: Any) -> float:
    body = binance_object(payload, what="ticker/price")
    return _positive(as_float(get_path(body, ["price"]), field="price"), "Binance price")


def combine_premium(
    coinbase_daily: dict[date, float],
    usdt_daily: dict[date, float],
    venue_daily: dict[date, float],
    *,
    today: date,
    now: tuple[float, float, float] | None = None,
) -> list[Observation]:
    """Daily closes (and today's tickers: Coinbase USD, venue USDT, USDT/USD) → `coinbase_premium`.

    Past days use the three closes of the day; today uses the tickers when given, else today's
    partial candles.
    """
    days = sorted(set(coinbase_daily) & set(usdt_daily) & set(venue_daily))
    values = {d: premium(coinbase_daily[d], venue_daily[d], usdt_daily[d]) for d in days if d <= today}
    if now is not None:
        values[today] = premium(*now)
    return [Observation("coinbase_premium", "", day_start(d), v, NAME) for d, v in sorted(values.items())]


class Coinbase(Provider):
    """Coinbase premium, daily (about 300 days of history from daily candles)."""

    name = NAME
    metrics = ("coinbase_premium",)
    capabilities = Capabilities(
        hosts={
            "api.exchange.coinbase.com": 5.0,
            "www.okx.com": 4.0,
            "api.bybit.com": 5.0,
            "data-api.binance.vision": 5.0,
        },
        history="300 days (one page of daily candles)",
        docs="https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductcandles",
    )

    def __init__(self, venues: tuple[str, ...] = VENUES) -> None:
        super().__init__()
        self.venues = venues

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        candles = {"granularity": 86400}
        btc = parse_coinbase_candles(
            await http.get_json(f"{COINBASE}/products/BTC-USD/candles", params=candles), product="BTC-USD"
        )
        usdt = parse_coinbase_candles(
            await http.get_json(f"{COINBASE}/products/USDT-USD/candles", params=candles), product="USDT-USD"
        )
        btc_ts, btc_now = parse_coinbase_ticker(
            await http.get_json(f"{COINBASE}/products/BTC-USD/ticker"), product="BTC-USD"
        )
        _, usdt_now = parse_coinbase_ticker(
            await http.get_json(f"{COINBASE}/products/USDT-USD/ticker"), product="USDT-USD"
        )
        if not 0.8 < usdt_now < 1.2:
            raise ImplausibleError(f"USDT-USD at {usdt_now:g}: a depeg this large makes the premium meaningless")
        venue_daily, venue_now = await self._venue(http)
        tickers = (btc_now, venue_now, usdt_now) if utc_day(btc_ts) == window.today else None
        return check_observations(combine_premium(btc, usdt, venue_daily, today=window.today, now=tickers))

    async def _venue(self, http: Session) -> tuple[dict[date, float], float]:
        """The first USDT venue that answers: its daily BTC-USDT closes and its last price (the venues
        tried before it are named in `failures`)."""
        for venue in self.venues:
            try:
                return await _VENUE_QUOTES[venue](http)
            except ProviderError as exc:
                self.part_failed(venue, f"{type(exc).__name__}: {exc}")
        raise UnavailableError("no USDT venue answered: " + "; ".join(self.part_failures()))


async def _okx(http: Session) -> tuple[dict[date, float], float]:
    daily = parse_okx_candles(
        await http.get_json(f"{OKX}/api/v5/market/candles", params={"instId": "BTC-USDT", "bar": "1Dutc", "limit": 300})
    )
    _, last = parse_okx_ticker(await http.get_json(f"{OKX}/api/v5/market/ticker", params={"instId": "BTC-USDT"}))
    return daily, last


async def _bybit(http: Session) -> tuple[dict[date, float], float]:
    daily = parse_bybit_kline(
        await http.get_json(
            f"{BYBIT}/v5/market/kline", params={"category": "spot", "symbol": "BTCUSDT", "interval": "D", "limit": 300}
        )
    )
    _, last = parse_bybit_ticker(
        await http.get_json(f"{BYBIT}/v5/market/tickers", params={"category": "spot", "symbol": "BTCUSDT"})
    )
    return daily, last


async def _binance(http: Session) -> tuple[dict[date, float], float]:
    daily = parse_binance_klines(
        await http.get_json(f"{BINANCE}/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1d", "limit": 300})
    )
    last = parse_binance_ticker(await http.get_json(f"{BINANCE}/api/v3/ticker/price", params={"symbol": "BTCUSDT"}))
    return daily, last


_VENUE_QUOTES: dict[str, Callable[[Session], Awaitable[tuple[dict[date, float], float]]]] = {
    "okx": _okx,
    "bybit": _bybit,
    "binance": _binance,
}
