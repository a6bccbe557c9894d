"""Support and resistance zones per asset, the major cost bases, and the actions a stance states.

No standard definition of a zone exists (research.md §1.2); analysts use structural levels, and
so does this module. Candidates, each a `LevelSource`:
- on-chain cost bases (STH/LTH cost basis, realised price, True Market Mean; Bitcoin only, as the
  catalog's on-chain metrics are), which are also always listed with their distance, however far;
- supply clusters: URPD buckets when the UTXO engine provides them, else volume-by-price (or
  days-at-price without volume) of the last `profile_days`;
- swing highs and lows of the close, confirmed by `swing_radius` days on both sides (a pivot is
  only known once it is over, so nothing looks ahead);
- the `ma_days` mean of the close;
- round numbers, only within `round_gap` of the price on a side that has no structural candidate
  that close (analysts do name "$60K" when nothing structural is near).

Candidates below the price make support, the others resistance; on each side they merge, nearest
first, while the zone's span stays within the width rule `zone_atr` × ATR, clamped to
[`zone_min`, `zone_max`] of the price ([levels] in the rulebook). A zone narrower than
`line_below` of the price is one price. Every threshold lives in the rulebook; every word lives
in the report's i18n files (`signals.json`'s `why`/`whys` are added by `report.signals_json`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from signaldesk.models import Action, AssetLevels, CostBasis, Level, LevelSource, MetricKey
from signaldesk.signals.levels_schema import KIND_FAMILY, KINDS, LevelSettings
from signaldesk.signals.rulebook import Rulebook
from signaldesk.signals.series import asof, day_index, max_age

ASSET = "btc"
#: Assets that get their own zones, each from its own price history.
ASSETS = ("btc", "eth")
#: The catalog's on-chain cost bases (entity "", i.e. Bitcoin) → their level kind, in listing order.
COST_BASES: dict[str, str] = {
    "sth_cost_basis_usd": "sth_cost_basis",
    "true_market_mean_usd": "true_market_mean",
    "realized_price_usd": "realized_price",
    "lth_cost_basis_usd": "lth_cost_basis",
}
ONCHAIN_ASSET = "btc"
PRICE = "price_usd"
VOLUME = "spot_volume_usd"  # optional: without it, the price profile weighs days, not dollars
URPD = "urpd_supply_btc"
#: Keys whose absence the report should state (volume and URPD are optional refinements).
LEVEL_KEYS: tuple[MetricKey, ...] = (*((PRICE, a) for a in ASSETS), *((m, "") for m in COST_BASES))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A level source and the weight its kind adds to a zone's strength."""

    source: LevelSource
    weight: float

    @property
    def price(self) -> float:
        return self.source.price


def _known(
    history: Mapping[MetricKey, pd.Series], key: MetricKey, day: pd.DatetimeIndex, expire_factor: float
) -> float:
    return float(asof(history.get(key), day, limit_days=expire_factor * max_age(key[0])).value[0])


def atr(close: pd.Series, days: int) -> float:
    """Mean absolute change of the daily close over the last `days` changes (an ATR from closes:
    the catalog has no daily high/low); NaN with fewer than `days` + 1 closes."""
    if len(close) < days + 1:
        return math.nan
    return float(np.abs(np.diff(close.to_numpy(dtype=float)[-(days + 1) :])).mean())


def zone_width(price: float, true_range: float, s: LevelSettings) -> float:
    """The widest a zone may be: `zone_atr` × ATR, clamped to [`zone_min`, `zone_max`] × price."""
    by_atr = s.zone_atr * true_range if math.isfinite(true_range) else 0.0
    return min(max(by_atr, s.zone_min * price), s.zone_max * price)


def swings(close: pd.Series, as_of: pd.Timestamp, radius: int, lookback: int, asset: str = ASSET) -> list[LevelSource]:
    """Closes that are the highest (lowest) within ±`radius` days, among the last `lookback` days."""
    recent = close[(close.index > as_of - pd.Timedelta(days=lookback)) & (close.index <= as_of)]
    values = recent.to_numpy(dtype=float)
    out = []
    for i in range(radius, len(values) - radius):
        window = values[i - radius : i + radius + 1]
        kind = "swing_high" if values[i] == window.max() else "swing_low" if values[i] == window.min() else ""
        if kind:
            day = recent.index[i].date()
            value = float(values[i])
            out.append(LevelSource(kind, PRICE, asset, value, value, value, day))
    return out


