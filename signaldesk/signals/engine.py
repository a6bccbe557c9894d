"""The day's assessment: judge every rule, score, phase, stance, levels, watch list, sources.

`assess` is the one place the pieces meet; `signals.history` runs the same pieces over many
days at once, and a test holds the two to the same numbers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from signaldesk.models import Assessment, Indicator, Missing, Snapshot, SourceStatus, key_to_flat
from signaldesk.signals import history as history_mod
from signaldesk.signals import levels as levels_mod
from signaldesk.signals import phase as phase_mod
from signaldesk.signals import score as score_mod
from signaldesk.signals import watchlist
from signaldesk.signals.judge import judge
from signaldesk.signals.rulebook import Rulebook, default_rulebook, load_rulebook
from signaldesk.signals.series import view
from signaldesk.signals.snapshot import (
    snapshot_from_file,
    snapshot_from_store,
    wanted_keys,
)

if TYPE_CHECKING:
    from signaldesk.store import Store


def configured_rulebook() -> Path | None:
    """The user rulebook named in config.toml (`[signals] rulebook = "…"`), if any."""
    from signaldesk.settings import section

    path = section("signals").get("rulebook")
    return Path(path).expanduser() if path else None


def resolve_rulebook(path: str | Path | None = None) -> Rulebook:
    """`path` merged onto the shipped rulebook, else the configured user file, else the shipped one."""
    chosen = path if path is not None else configured_rulebook()
    return load_rulebook(chosen) if chosen is not None else default_rulebook()


def _group_scores(
    indicators: list[Indicator], rulebook: Rulebook, composite: score_mod.Composite, m: score_mod.ScoreModel
) -> dict[str, float]:
    """Every group with data: scoring groups as the composite saw them, context groups likewise."""
    out: dict[str, float] = {}
    for name, spec in rulebook.groups.items():
        if spec.in_score:
            value = composite.group_scores[0, m.groups.index(name)]
        else:
            rows = [
                (i.weight, i.sub_score)
                for i in indicators
                if i.group == name and i.sub_score is not None and i.weight > 0
            ]
            total = sum(w for w, _ in rows)
            value = sum(w * s for w, s in rows) / total if total > 0 else math.nan
        if math.isfinite(value):
            out[name] = round(float(value), 4)
    return out


def _sources(snapshot: Snapshot) -> list[SourceStatus]:
    """One line per source the snapshot's values came from: newest observation, stale keys."""
    by_source: dict[str, list] = {}
    for key, source in snapshot.sources.items():
        if key in snapshot.values:
            by_source.setdefault(source, []).append(key)
    out = []
    for source in sorted(by_source):
        keys = sorted(by_source[source])
        latest = max((snapshot.observed_at[k] for k in keys if k in snapshot.observed_at), default=None)
        stale = [f"{k[0]}{':' + k[1] if k[1] else ''} {snapshot.stale[k]}" for k in keys if k in snapshot.stale]
        out.append(
            SourceStatus(provider=source, status="stale" if stale else "ok", latest=latest, note="; ".join(stale))
        )
    return out


