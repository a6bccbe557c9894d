"""Coin Metrics Community API v4: BTC MVRV, realised cap and price, supply, hash rate (daily).

Endpoint: `GET https://community-api.coinmetrics.io/v4/timeseries/asset-metrics?assets=btc&metrics=…
&frequency=1d&start_time=…&page_size=…&paging_from=start` (docs: https://docs.coinmetrics.io/api/v4/).

Licence: the community data is **CC BY-NC 4.0 — non-commercial use only**, with attribution to
Coin Metrics. A desk that sells its reports must not use this provider (disable it) or must buy
the paid API (`api.coinmetrics.io`, keyed); reports that use it must credit Coin Metrics.

Quirks, all handled here:
- keyless, **10 requests per 6 seconds** per IP; results are paged: follow `next_page_url`
  *unmodified* until it is absent;
- every value is a **string**; `time` has nanoseconds (`2026-02-24T00:00:00.000000000Z`); a
  missing key means the metric is not served for the asset, `null` means no data that day;
- a metric outside the community tier makes the *whole* request fail with HTTP 403
  `{"error":{"type":"forbidden",...}}` (400 for an unknown one). Public notes disagree on which
  of `CapRealUSD` and `CapMVRVCur` are free, so `CapRealUSD` is asked for in a request of its
  own, and when the core request is refused we ask for each of its metrics alone and keep the
  ones that answer: one refused metric degrades the result instead of failing everything;
- `HashRate` is in **TH/s** (e.g. 1.13e8 on 2020-01-01 = 113 EH/s), stored as EH/s;
- the latest day appears with about a day's lag.

Derived here, because the community tier may refuse either ratio input:
`realized_cap_usd` = `CapRealUSD`, or `CapMrktCurUSD / CapMVRVCur` when it is refused;
`mvrv` = `CapMVRVCur`, or `CapMrktCurUSD / CapRealUSD`; `realized_price_usd` = realised cap / `SplyCur`.
A market cap that is not price × supply (±5 %) is an `ImplausibleError`; every metric refused is an
`UnavailableError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from signaldesk.clock import day_start, iso_to_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "coinmetrics"
URL = "https://community-api.coinmetrics.io/v4/timeseries/asset-metrics"
ASSET = "btc"
#: Requested together: the metrics public notes report as community-tier. The order is the
#: order Coin Metrics echoes them in each row.
CORE_METRICS = ("CapMVRVCur", "CapMrktCurUSD", "HashRate", "PriceUSD", "SplyCur")
#: Requested on its own, because the community tier may refuse it (then realised cap is
#: derived from market cap / MVRV): one refusal must not cost the core request.
OPTIONAL_METRICS = ("CapRealUSD",)
CM_METRICS = CORE_METRICS + OPTIONAL_METRICS
#: First day of Coin Metrics' BTC price history: a fresh store asks for everything.
HISTORY_START = "2010-07-18"
#: The API's maximum: the whole BTC history of five metrics fits one page (fewer requests
#: against the 10-per-6-seconds limit); longer answers are still followed page by page.
PAGE_SIZE = 10000
#: `error.type` values that mean "not for you / not known", i.e. drop the metric, not the run.
_REFUSAL_TYPES = frozenset({"forbidden", "unauthorized", "bad_parameter"})
#: CapMrktCurUSD must equal PriceUSD × SplyCur; beyond this relative gap the row is nonsense.
_CAP_TOLERANCE = 0.05
MAX_PAGES = 200


def _number(row: Mapping[str, Any], key: str, where: str) -> float | None:
    if key not in row or row[key] is None:
        return None
    return as_float(row[key], field=f"{where}.{key}")


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> list[Observation]:
    """Coin Metrics rows (any subset of `CM_METRICS` per row) → observations, oldest first.

    Yields `mvrv`, `realized_cap_usd`, `realized_price_usd`, `supply_btc` and `hashrate_ehs`
    (entity `""`) for every day where their inputs are present.
    """
    observations: list[Observation] = []
    for i, raw in enumerate(rows):
        row = as_mapping(raw, field=f"data[{i}]")
        where = f"data[{i}]"
        if row.get("asset", ASSET) != ASSET:
            raise MalformedError(f"{where} is for asset {row.get('asset')!r}, asked for {ASSET}")
        time_text = get_path(row, ["time"])
        try:
            ts = day_start(utc_day(iso_to_utc(str(time_text))))
        except ValueError:
            raise MalformedError(f"{where}.time is not a timestamp: {str(time_text)[:40]!r}") from None
        observations += _day_observations(row, where, ts)
    observations.sort(key=lambda o: (o.ts, o.metric))
    return check_observations(observations)


def _day_observations(row: Mapping[str, Any], where: str, ts: datetime) -> list[Observation]:
    """One day's values: market cap checked against price × supply, realised cap and MVRV each
    derived from the other when the row carries only one of them."""
    mvrv = _number(row, "CapMVRVCur", where)
    mcap = _number(row, "CapMrktCurUSD", where)
    rcap = _number(row, "CapRealUSD", where)
    supply = _number(row, "SplyCur", where)
    hashrate_ths = _number(row, "HashRate", where)
    price = _number(row, "PriceUSD", where)
    if mcap is not None and price is not None and supply is not None and mcap > 0:
        gap = abs(price * supply / mcap - 1.0)
        if gap > _CAP_TOLERANCE:
            raise ImplausibleError(
                f"{ts:%Y-%m-%d}: CapMrktCurUSD {mcap:.4g} is not PriceUSD × SplyCur ({price * supply:.4g})",
            )
    if rcap is None and mcap is not None and mvrv:
        rcap = mcap / mvrv
    if mvrv is None and mcap is not None and rcap:
        mvrv = mcap / rcap
    out: list[Observation] = []
    if mvrv is not None:
        out.append(Observation("mvrv", "", ts, mvrv, NAME))
    if rcap is not None:
        out.append(Observation("realized_cap_usd", "", ts, rcap, NAME))
        if supply:
            out.append(Observation("realized_price_usd", "", ts, rcap / supply, NAME))
    if supply is not None:
        out.append(Observation("supply_btc", "", ts, supply, NAME))
    if hashrate_ths is not None:
        out.append(Observation("hashrate_ehs", "", ts, hashrate_ths / 1e6, NAME))
    return out


class RefusedError(MalformedError):
    """Coin Metrics refused the request's metrics (`error.type` forbidden / bad_parameter)."""


