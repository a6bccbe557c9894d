"""DeFiLlama: chain TVL, stablecoin supply by chain (and in total), DEX volume by chain.

Docs: https://api-docs.defillama.com/ (free endpoints, no key; paid ones live on
`pro-api.llama.fi` and are not used). Rate limits are not published: we allow ourselves one
request per second per host and poll once a day.

Endpoints, and the quirks that shape the parsing:

- `GET https://api.llama.fi/v2/historicalChainTvl/{Chain}` → `chain_tvl_usd`. `[{date, tvl}]`,
  `date` an **int** of unix seconds at 00:00 UTC, `tvl` USD (liquid staking and double counting
  excluded, DeFiLlama's default).
- `GET https://stablecoins.llama.fi/stablecoincharts/{Chain}` (and `/all` for every chain, entity
  `""`) → `stablecoin_supply_usd`. `[{date, totalCirculating, totalCirculatingUSD, …}]`, where
  `date` is a **string** of unix seconds; the value is the sum of every peg in
  `totalCirculatingUSD` (peggedUSD, peggedEUR, … already converted to USD). `totalCirculating`
  is in each peg's own unit, so it is never used.
- `GET https://api.llama.fi/overview/dexs/{chain}?excludeTotalDataChart=false&excludeTotalDataChartBreakdown=true`
  → `dex_volume_usd_24h`. `totalDataChart` = `[[unix_s, usd], …]` daily volumes (history).
  `total24h` is *not* a trailing 24 h: defillama-server fills it from the record of the last
  complete UTC day (`timeDataKey = 'yesterday'` in `defi/src/api2/cron-task/dimensions.ts`), the
  same number as the chart's point for that day. The breakdown stays excluded: it is megabytes.

Time: daily points are stamped at 00:00 UTC of the day DeFiLlama labels. TVL and stablecoin
supply are *levels*: a point dated today is the latest reading (DeFiLlama refreshes it during
the day); it is kept as today's provisional value and the next run's reading for the same day
replaces it in the store. DEX volume is a *flow*: every value is dated by the chart's own day, and
a chart point dated today (a partial day, still accruing) is never stored, so the newest stored
day is the chart's last complete one. `total24h` is read only when the chart is empty, and then
dated yesterday, the day the server took it from.

Chains: entities are lower-case names; `CHAIN_NAMES` maps each to the spelling every endpoint
wants (`BSC` for TVL and stablecoins, `bsc` for DEX overview…). Defaults: ethereum, solana, bsc,
tron, arbitrum, base; `[defillama] chains = [...]` in the config file replaces the list, and
`[defillama.names.<entity>] tvl = "…", stablecoins = "…", dex = "…"` adds or fixes a spelling
(an unknown entity gets its title-cased name, and itself for DEX).

Failure policy: every (endpoint, chain) request is a part. A part that fails (HTTP error,
HTML instead of JSON, renamed field, absurd value) is dropped, logged and listed in
`DefiLlama.failures`; the other parts are still returned, so one dead chain does not hide the
others (`Provider.gather_parts`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from signaldesk import settings
from signaldesk.clock import day_start, epoch_s_to_utc, utc_day
from signaldesk.errors import MalformedError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NAME = "defillama"
API_HOST = "api.llama.fi"
STABLES_HOST = "stablecoins.llama.fi"
TVL_URL = f"https://{API_HOST}/v2/historicalChainTvl/{{chain}}"
STABLES_URL = f"https://{STABLES_HOST}/stablecoincharts/{{chain}}"
DEX_URL = f"https://{API_HOST}/overview/dexs/{{chain}}"
DEX_PARAMS = {"excludeTotalDataChart": "false", "excludeTotalDataChartBreakdown": "true"}
ALL_CHAINS = "all"
"""The stablecoincharts path segment for the all-chains series (entity "")."""

DEFAULT_CHAINS: tuple[str, ...] = ("ethereum", "solana", "bsc", "tron", "arbitrum", "base")


@dataclass(frozen=True, slots=True)
class ChainNames:
    """How each endpoint spells one chain."""

    tvl: str
    stablecoins: str
    dex: str


CHAIN_NAMES: dict[str, ChainNames] = {
    "ethereum": ChainNames("Ethereum", "Ethereum", "ethereum"),
    "solana": ChainNames("Solana", "Solana", "solana"),
    "bsc": ChainNames("BSC", "BSC", "bsc"),
    "tron": ChainNames("Tron", "Tron", "tron"),
    "arbitrum": ChainNames("Arbitrum", "Arbitrum", "arbitrum"),
    "base": ChainNames("Base", "Base", "base"),
    "polygon": ChainNames("Polygon", "Polygon", "polygon"),
}


# -- pure parsing ------------------------------------------------------------------------------
def _list_body(payload: Any, what: str) -> list[Any]:
    """A JSON array, or MalformedError carrying DeFiLlama's own message when it sent an object."""
    if isinstance(payload, Mapping):
        message = payload.get("message") or payload.get("error")
        raise MalformedError(f"{what}: expected a list, got an object{': ' + str(message)[:120] if message else ''}")
    return as_list(payload, field=what)


def _daily(points: list[tuple[date, float]], metric: str, entity: str) -> list[Observation]:
    """One observation per UTC day (the last point of a day wins), oldest first, validated."""
    by_day: dict[date, float] = {}
    for day, value in sorted(points, key=lambda p: p[0]):
        by_day[day] = value
    return check_observations([Observation(metric, entity, day_start(d), v, NAME) for d, v in sorted(by_day.items())])


