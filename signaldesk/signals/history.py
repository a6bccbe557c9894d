"""The causal daily score history, for backtests and sweeps.

`score_history(history)` derives metrics once over the whole history, evaluates every rule on
every day with the same vectorised code the per-day judge uses (`judge.evaluate`: each day sees
the latest value observed on or before it, transforms are causal), then combines the sub-scores
with `score.composite` and classifies phase and stance with `phase`. So the row for day D equals
`assess(snapshot_from_history(history, D))` — a test holds them together — and nothing after D
can move it: derived metrics and transforms only look back (the no-look-ahead test deletes
everything after D and checks every score up to D is unchanged).

The score is the evidence-weighted one (`calibration`): each quarter the rules' sub-scores are
weighed by their walk-forward skill, and the bands are the score's own expanding terciles, so
the row of day D still uses data up to D only. `prior` keeps the rulebook's fixed-weight
composite beside it (the score before any evidence, and the contrast in the backtest).

For sweeps: `subscores` (days × rules) and `values` (the transform outputs the bands compared)
are exposed; `recombine` recomputes the rulebook composite, band, coverage and stance with other
weights or bands, `score_grid` does it for K weight sets at once (one matrix product), and
`rescore` re-applies other thresholds to `values` without recomputing transforms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from signaldesk.models import MetricKey
from signaldesk.signals import phase as phase_mod
from signaldesk.signals import score as score_mod
from signaldesk.signals.calibration import Evidence, evidence_history
from signaldesk.signals.judge import bands, evaluate
from signaldesk.signals.rulebook import Rulebook, ScoreSettings, default_rulebook
from signaldesk.signals.series import daily

COLUMNS = ("score", "band", "phase", "stance", "coverage")


@dataclass(slots=True)
class ScoreHistory:
    """Daily scores and what they were made of (all frames share the daily `date` index)."""

    scores: pd.DataFrame
    subscores: pd.DataFrame
    values: pd.DataFrame
    stale: pd.DataFrame
    features: pd.DataFrame
    rulebook: Rulebook
    prior: pd.DataFrame
    evidence: Evidence

    def table(self) -> pd.DataFrame:
        """`date, score, band, phase, stance, coverage` — the `scores.csv` of `signaldesk backtest`."""
        out = self.scores.reset_index()
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        return out[["date", *COLUMNS]]


def _days(history: Mapping[MetricKey, pd.Series], rulebook: Rulebook, end: date | None) -> pd.DatetimeIndex:
    wanted = {k for rule in rulebook.scoring_rules for k in rule.input_keys()}
    firsts = [s.index[0] for k, s in history.items() if k in wanted and not s.empty]
    lasts = [s.index[-1] for s in history.values() if not s.empty]
    if not lasts:
        return pd.DatetimeIndex([], name="date").as_unit("ns")
    first = min(firsts or lasts)
    last = pd.Timestamp(end) if end is not None else max(lasts)
    return pd.date_range(first, last, freq="D", name="date").as_unit("ns")


def score_history(
    history: Mapping[MetricKey, pd.Series],
    *,
    rulebook: Rulebook | None = None,
    start: date | None = None,
    end: date | None = None,
) -> ScoreHistory:
    """Score, band, phase, stance and coverage for every day from `start` to `end` (inclusive).

    `history` is raw daily series (the store's `history()` shape); derived metrics are computed
    here. Default range: the first day any scoring rule has an input to the last day of data.
    """
    from signaldesk.metrics.derive import derive_all

    rb = rulebook or default_rulebook()
    settings = rb.score
    clean = {k: daily(s) for k, s in history.items()}
    full = {k: daily(s) for k, s in derive_all({k: s for k, s in clean.items() if not s.empty}).items()}
    # The walk-forward evidence always starts where the data does: a day's published score must not
    # depend on where a backtest window begins. `start` only trims what is returned.
    days = _days(full, rb, end)
    subs, values, stale = {}, {}, {}
    for rule in rb.rules:
        ev = evaluate(rule, full, days, rb.score)
        subs[rule.id], values[rule.id], stale[rule.id] = ev.sub, ev.x, ev.stale & ev.known
    subscores = pd.DataFrame(subs, index=days)
    features = phase_mod.features(full, days, settings)
    features.index.name = "date"
    phases = pd.Series(phase_mod.classify(features, rb) if len(days) else [], index=days, dtype=object)
    prior = recombine(subscores, rb, phases=phases)
    m = score_mod.model(rb)
    evidence = evidence_history(
        subscores.reindex(columns=list(m.rules)),
        full.get(phase_mod.PRICE),
        prior["score"],
        (settings.bearish_below, settings.bullish_above),
    )
    scores = prior.copy()
    scores["score"] = evidence.score
    scores["band"] = evidence.band
    if len(days):
        scores["stance"] = phase_mod.stance(
            band_as_score(evidence.band),
            prior["coverage"].to_numpy(dtype=float),
            phases.to_numpy(dtype=object),
            BAND_AS_SCORE_SETTINGS,
        )
    keep = days >= pd.Timestamp(start) if start is not None else np.ones(len(days), dtype=bool)
    return ScoreHistory(
        scores=scores[keep],
        subscores=subscores[keep],
        values=pd.DataFrame(values, index=days)[keep],
        stale=pd.DataFrame(stale, index=days)[keep],
        features=features[keep],
        rulebook=rb,
        prior=prior[keep],
        evidence=evidence,
    )


BAND_AS_SCORE_SETTINGS = ScoreSettings(bearish_below=40.0, bullish_above=60.0)
"""Stance depends on the score only through its band; with calibrated bands that move day by day,
the band is mapped to 0 / 50 / 100 and judged against these fixed ones (`band_as_score`)."""


def band_as_score(band: pd.Series | np.ndarray) -> np.ndarray:
    """bearish → 0, neutral → 50, bullish → 100, unknown → NaN: the band as `phase.stance` reads it."""
    values = pd.Series(np.asarray(band, dtype=object))
    return values.map({"bearish": 0.0, "neutral": 50.0, "bullish": 100.0}).to_numpy(dtype=float)


def _weights(
    rulebook: Rulebook,
    m: score_mod.ScoreModel,
    weights: Mapping[str, float] | None,
    group_weights: Mapping[str, float] | None,
) -> tuple[np.ndarray, np.ndarray]:
    w = m.weights.copy()
    for rule_id, value in (weights or {}).items():
        w[m.rules.index(rule_id)] = value
    gw = m.group_weights.copy()
    for group, value in (group_weights or {}).items():
        gw[m.groups.index(group)] = value
    return w, gw


def recombine(
    subscores: pd.DataFrame,
    rulebook: Rulebook,
    *,
    weights: Mapping[str, float] | None = None,
    group_weights: Mapping[str, float] | None = None,
    bearish_below: float | None = None,
    bullish_above: float | None = None,
    phases: pd.Series | None = None,
) -> pd.DataFrame:
    """Score, band and coverage (and stance, given `phases`) from sub-scores with other settings.

    `weights` / `group_weights` override single rule or group weights by id; the bands default
    to the rulebook's. Only scoring rules are read from `subscores`.
    """
    m = score_mod.model(rulebook)
    w, gw = _weights(rulebook, m, weights, group_weights)
    sub = subscores.reindex(columns=list(m.rules)).to_numpy(dtype=float)
    comp = score_mod.composite(sub, m, weights=w, group_weights=gw, min_coverage=rulebook.score.min_coverage)
    settings = rulebook.score.model_copy(
        update={k: v for k, v in (("bearish_below", bearish_below), ("bullish_above", bullish_above)) if v is not None}
    )
    out = pd.DataFrame(
        {
            "score": comp.score,
            "band": score_mod.band(comp.score, settings.bearish_below, settings.bullish_above) if len(sub) else [],
            "coverage": comp.coverage,
        },
        index=subscores.index,
    )
    if phases is not None:
        phase = phases.reindex(subscores.index).to_numpy(dtype=object)
        out["phase"] = phase
        out["stance"] = phase_mod.stance(comp.score, comp.coverage, phase, settings) if len(sub) else []
        out = out[list(COLUMNS)]
    return out


def score_grid(
    subscores: pd.DataFrame,
    rulebook: Rulebook,
    weight_sets: pd.DataFrame,
    group_weight_sets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Scores for K weight sets at once: days × K (columns = `weight_sets.index`).

    `weight_sets` has one row per set and a column per scoring rule id (missing columns keep the
    rulebook's weight); `group_weight_sets`, if given, one row per set and a column per group.
    """
    m = score_mod.model(rulebook)
    w = np.tile(m.weights, (len(weight_sets), 1))
    for j, rule_id in enumerate(m.rules):
        if rule_id in weight_sets.columns:
            w[:, j] = weight_sets[rule_id].to_numpy(dtype=float)
    gw = None
    if group_weight_sets is not None:
        gw = np.tile(m.group_weights, (len(group_weight_sets), 1))
        for j, group in enumerate(m.groups):
            if group in group_weight_sets.columns:
                gw[:, j] = group_weight_sets[group].to_numpy(dtype=float)
    sub = subscores.reindex(columns=list(m.rules)).to_numpy(dtype=float)
    comp = score_mod.composite(sub, m, weights=w, group_weights=gw, min_coverage=rulebook.score.min_coverage)
    return pd.DataFrame(comp.score, index=subscores.index, columns=weight_sets.index)


def rescore(values: pd.DataFrame, stale: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Sub-scores from transform outputs with (possibly changed) rule bands, without re-transforming."""
    out = {}
    for rule in rulebook.rules:
        if rule.id in values.columns:
            *_, sub = bands(
                rule,
                values[rule.id].to_numpy(dtype=float),
                stale[rule.id].to_numpy(dtype=bool),
                rulebook.score.stale_strength_cap,
            )
            out[rule.id] = sub
    return pd.DataFrame(out, index=values.index)


@dataclass(frozen=True, slots=True)
class DayScore:
    """One day's score as the assessment states it: value, band, each rule's part, and the evidence."""

    score: float | None
    band: str
    contributions: dict[str, float]
    outlook: dict[str, object]


def day_score(
    history: Mapping[MetricKey, pd.Series],
    as_of: date,
    rulebook: Rulebook,
    sub_row: np.ndarray,
    prior_score: float,
    prior_contributions: np.ndarray,
    scored: ScoreHistory | None = None,
) -> DayScore:
    """The evidence-weighted score of `as_of` from the day's sub-scores (scoring rules, model order).

    The weights, bands and track record come from the score history of `history` up to `as_of`
    (the same walk-forward `score_history` runs), so the day's assessment equals that history's
    row. Before any evidence the rulebook's composite (`prior_*`) and fixed bands stand. A caller
    that has that score history already (the daily run charts it) passes it as `scored`; it must
    end on `as_of`, where the walk-forward stops.
    """
    from signaldesk.signals.calibration import contributions, day_summary, weighted_score

    m = score_mod.model(rulebook)
    day = pd.Timestamp(as_of)
    if scored is None:
        scored = score_history(history, rulebook=rulebook, end=as_of)
    elif len(scored.scores.index) and scored.scores.index[-1] != day:
        raise ValueError(f"the score history given ends on {scored.scores.index[-1]:%Y-%m-%d}, not on {as_of}")
    evidence = scored.evidence
    status = str(evidence.status.get(day, "prior"))
    if status == "prior":
        value, parts = prior_score, np.asarray(prior_contributions, dtype=float)
    else:
        weights = evidence.weights_on(day)
        value = float(weighted_score(sub_row[None, :], weights)[0]) if status == "evidence" else 50.0
        parts = contributions(sub_row, weights)
    score = value if math.isfinite(value) else None
    lo = float(evidence.bearish_below.get(day, rulebook.score.bearish_below))
    hi = float(evidence.bullish_above.get(day, rulebook.score.bullish_above))
    band = "unknown" if score is None else "bearish" if score < lo else "bullish" if score > hi else "neutral"
    return DayScore(
        score, band, dict(zip(m.rules, (float(c) for c in parts), strict=True)), day_summary(evidence, as_of)
    )


def market_state(features_row: pd.Series, phase: str) -> dict[str, object]:
    """What state the market is in — a description, not a forecast: phase and the measured inputs."""
    out: dict[str, object] = {"phase": phase}
    for name in phase_mod.FEATURES:
        value = float(features_row[name])
        out[name] = value if math.isfinite(value) else None
    return out
