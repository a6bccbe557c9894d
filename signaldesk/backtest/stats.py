"""Statistics of forward BTC returns by score band, hit rates, and the rank information coefficient.

Definitions (all returns are simple returns as fractions, from `forward.py`):

- **per group** (band, phase or stance): `count` of days with a forward return, `mean`, `median`,
  `share_up` (fraction of days whose forward return is > 0), `excess_mean` (group mean minus the
  mean over all days of the sample: what being in the group added to the unconditional drift).
- **hit rate** (bands only): a bullish day hits when its forward return is > 0, a bearish day when
  it is < 0; neutral days make no call and are not counted. `hit_rate` overall is the share of hits
  among all bullish and bearish days.
- **rank IC**: Spearman's rho between the score on day D and the forward return from D, over every
  day where both exist (ties get average ranks), with a **Newey–West (HAC)** 95 % interval
  (`signaldesk.signals.evidence.rank_ic`: h − 1 lags, the length of the overlap of h-day windows).
- **lag test**: the same IC with the score shifted one more calendar day. A signal whose edge
  comes from same-day leakage collapses under this shift; a real one survives (freqtrade's
  lookahead-analysis idea).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from signaldesk.backtest.forward import column
from signaldesk.signals import evidence

BAND_ORDER: tuple[str, ...] = ("bearish", "neutral", "bullish")


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Forward-return statistics of one group (a band, phase or stance) at one horizon."""

    by: str
    group: str
    horizon: int
    count: int
    mean: float | None
    median: float | None
    share_up: float | None
    excess_mean: float | None
    hit_rate: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class IcResult(evidence.Ic):
    """Spearman rank IC at one horizon with its Newey–West interval (`evidence.Ic`), and the lag test."""

    ic_lag1: float | None = None
    method: str = "spearman; 95% CI from the Newey-West (HAC) s.e. with horizon-1 lags"


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def spearman(x: Sequence[float] | pd.Series, y: Sequence[float] | pd.Series) -> float:
    """Spearman's rho over pairs where both are finite (average ranks for ties); NaN if < 3 pairs."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return math.nan
    ra = pd.Series(a[keep]).rank(method="average").to_numpy()
    rb = pd.Series(b[keep]).rank(method="average").to_numpy()
    ra = ra - ra.mean()
    rb = rb - rb.mean()
    denom = math.sqrt(float(ra @ ra) * float(rb @ rb))
    return float(ra @ rb) / denom if denom > 0 else math.nan


def rank_ic(score: pd.Series, forward: pd.Series, horizon: int, *, confidence: float = 0.95) -> IcResult:
    """Spearman IC between `score` and `forward` (aligned on their index) at `horizon` days, HAC interval."""
    ic = evidence.rank_ic(score, forward, horizon, confidence=confidence)
    return IcResult(horizon, ic.n, ic.ic, ic.se, ic.ci_low, ic.ci_high, ic.t)


def ic_table(
    joined: pd.DataFrame, horizons: Sequence[int], *, confidence: float = 0.95, column_name: str = "score"
) -> list[IcResult]:
    """Rank IC per horizon for a frame with `date`, the signal column and `fwd_<h>d` columns, plus the lag test."""
    frame = joined.set_index(pd.DatetimeIndex(joined["date"])).sort_index()
    calendar = frame.asfreq("D") if len(frame) else frame
    lagged = calendar[column_name].shift(1)
    out = []
    for h in horizons:
        result = rank_ic(calendar[column_name], calendar[column(h)], h, confidence=confidence)
        out.append(replace(result, ic_lag1=_finite(spearman(lagged, calendar[column(h)]))))
    return out


def _direction(group: str) -> int:
    """+1 for a bullish band, -1 for a bearish one, 0 for a band that makes no call."""
    name = group.lower()
    if "bull" in name:
        return 1
    if "bear" in name:
        return -1
    return 0


def _scored(joined: pd.DataFrame) -> pd.Series:
    """Days with a score (a day without one has no band to judge, whatever its label says)."""
    if "score" not in joined.columns:
        return pd.Series(True, index=joined.index)
    return joined["score"].notna()


def group_stats(joined: pd.DataFrame, horizons: Sequence[int], by: str = "band") -> list[GroupStats]:
    """Forward-return statistics per value of column `by` (band, phase or stance) and horizon.

    Bands come out in the order bearish, neutral, bullish; other groupings alphabetically. Days
    without a score, or whose group is empty or missing, are left out.
    """
    out: list[GroupStats] = []
    if by not in joined.columns:
        return out
    labels = joined[by].fillna("").astype(str).where(_scored(joined), "")
    present = [g for g in labels.unique() if g]
    order = [g for g in BAND_ORDER if g in present] + sorted(g for g in present if g not in BAND_ORDER)
    for h in horizons:
        fwd = joined[column(h)]
        base = fwd[labels != ""].dropna()
        base_mean = float(base.mean()) if len(base) else math.nan
        for group in order:
            values = fwd[labels == group].dropna()
            n = len(values)
            direction = _direction(group) if by == "band" else 0
            hit = None
            if n and direction:
                hit = float((np.sign(values) == direction).mean())
            out.append(
                GroupStats(
                    by=by,
                    group=group,
                    horizon=h,
                    count=n,
                    mean=_finite(values.mean()) if n else None,
                    median=_finite(values.median()) if n else None,
                    share_up=float((values > 0).mean()) if n else None,
                    excess_mean=_finite(values.mean() - base_mean) if n else None,
                    hit_rate=hit,
                )
            )
    return out


def hit_rates(joined: pd.DataFrame, horizons: Sequence[int]) -> dict[int, dict[str, float | int | None]]:
    """Overall directional hit rate per horizon over bullish and bearish days (neutral excluded)."""
    out: dict[int, dict[str, float | int | None]] = {}
    direction = joined["band"].fillna("").astype(str).map(_direction).where(_scored(joined), 0)
    for h in horizons:
        fwd = joined[column(h)]
        called = (direction != 0) & fwd.notna()
        n = int(called.sum())
        hits = int((np.sign(fwd[called]) == direction[called]).sum())
        out[h] = {"calls": n, "hits": hits, "hit_rate": hits / n if n else None}
    return out
