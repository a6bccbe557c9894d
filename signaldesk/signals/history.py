"""The causal daily score history, for backtests and sweeps.

`score_history(history)` derives metrics once over the whole history, evaluates every rule on
every day with the same vectorised code the per-day judge uses (`judge.evaluate`: each day sees
the latest value observed on or before it, transforms are causal), then combines the sub-scores
with `score.composite` and classifies phase and stance with `phase`. So the row for day D equals
`assess(snapshot_from_history(history, D))` — a test holds them together — and nothing after D
can move it: derived metrics and transforms only look back (the no-look-ahead test deletes
everything after D and checks every score up to D is unchanged).

For sweeps: `subscores` (days × rules) and `values` (the transform outputs the bands compared)
are exposed; `recombine` recomputes score, band, coverage and stance with other weights or
bands, `score_grid` does it for K weight sets at once (one matrix product), and `rescore`
re-applies other thresholds to `values` without recomputing transforms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from signaldesk.models import MetricKey
from signaldesk.signals import phase as phase_mod
from signaldesk.signals import score as score_mod
from signaldesk.signals.judge import bands, evaluate
from signaldesk.signals.rulebook import Rulebook, default_rulebook
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

    def table(self) -> pd.DataFrame:
        """`date, score, band, phase, stance, coverage` — the `scores.csv` of `signaldesk backtest`."""
        out = self.scores.reset_index()
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        return out[["date", *COLUMNS]]


def _days(history: Mapping[MetricKey, pd.Series], rulebook: Rulebook, start: date | None, end: date | None) -> pd.DatetimeIndex:
    wanted = {k for rule in rulebook.scoring_rules for k in rule.input_keys()}
    firsts = [s.index[0] for k, s in history.items() if k in wanted and not s.empty]
    lasts = [s.index[-1] for s in history.values() if not s.empty]
    if not lasts:
        return pd.DatetimeIndex([], name="date").as_unit("ns")
    first = pd.Timestamp(start) if start is not None else min(firsts or lasts)
    last = pd.Timestamp(end) if end is not None else max(lasts)
    return pd.date_range(first, last, freq="D", name="date").as_unit("ns")


def score_history(history: Mapping[MetricKey, pd.Series], *, rulebook: Rulebook | None = None,
                  start: date | None = None, end: date | None = None) -> ScoreHistory:
    """Score, band, phase, stance and coverage for every day from `start` to `end` (inclusive).

    `history` is raw daily series (the store's `history()` shape); derived metrics are computed
    here. Default range: the first day any scoring rule has an input to the last day of data.
    """
    from signaldesk.metrics.derive import derive_all

    rb = rulebook or default_rulebook()
    settings = rb.score
    clean = {k: daily(s) for k, s in history.items()}
    full = {k: daily(s) for k, s in derive_all({k: s for k, s in clean.items() if not s.empty}).items()}
    days = _days(full, rb, start, end)
    subs, values, stale = {}, {}, {}
    for rule in rb.rules:
        ev = evaluate(rule, full, days, rb.score)
        subs[rule.id], values[rule.id], stale[rule.id] = ev.sub, ev.x, ev.stale & ev.known
    subscores = pd.DataFrame(subs, index=days)
    features = phase_mod.features(full, days, settings)
    features.index.name = "date"
    phases = pd.Series(phase_mod.classify(features) if len(days) else [], index=days, dtype=object)
    scores = recombine(subscores, rb, phases=phases)
    return ScoreHistory(scores=scores, subscores=subscores, values=pd.DataFrame(values, index=days),
                        stale=pd.DataFrame(stale, index=days), features=features, rulebook=rb)


def _weights(rulebook: Rulebook, m: score_mod.ScoreModel, weights: Mapping[str, float] | None,
             group_weights: Mapping[str, float] | None) -> tuple[np.ndarray, np.ndarray]:
    w = m.weights.copy()
    for rule_id, value in (weights or {}).items():
        w[m.rules.index(rule_id)] = value
    gw = m.group_weights.copy()
    for group, value in (group_weights or {}).items():
        gw[m.groups.index(group)] = value
    return w, gw


def recombine(subscores: pd.DataFrame, rulebook: Rulebook, *, weights: Mapping[str, float] | None = None,
              group_weights: Mapping[str, float] | None = None, bearish_below: float | None = None,
              bullish_above: float | None = None, phases: pd.Series | None = None) -> pd.DataFrame:
    """Score, band and coverage (and stance, given `phases`) from sub-scores with other settings.

    `weights` / `group_weights` override single rule or group weights by id; the bands default
    to the rulebook's. Only scoring rules are read from `subscores`.
    """
    m = score_mod.model(rulebook)
    w, gw = _weights(rulebook, m, weights, group_weights)
    sub = subscores.reindex(columns=list(m.rules)).to_numpy(dtype=float)
    comp = score_mod.composite(sub, m, weights=w, group_weights=gw, min_coverage=rulebook.score.min_coverage)
    settings = rulebook.score.model_copy(update={
        k: v for k, v in (("bearish_below", bearish_below), ("bullish_above", bullish_above)) if v is not None
    })
    out = pd.DataFrame({
        "score": comp.score,
        "band": score_mod.band(comp.score, settings.bearish_below, settings.bullish_above) if len(sub) else [],
        "coverage": comp.coverage,
    }, index=subscores.index)
    if phases is not None:
        phase = phases.reindex(subscores.index).to_numpy(dtype=object)
        out["phase"] = phase
        out["stance"] = phase_mod.stance(comp.score, comp.coverage, phase, settings) if len(sub) else []
        out = out[list(COLUMNS)]
    return out


def score_grid(subscores: pd.DataFrame, rulebook: Rulebook, weight_sets: pd.DataFrame,
               group_weight_sets: pd.DataFrame | None = None) -> pd.DataFrame:
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
            *_, sub = bands(rule, values[rule.id].to_numpy(dtype=float),
                            stale[rule.id].to_numpy(dtype=bool), rulebook.score.stale_strength_cap)
            out[rule.id] = sub
    return pd.DataFrame(out, index=values.index)
