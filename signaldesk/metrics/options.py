"""Options analytics on one option-book snapshot: Black–Scholes deltas, ATM IV, 25-delta skew.

Conventions used throughout (standard Black-76 practice on crypto option books, where each expiry
has its own forward and premiums are settled in the coin):

- `forward` and `strike` in USD; `t` in years (ACT/365, calendar time to the 08:00 UTC expiry);
  `sigma` an annualised volatility as a *fraction* (0.55 = 55 %; Deribit quotes percent).
- Deltas are *forward* deltas, undiscounted: call N(d1), put N(d1) − 1. Deribit's own greeks and
  Velo/Glassnode's 25-delta grids use the same undiscounted convention, and with interest rates
  near zero the discount factor would move a delta by less than the bid/ask anyway.
- Across expiries we interpolate linearly in *total variance* w = σ²·t, which keeps the surface
  free of calendar arbitrage between two listed expiries (w must not fall as t grows); outside the
  listed range the volatility is held flat, never extrapolated.

Everything here is pure numpy/scipy, with no I/O; `signaldesk.providers.deribit` feeds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

ATM_TENORS_DAYS: dict[str, float] = {"7d": 7.0, "30d": 30.0, "90d": 90.0}
"""Constant tenors the report shows (entity → days), as Glassnode's 1w/1m/3m."""


def d1(forward: ArrayLike, strike: ArrayLike, t: ArrayLike, sigma: ArrayLike) -> NDArray[np.float64]:
    """Black-76 d1 = (ln(F/K) + σ²t/2) / (σ√t); dimensionless."""
    f, k, tt, s = (np.asarray(x, dtype=float) for x in (forward, strike, t, sigma))
    vol_sqrt_t = s * np.sqrt(tt)
    return (np.log(f / k) + 0.5 * vol_sqrt_t**2) / vol_sqrt_t


def forward_delta(
    forward: ArrayLike, strike: ArrayLike, t: ArrayLike, sigma: ArrayLike, kind: str
) -> NDArray[np.float64] | float:
    """Undiscounted Black–Scholes (forward) delta: call N(d1) in (0, 1), put N(d1) − 1 in (−1, 0).

    `kind` is "call"/"C" or "put"/"P". Returns a float for scalar input, an array otherwise.
    """
    from scipy.special import ndtr  # scipy is heavy: imported when first needed, not with the module

    n_d1 = ndtr(d1(forward, strike, t, sigma))
    flag = kind.lower()[:1]
    if flag == "c":
        out = n_d1
    elif flag == "p":
        out = n_d1 - 1.0
    else:
        raise ValueError(f"option kind must be call or put, not {kind!r}")
    return float(out) if np.ndim(out) == 0 else out


def total_variance(sigma: ArrayLike, t: ArrayLike) -> NDArray[np.float64]:
    """w = σ²·t (fraction² × years)."""
    return np.asarray(sigma, dtype=float) ** 2 * np.asarray(t, dtype=float)


def interpolate_total_variance(t_target: float, ts: Sequence[float], sigmas: Sequence[float]) -> float:
    """Volatility at `t_target` years from vols at listed times `ts`, linear in σ²·t.

    Between two listed expiries t1 < t < t2: w = w1 + (w2 − w1)(t − t1)/(t2 − t1), σ = √(w/t).
    Outside [min ts, max ts] the nearest expiry's volatility is returned (flat vol). NaN entries
    are ignored; NaN when nothing is left. Result: annualised fraction.
    """
    t_arr = np.asarray(ts, dtype=float)
    s_arr = np.asarray(sigmas, dtype=float)
    keep = np.isfinite(t_arr) & np.isfinite(s_arr) & (t_arr > 0)
    t_arr, s_arr = t_arr[keep], s_arr[keep]
    if t_arr.size == 0 or not t_target > 0:
        return math.nan
    order = np.argsort(t_arr)
    t_arr, s_arr = t_arr[order], s_arr[order]
    if t_target <= t_arr[0]:
        return float(s_arr[0])
    if t_target >= t_arr[-1]:
        return float(s_arr[-1])
    w = float(np.interp(t_target, t_arr, total_variance(s_arr, t_arr)))
    return math.sqrt(max(w, 0.0) / t_target)


