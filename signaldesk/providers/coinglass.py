"""CoinGlass aggregated BTC liquidations, daily (optional, needs `COINGLASS_API_KEY`).

Endpoint: `GET https://open-api-v4.coinglass.com/api/futures/liquidation/aggregated-history
?exchange_list=Binance,OKX,…&symbol=BTC&interval=1d&limit=1000[&start_time=ms]`
(docs: https://docs.coinglass.com/reference/aggregated-liquidation-history; errors and limits:
https://docs.coinglass.com/reference/responses-error-codes). The key goes in the `CG-API-KEY`
header, the only way CoinGlass accepts it. Every plan serves this endpoint (Hobbyist: intervals of
4 h and longer, so `1d` works on all of them); the per-minute limit depends on the plan
(Hobbyist 30/min) and is echoed in the `API-KEY-MAX-LIMIT` response header.

Shape: `{"code": "0", "msg": "success", "data": [{"time": 1658966400000,
"aggregated_long_liquidation_usd": 5916885.14, "aggregated_short_liquidation_usd": 12969583.88},
...]}`, oldest first; `time` is the bar's open in **milliseconds** (00:00 UTC for `1d`). Quirks:
- `exchange_list` is required: the total is only what the listed venues report (CoinGlass
  aggregates exchange-pushed liquidation events, which are known to be incomplete — Binance's
  public stream, for one, pushes at most one liquidation order per symbol per second). We list
  the large venues below;
- `limit` is at most 1000; a fresh store gets the latest 1000 days, later runs start 3 days
  before the last day stored (`revision_days`), never more than 1000 days back (`max_days`);
- the current day's bar is partial: only completed UTC days are kept, so
  `…_usd_24h` on day D is the total for that UTC day;
- errors come as HTTP 401/429 or, with HTTP 200, as `code` ≠ "0" with `msg` — both are mapped to
  typed errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from signaldesk.clock import day_start, epoch_ms_to_utc, utc_day
from signaldesk.errors import RateLimitedError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "coinglass"
HOST = "open-api-v4.coinglass.com"
URL = f"https://{HOST}/api/futures/liquidation/aggregated-history"
KEY_ENV = "COINGLASS_API_KEY"
EXCHANGES = (
    "Binance",
    "OKX",
    "Bybit",
    "Bitget",
    "Hyperliquid",
    "Gate",
    "HTX",
    "Bitmex",
    "Deribit",
    "Bitfinex",
    "KuCoin",
    "CoinEx",
    "Kraken",
    "BingX",
    "MEXC",
)
"""Venues summed, spelled as CoinGlass's `/api/futures/supported-exchanges` spells them."""
MAX_LIMIT = 1000
ENTITY = "btc"


def request_params(start: date | None) -> dict[str, str]:
    """Query of the one request a run makes (`start_time` only when the store already has data)."""
    params = {"exchange_list": ",".join(EXCHANGES), "symbol": "BTC", "interval": "1d", "limit": str(MAX_LIMIT)}
    if start is not None:
        params["start_time"] = str(int(day_start(start).timestamp() * 1000))
    return params


def _code_error(code: str, message: str) -> UnavailableError:
    if code == "429":
        return RateLimitedError(f"CoinGlass rate limit: {message}")
    if code in {"401", "403"}:
        return UnavailableError(f"CoinGlass refused the key in {KEY_ENV} ({code} {message})")
    return UnavailableError(f"CoinGlass answered code {code}: {message}")


def parse_liquidations(payload: Any, today: date) -> list[Observation]:
    """Response body → daily long and short liquidations (USD, entity `btc`) of completed days."""
    body = as_mapping(payload, field="body")
    code = str(get_path(body, ["code"]))
    if code != "0":
        raise _code_error(code, str(body.get("msg", "")))
    rows = as_list(get_path(body, ["data"]), field="data")
    observations = []
    for i, raw in enumerate(rows):
        row: Mapping[str, Any] = as_mapping(raw, field=f"data[{i}]")
        opened = epoch_ms_to_utc(as_float(get_path(row, ["time"]), field=f"data[{i}].time"))
        day = utc_day(opened)
        longs = as_float(
            get_path(row, ["aggregated_long_liquidation_usd"]), field=f"data[{i}].aggregated_long_liquidation_usd"
        )
        shorts = as_float(
            get_path(row, ["aggregated_short_liquidation_usd"]), field=f"data[{i}].aggregated_short_liquidation_usd"
        )
        if day >= today:  # the bar of the day in progress is partial
            continue
        ts = day_start(day)
        observations.append(Observation("long_liquidations_usd_24h", ENTITY, ts, longs, NAME))
        observations.append(Observation("short_liquidations_usd_24h", ENTITY, ts, shorts, NAME))
    observations.sort(key=lambda o: (o.ts, o.metric))
    return check_observations(observations)


class CoinGlass(Provider):
    """BTC long/short liquidations across the large venues; skipped unless `COINGLASS_API_KEY` is set."""

    name = NAME
    metrics = ("long_liquidations_usd_24h", "short_liquidations_usd_24h")
    capabilities = Capabilities(
        hosts={HOST: 0.5},
        history="daily bars: the latest 1000 days per request (plan-dependent depth)",
        key_env=KEY_ENV,
        key_required=True,
        key_header="CG-API-KEY",
        docs="https://docs.coinglass.com/reference/aggregated-liquidation-history",
        revision_days=3,
        max_days=MAX_LIMIT,
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        self.require_key()
        return parse_liquidations(await http.get_json(URL, params=request_params(window.start)), window.today)
