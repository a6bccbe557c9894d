"""The composite score 0–100, its band, coverage and each rule's contribution.

Formula (docs/rulebook.md): rules are grouped by data family. A group's score is the weighted
mean of the sub-scores of its rules that have data; the composite is the weighted mean of the
scores of the groups that have data, over groups that count (`in_score`). Weighting groups, not
series, keeps one family (say, five derivatives rules) from outvoting the others.

Coverage is the share of the rulebook's weight that had data: Σ_g W_g × (available rule weight in
g / all rule weight in g) / Σ_g W_g. A missing rule therefore never counts as "neutral": it
lowers coverage, which is reported beside the score. Each rule's contribution is its share of the
distance from 50, so that score = 50 + Σ contributions.

Everything is vectorised over days (rows) and, for sweeps, over weight sets (a leading K axis).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from signaldesk.signals.rulebook import Rulebook

BANDS = ("bearish", "neutral", "bullish")


@dataclass(frozen=True, slots=True)
class ScoreModel:
    """The numbers the formula needs, in rule order (only rules of groups that count)."""

    rules: tuple[str, ...]
    weights: np.ndarray
    group_of: np.ndarray
    groups: tuple[str, ...]
    group_weights: np.ndarray


def model(rulebook: Rulebook) -> ScoreModel:
    """The scoring model of a rulebook: its scoring rules, their weights and groups."""
    rules = rulebook.scoring_rules
    groups = tuple(g for g, spec in rulebook.groups.items() if spec.in_score)
    return ScoreModel(
        rules=tuple(r.id for r in rules),
        weights=np.array([r.weight for r in rules], dtype=float),
        group_of=np.array([groups.index(r.group) for r in rules], dtype=int),
        groups=groups,
        group_weights=np.array([rulebook.groups[g].weight for g in groups], dtype=float),
    )


@dataclass(frozen=True, slots=True)
class Composite:
    """Score, coverage and group scores; shapes (T,) / (T, G), or (T, K) / (T, G, K) for a sweep."""

    score: np.ndarray
    coverage: np.ndarray
    group_scores: np.ndarray


def composite(
    sub: np.ndarray,
    m: ScoreModel,
    *,
    weights: np.ndarray | None = None,
    group_weights: np.ndarray | None = None,
    min_coverage: float = 0.0,
) -> Composite:
    """Combine sub-scores `sub` (T × R, NaN = missing) into the composite.

    `weights` (R, or K × R) and `group_weights` (G, or K × G) override the rulebook's for a sweep;
    with a K axis every output gains a trailing K dimension. The score is NaN where coverage is
    below `min_coverage` or no group has data.
    """
    sub = np.asarray(sub, dtype=float).reshape(len(sub), len(m.rules))
    w = np.atleast_2d(m.weights if weights is None else np.asarray(weights, dtype=float))  # K × R
    gw = np.atleast_2d(m.group_weights if group_weights is None else np.asarray(group_weights, dtype=float))  # K × G
    sweep = (weights is not None and np.ndim(weights) == 2) or (
        group_weights is not None and np.ndim(group_weights) == 2
    )
    k = max(w.shape[0], gw.shape[0])
    if w.shape[0] not in (1, k) or gw.shape[0] not in (1, k):
        raise ValueError(f"weight sets disagree: {w.shape[0]} rule-weight rows vs {gw.shape[0]} group-weight rows")
    w, gw = np.broadcast_to(w, (k, len(m.rules))), np.broadcast_to(gw, (k, len(m.groups)))
    avail = np.isfinite(sub).astype(float)
    filled = np.where(avail > 0, sub, 0.0)
    membership = np.zeros((len(m.rules), len(m.groups)))
    membership[np.arange(len(m.rules)), m.group_of] = 1.0
    # R × (G·K): rule r's weight in weight set k if r belongs to group g, else 0.
    wg = (membership[:, :, None] * w.T[:, None, :]).reshape(len(m.rules), -1)
    shape = (len(sub), len(m.groups), k)
    num = (filled @ wg).reshape(shape)  # Σ w·s over available rules, per day, group, weight set
    den = (avail @ wg).reshape(shape)  # Σ w over available rules
    total = wg.sum(axis=0).reshape(1, len(m.groups), k)  # Σ w over all rules of the group
    gwk = gw.T[None, :, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        group_scores = np.where(den > 0, num / den, np.nan)
        has = den > 0
        score = (np.where(has, group_scores, 0.0) * gwk).sum(axis=1) / np.where(has, gwk, 0.0).sum(axis=1)
        counted = np.where(total > 0, gwk, 0.0)
        share = np.where(total > 0, den / np.where(total > 0, total, 1.0), 0.0)
        coverage = (counted * share).sum(axis=1) / counted.sum(axis=1)
    coverage = np.nan_to_num(coverage, nan=0.0)
    score = np.where(np.isfinite(score) & (coverage > 0) & (coverage >= min_coverage), score, np.nan)
    if not sweep:
        return Composite(score[:, 0], coverage[:, 0], group_scores[:, :, 0])
    return Composite(score, coverage, group_scores)


def contributions(sub_row: np.ndarray, m: ScoreModel) -> np.ndarray:
    """Each rule's share of the score's distance from 50 on one day (0 for missing rules)."""
    sub_row = np.asarray(sub_row, dtype=float)
    avail = np.isfinite(sub_row)
    out = np.zeros(len(m.rules))
    group_totals = np.array([m.weights[avail & (m.group_of == g)].sum() for g in range(len(m.groups))])
    present = group_totals > 0
    gw_total = m.group_weights[present].sum()
    if gw_total <= 0:
        return out
    for r in np.flatnonzero(avail):
        g = m.group_of[r]
        out[r] = m.group_weights[g] / gw_total * m.weights[r] / group_totals[g] * (sub_row[r] - 50.0)
    return out


def band(score: np.ndarray | float | None, bearish_below: float, bullish_above: float) -> np.ndarray:
    """`bearish` below `bearish_below`, `bullish` above `bullish_above`, else `neutral`; `unknown` for NaN.

    The edges are the rulebook's `[score]` prior or the calibrated ones (`band_edges`), never a literal here.
    """
    values = np.atleast_1d(np.asarray(np.nan if score is None else score, dtype=float))
    out = np.where(values < bearish_below, "bearish", np.where(values > bullish_above, "bullish", "neutral"))
    return np.where(np.isfinite(values), out, "unknown")


def band_edges(outlook: Mapping[str, object], rulebook: Rulebook) -> tuple[float, float]:
    """The band edges a day was judged with: the calibrated ones its outlook carries
    (`signals.calibration.day_summary`), else the rulebook's prior (`[score] bearish_below /
    bullish_above`). Everything that states or draws the bands reads them here."""
    bands = outlook.get("bands")
    if isinstance(bands, Mapping):
        low, high = bands.get("bearish_below"), bands.get("bullish_above")
        if (
            isinstance(low, int | float)
            and isinstance(high, int | float)
            and math.isfinite(low)
            and math.isfinite(high)
        ):
            return float(low), float(high)
    return rulebook.score.bearish_below, rulebook.score.bullish_above