def parse_chain_tvl(payload: Any, entity: str) -> list[Observation]:
    """`/v2/historicalChainTvl/{Chain}` → daily `chain_tvl_usd` (USD) for `entity`."""
    rows = _list_body(payload, f"historicalChainTvl {entity}")
    points = []
    for i, row in enumerate(rows):
        when = as_float(get_path(row, ["date"]), field=f"[{i}].date")
        tvl = as_float(get_path(row, ["tvl"]), field=f"[{i}].tvl")
        points.append((utc_day(epoch_s_to_utc(when)), tvl))
    return _daily(points, "chain_tvl_usd", entity)


def parse_stablecoin_chart(payload: Any, entity: str) -> list[Observation]:
    """`/stablecoincharts/{Chain}` → daily `stablecoin_supply_usd`: Σ of `totalCirculatingUSD` pegs.

    `date` arrives as a string of unix seconds; `as_float` accepts both spellings.
    """
    rows = _list_body(payload, f"stablecoincharts {entity or ALL_CHAINS}")
    points = []
    for i, row in enumerate(rows):
        when = as_float(get_path(row, ["date"]), field=f"[{i}].date")
        pegs = as_mapping(get_path(row, ["totalCirculatingUSD"]), field=f"[{i}].totalCirculatingUSD")
        total = sum(as_float(v, field=f"[{i}].totalCirculatingUSD.{k}") for k, v in pegs.items())
        points.append((utc_day(epoch_s_to_utc(when)), total))
    return _daily(points, "stablecoin_supply_usd", entity)


def parse_dex_overview(payload: Any, entity: str, today: date) -> list[Observation]:
    """`/overview/dexs/{chain}` → daily `dex_volume_usd_24h` (USD) for `entity`, complete days only.

    Each value keeps the chart's own date; today's point is partial and dropped. `total24h` is
    yesterday's volume (see the module docstring), so it fills in only for an empty chart, dated
    yesterday: stamped on today it would repeat yesterday's number one day late.
    """
    body = as_mapping(payload, field=f"overview/dexs {entity}")
    if "totalDataChart" not in body and "total24h" not in body:
        message = body.get("message") or body.get("error") or "no totalDataChart nor total24h"
        raise MalformedError(f"overview/dexs {entity}: {str(message)[:120]}")
    chart = as_list(body.get("totalDataChart") or [], field="totalDataChart", allow_empty=True)
    points = []
    for i, row in enumerate(chart):
        if not isinstance(row, list | tuple) or len(row) < 2:
            raise MalformedError(f"totalDataChart[{i}] is not a [timestamp, volume] pair")
        day = utc_day(epoch_s_to_utc(as_float(row[0], field=f"totalDataChart[{i}][0]")))
        if day >= today:
            continue  # a partial day: its volume is still accruing
        points.append((day, as_float(row[1], field=f"totalDataChart[{i}][1]")))
    if not chart and body.get("total24h") is not None:
        points.append((today - timedelta(days=1), as_float(body["total24h"], field="total24h")))
    if not points:
        raise MalformedError(f"overview/dexs {entity}: no complete day of volume in the answer")
    return _daily(points, "dex_volume_usd_24h", entity)


# -- configuration -----------------------------------------------------------------------------
def configured_chains() -> dict[str, ChainNames]:
    """entity → endpoint spellings, from the defaults and the `[defillama]` config section."""
    conf = settings.section("defillama")
    chains = conf.get("chains", DEFAULT_CHAINS)
    if isinstance(chains, str) or not all(isinstance(c, str) for c in chains):
        raise MalformedError("[defillama] chains must be a list of chain names")
    overrides = conf.get("names", {})
    out: dict[str, ChainNames] = {}
    for chain in chains:
        entity = chain.strip().lower()
        base = CHAIN_NAMES.get(entity, ChainNames(entity.title(), entity.title(), entity))
        extra = overrides.get(entity, {}) if isinstance(overrides, Mapping) else {}
        out[entity] = ChainNames(
            str(extra.get("tvl", base.tvl)),
            str(extra.get("stablecoins", base.stablecoins)),
            str(extra.get("dex", base.dex)),
        )
    return out


# -- the provider ------------------------------------------------------------------------------
class DefiLlama(Provider):
    """TVL, stablecoins and DEX volume per chain; one failing chain or endpoint loses only itself."""

    name = NAME
    metrics = ("chain_tvl_usd", "stablecoin_supply_usd", "dex_volume_usd_24h")
    capabilities = Capabilities(
        hosts={API_HOST: 1.0, STABLES_HOST: 1.0},
        history="full",
        docs="https://api-docs.defillama.com/",
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        async def tvl(entity: str, names: ChainNames) -> list[Observation]:
            return parse_chain_tvl(await http.get_json(TVL_URL.format(chain=names.tvl)), entity)

        async def stables(entity: str, segment: str) -> list[Observation]:
            return parse_stablecoin_chart(await http.get_json(STABLES_URL.format(chain=segment)), entity)

        async def dex(entity: str, names: ChainNames) -> list[Observation]:
            payload = await http.get_json(DEX_URL.format(chain=names.dex), params=DEX_PARAMS)
            return parse_dex_overview(payload, entity, window.today)

        parts: dict[str, Awaitable[list[Observation]]] = {f"stablecoincharts/{ALL_CHAINS}": stables("", ALL_CHAINS)}
        for entity, names in configured_chains().items():
            parts[f"historicalChainTvl/{names.tvl}"] = tvl(entity, names)
            parts[f"stablecoincharts/{names.stablecoins}"] = stables(entity, names.stablecoins)
            parts[f"overview/dexs/{names.dex}"] = dex(entity, names)
        return flat(await self.gather_parts(parts))
