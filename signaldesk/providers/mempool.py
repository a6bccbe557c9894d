"""mempool.space: BTC next-block fee, daily hash rate, and daily fees per block (for hashprice).

Endpoints (docs: https://mempool.space/docs/api/rest), keyless:
- `GET /api/v1/fees/recommended` → `{fastestFee, halfHourFee, hourFee, economyFee, minimumFee}` in
  sat/vB; `fastestFee` (next block) becomes `btc_fee_sat_vb`. It is a spot value, so it is stamped
  00:00 UTC of the day it is read: one value per day, history builds up run by run.
- `GET /api/v1/mining/hashrate/{1m|3m|6m|1y|2y|3y|all}` → `{hashrates: [{timestamp, avgHashrate}],
  difficulty: [...], currentHashrate, currentDifficulty}`; one point per UTC day in **H/s**
  (2.36e20 H/s = 236 EH/s), stored as `hashrate_ehs`.
- `GET /api/v1/mining/blocks/fees/{interval}` → `[{avgHeight, timestamp, avgFees, USD}]`: mean
  fees per block (**sats**) over buckets whose width depends on the interval (hours to days;
  `timestamp` is the mean block time of the bucket). Buckets are averaged into UTC days and
  stored as `btc_fee_per_block_btc`, the fee half of hashprice (signaldesk.metrics.mining).

Quirks: limits are enforced but unpublished (HTTP 429, repeat offenders banned), so we ask for
three small documents a day and nothing per block. The docs page's own example for the fees
endpoint is not valid JSON (unquoted keys); the real API answers JSON. The latest day's hash
rate is an estimate from the blocks found so far and moves during the day. Beyond one month the
fee buckets are wider than a day (hashprice carries fees over such gaps, up to 3 days). A 429 is
raised as `RateLimitedError`. Terms: mempool.space's public API, fair use.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from signaldesk.clock import day_start, epoch_s_to_utc, utc_day
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "mempool"
BASE = "https://mempool.space/api"
FEES_URL = f"{BASE}/v1/fees/recommended"
HASHRATE_URL = BASE + "/v1/mining/hashrate/{window}"
BLOCK_FEES_URL = BASE + "/v1/mining/blocks/fees/{window}"
#: History windows the mining endpoints accept, with their length in days.
WINDOWS: tuple[tuple[str, int], ...] = (("1m", 30), ("3m", 91), ("6m", 182), ("1y", 365), ("2y", 730), ("3y", 1095))
#: Window asked for on a fresh store: long enough to span the April 2024 halving.
FIRST_WINDOW = "3y"
SATS_PER_BTC = 1e8


def window_for(start: date | None, today: date) -> str:
    """The smallest history window that reaches back to `start` (with a day to spare)."""
    if start is None:
        return FIRST_WINDOW
    need = (today - start).days + 1
    for name, days in WINDOWS:
        if days >= need:
            return name
    return "all"


def parse_recommended(payload: Any, *, day: date) -> list[Observation]:
    """`/v1/fees/recommended` → `btc_fee_sat_vb` (next-block fee) stamped 00:00 UTC of `day`."""
    body = as_mapping(payload, field="body")
    fastest = as_float(get_path(body, ["fastestFee"]), field="fastestFee")
    return check_observations([Observation("btc_fee_sat_vb", "", day_start(day), fastest, NAME)])


def parse_hashrate(payload: Any) -> list[Observation]:
    """`/v1/mining/hashrate/{window}` → daily `hashrate_ehs` (H/s ÷ 1e18), oldest first."""
    body = as_mapping(payload, field="body")
    points = as_list(get_path(body, ["hashrates"]), field="hashrates")
    by_day: dict[date, float] = {}
    for i, raw in enumerate(points):
        point = as_mapping(raw, field=f"hashrates[{i}]")
        ts = as_float(get_path(point, ["timestamp"]), field=f"hashrates[{i}].timestamp")
        hs = as_float(get_path(point, ["avgHashrate"]), field=f"hashrates[{i}].avgHashrate")
        by_day[utc_day(epoch_s_to_utc(ts))] = hs / 1e18
    observations = [Observation("hashrate_ehs", "", day_start(d), v, NAME) for d, v in sorted(by_day.items())]
    return check_observations(observations)


def parse_block_fees(payload: Any) -> list[Observation]:
    """`/v1/mining/blocks/fees/{window}` → `btc_fee_per_block_btc` per UTC day, oldest first.

    Each bucket's `avgFees` is a mean over its blocks; a day's value is the mean of the buckets
    whose (mean block) time falls in that day. Buckets do not carry their block count, so this
    weights buckets equally — exact when buckets are equal-width, as the API makes them.
    """
    buckets = as_list(payload, field="body")
    sums: dict[date, list[float]] = defaultdict(list)
    for i, raw in enumerate(buckets):
        bucket = as_mapping(raw, field=f"[{i}]")
        ts = as_float(get_path(bucket, ["timestamp"]), field=f"[{i}].timestamp")
        sats = as_float(get_path(bucket, ["avgFees"]), field=f"[{i}].avgFees")
        sums[utc_day(epoch_s_to_utc(ts))].append(sats)
    observations = [
        Observation("btc_fee_per_block_btc", "", day_start(d), sum(v) / len(v) / SATS_PER_BTC, NAME)
        for d, v in sorted(sums.items())
    ]
    return check_observations(observations)


class Mempool(Provider):
    """Fees, hash rate and fees per block: three requests a run."""

    name = NAME
    metrics = ("btc_fee_sat_vb", "hashrate_ehs", "btc_fee_per_block_btc")
    capabilities = Capabilities(
        hosts={"mempool.space": 1.0},
        history="hash rate and block fees: full (we ask 3 years first); fee recommendation: today only",
        docs="https://mempool.space/docs/api/rest",
        revision_days=1,  # the latest day's hash rate is an estimate that moves during the day
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        size = window_for(window.start, window.today)
        observations = parse_recommended(await http.get_json(FEES_URL), day=window.today)
        observations += parse_hashrate(await http.get_json(HASHRATE_URL.format(window=size)))
        observations += parse_block_fees(await http.get_json(BLOCK_FEES_URL.format(window=size)))
        return observations
