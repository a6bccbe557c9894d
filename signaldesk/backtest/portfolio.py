"""Equity curves: the score-driven allocation against buy-and-hold, momentum and the "333" mix.

Conventions (the same for every curve, and the ones the vectorbt cross-check matches):

- **Prices**: daily closes on the calendar, forward-filled across missing days (a weekend for an
  equity, a hole in a feed), so a missing day earns 0 and the next day catches the move.
- **Timing**: a target decided from the score of day D is executed at the close of D + `lag`
  (default 1 day, like `forward.py`); the holdings then earn the returns of the following days.
- **Fees**: `fee_bps` basis points of the traded notional, paid out of the portfolio at the
  trade. Targets are reached *exactly after fees*: post-trade value `V'` solves
  `V' = V - fee * sum_i |w_i V' - H_i|` (H = holdings before, w = target weights). For an all-in
  buy from cash this gives holdings `V / (1 + fee)` and for an all-out sale `V - fee * H`, which
  is exactly what vectorbt's `from_signals(size=inf, fees=fee)` does.
- **Cash** earns nothing.

Allocations:

- `score_weight`: BTC weight = clip((score - lo) / (hi - lo), 0, 1) with lo, hi the score history's
  band edges (the rulebook's `[score]` prior, `backtest.scores.ScoreHistory.bands`): all cash in the bearish band, fully invested in the bullish band, a linear ramp
  through the neutral band (50 → half). A day without a score keeps the previous weight. To avoid
  paying fees on noise, a trade happens only when the target moves at least `tolerance` (0.10)
  away from the current weight.
- `threshold_weight`: 1 when score >= threshold else 0.
- buy-and-hold: 100 % BTC bought on the first day, never rebalanced.
- momentum: 100 % BTC while its 28-day return is positive, else cash (the baseline a composite
  must beat, per the research notes).
- "333" (seed 002): 1/3 blue-chip crypto (1/6 BTC + 1/6 ETH), 1/3 equal-weight AI equities,
  1/3 cash, rebalanced on the first day of each month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from signaldesk.backtest.forward import daily

AI_TICKERS: tuple[str, ...] = ("NVDA", "AMD", "AVGO", "TSM", "MSFT", "GOOGL", "AMZN", "META", "ORCL", "CRWV")
"""The AI basket of METRICS.md (`equity_close_usd` entities) used for the 333 allocation."""

DAYS_PER_YEAR = 365.0


@dataclass(slots=True)
class Curve:
    """One simulated allocation: daily equity (starts at 1.0) and what it cost."""

    name: str
    equity: pd.Series
    weights: pd.DataFrame
    turnover: float
    fees: float
    trades: int
    note: str = ""

    def summary(self) -> dict[str, float | int | str | None]:
        return {
            "name": self.name,
            **curve_stats(self.equity, initial=1.0),
            "turnover": self.turnover,
            "fees_paid": self.fees,
            "trades": self.trades,
            "exposure": float(self.weights.sum(axis=1).mean()) if len(self.weights) else None,
            "note": self.note,
        }


def curve_stats(equity: pd.Series, *, initial: float | None = None) -> dict[str, float | None]:
    """Total return, CAGR, annualised volatility (sqrt 365), Sharpe (rf = 0), max drawdown.

    `initial` is the value before the first day's trade (the curves' first point is *after* it),
    so that an entry fee paid on day one counts.
    """
    eq = equity.dropna()
    if initial is not None and len(eq):
        eq = pd.concat([pd.Series([initial], index=[eq.index[0] - pd.Timedelta(days=1)]), eq])
    if len(eq) < 2:
        return {"total_return": None, "cagr": None, "volatility": None, "sharpe": None, "max_drawdown": None}
    daily_ret = eq.pct_change().dropna()
    years = (eq.index[-1] - eq.index[0]).days / DAYS_PER_YEAR
    total = float(eq.iloc[-1] / eq.iloc[0] - 1.0)
    std = float(daily_ret.std(ddof=1))
    return {
        "total_return": total,
        "cagr": float((1 + total) ** (1 / years) - 1) if years > 0 and total > -1 else None,
        "volatility": std * math.sqrt(DAYS_PER_YEAR) if std > 0 else None,
        "sharpe": float(daily_ret.mean() / std * math.sqrt(DAYS_PER_YEAR)) if std > 0 else None,
        "max_drawdown": float((eq / eq.cummax() - 1.0).min()),
    }


def filled_prices(close: pd.Series) -> pd.Series:
    """Calendar-day closes, forward-filled (portfolio convention: a missing day earns 0)."""
    return daily(close).ffill()


def _rebalance(value: float, holdings: np.ndarray, target: np.ndarray, fee: float) -> tuple[np.ndarray, float]:
    """Holdings after trading to `target` weights exactly after fees, and the fee paid.

    Solves V' = V - fee * sum|w V' - H| by fixed-point iteration: the map is a contraction with
    factor fee * sum(w) <= fee < 1, so it converges to machine precision in a few steps.
    """
    post = value
    for _ in range(200):
        nxt = value - fee * float(np.abs(target * post - holdings).sum())
        if abs(nxt - post) <= 1e-16 * max(abs(value), 1.0):
            post = nxt
            break
        post = nxt
    return target * post, value - post


def simulate(
    returns: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    fee_bps: float,
    tolerance: float = 0.0,
    name: str = "portfolio",
    note: str = "",
) -> Curve:
    """Run an allocation: daily simple `returns` per asset and target weights per day.

    Row t of `targets` is traded at the close of day t, after that day's return; NaN rows mean
    "no rebalance". Weights are fractions of the portfolio; what is not invested is cash. A trade
    is skipped when no weight would move by at least `tolerance`.
    """
    assets = list(returns.columns)
    idx = returns.index
    r = returns.reindex(columns=assets).fillna(0.0).to_numpy(dtype=float)
    tgt = targets.reindex(index=idx, columns=assets).to_numpy(dtype=float)
    fee = fee_bps / 1e4
    holdings = np.zeros(len(assets))
    cash = 1.0
    equity = np.empty(len(idx))
    weights = np.zeros((len(idx), len(assets)))
    turnover = fees = 0.0
    trades = 0
    for t in range(len(idx)):
        holdings = holdings * (1.0 + r[t])
        value = cash + holdings.sum()
        row = tgt[t]
        if not np.isnan(row).all():
            target = np.nan_to_num(row, nan=0.0)
            current = holdings / value if value > 0 else holdings * 0
            if np.abs(target - current).max() >= max(tolerance, 1e-12):
                new, paid = _rebalance(value, holdings, target, fee)
                turnover += float(np.abs(new - holdings).sum()) / value
                fees += paid / value
                trades += 1
                holdings, value = new, value - paid
                cash = value - holdings.sum()
        equity[t] = value
        weights[t] = holdings / value if value > 0 else 0.0
    return Curve(
        name,
        pd.Series(equity, index=idx, name=name),
        pd.DataFrame(weights, index=idx, columns=assets),
        turnover,
        fees,
        trades,
        note,
    )


def score_weight(score: pd.Series, lo: float, hi: float) -> pd.Series:
    """BTC weight from the score: 0 at or below `lo`, 1 at or above `hi`, linear between.

    With lo == hi it is a step: 1 when score >= hi. NaN scores stay NaN (callers hold).
    """
    if hi < lo:
        raise ValueError("hi must be >= lo")
    if hi == lo:
        return threshold_weight(score, hi)
    return ((score - lo) / (hi - lo)).clip(0.0, 1.0)


def threshold_weight(score: pd.Series, threshold: float) -> pd.Series:
    """1.0 when score >= threshold, 0.0 below it, NaN where the score is missing."""
    return (score >= threshold).astype(float).where(score.notna())


def executed(weight: pd.Series, index: pd.DatetimeIndex, lag: int) -> pd.Series:
    """Targets decided on day D, moved to the day they trade (D + lag) on the calendar `index`.

    Days without a decision hold the previous target; before the first decision, cash (0).
    """
    w = weight.reindex(index).ffill().fillna(0.0)
    return w.shift(lag).fillna(0.0)


def score_strategy(
    score: pd.Series,
    btc_close: pd.Series,
    *,
    fee_bps: float,
    lo: float,
    hi: float,
    lag: int = 1,
    tolerance: float = 0.10,
) -> Curve:
    """The score-driven BTC/cash allocation (see module doc), over the score's date range."""
    prices = filled_prices(btc_close)
    index = _window(prices.index, score.dropna().index)
    target = executed(score_weight(score, lo, hi), index, lag)
    returns = prices.pct_change().reindex(index).to_frame("btc")
    returns.iloc[0] = 0.0
    return simulate(
        returns,
        target.to_frame("btc"),
        fee_bps=fee_bps,
        tolerance=tolerance,
        name="score",
        note=f"BTC weight = clip((score-{lo:g})/({hi:g}-{lo:g}), 0, 1), traded at close D+{lag}",
    )


