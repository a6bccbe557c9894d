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

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from signaldesk.clock import day_start, epoch_s_to_utc, today_utc, utc_day
from signaldesk.errors import MalformedError, ProviderError, RateLimitedError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path, key_refused
from signaldesk.providers.base import Capabilities, Provider

if TYPE_CHECKING:
    from signaldesk.http import HttpClient

log = logging.getLogger(__name__)

NAME = "glassnode"
HOST = "api.glassnode.com"
BASE_URL = f"https://{HOST}/v1/metrics/"
KEY_ENV = "GLASSNODE_API_KEY"
KEY_HEADER = "X-Api-Key"
PATHS: dict[str, str] = {
    "sth_cost_basis_usd": "indicators/realized_price_less_155",
    "realized_loss_usd": "indicators/realized_loss",
}
"""catalog metric → Glassnode metric path (after /v1/metrics/)."""
BACKFILL_DAYS = 4 * 365 + 1
REVISION_DAYS = 3


def request_params(start: date) -> dict[str, str]:
    """Query of one metric request: BTC, daily, from 00:00 UTC of `start`."""
    return {"a": "BTC", "i": "24h", "s": str(int(day_start(start).timestamp()))}


def parse_points(payload: Any, metric: str, today: date) -> list[Observation]:
    """`[{"t", "v"}, ...]` → daily observations of `metric` for completed days, oldest first."""
    if isinstance(payload, Mapping) and "error" in payload:
        raise UnavailableError(f"Glassnode refused {PATHS.get(metric, metric)}: {payload['error']}", provider=NAME)
    rows = as_list(payload, field=metric, provider=NAME)
    observations = []
    for i, raw in enumerate(rows):
        row = as_mapping(raw, field=f"{metric}[{i}]", provider=NAME)
        start = epoch_s_to_utc(as_float(get_path(row, ["t"], provider=NAME), field=f"{metric}[{i}].t", provider=NAME))
        if start != day_start(utc_day(start)):
            raise MalformedError(f"{metric}[{i}].t is not 00:00 UTC ({start:%Y-%m-%d %H:%M}): not daily data",
                                 provider=NAME)
        value = get_path(row, ["v"], provider=NAME)
        if value is None or utc_day(start) >= today:
            continue
        observations.append(Observation(metric, "", start, as_float(value, field=f"{metric}[{i}].v", provider=NAME), NAME))
    observations.sort(key=lambda o: o.ts)
    return check_observations(observations, provider=NAME)




class Glassnode(Provider):
    """Entity-adjusted STH cost basis and realised loss; skipped unless `GLASSNODE_API_KEY` is set."""

    name = NAME
    metrics = tuple(PATHS)
    capabilities = Capabilities(
        hosts={HOST: 1.0},
        history="full daily history (plan-dependent); a fresh store backfills 4 years",
        key_env=KEY_ENV,
        key_required=True,
        docs="https://docs.glassnode.com/basic-api/endpoints/indicators",
    )

    def __init__(self) -> None:
        self.failures: list[str] = []
        """Metric paths that failed in the last `fetch` ("path: why"); the other was still returned."""

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        key = self.require_key()
        self.failures = []
        today = today_utc()
        start = today - timedelta(days=BACKFILL_DAYS) if since is None else since - timedelta(days=REVISION_DAYS)
        observations: list[Observation] = []
        errors: list[ProviderError] = []
        for metric, path in PATHS.items():
            try:
                observations += parse_points(await self._get(client, path, key, start), metric, today)
            except RateLimitedError:
                raise  # the key's quota is spent: the next path would be refused too
            except ProviderError as exc:  # one moved or refused path costs that metric only
                errors.append(exc)
                self.failures.append(f"{path}: {exc}")
                log.warning("glassnode %s failed: %s", path, exc)
        if not observations:
            raise errors[0] if errors else MalformedError("Glassnode returned no data", provider=NAME)
        return observations

    @staticmethod
    async def _get(client: HttpClient, path: str, key: str, start: date) -> Any:
        try:
            return await client.get_json(BASE_URL + path, params=request_params(start), headers={KEY_HEADER: key},
                                         provider=NAME)
        except RateLimitedError:
            raise
        except UnavailableError as exc:
            raise key_refused(exc, service="Glassnode", key_env=KEY_ENV, provider=NAME, what=path) from None
