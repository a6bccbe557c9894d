"""`signaldesk backtest`: the score for every past day as of that day, and what followed it.

`run_backtest` reads the store (never the network), asks the signal engine for the causal score
history, joins forward BTC returns strictly after each day, and computes the band statistics,
hit rates, rank IC, equity curves and the walk-forward sweep. `write_outputs` writes `scores.csv`
and the report page; `result_to_json` is what `--json` prints.

No look-ahead, by construction and by check: the engine's history is causal (the row of day D
uses data up to D only), and `run_backtest` re-scores a few days from `store.history(as_of=D)` —
the store exactly as it stood that day — and compares every score up to D with the full run
(`checks.point_in_time`). Prices after `end` are used only to evaluate forward returns, never to
score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from signaldesk.backtest import BacktestError
from signaldesk.backtest import portfolio as pf
from signaldesk.backtest.factors import FactorEvidence, factor_table, score_record
from signaldesk.backtest.forward import DEFAULT_HORIZONS, forward_returns, join_forward
from signaldesk.backtest.scores import ScoreHistory, Scorer, engine_scorer
from signaldesk.backtest.stats import GroupStats, IcResult, group_stats, hit_rates, ic_table
from signaldesk.backtest.sweep import DEFAULT_HIGHS, DEFAULT_LOWS, SweepResult, make_grid, walk_forward

if TYPE_CHECKING:
    from signaldesk.store import Store

BTC = ("price_usd", "btc")
EVALUATION_METRICS = ("price_usd", "equity_close_usd")


@dataclass(slots=True)
class BacktestResult:
    """Everything one backtest found; `result_to_json` and `write_outputs` render it."""

    start: date
    end: date
    settings: dict[str, Any]
    scores: pd.DataFrame
    joined: pd.DataFrame
    band_stats: list[GroupStats]
    phase_stats: list[GroupStats]
    stance_stats: list[GroupStats]
    hit_rates: dict[int, dict[str, Any]]
    ic: list[IcResult]
    curves: pf.Curves
    sweep: SweepResult | None = None
    factors: list[FactorEvidence] | None = None
    score_record: dict[str, Any] | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_backtest(
    store: Store,
    start: date | None = None,
    end: date | None = None,
    *,
    scorer: Scorer | None = None,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    lag: int = 1,
    fee_bps: float = 10.0,
    sweep: bool = True,
    verify_days: int = 3,
    min_train_days: int = 730,
    test_days: int = 365,
    embargo_days: int = 7,
    factors: bool = False,
) -> BacktestResult:
    """Backtest the composite score on the store between `start` and `end` (inclusive).

    Args:
        scorer: history → causal `ScoreHistory`; default the signal engine's.
        horizons: forward-return horizons in days (default 7, 30, 90).
        lag: days from the as-of day to the close the score is acted on (>= 1).
        fee_bps: trading cost in basis points of traded notional.
        sweep: also run the walk-forward sweep (needs the engine's components).
        verify_days: days re-scored from the store as it stood then (0 = skip the check).
        factors: also measure every rule's input (`factors.factor_table`) and the evidence-weighted
            score's out-of-sample record against the momentum baselines (`factors.score_record`).
    """
    scorer = scorer or engine_scorer()
    last = store.last_day()
    if last is None:
        raise BacktestError("the store is empty: collect or `signaldesk store import` history first")
    end = min(end or last, last)
    history = store.history(as_of=end)
    if BTC not in history or history[BTC].dropna().empty:
        raise BacktestError(
            "no BTC price (price_usd:btc) in the store up to "
            f"{end}: import one with `signaldesk store import FILE.csv --metric price_usd --entity btc`"
        )
    scored = scorer(history)
    frame = scored.frame
    frame = frame[frame["date"] <= pd.Timestamp(end)]
    valid = frame.dropna(subset=["score"])
    if valid.empty:
        raise BacktestError(f"the engine produced no score up to {end}: the store lacks the inputs its rules need")
    # The first day that has both a score and a BTC close: before it nothing can be evaluated.
    first = max(valid["date"].iloc[0], history[BTC].dropna().index.min()).date()
    start = max(start or first, first)
    if start > end:
        raise BacktestError(f"empty window: start {start} is after end {end}")
    window = frame[(frame["date"] >= pd.Timestamp(start)) & (frame["date"] <= pd.Timestamp(end))].reset_index(drop=True)

    evaluation = store.history(EVALUATION_METRICS)  # all prices: forward returns look past `end`
    btc_all = evaluation.get(BTC, history[BTC])
    joined = join_forward(window, forward_returns(btc_all, horizons, lag=lag))
    notes: list[str] = []
    score_series = window.set_index("date")["score"]
    index = pf.filled_prices(history[BTC]).loc[pd.Timestamp(start) : pd.Timestamp(end)].index
    lo, hi = scored.bands
    curves = pf.Curves(
        [
            pf.score_strategy(score_series, history[BTC], fee_bps=fee_bps, lag=lag, lo=lo, hi=hi),
            pf.buy_and_hold(history[BTC], index, fee_bps=fee_bps),
            pf.momentum(history[BTC], index, fee_bps=fee_bps, lag=lag),
            pf.three_three_three(history, index, fee_bps=fee_bps),
        ]
    )
    notes.extend(f"{c.name}: {c.note}" for c in curves.curves if c.note)

    sweep_result = None
    if sweep:
        sweep_result = _sweep(
            scored,
            history[BTC],
            start,
            end,
            fee_bps=fee_bps,
            lag=lag,
            min_train_days=min_train_days,
            test_days=test_days,
            embargo_days=embargo_days,
            notes=notes,
        )
    settings = {
        "horizons": list(horizons),
        "lag_days": lag,
        "fee_bps": fee_bps,
        "bands": [lo, hi],
        "score_to_weight": f"clip((score-{lo:g})/({hi:g}-{lo:g}), 0, 1), rebalance when |Δw| >= 0.10",
        "forward_return": "close(D+lag+h)/close(D+lag)-1, calendar days",
        "ic": "Spearman; 95% CI from the Newey-West (HAC) s.e. with horizon-1 lags",
    }
    result = BacktestResult(
        start=start,
        end=end,
        settings=settings,
        scores=window,
        joined=joined,
        band_stats=group_stats(joined, horizons, "band"),
        phase_stats=group_stats(joined, horizons, "phase"),
        stance_stats=group_stats(joined, horizons, "stance"),
        hit_rates=hit_rates(joined, horizons),
        ic=ic_table(joined, horizons),
        curves=curves,
        sweep=sweep_result,
        notes=notes,
    )
    if factors:
        from signaldesk.signals.history import score_history

        engine = score_history(history)
        forward = forward_returns(btc_all, horizons, lag=lag)
        result.factors = factor_table(engine, forward, horizons, pd.Timestamp(start), pd.Timestamp(end))
        result.score_record = score_record(engine, forward, horizons, pd.Timestamp(end))
    if verify_days > 0:
        result.checks["point_in_time"] = verify_point_in_time(store, scorer, window, verify_days)
        check = result.checks["point_in_time"]
        if check["max_abs_diff"] is not None and check["max_abs_diff"] > 1e-9:
            notes.append(
                f"point-in-time check FAILED: re-scoring from the store as of {check['days']} "
                f"changed a past score by up to {check['max_abs_diff']:.3g}"
            )
    return result


def _sweep(
    scored: ScoreHistory,
    btc: pd.Series,
    start: date,
    end: date,
    *,
    fee_bps: float,
    lag: int,
    min_train_days: int,
    test_days: int,
    embargo_days: int,
    notes: list[str],
) -> SweepResult | None:
    comps = scored.components
    if comps is None or comps.empty:
        notes.append("sweep skipped: the engine exposes no recombinable sub-scores")
        return None
    comps = comps.loc[pd.Timestamp(start) : pd.Timestamp(end)]
    present = [c for c in comps.columns if comps[c].notna().any() and scored.weights.get(c, 1.0) > 0]
    if not present:
        notes.append("sweep skipped: no sub-score has data in the window")
        return None
    groups = {c: scored.groups.get(c, c) for c in present}
    multipliers = (0.0, 1.0, 2.0) if len(set(groups.values())) <= 5 else (0.0, 1.0)
    grid = make_grid(
        present,
        base_weights=scored.weights,
        groups=groups,
        multipliers=multipliers,
        lows=DEFAULT_LOWS,
        highs=DEFAULT_HIGHS,
    )
    calendar = comps[present].asfreq("D")
    if len(calendar) < min_train_days + embargo_days + 30:
        notes.append(f"sweep skipped: {len(calendar)} days is too short for a {min_train_days}-day training window")
        return None
    return walk_forward(
        calendar,
        btc,
        grid,
        fee_bps=fee_bps,
        lag=lag,
        min_train_days=min_train_days,
        test_days=test_days,
        embargo_days=embargo_days,
    )


def verify_point_in_time(store: Store, scorer: Scorer, window: pd.DataFrame, days: int) -> dict[str, Any]:
    """Re-score `days` evenly spaced days from the store as it stood then; compare every score up to each.

    A non-zero difference means some score used data dated after its own day (or that the store
    picked a different source for a series once later rows were added).
    """
    dates = window["date"]
    if dates.empty:
        return {"days": [], "compared": 0, "max_abs_diff": None}
    picks = sorted({dates.iloc[round(q * (len(dates) - 1))] for q in np.linspace(0.25, 1.0, days)})
    full = window.set_index("date")["score"]
    worst, compared = 0.0, 0
    for day in picks:
        again = scorer(store.history(as_of=day.date())).frame.set_index("date")["score"]
        common = full.loc[:day].index.intersection(again.index)
        a, b = full.loc[common].to_numpy(float), again.loc[common].to_numpy(float)
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), math.inf, diff)  # a score that appears or vanishes
        worst = max(worst, float(diff.max()) if len(diff) else 0.0)
        compared += len(common)
    return {"days": [str(d.date()) for d in picks], "compared": compared, "max_abs_diff": worst}


def result_to_json(result: BacktestResult) -> dict[str, Any]:
    """The statistics as plain JSON-safe data (NaN → null), in a stable order."""
    valid = result.scores.dropna(subset=["score"])
    out = {
        "start": str(result.start),
        "end": str(result.end),
        "days": len(result.scores),
        "scored_days": len(valid),
        "settings": result.settings,
        "band_stats": [s.as_dict() for s in result.band_stats],
        "phase_stats": [s.as_dict() for s in result.phase_stats],
        "stance_stats": [s.as_dict() for s in result.stance_stats],
        "hit_rates": {str(h): v for h, v in result.hit_rates.items()},
        "ic": [i.as_dict() for i in result.ic],
        "portfolios": result.curves.summaries(),
        "sweep": result.sweep.summary() if result.sweep is not None else None,
        "factors": [f.as_dict() for f in result.factors] if result.factors is not None else None,
        "score_record": result.score_record,
        "checks": result.checks,
        "notes": result.notes,
    }
    return _clean(out)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_outputs(result: BacktestResult, out_dir: str | Path) -> list[Path]:
    """Write `scores.csv` and the report page (`index.md` + SVG charts); the paths written."""
    from signaldesk.backtest.page import write_page, write_scores_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_scores_csv(result.scores, out / "scores.csv"), *write_page(result, out)]
