"""`signals.json` (ARCHITECTURE.md / CLI.md shape, stable key order) and terminal text.

The JSON holds every number and judgement the report's text uses: the contract's keys first
(`as_of, score, band, phase, stance, indicators, levels, watchlist, missing, sources`), then
additions (`coverage`, names per language, group scores, reasons per language). Texts appear in
zh-CN under the contract's key (`reason`, `why`, `text`) and for every language under a plural
key (`reasons`, `whys`, `texts`). Floats are rounded where more digits would only be noise
(score 0.1, contributions 0.01), so identical input gives byte-identical output.
"""

from __future__ import annotations

import math
from typing import Any

from signaldesk import fmt
from signaldesk.models import Assessment, AssetLevels, Level
from signaldesk.signals.levels import why_texts
from signaldesk.signals.phase import BAND_NAMES, PHASE_NAMES, STANCE_NAMES
from signaldesk.signals.rulebook import LANGS, Rulebook, default_rulebook

DEFAULT_LANG = "zh-CN"


def _num(value: float | None, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _level(level: Level | None) -> dict[str, Any] | None:
    """A zone: its span, and its reasons as codes, words and structured sources (kind, metric, price, day)."""
    if level is None:
        return None
    texts = why_texts(level)
    return {
        "price": _num(level.price, 2), "why": texts[DEFAULT_LANG], "low": _num(level.low, 2),
        "high": _num(level.high, 2), "strength": _num(level.strength, 2), "why_codes": list(level.why), "whys": texts,
        "asset": level.asset, "side": level.side, "kind": level.kind, "distance": _num(level.distance, 4),
        "sources": [{"kind": s.kind, "metric": s.metric, "entity": s.entity, "price": _num(s.price, 2),
                     "low": _num(s.low, 2), "high": _num(s.high, 2), "day": None if s.day is None else s.day.isoformat()}
                    for s in level.sources],
    }


def _asset_levels(levels: AssetLevels) -> dict[str, Any]:
    """One asset's map: spot, merge width, zones and every major cost basis with its distance."""
    return {
        "price": _num(levels.price, 2), "atr": _num(levels.atr, 2), "zone_width": _num(levels.zone_width, 2),
        "ma200": _num(levels.ma200, 2), "support": [_level(z) for z in levels.support],
        "resistance": [_level(z) for z in levels.resistance],
        "cost_bases": [{"kind": c.kind, "metric": c.metric, "entity": c.entity, "price": _num(c.price, 2),
                        "distance": _num(c.distance, 4), "side": c.side} for c in levels.cost_bases],
    }


def _bands(assessment: Assessment, rulebook: Rulebook) -> dict[str, float]:
    """The day's band edges: calibrated from the score's history when the outlook has them, else the rulebook's."""
    bands = dict(assessment.outlook.get("bands") or {})  # type: ignore[call-overload]
    lo, hi = bands.get("bearish_below"), bands.get("bullish_above")
    if lo is None or hi is None:
        return {"bearish_below": rulebook.score.bearish_below, "bullish_above": rulebook.score.bullish_above}
    return {"bearish_below": round(float(lo), 2), "bullish_above": round(float(hi), 2)}


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
            "id": ind.id, "entity": ind.entity, "value": _num(ind.value), "state": ind.state,
            "strength": _num(ind.strength, 4), "percentile": _num(ind.percentile, 4),
            "reason": ind.reasons.get(DEFAULT_LANG, ind.reason), "contribution": _num(ind.contribution, 2),
            "rule": ind.rule, "group": ind.group, "stale": ind.stale,
        }
        for extra in ("label", "display", "x", "ref", "ref_id", "sub_score", "age_days", "reading", "weight"):
            if hasattr(ind, extra):
                value = getattr(ind, extra)
                row[extra] = _num(value, 6) if isinstance(value, float) else value
        row["reasons"] = dict(ind.reasons)
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
            {"id": w.id, "metric": w.metric, "entity": w.entity, "trigger": _num(w.trigger), "direction": w.direction,
             "mode": w.mode, "window": w.window, "current": _num(w.current), "rule": w.rule,
             "reference": _num(w.reference), "level": _level(w.level)}
            for w in assessment.watchlist
        ],
        "missing": [{"id": m.id, "entity": m.entity, "reason": m.reason} for m in assessment.missing],
        "sources": [
            {"provider": s.provider, "status": s.status, "latest": None if s.latest is None else s.latest.isoformat(),
             "reason": s.reason, "note": s.note}
            for s in assessment.sources
        ],
        "coverage": _num(assessment.coverage, 4),
        "actions": [{"id": a.id, "asset": a.asset, "price": _num(a.price, 2), "support": _level(a.support),
                     "resistance": _level(a.resistance)} for a in assessment.actions],
        "bands": _bands(assessment, rb),
        "score_text": fmt.score(score),
        "band_name": dict(BAND_NAMES.get(assessment.band, BAND_NAMES["unknown"])),
        "phase_name": dict(PHASE_NAMES.get(assessment.phase, {lang: assessment.phase for lang in LANGS})),
        "stance_name": dict(STANCE_NAMES.get(assessment.stance, {lang: assessment.stance for lang in LANGS})),
        "phase_reasons": dict(assessment.phase_reasons),
        "market_state": dict(assessment.market_state),
        "outlook": _clean(assessment.outlook),
        "stance_guidance": dict(assessment.stance_guidance),
        "groups": [
            {"id": name, "score": _num(assessment.group_scores.get(name), 2), "in_score": spec.in_score,
             "weight": spec.weight, "label": dict(spec.label)}
            for name, spec in groups.items()
        ],
    }


