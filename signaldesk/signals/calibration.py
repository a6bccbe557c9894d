"""The evidence-weighted score, its calibrated bands and its out-of-sample track record.

Why: the rulebook's bands say what each rule *means* (a bullish or bearish sub-score), but not
whether that judgement has ever been followed by what it claims. This module lets the score's own
history decide how much each rule counts, walk-forward, so every day's score uses only what was
known before it:

1. **Refits** on the first day of each calendar quarter (`Procedure.refit`). A refit on day τ
   trains on the days D whose 30-day forward return was complete, plus an embargo, before τ:
   D + lag + horizon + embargo ≤ τ (the embargo keeps the training labels' last overlapping
   window away from the days the weights will score).
2. **Skill test** per scoring rule: the rank IC of its sub-score against the 30-day forward BTC
   return on the training days, with its Newey–West interval (`evidence.rank_ic`). A rule needs
   `min_train_days` labelled days and a t-statistic ≥ `skill_t` (IC more than one HAC standard
   error above zero); otherwise it has no demonstrated skill and weight 0 — it is still judged
   and shown as context, but it does not move the score. A rule whose IC is negative is never
   flipped: the rulebook's reading stands or the rule is silent.
3. **Weights** of the skilled rules: half equal, half proportional to their training IC
   (`shrink` = 0.5 toward equal weights — the estimate of which rule is best is noisy, the
   estimate that a rule works at all less so).
4. **Score** = 50 + Σ w_r (s_r − 50) / Σ w_r over skilled rules with data that day (0–100 like
   the sub-scores). No skilled rule: 50 and status `no_skill`. Before the first refit with
   enough history: the rulebook's composite and its fixed bands, status `prior`.
5. **Bands** from the score's own history: bearish below the expanding lower tercile of every
   evidence-weighted score up to the day, bullish above the upper tercile (at least
   `min_band_days` of history, else the rulebook's fixed bands).
6. **Track record**: the out-of-sample days (scored by weights fitted before them) whose forward
   return is complete: their rank IC with the HAC interval, the hit rate of the bullish and
   bearish days, the forward return of each band, and the same IC for 28- and 90-day momentum
   on the same days — the baselines a score must beat to mean anything.

Free parameters: horizon 30 (the report's horizon), skill_t 1.0, shrink 0.5, terciles; fixed
before looking at out-of-sample results except as docs/evidence.md lists (the trials count).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from signaldesk.signals.evidence import Ic, forward_returns, rank_ic

BANDS = ("bearish", "neutral", "bullish")
BASELINES = {"momentum_28d": 28, "momentum_90d": 90}


@dataclass(frozen=True, slots=True)
class Procedure:
    """The walk-forward procedure's settings (docs/evidence.md explains each choice)."""

    horizon: int = 30
    lag: int = 1
    embargo_days: int = 30
    refit: str = "QS"
    min_train_days: int = 365
    skill_t: float = 1.0
    shrink: float = 0.5
    lower_quantile: float = 1 / 3
    upper_quantile: float = 2 / 3
    min_band_days: int = 180

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


PROCEDURE = Procedure()
TRIALS = 3
"""Procedure variants judged on out-of-sample results before this one was fixed (skill_t 1.0, 1.645 and
1.96; docs/evidence.md). Intervals that claim the score's skill are widened for this many looks."""


@dataclass(frozen=True, slots=True)
class Fit:
    """One refit: when, on which days, and the weights it gave (skilled rules only)."""

    day: pd.Timestamp
    train_end: pd.Timestamp
    weights: dict[str, float]
    ics: dict[str, Ic]


def fit_weights(subscores: pd.DataFrame, forward: pd.Series, day: pd.Timestamp, p: Procedure = PROCEDURE) -> Fit | None:
    """The weights a refit on `day` gives, from training days with complete labels; None if none qualify.

    `forward` is the `p.horizon`-day forward return per as-of day (lag `p.lag`).
    """
    train_end = day - pd.Timedelta(days=p.lag + p.horizon + p.embargo_days)
    labels = forward.loc[:train_end].dropna()
    aligned = subscores.loc[:train_end].reindex(labels.index)  # every rule at once: a refit runs each quarter
    known = aligned.notna().sum()
    ics: dict[str, Ic] = {}
    for rule in subscores.columns:
        if known[rule] >= p.min_train_days:
            ics[rule] = rank_ic(aligned[rule], labels, p.horizon)
    if not ics:
        return None
    skilled = {
        r: ic.ic for r, ic in ics.items() if ic.ic is not None and ic.t is not None and ic.ic > 0 and ic.t >= p.skill_t
    }
    weights: dict[str, float] = {}
    if skilled:
        total = sum(skilled.values())
        weights = {r: p.shrink / len(skilled) + (1 - p.shrink) * v / total for r, v in skilled.items()}
    return Fit(day, train_end, weights, ics)


