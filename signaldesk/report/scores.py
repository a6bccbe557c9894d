"""The composite score's recent daily history, for the score chart and the dashboard.

The signal engine owns the computation (`signaldesk.signals.history.score_history`, causal: the
score on day D uses data up to D only); this module only asks it for a recent window and turns
an engine failure into "no chart" instead of a failed report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING

from signaldesk.models import MetricKey

if TYPE_CHECKING:
    import pandas as pd

    from signaldesk.signals.history import ScoreHistory
    from signaldesk.signals.rulebook import Rulebook

log = logging.getLogger(__name__)
DAYS = 365


def recent_scores(
    history: Mapping[MetricKey, pd.Series], as_of: date, *, days: int = DAYS, rulebook: Rulebook | None = None
) -> pd.Series | None:
    """Daily composite scores for the `days` up to `as_of` (None when the engine cannot give them),
    judged with the same `rulebook` as the day itself, so the chart ends on the headline score."""
    if not history:
        return None
    try:
        from signaldesk.signals.history import score_history

        scored = score_history(history, rulebook=rulebook, end=as_of)
    except Exception as exc:
        log.warning("score history unavailable: %s", exc)
        return None
    return recent(scored, as_of, days=days)


def recent(scored: ScoreHistory, as_of: date, *, days: int = DAYS) -> pd.Series | None:
    """The last `days` up to `as_of` of a score history's daily scores (None when under two days)."""
    import pandas as pd

    frame = scored.scores
    scores = frame.loc[frame.index >= pd.Timestamp(as_of - timedelta(days=days)), "score"].dropna()
    return scores if len(scores) >= 2 else None
