"""`signals.json` (ARCHITECTURE.md / CLI.md shape, stable key order).

The JSON holds every number and judgement the report's text uses: the contract's keys first
(`as_of, score, band, phase, stance, indicators, levels, watchlist, missing, sources`), then
additions (`coverage`, group scores, the phase's deciding and secondary ids, reasons per
language). Everything else said in words (phase, stance and band names, each zone's reasons,
each watch item) the report adds from its i18n files (`report.signals_json`); here a zone's
reasons are `why_codes` and structured `sources`, a watch item its trigger. The rulebook's
reasons appear in zh-CN under `reason` and for every language under `reasons`. Floats are rounded where more digits would only be noise
(score 0.1, contributions 0.01), so identical input gives byte-identical output.
"""

from __future__ import annotations

import math
from typing import Any

from signaldesk import fmt
from signaldesk.langs import DEFAULT_LANG
from signaldesk.models import Assessment, AssetLevels, Level
from signaldesk.signals.rulebook import Rulebook, default_rulebook
from signaldesk.signals.score import band_edges


def _num(value: float | None, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _level(level: Level | None) -> dict[str, Any] | None:
    """A zone: its span, and its reasons as codes and structured sources (kind, metric, price, day)."""
    if level is None:
        return None
    return {
        "price": _num(level.price, 2),
        "low": _num(level.low, 2),
        "high": _num(level.high, 2),
        "strength": _num(level.strength, 2),
        "why_codes": list(level.why),
        "asset": level.asset,
        "side": level.side,
        "kind": level.kind,
        "distance": _num(level.distance, 4),
        "sources": [
            {
                "kind": s.kind,
                "metric": s.metric,
                "entity": s.entity,
                "price": _num(s.price, 2),
                "low": _num(s.low, 2),
                "high": _num(s.high, 2),
                "day": None if s.day is None else s.day.isoformat(),
            }
            for s in level.sources
        ],
    }


def _asset_levels(levels: AssetLevels) -> dict[str, Any]:
    """One asset's map: spot, merge width, zones and every major cost basis with its distance."""
    return {
        "price": _num(levels.price, 2),
        "atr": _num(levels.atr, 2),
        "zone_width": _num(levels.zone_width, 2),
        "ma200": _num(levels.ma200, 2),
        "support": [_level(z) for z in levels.support],
        "resistance": [_level(z) for z in levels.resistance],
        "cost_bases": [
            {
                "kind": c.kind,
                "metric": c.metric,
                "entity": c.entity,
                "price": _num(c.price, 2),
                "distance": _num(c.distance, 4),
                "side": c.side,
            }
            for c in levels.cost_bases
        ],
    }


def _bands(assessment: Assessment, rulebook: Rulebook) -> dict[str, float]:
    """The day's band edges (`score.band_edges`: calibrated when the outlook has them, else the rulebook's)."""
    low, high = band_edges(assessment.outlook, rulebook)
    return {"bearish_below": round(low, 2), "bullish_above": round(high, 2)}


def _clean(value: Any) -> Any:
    """JSON-safe, rounded to 4 decimals (identical input, identical bytes); NaN becomes null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def assessment_to_dict(assessment: Assessment, *, rulebook: Rulebook | None = None) -> dict[str, Any]:
    """The `signals.json` structure for one assessment (JSON-ready, deterministic key order).

    `rulebook` (default: the shipped one) supplies the group list and the score bands.
    """
    rb = rulebook or default_rulebook()
    groups = rb.groups
    indicators = []
    for ind in assessment.indicators:
        row: dict[str, Any] = {
            "id": ind.id,
            "entity": ind.entity,
            "value": _num(ind.value),
            "state": ind.state,
            "strength": _num(ind.strength, 4),
            "percentile": _num(ind.percentile, 4),
            "reason": ind.reasons.get(DEFAULT_LANG, ind.reason),
            "contribution": _num(ind.contribution, 2),
            "rule": ind.rule,
            "group": ind.group,
            "stale": ind.stale,
            "label": dict(ind.label),
            "display": ind.display,
            "x": _num(ind.x, 6),
            "ref": _num(ind.ref, 6),
            "ref_id": ind.ref_id,
            "sub_score": _num(ind.sub_score, 6),
            "age_days": _num(ind.age_days, 6),
            "reading": ind.reading,
            "weight": _num(ind.weight, 6),
            "cls": ind.cls,
            "reasons": dict(ind.reasons),
        }
        indicators.append(row)
    score = assessment.score
    return {
        "as_of": assessment.as_of.isoformat(),
        "score": _num(score, 1),
        "band": assessment.band,
        "phase": assessment.phase,
        "stance": assessment.stance,
        "indicators": indicators,
        "levels": {
            "support": [_level(level) for level in assessment.support],
            "resistance": [_level(level) for level in assessment.resistance],
            "assets": {asset: _asset_levels(levels) for asset, levels in assessment.asset_levels.items()},
        },
        "watchlist": [
            {
                "id": w.id,
                "metric": w.metric,
                "entity": w.entity,
                "trigger": _num(w.trigger),
                "direction": w.direction,
                "mode": w.mode,
                "window": w.window,
                "current": _num(w.current),
                "rule": w.rule,
                "reference": _num(w.reference),
                "level": _level(w.level),
            }
            for w in assessment.watchlist
        ],
        "missing": [{"id": m.id, "entity": m.entity, "reason": m.reason} for m in assessment.missing],
        "sources": [
            {
                "provider": s.provider,
                "status": s.status,
                "latest": None if s.latest is None else s.latest.isoformat(),
                "reason": s.reason,
                "note": s.note,
            }
            for s in assessment.sources
        ],
        "coverage": _num(assessment.coverage, 4),
        "actions": [
            {
                "id": a.id,
                "asset": a.asset,
                "price": _num(a.price, 2),
                "support": _level(a.support),
                "resistance": _level(a.resistance),
            }
            for a in assessment.actions
        ],
        "bands": _bands(assessment, rb),
        "score_text": fmt.score(score),
        "phase_reasons": dict(assessment.phase_reasons),
        "market_state": dict(assessment.market_state),
        "outlook": _clean(assessment.outlook),
        "groups": [
            {
                "id": name,
                "score": _num(assessment.group_scores.get(name), 2),
                "in_score": spec.in_score,
                "weight": spec.weight,
                "label": dict(spec.label),
            }
            for name, spec in groups.items()
        ],
    }