def buy_and_hold(btc_close: pd.Series, index: pd.DatetimeIndex, *, fee_bps: float) -> Curve:
    """100 % BTC bought at the first close of `index` (one fee), never rebalanced."""
    prices = filled_prices(btc_close)
    returns = prices.pct_change().reindex(index).to_frame("btc")
    returns.iloc[0] = 0.0
    target = pd.DataFrame({"btc": np.nan}, index=index)
    target.iloc[0] = 1.0
    return simulate(returns, target, fee_bps=fee_bps, name="buy_and_hold")


def momentum(btc_close: pd.Series, index: pd.DatetimeIndex, *, fee_bps: float, lag: int = 1, days: int = 28) -> Curve:
    """100 % BTC while the trailing `days`-day return is > 0 (known at D, traded at D + lag)."""
    prices = filled_prices(btc_close)
    signal = (prices / prices.shift(days) - 1.0 > 0).astype(float).where(prices.shift(days).notna())
    target = executed(signal, index, lag)
    returns = prices.pct_change().reindex(index).to_frame("btc")
    returns.iloc[0] = 0.0
    return simulate(returns, target.to_frame("btc"), fee_bps=fee_bps, name=f"momentum_{days}d")


def ai_basket(
    history: Mapping[tuple[str, str], pd.Series], tickers: tuple[str, ...] = AI_TICKERS
) -> tuple[pd.Series, list[str]]:
    """Equal-weight AI equity index (daily rebalanced) from `equity_close_usd`, and tickers used.

    Each ticker's closes are forward-filled over non-trading days (0 return on weekends); the
    basket return of a day is the mean over the tickers already listed. Empty when none present.
    """
    present = [
        t for t in tickers if ("equity_close_usd", t) in history and not history[("equity_close_usd", t)].dropna().empty
    ]
    if not present:
        return pd.Series(dtype=float, name="ai_basket"), []
    prices = pd.concat({t: filled_prices(history[("equity_close_usd", t)]) for t in present}, axis=1, sort=True).asfreq(
        "D"
    )
    basket = prices.pct_change().mean(axis=1, skipna=True).fillna(0.0)
    listed = prices.notna().any(axis=1)
    return (1.0 + basket).cumprod().where(listed).rename("ai_basket"), present


