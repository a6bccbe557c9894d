"""Glassnode STH cost basis and realised loss, daily (optional, needs `GLASSNODE_API_KEY`).

Endpoints (docs: https://docs.glassnode.com/basic-api/endpoints/indicators; key:
https://docs.glassnode.com/basic-api/api-key):
- `GET https://api.glassnode.com/v1/metrics/indicators/realized_price_less_155?a=BTC&i=24h&s=<unix>`
  → `sth_cost_basis_usd` (short-term holder realised price);
- `GET https://api.glassnode.com/v1/metrics/indicators/realized_loss?a=BTC&i=24h&s=<unix>`
  → `realized_loss_usd` (USD per day).
Glassnode accepts the key as the `api_key` query parameter or the `X-Api-Key` header; we send the
header, so the key is never part of a URL (URLs are what clients, proxies and httpx's own log
print). API access is a paid add-on to the Professional plan; without a key the provider is
skipped with a note. Default limit 600 requests/minute; two requests a run.

Shape: `[{"t": 1771977600, "v": 94512.3}, ...]`, oldest first; `t` is the start of the 24 h
interval in unix **seconds** (so `t` is 00:00 UTC of the day the value belongs to). Quirks:
- `indicators/realized_loss` is **not entity-adjusted**: it is the UTXO-level realised loss (every
  spent output whose creation price was above its spend price, transfers between one owner's own
  addresses included). Glassnode's entity-adjusted variants are separate paths ending
  `_account_based`. It is the same definition as bitview's and the on-chain engine's
  `realized_loss_usd`, and the rulebook only compares it with its own history (a z-score), never
  with an entity-adjusted figure. `indicators/realized_price_less_155` is the realised price of
  coins younger than 155 days;
- the latest interval may be provisional ("data finalization"), and the day in progress is
  dropped; we re-read the last 3 days every run;
- errors: HTTP 400 (bad parameter/asset), 401 (missing or bad key), 403 (metric not in the plan),
  429; a JSON `{"error": "..."}` body is refused too. Metric paths move now and then: a 404
  names the path, so it can be updated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from signaldesk.clock import day_start, epoch_s_to_utc, utc_day
from signaldesk.errors import MalformedError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NAME = "glassnode"
HOST = "api.glassnode.com"
BASE_URL = f"https://{HOST}/v1/metrics/"
KEY_ENV = "GLASSNODE_API_KEY"
PATHS: dict[str, str] = {
    "sth_cost_basis_usd": "indicators/realized_price_less_155",
    "realized_loss_usd": "indicators/realized_loss",
}
"""catalog metric → Glassnode metric path (after /v1/metrics/)."""


def request_params(start: date) -> dict[str, str]:
    """Query of one metric request: BTC, daily, from 00:00 UTC of `start`."""
    return {"a": "BTC", "i": "24h", "s": str(int(day_start(start).timestamp()))}


def parse_points(payload: Any, metric: str, today: date) -> list[Observation]:
    """`[{"t", "v"}, ...]` → daily observations of `metric` for completed days, oldest first."""
    if isinstance(payload, Mapping) and "error" in payload:
        raise UnavailableError(f"Glassnode refused {PATHS.get(metric, metric)}: {payload['error']}")
    rows = as_list(payload, field=metric)
    observations = []
    for i, raw in enumerate(rows):
        row = as_mapping(raw, field=f"{metric}[{i}]")
        start = epoch_s_to_utc(as_float(get_path(row, ["t"]), field=f"{metric}[{i}].t"))
        if start != day_start(utc_day(start)):
            raise MalformedError(f"{metric}[{i}].t is not 00:00 UTC ({start:%Y-%m-%d %H:%M}): not daily data")
        value = get_path(row, ["v"])
        if value is None or utc_day(start) >= today:
            continue
        observations.append(Observation(metric, "", start, as_float(value, field=f"{metric}[{i}].v"), NAME))
    observations.sort(key=lambda o: o.ts)
    return check_observations(observations)


class Glassnode(Provider):
    """STH cost basis and (UTXO-level) realised loss; skipped unless `GLASSNODE_API_KEY` is set."""

    name = NAME
    metrics = tuple(PATHS)
    capabilities = Capabilities(
        hosts={HOST: 1.0},
        history="full daily history (plan-dependent); a fresh store backfills 4 years",
        key_env=KEY_ENV,
        key_required=True,
        key_header="X-Api-Key",
        docs="https://docs.glassnode.com/basic-api/endpoints/indicators",
        backfill_days=4 * 365 + 1,
        revision_days=3,
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """One request per metric path, in turn: a moved or refused path costs its metric only, and a rate
        limit stops the rest (the key's quota is spent, the next path would be refused too)."""
        self.require_key()
        assert window.start is not None  # a backfill depth is declared
        params = request_params(window.start)

        async def one(metric: str, path: str) -> list[Observation]:
            return parse_points(await http.get_json(BASE_URL + path, params=params), metric, window.today)

        return flat(
            await self.gather_parts(
                {path: one(metric, path) for metric, path in PATHS.items()},
                one_by_one=True,
                stop_when_rate_limited=True,
            )
        )
