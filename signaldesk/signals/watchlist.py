"""The watch list for the next 24 h: concrete, checkable triggers generated from the day's state.

Each item is data, not words: a metric, a comparator (`direction` and `mode`), a threshold, the
window the reading covers and today's reading, so each language can say it ("一周净流入转正")
and tomorrow's run can check whether it fired. Items, in this fixed order (the same state always
gives the same list), each only when it applies:
1. the ETF streak (≥ `etf_min_streak` weeks): does the week's net flow turn the other way?
2. the nearest support and resistance zones within reach: a daily close through them;
3. the nearest on-chain cost basis within reach that no watched zone holds: a close through it;
4. each rule of `[watch] rules` outside its neutral band: a contrarian reading asks whether the
   extreme holds, a trend reading whether it crosses back (the edge is the rule's own band edge,
   so "extreme fear" means here what it means in the score);
5. the 200-day mean within reach, when no watched zone holds it.
"""

from __future__ import annotations

import math
from typing import Literal

from signaldesk.models import AssetLevels, Indicator, Level, LevelSource, WatchItem
from signaldesk.signals.levels import PRICE
from signaldesk.signals.rulebook import Rule, Rulebook

Side = Literal["above", "below"]


def _etf(by_rule: dict[str, Indicator], min_streak: int) -> list[WatchItem]:
    streak = by_rule.get("etf_streak")
    if streak is None or streak.value is None or abs(streak.value) < min_streak:
        return []
    flow = by_rule.get("etf_flow_7d")
    return [
        WatchItem(
            "etf_flow",
            "etf_net_flow_usd_7d",
            streak.entity,
            0.0,
            "above" if streak.value < 0 else "below",
            mode="cross",
            window="7d",
            current=None if flow is None else flow.value,
            rule="etf_flow_7d",
            reference=float(streak.value),
        )
    ]


def _zones(levels: AssetLevels, reach_down: float, reach_up: float) -> list[WatchItem]:
    price, out = levels.price, []
    if price is None:
        return out
    if levels.support and levels.support[0].high >= price * (1 - reach_down):
        zone = levels.support[0]
        out.append(
            WatchItem("support", PRICE, levels.asset, zone.low, "below", mode="cross", current=price, level=zone)
        )
    if levels.resistance and levels.resistance[0].low <= price * (1 + reach_up):
        zone = levels.resistance[0]
        out.append(
            WatchItem("resistance", PRICE, levels.asset, zone.high, "above", mode="cross", current=price, level=zone)
        )
    return out


def _cost_basis(levels: AssetLevels, reach: float, watched: list[WatchItem]) -> list[WatchItem]:
    held = {source.metric for item in watched if item.level is not None for source in item.level.sources}
    near = [c for c in levels.cost_bases if abs(c.distance) <= reach and c.metric not in held]
    if levels.price is None or not near:
        return []
    basis = near[0]  # cost_bases come nearest first
    source = LevelSource(basis.kind, basis.metric, basis.entity, basis.price, basis.price, basis.price)
    level = Level(
        price=basis.price,
        low=basis.price,
        high=basis.price,
        why=(f"{basis.kind}:{basis.price:.6g}",),
        asset=basis.asset,
        side=basis.side,
        distance=basis.distance,
        kind="cost_basis",
        sources=(source,),
    )
    direction = "above" if basis.side == "resistance" else "below"
    return [
        WatchItem(
            "cost_basis", PRICE, levels.asset, basis.price, direction, mode="cross", current=levels.price, level=level
        )
    ]


def rule_edge(rule: Rule, x: float) -> tuple[float, Side] | None:
    """Where `x` leaves its non-neutral state: (the neutral band's edge, the side `x` is on); None when neutral."""
    cuts = rule.cuts
    band = next((i for i, cut in enumerate(cuts) if x < cut), len(cuts))
    neutral = [i for i, b in enumerate(rule.bands) if b.state == "neutral"]
    if not neutral or rule.bands[band].state == "neutral":
        return None
    if band < neutral[0]:
        return cuts[neutral[0] - 1], "below"
    if band > neutral[-1]:
        return cuts[neutral[-1]], "above"
    return None


def _rules(by_rule: dict[str, Indicator], rulebook: Rulebook, rule_ids: tuple[str, ...]) -> list[WatchItem]:
    known = {rule.id: rule for rule in rulebook.rules}
    out = []
    for rule_id in rule_ids:
        rule, ind = known.get(rule_id), by_rule.get(rule_id)
        if rule is None or ind is None or ind.value is None or rule.transform != "level" or rule.over is not None:
            continue  # a threshold on a transformed value is not a threshold on the metric
        edge = rule_edge(rule, float(ind.value))
        if edge is None:
            continue
        threshold, side = edge
        mode: Literal["hold", "cross"]
        direction: Side
        if rule.reading == "contrarian":  # an extreme: does it hold?
            mode, direction = "hold", side
        else:  # a trend signal: does it cross back?
            mode, direction = "cross", "above" if side == "below" else "below"
        out.append(
            WatchItem(
                rule_id, ind.id, ind.entity, threshold, direction, mode=mode, current=float(ind.value), rule=rule_id
            )
        )
    return out


def _trend(levels: AssetLevels, reach: float, watched: list[WatchItem]) -> list[WatchItem]:
    price, mean = levels.price, levels.ma200
    held = any(source.kind == "ma200" for item in watched if item.level is not None for source in item.level.sources)
    if price is None or mean is None or held or not math.isfinite(mean) or abs(price / mean - 1) > reach:
        return []
    return [
        WatchItem("ma200", PRICE, levels.asset, mean, "above" if price < mean else "below", mode="cross", current=price)
    ]


def build(indicators: list[Indicator], levels: AssetLevels, rulebook: Rulebook) -> list[WatchItem]:
    """The day's watch items for `levels.asset` (at most `[watch] max_items`)."""
    s = rulebook.watch
    by_rule = {i.rule: i for i in indicators}
    items = _etf(by_rule, s.etf_min_streak)
    zones = _zones(levels, s.support_reach, s.resistance_reach)
    items += zones
    items += _cost_basis(levels, s.cost_basis_reach, zones)
    items += _rules(by_rule, rulebook, s.rules)
    items += _trend(levels, s.ma_reach, zones)
    return items[: s.max_items]
