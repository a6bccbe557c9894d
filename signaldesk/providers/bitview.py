"""Bitcoin Research Kit (BRK) on bitview.space: UTXO cost bases and realised P/L, no node needed.

Endpoints (docs: https://bitview.space/api; MIT, source https://github.com/bitcoinresearchkit/brk):
`GET https://bitview.space/api/series/bulk?series=a,b,…&index=day1&start=YYYY-MM-DD` returns one
envelope per series, in request order: `{"version", "index": "day1", "type", "start", "end",
"stamp", "data": [...]}`; `GET /api/series/{name}/day1?start=…` returns one. Keyless; the
instance claims "no rate limit" — we still send one bulk request a run, at most 2 requests/s.

The series we read, and what they are (names composed the way BRK's generated client composes
them: the bare name is the USD value, `_cents`/`_sats`/`_ratio` are other units of it):

| metric | BRK series | what BRK computes |
|---|---|---|
| `sth_cost_basis_usd` | `sth_realized_price` | realised cap / supply of UTXOs younger than 150 days |
| `lth_cost_basis_usd` | `lth_realized_price` | the same for UTXOs 150 days and older |
| `realized_price_usd` | `realized_price` | realised cap / supply |
| `true_market_mean_usd` | `true_market_mean` | cointime: investor cap (realised cap − thermocap) / active supply |
| `realized_profit_usd` | `realized_profit_sum_24h` | Σ value × (spend − creation price), profitable spends, trailing 24 h |
| `realized_loss_usd` | `realized_loss_sum_24h` | the same for spends at a loss (positive USD) |
| `sopr` | `sopr_24h` | Σ spend value / Σ creation value of outputs spent in the trailing 24 h |
| `supply_in_profit` | `supply_in_profit_share` | percent of supply last moved below today's price (÷ 100 here) |
| `relative_unrealized_loss` | `unrealized_loss_to_mcap` | unrealised loss of coins under water / market cap, percent (÷ 100) |

Why these numbers differ from Glassnode's (say so wherever they are shown):
- **Cohort cut-off.** BRK splits STH/LTH *sharply at 150 days of UTXO age* (`Term::THRESHOLD_DAYS`
  in BRK's source). Glassnode classifies *entities* by their averaged purchase date and weights them
  with a logistic function centred on 155 days (about 10 days wide), and leaves exchange-held coins
  out. The two STH cost bases differ most when many coins cross the threshold at once.
- **No entity clustering.** Every UTXO counts. Transfers between one owner's own addresses are
  spends here, so realised profit and loss read higher, and SOPR differs, compared with Glassnode's
  entity-adjusted figures (seed 001's "$1.26B/day 7d SMA" of realised loss is entity-adjusted).
- **Price source.** BRK values coins with its own price series (current versions derive it from
  the chain itself, an on-chain oracle), not Glassnode's exchange index: realised values can differ
  by a fraction of a percent for that alone.
True Market Mean needs no entities (cointime economics), so it should agree closely.

Quirks, handled here:
- **Positions, not dates.** `start`/`end` are positions in the `day1` index and the rows carry no
  dates. The mapping changed between BRK versions (older: 0 = 2009-01-03, 1 = 2009-01-09, +1 a day —
  what `brk-client` 0.11 still hard-codes; newer servers: 2009-01-01 + position, a 7-day shift).
  So we never map positions ourselves: we ask with a *date* `start` (the API accepts one), and the
  first row is that date, each next row one day later. `end − start` must equal the row count.
- **The last row is today, still forming.** Only completed UTC days are kept. A row dated after the
  response's own `stamp` cannot be real and is dropped too.
- `null` rows (a series that did not exist yet) are skipped. Errors are JSON
  `{"error": {"type", "code", "message"}}` with 400/404 (`series_not_found`, `weight_exceeded`);
  "series names are subject to change" says BRK, so when the bulk request is refused we ask series
  by series and keep those that answer (the others are named in `failures` and the log).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from signaldesk.clock import day_start, iso_to_utc, utc_day
from signaldesk.errors import MalformedError, ProviderError, UnavailableError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

log = logging.getLogger(__name__)

NAME = "bitview"
HOST = "bitview.space"
BULK_URL = f"https://{HOST}/api/series/bulk"
SERIES_URL = f"https://{HOST}/api/series/{{name}}/day1"
INDEX = "day1"


@dataclass(frozen=True, slots=True)
class Series:
    """One BRK series and the catalog metric it becomes (`divisor` 100 turns percent into a fraction)."""

    metric: str
    name: str
    divisor: float = 1.0


SERIES: tuple[Series, ...] = (
    Series("sth_cost_basis_usd", "sth_realized_price"),
    Series("lth_cost_basis_usd", "lth_realized_price"),
    Series("realized_price_usd", "realized_price"),
    Series("true_market_mean_usd", "true_market_mean"),
    Series("realized_profit_usd", "realized_profit_sum_24h"),
    Series("realized_loss_usd", "realized_loss_sum_24h"),
    Series("sopr", "sopr_24h"),
    Series("supply_in_profit", "supply_in_profit_share", 100.0),
    Series("relative_unrealized_loss", "unrealized_loss_to_mcap", 100.0),
)


def bulk_params(series: Sequence[Series], start: date) -> dict[str, str]:
    """Query of the bulk request (its order is the order of the envelopes in the answer)."""
    return {"series": ",".join(s.name for s in series), "index": INDEX, "start": start.isoformat()}


def _error_text(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if error is None:
        return None
    if isinstance(error, dict):
        return f"{error.get('code') or error.get('type') or '?'}: {error.get('message', '')}".strip()
    return str(error)


def parse_series(payload: Any, series: Series, start: date, today: date) -> list[Observation]:
    """One `day1` envelope asked for from `start` → daily observations of completed days, oldest first.

    Row *i* is the UTC day `start + i` (see the module docstring for why positions are not mapped).
    """
    where = f"{series.name}"
    error = _error_text(payload)
    if error is not None:
        raise MalformedError(f"bitview answered an error for {where}: {error}")
    body = as_mapping(payload, field=where)
    index = body.get("index", INDEX)
    if index != INDEX:
        raise MalformedError(f"{where}: index is {index!r}, asked for {INDEX}")
    rows = as_list(get_path(body, ["data"]), field=f"{where}.data")
    first = as_float(get_path(body, ["start"]), field=f"{where}.start")
    end = as_float(get_path(body, ["end"]), field=f"{where}.end")
    if end - first != len(rows):
        raise MalformedError(f"{where}: start {first:g} and end {end:g} do not span its {len(rows)} rows")
    last_day = today - timedelta(days=1)
    stamp = body.get("stamp")
    if isinstance(stamp, str):
        try:
            last_day = min(last_day, utc_day(iso_to_utc(stamp)))
        except ValueError:
            raise MalformedError(f"{where}.stamp is not a timestamp: {stamp[:40]!r}") from None
    observations = []
    for i, raw in enumerate(rows):
        day = start + timedelta(days=i)
        if raw is None or day > last_day:
            continue
        value = as_float(raw, field=f"{where}.data[{i}]") / series.divisor
        observations.append(Observation(series.metric, "", day_start(day), value, NAME))
    return check_observations(observations)


def parse_bulk(
    payload: Any, series: Sequence[Series], start: date, today: date
) -> tuple[list[Observation], dict[str, str]]:
    """The bulk answer → (observations, series → why it failed).

    Each envelope is judged alone: one absurd or renamed series costs that metric, not the others.
    Every envelope failing raises the first failure's type, naming its series.
    """
    error = _error_text(payload)
    if error is not None:
        raise MalformedError(f"bitview answered an error: {error}")
    envelopes = as_list(payload, field="body")
    if len(envelopes) != len(series):
        raise MalformedError(f"bulk answer has {len(envelopes)} series, asked for {len(series)}")
    observations: list[Observation] = []
    failures: dict[str, str] = {}
    errors: list[ProviderError] = []
    for spec, envelope in zip(series, envelopes, strict=True):
        try:
            observations += parse_series(envelope, spec, start, today)
        except ProviderError as exc:
            errors.append(exc)
            failures[spec.name] = str(exc)
    if errors and not observations:
        raise type(errors[0])(f"every bitview series failed, first {next(iter(failures))}: {errors[0]}")
    return observations, failures


def _refused(exc: UnavailableError) -> bool:
    """A 400 (e.g. `weight_exceeded`) or 404 (`series_not_found`): worth asking series by series."""
    text = str(exc)
    return "HTTP 400" in text or "HTTP 404" in text


class Bitview(Provider):
    """BRK's UTXO cohort metrics: one bulk request, then series by series if it is refused."""

    name = NAME
    metrics = tuple(s.metric for s in SERIES)
    capabilities = Capabilities(
        hosts={HOST: 2.0},
        history="full daily history since 2009; a fresh store backfills 4 years",
        docs="https://bitview.space/api",
        backfill_days=4 * 365 + 1,  # one full cycle of history for percentiles and charts
        revision_days=3,  # the forming day and a possible reorg are recomputed upstream
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        assert window.start is not None  # a backfill depth is declared
        start = window.start
        try:
            payload = await http.get_json(BULK_URL, params=bulk_params(SERIES, start))
        except UnavailableError as exc:
            if not _refused(exc):
                raise
            log.warning("bitview bulk request refused (%s); asking series by series", exc)
            return flat(await self.gather_parts({s.name: self._one(http, s, start, window.today) for s in SERIES}))
        observations, failures = parse_bulk(payload, SERIES, start, window.today)
        for series, why in failures.items():
            self.part_failed(series, why)
        return observations

    @staticmethod
    async def _one(http: Session, spec: Series, start: date, today: date) -> list[Observation]:
        payload = await http.get_json(SERIES_URL.format(name=spec.name), params={"start": start.isoformat()})
        return parse_series(payload, spec, start, today)
