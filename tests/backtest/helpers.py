"""A tiny causal scorer, a deliberately leaky one, a synthetic store, and the strategies the vectorbt
cross-check and the sweep benchmark run, composed from the backtest's own building blocks."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from signaldesk.backtest.forward import daily
from signaldesk.backtest.portfolio import Curve, _window, executed, filled_prices, simulate, threshold_weight
from signaldesk.backtest.scores import ScoreHistory
from signaldesk.backtest.sweep import Grid, _aligned, all_composites, cumulative_sums
from signaldesk.models import Observation

PHASE = {"bearish": "markdown", "neutral": "range", "bullish": "markup", "": ""}
STANCE = {"bearish": "defensive", "neutral": "neutral", "bullish": "offensive", "": ""}


def _frame(components: pd.DataFrame) -> ScoreHistory:
    score = components.mean(axis=1, skipna=True)
    band = score.map(band_of)
    frame = pd.DataFrame(
        {
            "date": components.index,
            "score": score.to_numpy(),
            "band": band.to_numpy(),
            "phase": band.map(PHASE).to_numpy(),
            "stance": band.map(STANCE).to_numpy(),
            "coverage": components.notna().mean(axis=1).to_numpy(),
        }
    )
    names = list(components.columns)
    return ScoreHistory(frame, components, {n: 1.0 for n in names}, {n: n for n in names})


def _components(history, *, leak: int = 0) -> pd.DataFrame:
    btc = daily(history[("price_usd", "btc")])
    fng = history.get(("fear_greed", ""))
    days = btc.index
    sentiment = (100 - daily(fng).reindex(days).ffill(limit=3)) if fng is not None else pd.Series(np.nan, index=days)
    price = btc.shift(-leak) if leak else btc  # leak > 0 reads the future: the guard must catch it
    mean = price.rolling(50, min_periods=50).mean()
    trend = (50 + 250 * (price / mean - 1)).clip(0, 100)
    return pd.DataFrame({"sentiment": sentiment, "trend": trend}, index=days)


def toy_scorer(history) -> ScoreHistory:
    """Causal: contrarian Fear & Greed and price vs its 50-day mean, equally weighted."""
    return _frame(_components(history))


def leaky_scorer(history) -> ScoreHistory:
    """Like `toy_scorer`, but its trend reads the price five days ahead."""
    return _frame(_components(history, leak=5))


def synthetic_history(days: int = 1100, start: str = "2019-01-01", seed: int = 9, ai: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=days, freq="D")
    history = {
        ("price_usd", "btc"): pd.Series(8000 * np.exp(np.cumsum(rng.normal(0.0008, 0.035, days))), index=idx),
        ("price_usd", "eth"): pd.Series(200 * np.exp(np.cumsum(rng.normal(0.0008, 0.045, days))), index=idx),
        ("fear_greed", ""): pd.Series(
            np.clip(np.round(50 + np.cumsum(rng.normal(0, 4, days)) % 80 - 40 + 40), 1, 99), index=idx
        ),
    }
    if ai:
        weekdays = idx[idx.day_of_week < 5]
        for ticker in ("NVDA", "MSFT"):
            history[("equity_close_usd", ticker)] = pd.Series(
                100 * np.exp(np.cumsum(rng.normal(0.001, 0.02, len(weekdays)))), index=weekdays
            )
    return history


def fill_store(store, history: dict, source: str = "synthetic") -> None:
    obs = [
        Observation(metric, entity, datetime(d.year, d.month, d.day, tzinfo=UTC), float(v), source)
        for (metric, entity), series in history.items()
        for d, v in series.items()
    ]
    store.write_observations(obs, run_id="test", fetched_at=datetime(2026, 1, 1, tzinfo=UTC))


def band_of(score: float | None, bearish_below: float = 40.0, bullish_above: float = 60.0) -> str:
    """The report's bands: below 40 bearish, 40–60 neutral, above 60 bullish ('' without a score)."""
    if score is None or pd.isna(score):
        return ""
    if score < bearish_below:
        return "bearish"
    if score > bullish_above:
        return "bullish"
    return "neutral"


def threshold_strategy(
    score: pd.Series,
    btc_close: pd.Series,
    *,
    threshold: float,
    fee_bps: float,
    lag: int = 1,
) -> Curve:
    """All-in BTC when score >= threshold, else all cash (the vectorbt cross-check strategy)."""
    prices = filled_prices(btc_close)
    index = _window(prices.index, score.dropna().index)
    target = executed(threshold_weight(score, threshold), index, lag)
    returns = prices.pct_change().reindex(index).to_frame("btc")
    returns.iloc[0] = 0.0
    return simulate(returns, target.to_frame("btc"), fee_bps=fee_bps, name=f"score>={threshold:g}")


def grid_total_returns(
    subscores: pd.DataFrame, grid: Grid, close: pd.Series, *, fee_bps: float, lag: int = 1, chunk: int = 1024
) -> np.ndarray:
    """Total return of every grid point over the whole calendar of `subscores` (K,)."""
    sub, log_ret = _aligned(subscores, grid, close)
    simple = np.expm1(log_ret)
    composites = all_composites(sub, grid)
    out = np.empty(grid.size)
    for start in range(0, grid.size, chunk):
        cols = np.arange(start, min(start + chunk, grid.size))
        _, _, growth = cumulative_sums(
            composites, grid, simple, fee=fee_bps / 1e4, lag=lag, cols=cols, at=np.array([len(log_ret)])
        )
        out[cols] = np.expm1(growth[0])
    return out