_STATE_MARK = {"bullish": "[green]🟢[/green]", "neutral": "[yellow]🟡[/yellow]", "bearish": "[red]🔴[/red]"}
_WORDS = {
    "score": {"zh-CN": "综合评分", "zh-TW": "綜合評分", "en": "Score"},
    "bands": {"zh-CN": "低于40偏空，40–60中性，高于60偏多", "zh-TW": "低於40偏空，40–60中性，高於60偏多",
              "en": "below 40 bearish, 40–60 neutral, above 60 bullish"},
    "phase": {"zh-CN": "市场阶段", "zh-TW": "市場階段", "en": "Phase"},
    "stance": {"zh-CN": "今日策略", "zh-TW": "今日策略", "en": "Stance"},
    "coverage": {"zh-CN": "数据覆盖率", "zh-TW": "資料覆蓋率", "en": "Coverage"},
    "indicators": {"zh-CN": "指标", "zh-TW": "指標", "en": "Indicators"},
    "support": {"zh-CN": "支撑区", "zh-TW": "支撐區", "en": "Support"},
    "resistance": {"zh-CN": "阻力区", "zh-TW": "阻力區", "en": "Resistance"},
    "watch": {"zh-CN": "未来24小时关注", "zh-TW": "未來24小時關注", "en": "Watch in the next 24 h"},
    "missing": {"zh-CN": "缺失数据", "zh-TW": "缺失資料", "en": "Missing data"},
    "stale": {"zh-CN": "（数据过期）", "zh-TW": "（資料過期）", "en": " (stale)"},
    "context": {"zh-CN": "（背景，不计入评分）", "zh-TW": "（背景，不計入評分）", "en": " (context, not scored)"},
}


def _esc(text: str) -> str:
    """Escape rich markup in data-derived text."""
    return text.replace("[", "\\[")


def render_text(assessment: Assessment, lang: str = DEFAULT_LANG, *, rulebook: Rulebook | None = None) -> str:
    """A terminal view of the assessment in `lang` (rich markup; print with rich's Console)."""
    w = {k: v[lang] for k, v in _WORDS.items()}
    groups = (rulebook or default_rulebook()).groups
    lines = []
    band = BAND_NAMES.get(assessment.band, BAND_NAMES["unknown"])[lang]
    lines.append(f"[bold]{w['score']}: {fmt.score(assessment.score)}[/bold] ({band}; {w['bands']})  "
                 f"{w['coverage']}: {assessment.coverage * 100:.0f}%")
    phase = PHASE_NAMES.get(assessment.phase, {}).get(lang, assessment.phase)
    stance = STANCE_NAMES.get(assessment.stance, {}).get(lang, assessment.stance)
    lines.append(f"[bold]{w['phase']}:[/bold] {phase}    [bold]{w['stance']}:[/bold] {stance}")
    if assessment.phase_reasons:
        lines.append(_esc(assessment.phase_reasons.get(lang, "")))
    if assessment.stance_guidance:
        lines.append(_esc(assessment.stance_guidance.get(lang, "")))
    lines.append("")
    lines.append(f"[bold]{w['indicators']}[/bold]")
    for ind in assessment.indicators:
        label = (getattr(ind, "label", None) or {}).get(lang, ind.id)
        display = getattr(ind, "display", "") or fmt.value(ind.id, ind.value)
        context = "" if groups.get(ind.group) is None or groups[ind.group].in_score else w["context"]
        stale = w["stale"] if ind.stale else ""
        contribution = f"{ind.contribution:+.1f}" if groups.get(ind.group) is not None and groups[ind.group].in_score else "  · "
        lines.append(f" {_STATE_MARK[ind.state]} {contribution:>5}  {_esc(label)}: {_esc(display)}{stale}{context}")
        lines.append(f"          {_esc(ind.reasons.get(lang, ind.reason))}")
    for title, zones in ((w["support"], assessment.support), (w["resistance"], assessment.resistance)):
        if zones:
            lines.append("")
            lines.append(f"[bold]{title}[/bold]")
            for zone in zones:
                span = fmt.price(zone.price) if zone.high - zone.low < 0.002 * zone.price else f"{fmt.price(zone.low)}–{fmt.price(zone.high)}"
                lines.append(f" {span}: {_esc('; '.join(why_texts(zone)[lang]))}")
    if assessment.watchlist:
        lines.append("")
        lines.append(f"[bold]{w['watch']}[/bold]")
        for n, item in enumerate(assessment.watchlist, 1):
            lines.append(f" {n}. {_esc(item.text.get(lang, ''))}")
    if assessment.missing:
        lines.append("")
        lines.append(f"[bold]{w['missing']}[/bold]")
        for gap in assessment.missing:
            key = f"{gap.id}:{gap.entity}" if gap.entity else gap.id
            lines.append(f" — {key}: {_esc(gap.reason)}")
    return "\n".join(lines)
