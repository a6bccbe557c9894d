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
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from signaldesk.clock import day_start, epoch_ms_to_utc, epoch_s_to_utc, iso_to_utc, today_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider
from signaldesk.providers.venues import binance_list, binance_object, bybit_result, okx_data

NAME = "coinbase"
COINBASE = "https://api.exchange.coinbase.com"
OKX = "https://www.okx.com"
BYBIT = "https://api.bybit.com"
BINANCE = "https://data-api.binance.vision"
VENUES = ("okx", "bybit", "binance")

log = logging.getLogger(__name__)


def premium(coinbase_usd: float, venue_usdt: float, usdt_usd: float) -> float:
    """(Coinbase USD − venue USD) / venue USD, where venue USD = venue USDT price × USDT/USD."""
    venue_usd = venue_usdt * usdt_usd
    return (coinbase_usd - venue_usd) / venue_usd


def _positive(value: float, what: str) -> float:
    if not value > 0:
        raise ImplausibleError(f"{what} = {value:g} is not a price", provider=NAME)
    return value


def parse_coinbase_candles(payload: Any, *, product: str) -> dict[date, float]:
    """Daily candles `[time, low, high, open, close, volume]` → {UTC day: close}."""
    if isinstance(payload, dict) and "message" in payload:
        raise UnavailableError(f"Coinbase {product} candles: {payload['message']}", provider=NAME)
    rows = as_list(payload, field=f"{product} candles", provider=NAME)
    out = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"{product} candle {i} is not [time, low, high, open, close, volume]", provider=NAME)
        day = utc_day(epoch_s_to_utc(as_float(row[0], field=f"{product}[{i}].time", provider=NAME)))
        low = as_float(row[1], field=f"{product}[{i}].low", provider=NAME)
        high = as_float(row[2], field=f"{product}[{i}].high", provider=NAME)
        close = _positive(as_float(row[4], field=f"{product}[{i}].close", provider=NAME), f"{product} close")
        if not low <= close <= high:
            raise MalformedError(f"{product} candle {i}: close {close:g} outside [low {low:g}, high {high:g}]: column order changed?",
                                 provider=NAME)
        out[day] = close
    return out


def parse_coinbase_ticker(payload: Any, *, product: str) -> tuple[datetime, float]:
    """`/products/{id}/ticker` → (time, last trade price)."""
    body = as_mapping(payload, field=f"{product} ticker", provider=NAME)
    if "message" in body and "price" not in body:
        raise UnavailableError(f"Coinbase {product} ticker: {body['message']}", provider=NAME)
    price = _positive(as_float(get_path(body, ["price"], provider=NAME), field=f"{product}.price", provider=NAME), f"{product} price")
    return iso_to_utc(str(get_path(body, ["time"], provider=NAME))), price


def parse_okx_candles(payload: Any) -> dict[date, float]:
    """OKX `market/candles?bar=1Dutc` rows `[ts_ms, o, h, l, c, …]` → {UTC day: close}."""
    out = {}
    for i, row in enumerate(okx_data(payload, what="candles", provider=NAME)):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"OKX candle {i} is not [ts, o, h, l, c, …]", provider=NAME)
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"candles[{i}][0]", provider=NAME)))
        out[day] = _positive(as_float(row[4], field=f"candles[{i}][4]", provider=NAME), "OKX close")
    return out


def parse_okx_ticker(payload: Any) -> tuple[datetime, float]:
    row = as_mapping(okx_data(payload, what="ticker", provider=NAME)[0], field="data[0]", provider=NAME)
    ts = epoch_ms_to_utc(as_float(get_path(row, ["ts"], provider=NAME), field="ts", provider=NAME))
    return ts, _positive(as_float(get_path(row, ["last"], provider=NAME), field="last", provider=NAME), "OKX last")


def parse_bybit_kline(payload: Any) -> dict[date, float]:
    """Bybit `v5/market/kline` rows `[start_ms, o, h, l, c, volume, turnover]` → {UTC day: close}."""
    rows = as_list(get_path(bybit_result(payload, what="kline", provider=NAME), ["list"], provider=NAME), field="result.list", provider=NAME)
    out = {}
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"Bybit kline {i} is not [start, o, h, l, c, …]", provider=NAME)
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"kline[{i}][0]", provider=NAME)))
        out[day] = _positive(as_float(row[4], field=f"kline[{i}][4]", provider=NAME), "Bybit close")
    return out


def parse_bybit_ticker(payload: Any) -> tuple[datetime, float]:
    body = as_mapping(payload, field="tickers", provider=NAME)
    row = as_mapping(as_list(get_path(bybit_result(body, what="tickers", provider=NAME), ["list"], provider=NAME), field="result.list",
                             provider=NAME)[0], field="result.list[0]", provider=NAME)
    ts = epoch_ms_to_utc(as_float(get_path(body, ["time"], provider=NAME), field="time", provider=NAME))
    return ts, _positive(as_float(get_path(row, ["lastPrice"], provider=NAME), field="lastPrice", provider=NAME), "Bybit lastPrice")