def month_starts(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first day of `index` and the first day of each later calendar month in it."""
    if len(index) == 0:
        return index
    periods = index.to_period("M")
    first = ~pd.Series(periods, index=index).duplicated().to_numpy()
    return index[first]


def three_three_three(
    history: Mapping[tuple[str, str], pd.Series], index: pd.DatetimeIndex, *, fee_bps: float
) -> Curve:
    """Seed 002's "333": 1/6 BTC + 1/6 ETH, 1/3 AI basket, 1/3 cash, rebalanced monthly.

    Substitutions are stated in the curve's `note`: without ETH the crypto third is all BTC;
    without any AI equity in the store the AI third stays in cash (no invented exposure); an AI
    basket that starts later than `index` earns nothing (cash-like) until its first close.
    """
    notes = []
    btc = filled_prices(history[("price_usd", "btc")])
    assets: dict[str, pd.Series] = {"btc": btc}
    weights = {"btc": 1 / 6, "eth": 1 / 6, "ai": 1 / 3}
    eth = history.get(("price_usd", "eth"))
    if eth is not None and not eth.dropna().empty:
        assets["eth"] = filled_prices(eth)
    else:
        weights = {"btc": 1 / 3, "ai": 1 / 3}
        notes.append("ETH price absent: the crypto third is all BTC")
    basket, used = ai_basket(history)
    if used:
        assets["ai"] = basket
        first = basket.dropna().index.min()
        notes.append(f"AI basket: equal-weight {', '.join(used)}")
        if len(index) and first > index[0]:
            notes.append(f"AI basket starts {first.date()}: its third earns nothing before")
    else:
        weights.pop("ai")
        notes.append(
            "AI basket absent (no equity_close_usd for " + ", ".join(AI_TICKERS) + "): the AI third was held in cash"
        )
    returns = pd.concat({k: s.pct_change() for k, s in assets.items()}, axis=1, sort=True).reindex(index)
    returns.iloc[0] = 0.0
    targets = pd.DataFrame(np.nan, index=index, columns=returns.columns)
    for day in month_starts(index):
        targets.loc[day] = [weights.get(c, 0.0) for c in returns.columns]
    return simulate(returns, targets, fee_bps=fee_bps, name="333", note="; ".join(notes))


def _window(calendar: pd.DatetimeIndex, scored: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Calendar days from the first to the last scored day that also have a price."""
    if len(scored) == 0:
        return calendar[:0]
    return calendar[(calendar >= scored.min()) & (calendar <= scored.max())]


@dataclass(slots=True)
class Curves:
    """All curves of one backtest on one common calendar window."""

    curves: list[Curve] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.concat({c.name: c.equity for c in self.curves}, axis=1, sort=True)

    def summaries(self) -> list[dict[str, float | int | str | None]]:
        return [c.summary() for c in self.curves]
