"""CryptoQuant exchange whale ratio (optional, needs `CRYPTOQUANT_API_KEY`).

Endpoint: `GET https://api.cryptoquant.com/v1/btc/flow-indicator/exchange-whale-ratio
?exchange=all_exchange&window=day&from=YYYYMMDD&limit=N`
(docs: https://docs.cryptoquant.com/api-reference; status codes: https://docs.cryptoquant.com/guides/status-codes).
The key goes in the `Authorization: Bearer …` header, which CryptoQuant recommends over its
`api_key` query parameter because URLs end up in proxy and client logs (httpx logs them too).
API access needs a Professional or Premium plan; without a key the provider is skipped with a note.

Shape: `{"status": {"code": 200, "message": "success"}, "result": {"window": "day",
"data": [{"date": "2026-02-24", "exchange_whale_ratio": 0.64}, ...]}}`, newest first.
`exchange_whale_ratio` = Σ of the 10 largest exchange inflow transactions / total exchange inflow,
a fraction in [0, 1]. Quirks:
- `limit` (1–100,000, default 100) counts back from the newest row even when `from` is given, so
  we always ask for as many rows as the window holds;
- the day in progress is a partial day: only completed UTC days are kept;
- not point-in-time: CryptoQuant re-labels exchange wallets, so history is revised (we re-read
  the last days on every run). It is an **entity** metric: nothing keyless reproduces it;
- the widely quoted "0.64, a ten-year high" is often the 72-hour moving average; this is daily;
- errors: HTTP 401/403 (bad key, endpoint not in the plan), 429, or a `status.code` other than
  200 in the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from signaldesk.clock import day_start
from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "cryptoquant"
HOST = "api.cryptoquant.com"
URL = f"https://{HOST}/v1/btc/flow-indicator/exchange-whale-ratio"
KEY_ENV = "CRYPTOQUANT_API_KEY"
MAX_LIMIT = 100_000


def request_params(start: date, today: date) -> dict[str, str]:
    """Query for the days from `start` up to today (the limit covers every row of the window)."""
    limit = min(MAX_LIMIT, (today - start).days + 2)
    return {"exchange": "all_exchange", "window": "day", "from": start.strftime("%Y%m%d"), "limit": str(limit)}


def _status_error(status: Mapping[str, Any]) -> UnavailableError:
    code, message = status.get("code"), status.get("message", "")
    if str(code) == "429":
        return RateLimitedError(f"CryptoQuant rate limit: {message}")
    if str(code) in {"401", "403"}:
        return UnavailableError(f"CryptoQuant refused the key in {KEY_ENV} ({code} {message}): check it and your plan")
    return UnavailableError(f"CryptoQuant answered {code} {message}")


def parse_whale_ratio(payload: Any, today: date) -> list[Observation]:
    """Response body → daily `exchange_whale_ratio` of completed days, oldest first."""
    body = as_mapping(payload, field="body")
    status = as_mapping(get_path(body, ["status"]), field="status")
    if str(status.get("code")) != "200":
        raise _status_error(status)
    rows = as_list(get_path(body, ["result", "data"]), field="result.data")
    observations = []
    for i, raw in enumerate(rows):
        row = as_mapping(raw, field=f"data[{i}]")
        text = str(get_path(row, ["date"]))
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            raise MalformedError(f"data[{i}].date is not a date: {text[:40]!r}") from None
        value = get_path(row, ["exchange_whale_ratio"])
        if value is None or day >= today:  # no data that day, or the day is still in progress
            continue
        observations.append(
            Observation(
                "exchange_whale_ratio",
                "",
                day_start(day),
                as_float(value, field=f"data[{i}].exchange_whale_ratio"),
                NAME,
            )
        )
    observations.sort(key=lambda o: o.ts)
    return check_observations(observations)


class CryptoQuant(Provider):
    """Exchange whale ratio, all exchanges, daily; skipped unless `CRYPTOQUANT_API_KEY` is set."""

    name = NAME
    metrics = ("exchange_whale_ratio",)
    capabilities = Capabilities(
        hosts={HOST: 0.3},
        history="full daily history (plan-dependent); a fresh store backfills 4 years",
        key_env=KEY_ENV,
        key_required=True,
        key_header="Authorization",
        key_prefix="Bearer ",
        docs="https://docs.cryptoquant.com/api-reference",
        backfill_days=4 * 365 + 1,
        revision_days=3,
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        self.require_key()
        assert window.start is not None  # a backfill depth is declared
        payload = await http.get_json(URL, params=request_params(window.start, window.today))
        return parse_whale_ratio(payload, window.today)