def assess(
    snapshot: Snapshot,
    *,
    rulebook: Rulebook | None = None,
    lang: str = "zh-CN",
    scored: history_mod.ScoreHistory | None = None,
) -> Assessment:
    """Judge a snapshot: indicators, composite score, band, phase, stance, levels, watch list, gaps.

    `lang` picks the language of each indicator's `reason`; `reasons` always holds all three.
    `scored` is the score history up to the day with the same rulebook, when the caller has it
    (otherwise it is computed from the snapshot's history).
    """
    rb = rulebook or default_rulebook()
    settings = rb.score
    history = view(snapshot)
    judged, gaps = judge(snapshot, rb.rules, settings, history)
    m = score_mod.model(rb)
    by_rule = {rule.id: ind for rule, ind in zip(rb.rules, judged, strict=True)}
    sub = np.array([[by_rule[r].sub_score if by_rule[r] is not None else np.nan for r in m.rules]])  # type: ignore[union-attr]
    composite = score_mod.composite(sub, m, min_coverage=settings.min_coverage)
    contribution = dict(zip(m.rules, score_mod.contributions(sub[0], m), strict=True))
    indicators: list[Indicator] = [
        dataclasses.replace(
            ind, contribution=round(float(contribution.get(ind.rule, 0.0)), 4), reason=ind.reasons[lang]
        )
        for ind in judged
        if ind is not None
    ]
    coverage = float(composite.coverage[0])
    # The evidence-weighted score: walk-forward weights and calibrated bands from the history up to the day.
    day = history_mod.day_score(
        history, snapshot.as_of, rb, sub[0], float(composite.score[0]), score_mod.contributions(sub[0], m), scored
    )
    indicators = [
        dataclasses.replace(ind, contribution=round(day.contributions.get(ind.rule, 0.0), 4)) for ind in indicators
    ]
    score, band = day.score, day.band

    feats = phase_mod.features(history, [snapshot.as_of], settings)
    phase = str(phase_mod.classify(feats, rb)[0])
    stance = str(
        phase_mod.stance(
            history_mod.band_as_score([band]),
            np.array([coverage]),
            np.array([phase], dtype=object),
            history_mod.BAND_AS_SCORE_SETTINGS,
        )[0]
    )
    markets = levels_mod.assess_levels(history, snapshot.as_of, rb)
    btc = markets[levels_mod.ASSET]
    support, resistance = list(btc.support), list(btc.resistance)
    watch = watchlist.build(indicators, btc, rb)

    # A rule judged on a fallback input says so beside its missing primary input.
    instead = {
        rule.key: f"rule {rule.id} used {key_to_flat((ind.id, ind.entity))} instead"
        for rule, ind in zip(rb.rules, judged, strict=True)
        if ind is not None and (ind.id, ind.entity) != rule.key
    }
    missing: list[Missing] = []
    seen: set[tuple[str, str]] = set()
    lacking = [k for k in wanted_keys(rb) if k not in history and k not in snapshot.missing]
    for gap in [
        *gaps,
        *(Missing(k[0], k[1], snapshot.missing[k]) for k in sorted(snapshot.missing)),
        *(Missing(k[0], k[1], "no data") for k in lacking),
    ]:
        key = (gap.id, gap.entity)
        if key not in seen:
            seen.add(key)
            missing.append(dataclasses.replace(gap, reason=f"{gap.reason}; {instead[key]}") if key in instead else gap)

    return Assessment(
        as_of=snapshot.as_of,
        score=score,
        band=band,
        phase=phase,
        stance=stance,
        coverage=coverage,
        indicators=indicators,
        support=support,
        resistance=resistance,
        watchlist=watch,
        missing=missing,
        asset_levels=markets,
        actions=levels_mod.actions(stance, btc, rb.levels),
        sources=_sources(snapshot),
        group_scores=_group_scores(indicators, rb, composite, m),
        market_state=history_mod.market_state(feats.iloc[0], phase),
        outlook=day.outlook,
        phase_reasons=phase_mod.reasons(feats.iloc[0], phase, phase_mod.matching(feats, rb)[0]),
    )


def assess_snapshot_file(
    path: str | Path, rulebook_path: str | Path | None = None, *, lang: str = "zh-CN"
) -> Assessment:
    """Judge a snapshot file (`signaldesk signals --snapshot FILE`)."""
    return assess(snapshot_from_file(path), rulebook=resolve_rulebook(rulebook_path), lang=lang)


def _with_outcomes(sources: list[SourceStatus], store: Store, as_of: date) -> list[SourceStatus]:
    """Add the providers whose run on (or the day after) `as_of` failed or was skipped, with why."""
    by_name = {s.provider: s for s in sources}
    for name, (outcome, finished) in sorted(store.last_outcomes().items()):
        if finished is None or not (as_of <= finished.date() <= as_of + timedelta(days=1)):
            continue
        if outcome.status in {"failed", "skipped"} or name not in by_name:
            current = by_name.get(name)
            latest = outcome.latest_ts or (current.latest if current else None)
            by_name[name] = SourceStatus(
                provider=name,
                status=outcome.status,
                latest=latest,
                reason=outcome.reason,
                note=current.note if current else "",
            )
    return [by_name[k] for k in sorted(by_name)]


def assess_store(
    store: Store,
    as_of: date,
    reasons: Mapping[str, str] | None = None,
    rulebook_path: str | Path | None = None,
    *,
    lang: str = "zh-CN",
) -> Assessment:
    """Judge the store as it stood at the end of `as_of` (`signaldesk signals --as-of D`)."""
    rb = resolve_rulebook(rulebook_path)
    snapshot = snapshot_from_store(store, as_of, reasons, wanted=wanted_keys(rb), expire_factor=rb.score.expire_factor)
    assessment = assess(snapshot, rulebook=rb, lang=lang)
    assessment.sources = _with_outcomes(assessment.sources, store, as_of)
    return assessment
