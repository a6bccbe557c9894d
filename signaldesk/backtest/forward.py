"""Forward returns joined strictly after the as-of day.

A score dated D is computed from data up to the end of UTC day D. Acting on it takes time (the
report is written after the close; ETF flows for D are published after the New York close), so
the evaluation enters at the close of day D + `lag` (default one day, the research protocol
"score at close t, trade at t+1") and exits `h` calendar days later:

    fwd_h(D) = close(D + lag + h) / close(D + lag) - 1        (simple return, a fraction)

With `lag >= 1` every price in the formula is dated strictly after D, so no price the score could
have seen enters its own evaluation. Windows use calendar days, never row positions, so a gap in
the price series yields NaN rather than a silently longer window.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from signaldesk.signals import evidence

DEFAULT_HORIZONS: tuple[int, ...] = (7, 30, 90)


def column(horizon: int) -> str:
    """The forward-return column name for a horizon in days: `fwd_7d`."""
    return f"fwd_{horizon}d"


def daily(close: pd.Series) -> pd.Series:
    """A close series on a gap-free calendar-day index (missing days become NaN, not filled)."""
    return evidence.calendar(close)


def forward_returns(close: pd.Series, horizons: Sequence[int] = DEFAULT_HORIZONS, *, lag: int = 1) -> pd.DataFrame:
    """Forward simple returns (fractions) per as-of day, one column `fwd_<h>d` per horizon.

    The one implementation is `signaldesk.signals.evidence.forward_returns` (the daily run's
    track record uses it too); `lag` must be >= 1 so only prices dated after the day enter.
    """
    return evidence.forward_returns(close, horizons, lag=lag)


def join_forward(scores: pd.DataFrame, forward: pd.DataFrame) -> pd.DataFrame:
    """Scores (with a `date` column) joined to the forward returns of the same as-of day.

    The join is on the as-of day; the forward columns already start after it (see module doc),
    so this is a plain left join and rows without a forward return keep NaN.
    """
    left = scores.copy()
    left["date"] = pd.to_datetime(left["date"]).dt.normalize()
    joined = left.merge(forward, left_on="date", right_index=True, how="left")
    return joined.reset_index(drop=True)
