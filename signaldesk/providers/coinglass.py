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
  before the last day stored;
- the current day's bar is partial: only completed UTC days are kept, so
  `…_usd_24h` on day D is the total for that UTC day;
- errors come as HTTP 401/429 or, with HTTP 200, as `code` ≠ "0" with `msg` — both are mapped to
  typed errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from signaldesk.clock import day_start, epoch_ms_to_utc, today_utc, utc_day
from signaldesk.errors import RateLimitedError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path, key_refused
from signaldesk.providers.base import Capabilities, Provider

if TYPE_CHECKING:
    from signaldesk.http import HttpClient

NAME = "coinglass"
HOST = "open-api-v4.coinglass.com"
URL = f"https://{HOST}/api/futures/liquidation/aggregated-history"
KEY_ENV = "COINGLASS_API_KEY"
KEY_HEADER = "CG-API-KEY"
EXCHANGES = ("Binance", "OKX", "Bybit", "Bitget", "Hyperliquid", "Gate", "HTX", "Bitmex", "Deribit", "Bitfinex",
             "KuCoin", "CoinEx", "Kraken", "BingX", "MEXC")
"""Venues summed, spelled as CoinGlass's `/api/futures/supported-exchanges` spells them."""
MAX_LIMIT = 1000
REVISION_DAYS = 3
ENTITY = "btc"


def request_params(since: date | None) -> dict[str, str]:
    """Query of the one request a run makes (`start_time` only when the store already has data)."""
    params = {"exchange_list": ",".join(EXCHANGES), "symbol": "BTC", "interval": "1d", "limit": str(MAX_LIMIT)}
    if since is not None:
        params["start_time"] = str(int(day_start(since - timedelta(days=REVISION_DAYS)).timestamp() * 1000))
    return params


def _code_error(code: str, message: str) -> UnavailableError:
    if code == "429":
        return RateLimitedError(f"CoinGlass rate limit: {message}", provider=NAME)
    if code in {"401", "403"}:
        return UnavailableError(f"CoinGlass refused the key in {KEY_ENV} ({code} {message})", provider=NAME)
    return UnavailableError(f"CoinGlass answered code {code}: {message}", provider=NAME)


def parse_liquidations(payload: Any, today: date) -> list[Observation]:
    """Response body → daily long and short liquidations (USD, entity `btc`) of completed days."""
    body = as_mapping(payload, field="body", provider=NAME)
    code = str(get_path(body, ["code"], provider=NAME))
    if code != "0":
        raise _code_error(code, str(body.get("msg", "")))
    rows = as_list(get_path(body, ["data"], provider=NAME), field="data", provider=NAME)
    observations = []
    for i, raw in enumerate(rows):
        row: Mapping[str, Any] = as_mapping(raw, field=f"data[{i}]", provider=NAME)
        opened = epoch_ms_to_utc(as_float(get_path(row, ["time"], provider=NAME), field=f"data[{i}].time", provider=NAME))
        day = utc_day(opened)
        longs = as_float(get_path(row, ["aggregated_long_liquidation_usd"], provider=NAME),
                         field=f"data[{i}].aggregated_long_liquidation_usd", provider=NAME)
        shorts = as_float(get_path(row, ["aggregated_short_liquidation_usd"], provider=NAME),
                          field=f"data[{i}].aggregated_short_liquidation_usd", provider=NAME)
        if day >= today:  # the bar of the day in progress is partial
            continue
        ts = day_start(day)
        observations.append(Observation("long_liquidations_usd_24h", ENTITY, ts, longs, NAME))
        observations.append(Observation("short_liquidations_usd_24h", ENTITY, ts, shorts, NAME))
    observations.sort(key=lambda o: (o.ts, o.metric))
    return check_observations(observations, provider=NAME)




class CoinGlass(Provider):
    """BTC long/short liquidations across the large venues; skipped unless `COINGLASS_API_KEY` is set."""

    name = NAME
    metrics = ("long_liquidations_usd_24h", "short_liquidations_usd_24h")
    capabilities = Capabilities(
        hosts={HOST: 0.5},
        history="daily bars: the latest 1000 days per request (plan-dependent depth)",
        key_env=KEY_ENV,
        key_required=True,
        docs="https://docs.coinglass.com/reference/aggregated-liquidation-history",
    )

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        key = self.require_key()
        today = today_utc()
        try:
            payload = await client.get_json(URL, params=request_params(since), headers={KEY_HEADER: key},
                                            provider=NAME)
        except RateLimitedError:
            raise
        except UnavailableError as exc:
            raise key_refused(exc, service="CoinGlass", key_env=KEY_ENV, provider=NAME) from None
        return parse_liquidations(payload, today)
