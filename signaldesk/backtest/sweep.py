"""A vectorised sweep over rule weights and score thresholds, scored out of sample by walk-forward.

The grid. Each component c (the engine's group scores: trend, sentiment, on-chain…, each on the
score's 0–100 scale) has a sub-score S_c(t) and a base weight b_c; components may be grouped. A
grid point multiplies the weight of each group by m in `multipliers` (default 0, 1, 2; the
all-zero point is dropped), giving the composite

    score_k(t) = sum_c m_k[g(c)] b_c S_c(t) / sum_c m_k[g(c)] b_c [S_c(t) present]

(missing parts are renormalised away, as the engine does), and pairs it with thresholds (lo, hi),
lo <= hi: the strategy goes all-in BTC when score >= hi, all cash when score < lo, and otherwise
keeps its position (hysteresis; lo == hi is a plain threshold). Timing and fees follow
`portfolio.py` exactly (trade at the close of D + lag; an all-in buy keeps 1/(1+fee) of the value,
an all-out sale loses fee × holdings), so every grid point equals vectorbt's
`Portfolio.from_signals(close, entries, exits, size=inf, fees=fee)` on the same signals — a test
and the benchmark check this.

Vectorised, and mostly sparse:
- composites of every weight set at once (K_w × T);
- positions of all grid points from running maxima (`np.maximum.accumulate` over time) of "last
  day with score >= hi" and "last day with score < lo" — shared by all points with the same
  weights and hi (or lo), so 5 × 5 thresholds cost 10 passes, not 50;
- returns without forming any T × K float array: between two trades a position is constant, so a
  held stretch contributes a difference of cumulative sums of BTC's returns, and each (rare)
  trade adds its fee term. Window sums of returns, squared returns and log growth — all the
  walk-forward needs — come from these run and trade lists.
Columns are processed in chunks (default 1,024) to bound memory (a few T × chunk int32/bool arrays).

Walk-forward: expanding training windows; each test window (default 365 days; a final stub
shorter than half of that joins the window before) follows its training window after an embargo
(default 7 days). On each training window the grid point with the
best annualised Sharpe ratio is chosen and then judged only on the next test window. The stitched
test windows are the out-of-sample record (a change of chosen strategy between windows pays the
fee of aligning the position). The in-sample best over the whole span is reported beside it to
show how much of its apparent skill was fitted, with its deflated Sharpe ratio (Bailey & López de
Prado): the probability that its true Sharpe beats the best of `grid.size` unskilled trials.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from signaldesk.backtest.forward import daily
from signaldesk.signals.evidence import deflated_sharpe

DEFAULT_MULTIPLIERS: tuple[float, ...] = (0.0, 1.0, 2.0)
DEFAULT_LOWS: tuple[float, ...] = (30.0, 35.0, 40.0, 45.0, 50.0)
DEFAULT_HIGHS: tuple[float, ...] = (50.0, 55.0, 60.0, 65.0, 70.0)
SQRT_YEAR = math.sqrt(365.0)


@dataclass(frozen=True, slots=True)
class Grid:
    """Grid points: weight matrix W (K_w × R) over the rules, and threshold pairs (lo, hi)."""

    rules: tuple[str, ...]
    labels: tuple[str, ...]
    weights: np.ndarray
    thresholds: tuple[tuple[float, float], ...]

    @property
    def size(self) -> int:
        return len(self.labels) * len(self.thresholds)

    def point(self, k: int) -> tuple[int, float, float]:
        """Column k of the flattened grid → (weight row, lo, hi); weights vary slowest."""
        w, j = divmod(k, len(self.thresholds))
        lo, hi = self.thresholds[j]
        return w, lo, hi


def make_grid(
    rules: Sequence[str],
    *,
    base_weights: Mapping[str, float] | None = None,
    groups: Mapping[str, str] | None = None,
    multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
    lows: Sequence[float] = DEFAULT_LOWS,
    highs: Sequence[float] = DEFAULT_HIGHS,
) -> Grid:
    """Every combination of one multiplier per group (rules without a group are their own group)."""
    rules = tuple(rules)
    base = np.array([float((base_weights or {}).get(r, 1.0)) for r in rules])
    group_of = [(groups or {}).get(r) or r for r in rules]
    names = sorted(set(group_of))
    rows, labels = [], []
    for combo in itertools.product(multipliers, repeat=len(names)):
        if not any(combo):
            continue
        mult = dict(zip(names, combo, strict=True))
        rows.append(base * np.array([mult[g] for g in group_of]))
        labels.append(",".join(f"{n}={m:g}" for n, m in mult.items()))
    pairs = tuple((float(lo), float(hi)) for lo in lows for hi in highs if lo <= hi)
    if not rows or not pairs:
        raise ValueError("empty sweep grid")
    return Grid(rules, tuple(labels), np.vstack(rows), pairs)


def combine(subscores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Composite scores (T × K_w): weighted mean of the sub-scores present each day (NaN if none).

    A loop over the (few) rules rather than a matrix product: exact, and free of BLAS threads,
    which on a busy machine cost more than they save for an inner dimension this small.
    """
    t = subscores.shape[0]
    num = np.zeros((t, weights.shape[0]))
    den = np.zeros((t, weights.shape[0]))
    for r in range(subscores.shape[1]):
        column = subscores[:, r]
        present = np.isfinite(column)
        num += np.where(present, column, 0.0)[:, None] * weights[None, :, r]
        den += present[:, None] * weights[None, :, r]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def positions(scores: np.ndarray, lo: np.ndarray, hi: np.ndarray, lag: int) -> np.ndarray:
    """Executed positions (T × K, 0/1): hysteresis state from day D, held from the close of D + lag.

    The state on day t is 1 when the last day with score >= hi is later than the last day with
    score < lo: two running maxima of day numbers, no loop over time.
    """
    return positions_bool(scores, lo, hi, lag).astype(float)


