"""The backtest's view of the signal engine: a causal score history and its parts.

The engine (`signaldesk.signals.history`) computes the whole score history in one vectorised pass
over the store's history, causally: the row of day D depends on data up to D only. This module
adapts it to what the backtest needs and nothing more, so that the statistics and the sweep can
be tested on hand-made score series and a scorer can be injected (a deliberately leaky one in the
no-look-ahead tests).

`ScoreHistory.frame` has one row per day: `date, score, band, phase, stance, coverage`.
`ScoreHistory.components` (optional) is a T × C frame of sub-scores on the score's 0–100 scale
whose weighted mean (weights `weights`, missing parts renormalised away) *is* the composite —
the engine's group scores — so that the sweep can recombine them with other weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from signaldesk.backtest import BacktestError
from signaldesk.models import MetricKey

if TYPE_CHECKING:
    from signaldesk.signals.history import ScoreHistory as EngineHistory
    from signaldesk.signals.rulebook import Rulebook

History = Mapping[MetricKey, pd.Series]
COLUMNS: tuple[str, ...] = ("date", "score", "band", "phase", "stance", "coverage")


def _prior_bands(rulebook: Rulebook | None = None) -> tuple[float, float]:
    """The rulebook's `[score] bearish_below, bullish_above` (the shipped rulebook by default)."""
    from signaldesk.signals.rulebook import default_rulebook

    settings = (rulebook or default_rulebook()).score
    return float(settings.bearish_below), float(settings.bullish_above)


@dataclass(slots=True)
class ScoreHistory:
    """A causal score history and, when the engine exposes them, its recombinable parts."""

    frame: pd.DataFrame
    components: pd.DataFrame | None = None
    weights: dict[str, float] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    bands: tuple[float, float] = field(default_factory=_prior_bands)
    """The band edges the allocation ramps between: the rulebook's `[score]` prior."""

    def __post_init__(self) -> None:
        missing = [c for c in COLUMNS if c not in self.frame.columns]
        if missing:
            raise BacktestError(f"score history lacks column(s) {', '.join(missing)}")
        frame = self.frame.loc[:, list(COLUMNS)].copy()
        frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
        self.frame = frame.sort_values("date").reset_index(drop=True)


Scorer = Callable[[History], ScoreHistory]


def engine_scorer(rulebook: Rulebook | None = None) -> Scorer:
    """The signal engine's vectorised history as a `Scorer`."""
    from signaldesk.signals.history import score_history

    def score(history: History) -> ScoreHistory:
        return from_engine(score_history(history, rulebook=rulebook))

    return score


def from_engine(result: EngineHistory) -> ScoreHistory:
    """Wrap `signals.history.ScoreHistory`: its score table, and its *group* scores as components.

    The frame's score is the engine's evidence-weighted score. The components are the group scores
    of the rulebook's fixed-weight composite (`prior`): its group-weight mean of the group scores
    that have data, each the rule-weight mean of its rules with data, so the group scores with the
    group weights recombine to that composite exactly (with the default `min_coverage = 0`); that
    family of fixed weightings is what the sweep varies.
    """
    from signaldesk.signals.score import composite
    from signaldesk.signals.score import model as score_model

    rulebook = result.rulebook
    scores = result.scores
    model = score_model(rulebook)
    sub = result.subscores.reindex(columns=list(model.rules)).to_numpy(dtype=float)
    groups = composite(sub, model).group_scores
    components = pd.DataFrame(groups, index=scores.index, columns=list(model.groups))
    frame = scores.reset_index().rename(columns={scores.index.name or "index": "date"})
    return ScoreHistory(
        frame,
        components,
        weights={g: float(w) for g, w in zip(model.groups, model.group_weights, strict=True)},
        groups={g: g for g in model.groups},
        bands=_prior_bands(rulebook),
    )