def weighted_score(sub: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """50 + Σ w (s − 50) / Σ w over the rules with data (rows = days); NaN where none has data."""
    sub = np.atleast_2d(np.asarray(sub, dtype=float))
    present = np.isfinite(sub) & (weights[None, :] > 0)
    den = (present * weights[None, :]).sum(axis=1)
    num = (np.where(present, sub - 50.0, 0.0) * weights[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 50.0 + num / den, np.nan)


def contributions(sub_row: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each rule's part of the score's distance from 50 on one day (0 for unskilled or missing rules)."""
    sub_row = np.asarray(sub_row, dtype=float)
    present = np.isfinite(sub_row) & (weights > 0)
    total = weights[present].sum()
    if total <= 0:
        return np.zeros(len(sub_row))
    return np.where(present, weights * (np.where(present, sub_row, 50.0) - 50.0) / total, 0.0)


@dataclass(slots=True)
class Evidence:
    """The evidence-weighted score history: score, status, bands per day, and every refit."""

    score: pd.Series
    status: pd.Series
    bearish_below: pd.Series
    bullish_above: pd.Series
    band: pd.Series
    fits: list[Fit]
    close: pd.Series
    procedure: Procedure = PROCEDURE
    rules: tuple[str, ...] = field(default_factory=tuple)

    def fit_on(self, day: pd.Timestamp) -> Fit | None:
        """The refit in force on `day` (the latest one on or before it)."""
        current = None
        for fit in self.fits:
            if fit.day > day:
                break
            current = fit
        return current

    def weights_on(self, day: pd.Timestamp) -> np.ndarray:
        fit = self.fit_on(day)
        return np.array([(fit.weights if fit else {}).get(r, 0.0) for r in self.rules])


def _refit_days(days: pd.DatetimeIndex, p: Procedure) -> pd.DatetimeIndex:
    if len(days) == 0:
        return days
    return pd.date_range(days[0], days[-1], freq=p.refit)


def evidence_history(
    subscores: pd.DataFrame,
    close: pd.Series | None,
    prior_score: pd.Series,
    fixed_bands: tuple[float, float],
    p: Procedure = PROCEDURE,
) -> Evidence:
    """Walk the procedure over every day of `subscores` (scoring rules only; days × rules).

    `prior_score` is the rulebook's composite, used (with `fixed_bands`) before the first refit.
    """
    days = subscores.index
    rules = tuple(subscores.columns)
    score = prior_score.reindex(days).astype(float).copy()
    status = pd.Series("prior", index=days, dtype=object)
    fits: list[Fit] = []
    prices = close if close is not None else pd.Series(dtype=float)
    if len(days) and not prices.dropna().empty:
        forward = forward_returns(prices, (p.horizon,), lag=p.lag)[f"fwd_{p.horizon}d"].reindex(days)
        refits = list(_refit_days(days, p))
        for i, day in enumerate(refits):
            fit = fit_weights(subscores, forward, day, p)
            if fit is None:
                continue
            fits.append(fit)
            end = refits[i + 1] - pd.Timedelta(days=1) if i + 1 < len(refits) else days[-1]
            rows = (days >= day) & (days <= end)
            if fit.weights:
                w = np.array([fit.weights.get(r, 0.0) for r in rules])
                score[rows] = weighted_score(subscores.to_numpy(dtype=float)[rows], w)
                status[rows] = "evidence"
            else:
                score[rows] = 50.0
                status[rows] = "no_skill"
    lo, hi = fixed_bands
    fitted = status != "prior"
    history = score.where(fitted)
    count = history.expanding().count()
    enough = fitted & (count >= p.min_band_days)
    lower = history.expanding().quantile(p.lower_quantile).where(enough, lo)
    upper = history.expanding().quantile(p.upper_quantile).where(enough, hi)
    band = pd.Series(np.where(score < lower, "bearish", np.where(score > upper, "bullish", "neutral")), index=days)
    band = band.where(score.notna(), "unknown")
    return Evidence(score, status, lower, upper, band, fits, prices, p, rules)


def _group_returns(forward: pd.Series, band: pd.Series) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for name in BANDS:
        values = forward[band == name].dropna()
        out[name] = {
            "days": len(values),
            "mean": _num(values.mean()),
            "median": _num(values.median()),
            "share_up": _num((values > 0).mean()) if len(values) else None,
        }
    return out


def _num(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def track_record(
    ev: Evidence, as_of: date | pd.Timestamp, horizons: tuple[int, ...] | None = None
) -> dict[str, object]:
    """The out-of-sample record as known at the end of `as_of` (only forward returns complete by then).

    Out of sample means scored by weights fitted before the day (status `evidence` or
    `no_skill`). The IC, its HAC interval, the hit rate (a bullish day hits when the forward
    return is > 0, a bearish one when it is < 0), the forward return per band, and the IC of 28-
    and 90-day BTC momentum on the same days.
    """
    p = ev.procedure
    h = p.horizon
    end = pd.Timestamp(as_of)
    prices = ev.close.loc[:end] if len(ev.close) else ev.close
    if prices.dropna().empty:
        return {"horizon": h, "days": 0}
    forward = forward_returns(prices, (h,), lag=p.lag)[f"fwd_{h}d"]
    days = ev.score.index[(ev.status != "prior").to_numpy() & (ev.score.index <= end)]
    scored = ev.score.reindex(days)
    label = forward.reindex(days)
    done = scored.notna() & label.notna()
    oos = scored[done]
    if oos.empty:
        return {"horizon": h, "days": 0}
    ic = rank_ic(oos, label[done], h)
    band = ev.band.reindex(oos.index)
    direction = band.map({"bullish": 1, "bearish": -1}).fillna(0)
    called = direction != 0
    hits = int((np.sign(label[done][called]) == direction[called]).sum())
    calendar = prices.dropna()
    calendar.index = pd.DatetimeIndex(calendar.index).normalize()
    calendar = calendar[~calendar.index.duplicated(keep="last")].asfreq("D")
    baselines = {}
    for name, window in BASELINES.items():
        momentum = (calendar / calendar.shift(window) - 1).reindex(oos.index)
        baselines[name] = rank_ic(momentum, label[done], h).ic
    return {
        "horizon": h,
        "start": str(oos.index[0].date()),
        "end": str(oos.index[-1].date()),
        "days": len(oos),
        "ic": ic.ic,
        "ci_low": ic.ci_low,
        "ci_high": ic.ci_high,
        "t": ic.t,
        "hit_rate": hits / int(called.sum()) if called.any() else None,
        "calls": int(called.sum()),
        "hits": hits,
        "baselines": baselines,
        "band_returns": _group_returns(label[done], band),
    }


def day_summary(ev: Evidence, as_of: date) -> dict[str, object]:
    """What the assessment of `as_of` states about its score: status, weights, bands, track record."""
    day = pd.Timestamp(as_of)
    fit = ev.fit_on(day)
    status = str(ev.status.get(day, "prior"))
    skill = {}
    if fit is not None:
        for rule, ic in fit.ics.items():
            skill[rule] = {
                "ic": _num(ic.ic) if ic.ic is not None else None,
                "ci_low": ic.ci_low,
                "ci_high": ic.ci_high,
                "t": ic.t,
                "days": ic.n,
                "weight": round(fit.weights.get(rule, 0.0), 4),
            }
    return {
        "status": status,
        "horizon_days": ev.procedure.horizon,
        "fitted_on": str(fit.day.date()) if fit is not None else None,
        "trained_through": str(fit.train_end.date()) if fit is not None else None,
        "weights": {r: round(w, 4) for r, w in (fit.weights if fit else {}).items()},
        "skill": skill,
        "bands": {
            "bearish_below": _num(ev.bearish_below.get(day, math.nan)),
            "bullish_above": _num(ev.bullish_above.get(day, math.nan)),
            "calibrated": status != "prior"
            and bool(ev.score.loc[:day].where(ev.status != "prior").count() >= ev.procedure.min_band_days),
        },
        "track_record": track_record(ev, day),
        "procedure": ev.procedure.as_dict(),
        "trials": TRIALS,
    }