def parse_binance_klines(payload: Any) -> dict[date, float]:
    """Binance `api/v3/klines` rows `[openTime_ms, o, h, l, c, …]` → {UTC day: close}."""
    out = {}
    for i, row in enumerate(binance_list(payload, what="klines", provider=NAME)):
        if not isinstance(row, list) or len(row) < 5:
            raise MalformedError(f"Binance kline {i} is not [openTime, o, h, l, c, …]", provider=NAME)
        day = utc_day(epoch_ms_to_utc(as_float(row[0], field=f"klines[{i}][0]", provider=NAME)))
        out[day] = _positive(as_float(row[4], field=f"klines[{i}][4]", provider=NAME), "Binance close")
    return out


def parse_binance_ticker(payload: Any) -> float:
    body = binance_object(payload, what="ticker/price", provider=NAME)
    return _positive(as_float(get_path(body, ["price"], provider=NAME), field="price", provider=NAME), "Binance price")


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
        hosts={"api.exchange.coinbase.com": 5.0, "www.okx.com": 4.0, "api.bybit.com": 5.0, "data-api.binance.vision": 5.0},
        history="300 days (one page of daily candles)",
        docs="https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductcandles",
    )

    def __init__(self, venues: tuple[str, ...] = VENUES) -> None:
        self.venues = venues
        self.venue_errors: dict[str, str] = {}
        self.venue_used = ""

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        today = today_utc()
        candles = {"granularity": 86400}
        btc = parse_coinbase_candles(await client.get_json(f"{COINBASE}/products/BTC-USD/candles", params=candles, provider=NAME),
                                     product="BTC-USD")
        usdt = parse_coinbase_candles(await client.get_json(f"{COINBASE}/products/USDT-USD/candles", params=candles, provider=NAME),
                                      product="USDT-USD")
        btc_ts, btc_now = parse_coinbase_ticker(await client.get_json(f"{COINBASE}/products/BTC-USD/ticker", provider=NAME),
                                                product="BTC-USD")
        _, usdt_now = parse_coinbase_ticker(await client.get_json(f"{COINBASE}/products/USDT-USD/ticker", provider=NAME),
                                            product="USDT-USD")
        if not 0.8 < usdt_now < 1.2:
            raise ImplausibleError(f"USDT-USD at {usdt_now:g}: a depeg this large makes the premium meaningless", provider=NAME)
        venue_daily, venue_now = await self._venue(client)
        tickers = (btc_now, venue_now, usdt_now) if utc_day(btc_ts) == today else None
        observations = combine_premium(btc, usdt, venue_daily, today=today, now=tickers)
        observations = [o for o in observations if since is None or utc_day(o.ts) >= since]
        return check_observations(observations, provider=NAME)

    async def _venue(self, client: HttpClient) -> tuple[dict[date, float], float]:
        """The first USDT venue that answers: its daily BTC-USDT closes and its last price."""
        self.venue_errors = {}
        for venue in self.venues:
            try:
                if venue == "okx":
                    daily = parse_okx_candles(await client.get_json(f"{OKX}/api/v5/market/candles",
                                                                    params={"instId": "BTC-USDT", "bar": "1Dutc", "limit": 300}, provider=NAME))
                    _, last = parse_okx_ticker(await client.get_json(f"{OKX}/api/v5/market/ticker", params={"instId": "BTC-USDT"}, provider=NAME))
                elif venue == "bybit":
                    daily = parse_bybit_kline(await client.get_json(f"{BYBIT}/v5/market/kline",
                                                                    params={"category": "spot", "symbol": "BTCUSDT", "interval": "D", "limit": 300},
                                                                    provider=NAME))
                    _, last = parse_bybit_ticker(await client.get_json(f"{BYBIT}/v5/market/tickers",
                                                                       params={"category": "spot", "symbol": "BTCUSDT"}, provider=NAME))
                else:
                    daily = parse_binance_klines(await client.get_json(f"{BINANCE}/api/v3/klines",
                                                                       params={"symbol": "BTCUSDT", "interval": "1d", "limit": 300}, provider=NAME))
                    last = parse_binance_ticker(await client.get_json(f"{BINANCE}/api/v3/ticker/price", params={"symbol": "BTCUSDT"},
                                                                      provider=NAME))
            except ProviderError as exc:
                self.venue_errors[venue] = f"{type(exc).__name__}: {exc}"
                log.warning("coinbase premium: venue %s left out: %s", venue, exc)
                continue
            self.venue_used = venue
            return daily, last
        raise UnavailableError("no USDT venue answered: " + "; ".join(f"{v}: {e}" for v, e in self.venue_errors.items()), provider=NAME)