def profile(
    close: pd.Series, volume: pd.Series | None, as_of: pd.Timestamp, s: LevelSettings, asset: str = ASSET
) -> list[LevelSource]:
    """Volume-by-price clusters of the last `profile_days`: local peaks holding ≥ `cluster_peak` × the mean bin.

    Without a daily volume series (≥ 80 % of the days) every day weighs the same (time at price),
    and the kind says so (`dwell_cluster`).
    """
    recent = close[(close.index > as_of - pd.Timedelta(days=s.profile_days)) & (close.index <= as_of)]
    if len(recent) < 30:
        return []
    weights = np.ones(len(recent))
    kind, metric = "dwell_cluster", PRICE
    if volume is not None and not volume.empty:
        aligned = volume.reindex(recent.index).to_numpy(dtype=float)
        if np.isfinite(aligned).mean() > 0.8:
            weights, kind, metric = np.nan_to_num(aligned, nan=0.0), "volume_cluster", VOLUME
    logs = np.log(recent.to_numpy(dtype=float))
    edges = np.arange(logs.min(), logs.max() + s.profile_bin, s.profile_bin)
    if len(edges) < 3:
        return []
    mass, edges = np.histogram(logs, bins=edges, weights=weights)
    threshold = s.cluster_peak * mass[mass > 0].mean()
    out = []
    for i in range(len(mass)):
        left = mass[i - 1] if i > 0 else -1
        right = mass[i + 1] if i + 1 < len(mass) else -1
        if mass[i] >= threshold and mass[i] >= left and mass[i] >= right:
            low, high = math.exp(edges[i]), math.exp(edges[i + 1])
            out.append(LevelSource(kind, metric, asset, math.sqrt(low * high), low, high))
    return out


def urpd(history: Mapping[MetricKey, pd.Series], as_of: pd.Timestamp, s: LevelSettings) -> list[LevelSource]:
    """Supply clusters from the day's URPD buckets (entity = bucket low price): runs of buckets
    holding ≥ `cluster_peak` × the mean bucket, each at its supply-weighted centre."""
    buckets = []
    for (metric, entity), series in history.items():
        if metric != URPD or series.empty or series.index[-1] != as_of:
            continue
        try:
            buckets.append((float(entity), float(series.iloc[-1])))
        except ValueError:
            continue
    if len(buckets) < 3:
        return []
    buckets.sort()
    lows = np.array([b[0] for b in buckets])
    supply = np.array([b[1] for b in buckets])
    width = float(np.median(np.diff(lows)))
    threshold = s.cluster_peak * supply.mean()
    out = []
    i = 0
    while i < len(buckets):
        if supply[i] < threshold:
            i += 1
            continue
        j = i
        while j + 1 < len(buckets) and supply[j + 1] >= threshold:
            j += 1
        run = slice(i, j + 1)
        centre = float(np.average(lows[run] + width / 2, weights=supply[run]))
        out.append(LevelSource("urpd_cluster", URPD, "", centre, float(lows[i]), float(lows[j] + width)))
        i = j + 1
    return out


def trend_mean(close: pd.Series, as_of: pd.Timestamp, days: int) -> float:
    """The mean close of the last `days` days (NaN when under 90 % of them are known)."""
    window = close[(close.index > as_of - pd.Timedelta(days=days)) & (close.index <= as_of)]
    return float(window.mean()) if len(window) >= 0.9 * days else math.nan


def round_numbers(price: float, asset: str = ASSET) -> list[LevelSource]:
    """Round levels within ±15 %: multiples of the largest 1-2-5 step that gives at least three.

    For $62,900 that is every $5,000; for $1,840 every $100.
    """
    width = price * 0.30 / 3
    decade = 10 ** math.floor(math.log10(width))
    unit = max(m * decade for m in (1, 2, 5) if m * decade <= width)
    out = []
    k = math.ceil(price * 0.85 / unit)
    while k * unit <= price * 1.15:
        level = round(k * unit, 10)
        out.append(LevelSource("round_number", PRICE, asset, level, level, level))
        k += 1
    return out


def cost_bases(
    history: Mapping[MetricKey, pd.Series], as_of: date, price: float, expire_factor: float, asset: str = ASSET
) -> list[CostBasis]:
    """Every known major cost basis of `asset` with its distance from `price`, nearest first."""
    if asset != ONCHAIN_ASSET or not math.isfinite(price):
        return []
    day = day_index([as_of])
    out = []
    for metric, kind in COST_BASES.items():
        value = _known(history, (metric, ""), day, expire_factor)
        if math.isfinite(value) and value > 0:
            out.append(
                CostBasis(
                    kind, metric, "", asset, value, value / price - 1, "support" if value < price else "resistance"
                )
            )
    return sorted(out, key=lambda c: (abs(c.distance), c.kind))


def _code(source: LevelSource) -> str:
    """The `why` code of a source: `kind:price`, `kind:low-high` for a cluster, `kind:day:price` for a swing."""
    if source.day is not None:
        return f"{source.kind}:{source.day.isoformat()}:{source.price:.6g}"
    if source.high > source.low:
        return f"{source.kind}:{source.low:.6g}-{source.high:.6g}"
    return f"{source.kind}:{source.price:.6g}"