def positions_bool(scores: np.ndarray, lo: np.ndarray, hi: np.ndarray, lag: int) -> np.ndarray:
    """`positions` as booleans (T × K)."""
    return _positions_by_column(np.ascontiguousarray(scores.T), lo, hi, lag).T


def _positions_by_column(by_col: np.ndarray, lo: np.ndarray, hi: np.ndarray, lag: int) -> np.ndarray:
    """Positions (K × T, time contiguous in memory, which the running maxima need to be fast)."""
    k, t = by_col.shape
    days = np.arange(t, dtype=np.int32)[None, :]
    with np.errstate(invalid="ignore"):
        last_up = np.where(by_col >= np.asarray(hi)[:, None], days, -1)
        last_down = np.where(by_col < np.asarray(lo)[:, None], days, -1)
    np.maximum.accumulate(last_up, axis=1, out=last_up)
    np.maximum.accumulate(last_down, axis=1, out=last_down)
    out = np.zeros((k, t), dtype=bool)
    if lag < t:
        np.greater(last_up[:, : t - lag], last_down[:, : t - lag], out=out[:, lag:])
    return out


def _last_days(by_col: np.ndarray, level: np.ndarray, above: bool) -> np.ndarray:
    """Per row: the last day so far with score >= level (above) or < level (below); -1 before any."""
    days = np.arange(by_col.shape[1], dtype=np.int32)[None, :]
    with np.errstate(invalid="ignore"):
        hit = by_col >= level[:, None] if above else by_col < level[:, None]
    last = np.where(hit, days, np.int32(-1))
    np.maximum.accumulate(last, axis=1, out=last)
    return last


def _grid_positions(composites: np.ndarray, w_idx: np.ndarray, lo: np.ndarray, hi: np.ndarray, lag: int) -> np.ndarray:
    """Positions (K × T) of grid columns, sharing work between columns with the same weights.

    The "last day above hi" depends on (weights, hi) only and "last day below lo" on (weights,
    lo) only, so with 5 lows and 5 highs each composite needs 10 running maxima, not 50.
    `composites` is K_w × T (every weight set's composite, time contiguous).
    """
    uniq, w_row = np.unique(w_idx, return_inverse=True)
    by_col = composites[uniq]  # unique weights × T
    up_keys, up_row = np.unique(np.stack([w_row, hi]), axis=1, return_inverse=True)
    down_keys, down_row = np.unique(np.stack([w_row, lo]), axis=1, return_inverse=True)
    last_up = _last_days(by_col[up_keys[0].astype(int)], up_keys[1], above=True)
    last_down = _last_days(by_col[down_keys[0].astype(int)], down_keys[1], above=False)
    t = by_col.shape[1]
    out = np.zeros((len(w_idx), t), dtype=bool)
    if lag < t:
        for j in range(len(w_idx)):
            np.greater(last_up[up_row[j], : t - lag], last_down[down_row[j], : t - lag], out=out[j, lag:])
    return out