def parse_page(payload: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """One page → (its rows, the next page's URL or None). An `error` body raises.

    A refusal body raises `RefusedError` whatever the HTTP status it came with (normally 403),
    so a proxy that turns statuses into 200 cannot make a refusal look like broken data.
    """
    body = as_mapping(payload, field="body")
    if "error" in body:
        error = body.get("error") or {}
        kind = error.get("type", "?") if isinstance(error, Mapping) else "?"
        message = error.get("message", "") if isinstance(error, Mapping) else str(error)
        cls = RefusedError if kind in _REFUSAL_TYPES else MalformedError
        raise cls(f"Coin Metrics error {kind}: {message}")
    rows = as_list(get_path(body, ["data"]), field="data", allow_empty=True)
    next_url = body.get("next_page_url")
    if next_url is not None and not isinstance(next_url, str):
        raise MalformedError("next_page_url is not a string")
    return rows, next_url or None


def request_params(metrics: Iterable[str], start: str) -> dict[str, str]:
    """The query of the first page (the next pages come from `next_page_url`)."""
    return {
        "assets": ASSET,
        "metrics": ",".join(metrics),
        "frequency": "1d",
        "start_time": start,
        "page_size": str(PAGE_SIZE),
        "paging_from": "start",
    }


def _refused(exc: ProviderError) -> bool:
    """A 403 (metric not in the community tier) or 400 (metric unknown) for this request."""
    text = str(exc)
    return "HTTP 403" in text or "HTTP 400" in text


class CoinMetrics(Provider):
    """MVRV and friends: the core metrics in one request, `CapRealUSD` in another, and one
    request per metric when the tier refuses the core request."""

    name = NAME
    metrics = ("mvrv", "realized_cap_usd", "realized_price_usd", "supply_btc", "hashrate_ehs")
    capabilities = Capabilities(
        hosts={"community-api.coinmetrics.io": 1.6},
        history="full (BTC since 2010); community tier, CC BY-NC 4.0 (non-commercial)",
        docs="https://docs.coinmetrics.io/api/v4/",
        revision_days=3,  # the latest day is provisional for a while
    )

    async def _rows(self, http: Session, metrics: tuple[str, ...], start: str) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = []
        payload = await http.get_json(URL, params=request_params(metrics, start))
        for _ in range(MAX_PAGES):
            page, next_url = parse_page(payload)
            rows.extend(page)
            if next_url is None:
                return rows
            payload = await http.get_json(next_url)
        raise MalformedError(f"more than {MAX_PAGES} pages: next_page_url loops?")

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        start = HISTORY_START if window.start is None else window.start.isoformat()
        merged: dict[str, dict[str, Any]] = {}
        refusals: list[str] = []
        for group in (CORE_METRICS, OPTIONAL_METRICS):
            for rows in await self._group_rows(http, group, start, refusals):
                for i, raw in enumerate(rows):
                    row = as_mapping(raw, field=f"data[{i}]")
                    key = str(get_path(row, ["time"]))
                    merged.setdefault(key, {"asset": row.get("asset", ASSET), "time": key}).update(
                        {k: v for k, v in row.items() if k not in ("asset", "time")}
                    )
        if len(refusals) == len(CM_METRICS):
            raise UnavailableError(f"Coin Metrics refused every metric: {refusals[0]}")
        # ~15,000 observations to build and check on a fresh store: off the event loop.
        return await asyncio.to_thread(parse_rows, [merged[k] for k in sorted(merged)])

    async def _group_rows(
        self, http: Session, group: tuple[str, ...], start: str, refusals: list[str]
    ) -> list[list[Mapping[str, Any]]]:
        """The rows of `group` in one request; when refused, of each member alone (refusals noted)."""
        try:
            return [await self._rows(http, group, start)]
        except (UnavailableError, RefusedError) as exc:
            if isinstance(exc, UnavailableError) and not _refused(exc):
                raise
            if len(group) == 1:
                refusals.append(f"{group[0]}: {exc}")
                return []
        out = []
        for metric in group:
            out.extend(await self._group_rows(http, (metric,), start, refusals))
        return out