def merge(
    items: list[Candidate], spot: float, width: float, side: str, s: LevelSettings, asset: str = ASSET
) -> list[Level]:
    """One side's candidates → zones, nearest to `spot` first; a zone's members span at most `width`."""
    ordered = sorted(items, key=lambda c: (abs(c.price - spot), c.source.kind, c.price))
    zones: list[list[Candidate]] = []
    for item in ordered:
        if zones and abs(item.price - zones[-1][0].price) <= width:
            zones[-1].append(item)
        else:
            zones.append([item])
    out = []
    for members in zones:
        total = sum(c.weight for c in members)
        centre = float(sum(c.price * c.weight for c in members) / total if total > 0 else members[0].price)
        low, high = float(min(c.price for c in members)), float(max(c.price for c in members))
        centre = min(max(centre, low), high)  # a weighted mean of equal prices can round outside them
        if high - low < s.line_below * spot:
            low = high = centre
        ranked = sorted(members, key=lambda c: (-c.weight, KINDS.index(c.source.kind), c.price))
        out.append(
            Level(
                price=centre,
                low=low,
                high=high,
                why=tuple(_code(c.source) for c in ranked),
                strength=round(total, 2),
                asset=asset,
                side=side,
                distance=centre / spot - 1,
                kind=KIND_FAMILY[ranked[0].source.kind],
                sources=tuple(c.source for c in ranked),
            )
        )
    return out


def asset_levels(
    history: Mapping[MetricKey, pd.Series], as_of: date, s: LevelSettings, expire: float, asset: str = ASSET
) -> AssetLevels:
    """One asset's zones (up to `max_zones` a side, nearest first), cost bases, ATR and trend mean.

    `expire` is the rulebook's `expire_factor`: a cost basis older than that × its catalog age is unknown.
    """
    day = day_index([as_of])
    today = day[0]
    price = _known(history, (PRICE, asset), day, expire)
    if not math.isfinite(price) or price <= 0:
        return AssetLevels(asset=asset, price=None)
    close = history.get((PRICE, asset))
    close = close[close.index <= today] if close is not None else pd.Series(dtype=float)
    true_range = atr(close, s.atr_days)
    width = zone_width(price, true_range, s)
    mean = trend_mean(close, today, s.ma_days)
    bases = cost_bases(history, as_of, price, expire, asset)

    sources = [LevelSource(c.kind, c.metric, c.entity, c.price, c.price, c.price) for c in bases]
    if math.isfinite(mean):
        sources.append(LevelSource("ma200", PRICE, asset, mean, mean, mean))
    sources += swings(close, today, s.swing_radius, s.swing_lookback_days, asset)
    clusters = urpd(history, today, s) if asset == ONCHAIN_ASSET else []
    sources += clusters or profile(close, history.get((VOLUME, asset)), today, s, asset)
    near = [x for x in sources if abs(x.price / price - 1) <= s.range and s.weights[x.kind] > 0]

    sides: dict[str, list[Level]] = {}
    for side, on_side in (("support", lambda p: p < price), ("resistance", lambda p: p >= price)):
        picked = [Candidate(x, s.weights[x.kind]) for x in near if on_side(x.price)]
        if not any(abs(c.price / price - 1) <= s.round_gap for c in picked):  # a gap: round numbers stand in
            picked += [
                Candidate(x, s.weights["round_number"])
                for x in round_numbers(price, asset)
                if on_side(x.price) and s.line_below <= abs(x.price / price - 1) <= s.round_gap
            ]
        sides[side] = merge(picked, price, width, side, s, asset)[: s.max_zones]
    return AssetLevels(
        asset=asset,
        price=price,
        atr=true_range if math.isfinite(true_range) else None,
        zone_width=width,
        ma200=mean if math.isfinite(mean) else None,
        support=tuple(sides["support"]),
        resistance=tuple(sides["resistance"]),
        cost_bases=tuple(bases),
    )


def assess_levels(history: Mapping[MetricKey, pd.Series], as_of: date, rulebook: Rulebook) -> dict[str, AssetLevels]:
    """Every asset of `ASSETS`, keyed by asset."""
    return {
        asset: asset_levels(history, as_of, rulebook.levels, rulebook.score.expire_factor, asset) for asset in ASSETS
    }


def actions(stance: str, levels: AssetLevels, s: LevelSettings) -> list[Action]:
    """The stance's conditional actions (`[levels.actions]`), each tied to the nearest zone it needs.

    An action whose zone does not exist is left out, so the text never promises a level it lacks.
    """
    support = levels.support[0] if levels.support else None
    resistance = levels.resistance[0] if levels.resistance else None
    needs = {  # action → (needs support, needs resistance, the price that conditions it)
        "add_on_pullback": (True, False, support.high if support else None),
        "add_on_breakout": (False, True, resistance.high if resistance else None),
        "cut_below_support": (True, False, support.low if support else None),
        "trade_range": (True, True, None),
        "reduce_on_breakdown": (True, False, support.low if support else None),
        "wait_for_support": (True, False, support.price if support else None),
        "no_chase": (False, True, resistance.low if resistance else None),
        "reassess_above_resistance": (False, True, resistance.high if resistance else None),
    }
    out = []
    for action_id in s.actions.get(stance, ()):
        wants_support, wants_resistance, price = needs[action_id]
        if (wants_support and support is None) or (wants_resistance and resistance is None):
            continue
        out.append(
            Action(
                action_id,
                levels.asset,
                price,
                support if wants_support else None,
                resistance if wants_resistance else None,
            )
        )
    return out