def log_increments(pos: np.ndarray, log_ret: np.ndarray, fee: float) -> np.ndarray:
    """Daily log growth of each strategy: held return plus the fee of trades at each close."""
    prev = np.vstack([np.zeros((1, pos.shape[1])), pos[:-1]])
    change = pos - prev
    return (
        prev * log_ret[:, None]
        + np.where(change > 0, change, 0.0) * -math.log1p(fee)
        + np.where(change < 0, -change, 0.0) * math.log1p(-fee)
    )


def _expand(grid: Grid, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w_idx, j = np.divmod(cols, len(grid.thresholds))
    th = np.array(grid.thresholds)
    return w_idx, th[j, 0], th[j, 1]


def grid_increments(
    subscores: np.ndarray, grid: Grid, log_ret: np.ndarray, *, fee: float, lag: int, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(log increments, composite scores) for the grid columns `cols` (T × len(cols))."""
    w_idx, lo, hi = _expand(grid, cols)
    uniq, inverse = np.unique(w_idx, return_inverse=True)
    composites = combine(subscores, grid.weights[uniq])[:, inverse]
    pos = positions(composites, lo, hi, lag)
    return log_increments(pos, log_ret, fee), composites


def cumulative_sums(
    composites: np.ndarray,
    grid: Grid,
    simple_ret: np.ndarray,
    *,
    fee: float,
    lag: int,
    cols: np.ndarray,
    at: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each day index in `at` and grid column: Σ over days < at of the daily return, its square, log growth.

    Exact for 0/1 positions, and sparse: between trades a position is constant, so a held
    stretch contributes a difference of cumulative sums of BTC's returns; a trade day adds the fee
    correction c = (1 + prev × r)(f − 1), f = 1/(1+fee) for a buy and 1 − fee for a sale. The only
    T × K work is finding the positions and their changes; no T × K float array is formed.
    `composites` is `all_composites(...)`. Returns three arrays (len(at) × len(cols)).
    """
    w_idx, lo, hi = _expand(grid, cols)
    pos = _grid_positions(composites, w_idx, lo, hi, lag)
    k_len, t_len = pos.shape
    # Changes of position, by column then day: buy, sell, buy, … (positions start flat).
    k_idx, t_idx = np.nonzero(pos[:, 1:] != pos[:, :-1])
    t_idx = t_idx + 1
    n = len(t_idx)
    starts = np.flatnonzero(np.r_[True, k_idx[1:] != k_idx[:-1]]) if n else np.array([], dtype=int)
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    is_buy = rank % 2 == 0
    buy_at = np.flatnonzero(is_buy)
    nxt = np.minimum(buy_at + 1, max(n - 1, 0))
    sold = (buy_at + 1 < n) & (k_idx[nxt] == k_idx[buy_at]) if n else np.array([], dtype=bool)
    first_held = t_idx[buy_at] + 1  # the return of the day after the buy is the first one held
    end_held = np.where(sold, t_idx[nxt] + 1, t_len)  # the sale day's return is still held
    cum = np.zeros((3, t_len + 1))
    cum[0, 1:] = np.cumsum(simple_ret)
    cum[1, 1:] = np.cumsum(simple_ret * simple_ret)
    cum[2, 1:] = np.cumsum(np.log1p(simple_ret))
    at = np.asarray(at)
    upper = np.clip(np.minimum(end_held[:, None], at[None, :]), first_held[:, None], None)  # runs × len(at)
    out = np.zeros((3, len(at), k_len))
    run_cols = k_idx[buy_at]
    # trade corrections: held before a sale only; factor by direction
    held = np.where(is_buy, 0.0, 1.0)
    factor = np.where(is_buy, 1.0 / (1.0 + fee), 1.0 - fee)
    base = held * simple_ret[t_idx]
    c = (1.0 + base) * (factor - 1.0)
    corrections = (c, 2.0 * base * c + c * c, np.log(factor))
    for j in range(len(at)):
        counted = t_idx < at[j]
        for q in range(3):
            runs = cum[q, upper[:, j]] - cum[q, first_held]
            out[q, j] = np.bincount(run_cols, runs, k_len) + np.bincount(k_idx[counted], corrections[q][counted], k_len)
    return out[0], out[1], out[2]


def all_composites(subscores: np.ndarray, grid: Grid) -> np.ndarray:
    """Every weight set's composite score, K_w × T (time contiguous for the running maxima)."""
    return np.ascontiguousarray(combine(subscores, grid.weights).T)


def _aligned(subscores: pd.DataFrame, grid: Grid, close: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    index = subscores.index
    prices = daily(close).ffill().reindex(index)
    log_ret = np.log(prices / prices.shift(1)).fillna(0.0).to_numpy()
    return subscores.reindex(columns=list(grid.rules)).to_numpy(dtype=float), log_ret


@dataclass(frozen=True, slots=True)
class Fold:
    """One walk-forward step: where it trained, what it chose, how that did on unseen days."""

    train_start: str
    train_end: str
    test_start: str
    test_end: str
    weights: str
    lo: float
    hi: float
    train_sharpe: float | None
    test_sharpe: float | None
    test_return: float
    test_buy_and_hold: float


@dataclass(slots=True)
class SweepResult:
    """Out-of-sample record of the sweep, and the in-sample best for comparison."""

    grid_size: int
    rules: tuple[str, ...]
    folds: list[Fold] = field(default_factory=list)
    oos_equity: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    oos_buy_and_hold: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    oos_scores: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    in_sample_best: dict[str, object] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        from signaldesk.backtest.portfolio import curve_stats

        return {
            "grid_size": self.grid_size,
            "rules": list(self.rules),
            "settings": self.settings,
            "folds": [asdict(f) for f in self.folds],
            "out_of_sample": curve_stats(self.oos_equity) if len(self.oos_equity) else None,
            "out_of_sample_buy_and_hold": curve_stats(self.oos_buy_and_hold) if len(self.oos_buy_and_hold) else None,
            "in_sample_best": self.in_sample_best,
        }


def _window_sharpe(s1: np.ndarray, s2: np.ndarray, n: int) -> np.ndarray:
    """Annualised Sharpe from the window sums of daily returns and of their squares."""
    if n < 2:
        return np.full(s1.shape, np.nan)
    mean = s1 / n
    var = np.maximum((s2 - n * mean**2) / (n - 1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, mean / np.sqrt(var) * SQRT_YEAR, np.nan)


def walk_forward(
    subscores: pd.DataFrame,
    close: pd.Series,
    grid: Grid,
    *,
    fee_bps: float = 10.0,
    lag: int = 1,
    min_train_days: int = 730,
    test_days: int = 365,
    embargo_days: int = 7,
    chunk: int = 1024,
) -> SweepResult:
    """Choose the best grid point on each expanding training window; judge it on the next window."""
    index = subscores.index
    sub, log_ret = _aligned(subscores, grid, close)
    t = len(index)
    fee = fee_bps / 1e4
    settings = {
        "fee_bps": fee_bps,
        "lag": lag,
        "min_train_days": min_train_days,
        "test_days": test_days,
        "embargo_days": embargo_days,
        "objective": "annualised Sharpe on the training window",
        "thresholds": [list(p) for p in grid.thresholds],
        "weights": list(grid.labels),
    }
    result = SweepResult(grid.size, grid.rules, settings=settings)
    first = _first_scored(sub)
    if first is None:
        return result
    starts = list(range(first + min_train_days + embargo_days, t, test_days))
    if len(starts) > 1 and t - starts[-1] < test_days / 2:
        starts.pop()  # a stub of a window joins the one before it instead of being judged alone
    ends = [*starts[1:], t]
    bounds = sorted({first, t, *(s - embargo_days for s in starts)})
    pos_of = {b: i for i, b in enumerate(bounds)}
    # Sums from day 0 up to each boundary of daily returns (s1), their squares (s2), log growth (lg).
    simple = np.expm1(log_ret)
    composites = all_composites(sub, grid)
    s1 = np.zeros((len(bounds), grid.size))
    s2 = np.zeros_like(s1)
    lg = np.zeros_like(s1)
    for begin in range(0, grid.size, chunk):
        cols = np.arange(begin, min(begin + chunk, grid.size))
        s1[:, cols], s2[:, cols], lg[:, cols] = cumulative_sums(
            composites, grid, simple, fee=fee, lag=lag, cols=cols, at=np.array(bounds)
        )
    # In-sample best over the whole scored span (for contrast only).
    a, b = pos_of[first], pos_of[t]
    full_sharpe = _window_sharpe(s1[b] - s1[a], s2[b] - s2[a], t - first)
    if np.isfinite(full_sharpe).any():
        k = int(np.nanargmax(full_sharpe))
        w, lo, hi = grid.point(k)
        inc, _ = grid_increments(sub, grid, log_ret, fee=fee, lag=lag, cols=np.array([k]))
        deflated = deflated_sharpe(np.expm1(inc[first:, 0]), full_sharpe / SQRT_YEAR)
        result.in_sample_best = {
            "weights": grid.labels[w],
            "lo": lo,
            "hi": hi,
            "sharpe": float(full_sharpe[k]),
            "total_return": float(np.expm1(lg[b, k] - lg[a, k])),
            "deflated_sharpe": deflated.as_dict(),
        }
    oos_inc: list[np.ndarray] = []
    oos_bh: list[np.ndarray] = []
    oos_scores: list[pd.Series] = []
    held = 0.0  # the out-of-sample record starts in cash: entering costs a fee like any trade
    for s, e in zip(starts, ends, strict=True):
        ta, tb = pos_of[first], pos_of[s - embargo_days]
        train_sharpe = _window_sharpe(s1[tb] - s1[ta], s2[tb] - s2[ta], s - embargo_days - first)
        if not np.isfinite(train_sharpe).any():
            continue
        k = int(np.nanargmax(train_sharpe))
        w, lo, hi = grid.point(k)
        inc, comp = grid_increments(sub, grid, log_ret, fee=fee, lag=lag, cols=np.array([k]))
        path = positions(comp, np.array([lo]), np.array([hi]), lag)[:, 0]
        seg = inc[s:e, 0].copy()
        if path[s - 1] != held:
            # Aligning the book with the newly chosen strategy at the close before the window.
            seg[0] += -math.log1p(fee) if path[s - 1] > held else math.log1p(-fee)
        held = float(path[e - 1])
        bh = log_ret[s:e].copy()
        if not oos_bh:
            bh[0] += -math.log1p(fee)
        oos_inc.append(seg)
        oos_bh.append(bh)
        oos_scores.append(pd.Series(comp[s:e, 0], index=index[s:e]))
        simple = np.expm1(seg)
        test_sharpe = _window_sharpe(np.array([simple.sum()]), np.array([(simple**2).sum()]), e - s)[0]
        result.folds.append(
            Fold(
                str(index[first].date()),
                str(index[s - embargo_days - 1].date()),
                str(index[s].date()),
                str(index[e - 1].date()),
                grid.labels[w],
                lo,
                hi,
                _float(train_sharpe[k]),
                _float(test_sharpe),
                float(np.expm1(seg.sum())),
                float(np.expm1(log_ret[s:e].sum())),
            )
        )
    if oos_inc:
        # Equity is 1.0 at the close before the first test day, then compounds the stitched days.
        begin = index.get_loc(pd.Timestamp(result.folds[0].test_start)) - 1
        dates = index[begin : begin + 1].append(pd.DatetimeIndex(pd.concat(oos_scores).index))
        result.oos_equity = pd.Series(
            np.exp(np.concatenate([[0.0], np.cumsum(np.concatenate(oos_inc))])), index=dates, name="sweep_oos"
        )
        result.oos_buy_and_hold = pd.Series(
            np.exp(np.concatenate([[0.0], np.cumsum(np.concatenate(oos_bh))])), index=dates, name="buy_and_hold"
        )
        result.oos_scores = pd.concat(oos_scores).rename("score")
    return result


def _first_scored(sub: np.ndarray) -> int | None:
    rows = np.flatnonzero(np.isfinite(sub).any(axis=1))
    return int(rows[0]) if len(rows) else None


def _float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