def iv_at_delta(deltas: ArrayLike, ivs: ArrayLike, target: float) -> float:
    """IV at a target delta (e.g. −0.25 for a put), linear in delta between the bracketing quotes.

    NaN when the quotes do not bracket `target`: a 25-delta point read off the edge of the listed
    strikes would be a guess, not a measurement.
    """
    d = np.asarray(deltas, dtype=float)
    v = np.asarray(ivs, dtype=float)
    keep = np.isfinite(d) & np.isfinite(v)
    d, v = d[keep], v[keep]
    if d.size == 0 or not (d.min() <= target <= d.max()):
        return math.nan
    order = np.argsort(d, kind="stable")
    return float(np.interp(target, d[order], v[order]))


def atm_iv(forward: float, strikes: ArrayLike, ivs: ArrayLike) -> float:
    """IV at the money (K = F), linear in log-moneyness ln(K/F) between the bracketing strikes.

    NaN when no listed strike lies on each side of the forward (or exactly on it).
    """
    k = np.asarray(strikes, dtype=float)
    v = np.asarray(ivs, dtype=float)
    keep = np.isfinite(k) & np.isfinite(v) & (k > 0)
    k, v = k[keep], v[keep]
    if k.size == 0:
        return math.nan
    x = np.log(k / forward)
    if not (x.min() <= 0.0 <= x.max()):
        return math.nan
    order = np.argsort(x, kind="stable")
    return float(np.interp(0.0, x[order], v[order]))


@dataclass(frozen=True, slots=True)
class Smile:
    """One expiry of a book: its time to expiry, forward and the OTM quotes used.

    `strikes`/`ivs` are per strike (IV as a fraction). Puts are read below the forward and calls
    above it, as every vendor does: out-of-the-money quotes are the liquid ones.
    """

    t: float
    forward: float
    strikes: tuple[float, ...]
    ivs: tuple[float, ...]

    def atm(self) -> float:
        """ATM IV of this expiry (annualised fraction)."""
        return atm_iv(self.forward, self.strikes, self.ivs)

    def wing(self, kind: str) -> float:
        """IV of the 25-delta put (`kind="put"`) or call (`"call"`) of this expiry, NaN if unlisted."""
        k = np.asarray(self.strikes)
        v = np.asarray(self.ivs)
        side = k <= self.forward if kind == "put" else k >= self.forward
        if not side.any():
            return math.nan
        deltas = forward_delta(self.forward, k[side], self.t, v[side], kind)
        return iv_at_delta(np.atleast_1d(deltas), v[side], -0.25 if kind == "put" else 0.25)

    def skew(self) -> float:
        """IV(25Δ put) − IV(25Δ call), vol points as a fraction; positive = puts richer (Glassnode sign)."""
        return self.wing("put") - self.wing("call")


@dataclass(frozen=True, slots=True)
class TenorPoint:
    """Constant-maturity values at one tenor (all annualised fractions)."""

    atm_iv: float
    put_25d: float
    call_25d: float

    @property
    def skew_25d(self) -> float:
        """IV(25Δ put) − IV(25Δ call); positive = puts richer."""
        return self.put_25d - self.call_25d


def constant_maturity(smiles: Sequence[Smile], days: float) -> TenorPoint:
    """ATM IV and 25-delta wings at a constant tenor of `days`, interpolated in total variance.

    Each quantity is first read per expiry (ATM by strike, wings by delta) and then interpolated
    across expiries, as Velo documents for its constant-tenor series.
    """
    t = days / 365.0
    ts = [s.t for s in smiles]
    return TenorPoint(
        atm_iv=interpolate_total_variance(t, ts, [s.atm() for s in smiles]),
        put_25d=interpolate_total_variance(t, ts, [s.wing("put") for s in smiles]),
        call_25d=interpolate_total_variance(t, ts, [s.wing("call") for s in smiles]),
    )
