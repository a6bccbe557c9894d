"""The statistics of evidence: forward returns, rank IC with an overlap-robust interval, deflated Sharpe.

Used by the daily run (the score's weights and track record, `calibration`) and by the backtest;
the signal stage owns them because the backtest may import the signal stage but not the reverse.

**Forward return** of an as-of day D at horizon h: close(D + lag + h) / close(D + lag) − 1, over
calendar days (a gap gives NaN, never a longer window). With lag ≥ 1 every price in it is dated
after D, so no price the signal could have seen enters its own evaluation.

**Rank IC**: Spearman's rho between a signal and the forward return, computed as the OLS slope of
the standardised ranks of the return on the standardised ranks of the signal (that slope *is*
rho). Forward windows of h days overlap, so neighbouring residuals share most of their return and
an i.i.d. standard error would be far too small. The interval uses the Newey–West (HAC,
Bartlett-kernel) standard error of that slope with h − 1 lags — the overlap's length — from
statsmodels. (The previous n/h "effective observations" stand-in was cruder and not what the
research protocol asks for.)

**Deflated Sharpe ratio** (Bailey & López de Prado, 2014, "The Deflated Sharpe Ratio"): the
probability that the true Sharpe ratio exceeds the best one expected from N unskilled trials,

    SR0 = sqrt(V) × ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))),
    DSR = Φ( (SR − SR0) sqrt(T − 1) / sqrt(1 − skew × SR + (kurtosis − 1)/4 × SR²) ),

with SR the per-period Sharpe of the chosen strategy, V the variance of the N trials' Sharpe
ratios, γ Euler–Mascheroni's constant and T the number of returns. One trial (N = 1) gives
SR0 = 0: the probabilistic Sharpe ratio against zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

EULER_GAMMA = 0.5772156649015329
MIN_PAIRS = 30
"""Fewer pairs than this give no IC: an interval from a handful of overlapping windows is noise."""


def forward_returns(close: pd.Series, horizons: Sequence[int], *, lag: int = 1) -> pd.DataFrame:
    """Forward simple returns (fractions) per as-of day, one column `fwd_<h>d` per horizon.

    `close` is a daily close series (tz-naive dates meaning UTC days); the result is indexed by
    every calendar day from its first to its last close, NaN where the entry or exit is missing.
    """
    if lag < 1:
        raise ValueError("lag must be >= 1: the entry price must be dated after the as-of day")
    if any(h < 1 for h in horizons):
        raise ValueError("horizons must be positive numbers of days")
    prices = calendar(close)
    entry = prices.shift(-lag)
    return pd.DataFrame({f"fwd_{h}d": prices.shift(-(lag + h)) / entry - 1.0 for h in horizons}, index=prices.index)


def calendar(close: pd.Series) -> pd.Series:
    """A close series on a gap-free calendar-day index (missing days become NaN, not filled)."""
    series = close.dropna().astype(float)
    if series.empty:
        return series
    series.index = pd.DatetimeIndex(series.index).normalize()
    series = series[~series.index.duplicated(keep="last")].sort_index()
    return series.asfreq("D")


@dataclass(frozen=True, slots=True)
class Ic:
    """A rank IC at one horizon with its Newey–West interval (None where undefined)."""

    horizon: int
    n: int
    ic: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _standard_ranks(values: np.ndarray) -> np.ndarray:
    ranks = pd.Series(values).rank(method="average").to_numpy()
    spread = ranks.std()
    return (ranks - ranks.mean()) / spread if spread > 0 else np.zeros_like(ranks)


def rank_ic(signal: pd.Series, forward: pd.Series, horizon: int, *, confidence: float = 0.95) -> Ic:
    """Spearman IC of `signal` against `forward` (aligned on their index) with a HAC interval.

    Pairs where either is missing are dropped; lags = horizon − 1 (days whose windows overlap).
    A constant signal has no IC.
    """
    from statsmodels.regression.linear_model import OLS

    frame = pd.concat({"s": signal, "f": forward}, axis=1, sort=True).dropna()
    n = len(frame)
    empty = Ic(horizon, n, None, None, None, None, None)
    if n < MIN_PAIRS:
        return empty
    x = _standard_ranks(frame["s"].to_numpy(dtype=float))
    y = _standard_ranks(frame["f"].to_numpy(dtype=float))
    if not x.any() or not y.any():
        return empty
    fit = OLS(y, np.column_stack([np.ones(n), x])).fit(
        cov_type="HAC", cov_kwds={"maxlags": max(horizon - 1, 0), "use_correction": False}
    )
    ic, se = float(fit.params[1]), float(fit.bse[1])
    q = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Ic(horizon, n, ic, se, ic - q * se, ic + q * se, ic / se if se > 0 else None)


def probabilistic_sharpe(sharpe: float, benchmark: float, n: int, skew: float, kurtosis: float) -> float:
    """P(true Sharpe > `benchmark`) given a per-period Sharpe over `n` returns (kurtosis not excess)."""
    denominator = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n < 2 or denominator <= 0:
        return math.nan
    return NormalDist().cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(denominator))


def expected_max_sharpe(trials: int, variance: float) -> float:
    """The Sharpe ratio the best of `trials` unskilled strategies reaches by luck (per period)."""
    if trials <= 1:
        return 0.0
    inv = NormalDist().inv_cdf
    return math.sqrt(variance) * (
        (1 - EULER_GAMMA) * inv(1 - 1 / trials) + EULER_GAMMA * inv(1 - 1 / (trials * math.e))
    )


@dataclass(frozen=True, slots=True)
class Deflated:
    """A deflated Sharpe ratio and what went into it (Sharpe ratios per period, here per day)."""

    sharpe: float
    trials: int
    trial_sharpe_variance: float
    expected_max: float
    n: int
    skew: float
    kurtosis: float
    dsr: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def deflated_sharpe(returns: Sequence[float] | np.ndarray, trial_sharpes: Sequence[float] | np.ndarray) -> Deflated:
    """The DSR of a strategy's per-period `returns`, given the Sharpe ratios of every trial tried.

    `trial_sharpes` are per-period Sharpe ratios of all N combinations the choice was made from
    (the chosen one included); their variance sets the luck benchmark.
    """
    r = np.asarray(returns, dtype=float)
    r = r[np.isfinite(r)]
    trials = np.asarray(trial_sharpes, dtype=float)
    trials = trials[np.isfinite(trials)]
    sd = r.std(ddof=1) if len(r) > 1 else math.nan
    sharpe = float(r.mean() / sd) if sd and sd > 0 else math.nan
    centred = r - r.mean()
    m2 = float(np.mean(centred**2)) if len(r) else math.nan
    skew = float(np.mean(centred**3) / m2**1.5) if m2 else math.nan
    kurtosis = float(np.mean(centred**4) / m2**2) if m2 else math.nan
    variance = float(trials.var(ddof=1)) if len(trials) > 1 else 0.0
    benchmark = expected_max_sharpe(max(len(trials), 1), variance)
    dsr = probabilistic_sharpe(sharpe, benchmark, len(r), skew, kurtosis) if math.isfinite(sharpe) else math.nan
    return Deflated(sharpe, max(len(trials), 1), variance, benchmark, len(r), skew, kurtosis, dsr)
