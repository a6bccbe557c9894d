"""Benchmark the backtest sweep against vectorbt on the same grid and data, and time a full backtest.

    python benchmarks/bench_sweep.py            # ten years, 5 groups × (0,1,2) × 25 thresholds = 6,050 strategies
    python benchmarks/bench_sweep.py --small    # two years, 28 strategies: proves the benchmark works (CI)
    python benchmarks/bench_sweep.py --write /tmp/sweep.md   # then paste into docs/performance.md

Data: synthetic and seeded (the figures do not depend on the market): a BTC-like daily close
(log-normal, 3.5 % daily vol) and one sub-score per group (0–100, AR(1) noise with missing
stretches, like the engine's group scores). Both sides get identical inputs: the composites of
every grid point (our `combine`) and hysteresis entries/exits shifted by the one-day execution
lag; vectorbt runs `Portfolio.from_signals(close, entries, exits, size=inf, fees=0.001)` on all
columns at once, after a warm-up call so its JIT compilation is not counted (it is reported
separately). The script asserts that the total returns agree to 1e-9 on every grid point.

Also timed: our walk-forward over the same grid (vectorbt has no equivalent; its figure is the
sweep itself), and `run_backtest` end to end on a synthetic ten-year store (BTC, ETH, Fear & Greed,
MVRV, funding and seven AI equities) with the real signal engine, three point-in-time re-scorings
and the sweep.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signaldesk.backtest.sweep import combine, make_grid, walk_forward
from tests.backtest.helpers import grid_total_returns

FEE_BPS = 10.0
SEED = 20260225


def synthetic(days: int, groups: int, seed: int = SEED) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2013-01-01", periods=days, freq="D")
    close = pd.Series(300 * np.exp(np.cumsum(rng.normal(0.0008, 0.035, days))), index=idx)
    subs = {}
    for g in range(groups):
        x = np.empty(days)
        x[0] = 50
        for t in range(1, days):
            x[t] = 50 + 0.97 * (x[t - 1] - 50) + rng.normal(0, 6)
        x = np.clip(x, 0, 100)
        start = int(rng.integers(0, days // 4))
        x[:start] = np.nan  # groups start at different times, like real feeds
        subs[f"g{g}"] = x
    return close, pd.DataFrame(subs, index=idx)


def signals(sub: pd.DataFrame, grid) -> tuple[np.ndarray, np.ndarray]:
    """Entries/exits (T × K) of every grid point, shifted by the one-day lag."""
    k_all = np.arange(grid.size)
    w_idx, j = np.divmod(k_all, len(grid.thresholds))
    th = np.array(grid.thresholds)
    comp = combine(sub.to_numpy(), grid.weights)[:, w_idx]
    with np.errstate(invalid="ignore"):
        entries = comp >= th[j, 1]
        exits = comp < th[j, 0]
    entries = np.vstack([np.zeros((1, grid.size), bool), entries[:-1]])
    exits = np.vstack([np.zeros((1, grid.size), bool), exits[:-1]])
    return entries, exits


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def bench_grid(days: int, groups: int, multipliers: tuple[float, ...], repeat: int) -> dict:
    close, sub = synthetic(days, groups)
    grid = (
        make_grid(list(sub.columns), multipliers=multipliers, lows=(30, 35, 40, 45, 50), highs=(50, 55, 60, 65, 70))
        if groups > 3
        else make_grid(list(sub.columns), multipliers=multipliers, lows=(40, 50), highs=(50, 60))
    )
    ours_min, ours_med, ours = timed(lambda: grid_total_returns(sub, grid, close, fee_bps=FEE_BPS, lag=1), repeat)
    wf_min, wf_med, _ = timed(
        lambda: walk_forward(sub, close, grid, fee_bps=FEE_BPS, min_train_days=min(730, days // 2), test_days=365),
        repeat,
    )

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import vectorbt as vbt
    import_s = time.perf_counter() - t0

    def run_vbt():
        entries, exits = signals(sub, grid)
        pf = vbt.Portfolio.from_signals(
            close,
            pd.DataFrame(entries, index=close.index),
            pd.DataFrame(exits, index=close.index),
            size=np.inf,
            fees=FEE_BPS / 1e4,
            init_cash=1.0,
            freq="1D",
        )
        return pf.total_return().to_numpy(dtype=float)

    t0 = time.perf_counter()
    run_vbt()  # the first call on these shapes compiles (numba caches only part of it to disk)
    first_s = time.perf_counter() - t0
    vbt_min, vbt_med, theirs = timed(run_vbt, repeat)
    diff = float(np.max(np.abs(ours - theirs)))
    assert diff <= 1e-9, f"sweep and vectorbt disagree by {diff}"
    return {
        "days": days,
        "groups": groups,
        "strategies": grid.size,
        "ours_min": ours_min,
        "ours_med": ours_med,
        "wf_min": wf_min,
        "wf_med": wf_med,
        "vbt_min": vbt_min,
        "vbt_med": vbt_med,
        "vbt_import": import_s,
        "vbt_first": first_s,
        "max_diff": diff,
        "thresholds": len(grid.thresholds),
        "weight_sets": len(grid.labels),
    }


def bench_backtest(days: int) -> dict:
    """`run_backtest` end to end on a synthetic store with the real engine."""
    import tempfile
    from datetime import UTC, datetime

    from signaldesk.backtest.run import run_backtest
    from signaldesk.backtest.scores import engine_scorer
    from signaldesk.models import Observation
    from signaldesk.store import Store

    rng = np.random.default_rng(SEED)
    idx = pd.date_range("2013-01-01", periods=days, freq="D")
    series = {
        ("price_usd", "btc"): 300 * np.exp(np.cumsum(rng.normal(0.0008, 0.035, days))),
        ("price_usd", "eth"): 10 * np.exp(np.cumsum(rng.normal(0.0008, 0.045, days))),
        ("fear_greed", ""): np.clip(np.round(50 + 30 * np.sin(np.arange(days) / 60) + rng.normal(0, 8, days)), 1, 99),
        ("mvrv", ""): np.clip(1.5 + np.sin(np.arange(days) / 300) + rng.normal(0, 0.05, days), 0.5, 5),
        ("funding_rate_8h", "btc"): rng.normal(0.0001, 0.0002, days),
    }
    obs = [
        Observation(m, e, datetime(d.year, d.month, d.day, tzinfo=UTC), float(v), "bench")
        for (m, e), values in series.items()
        for d, v in zip(idx, values, strict=True)
    ]
    weekdays = idx[idx.day_of_week < 5]
    for ticker in ("NVDA", "AMD", "MSFT", "GOOGL", "AMZN", "META", "ORCL"):
        values = 50 * np.exp(np.cumsum(rng.normal(0.0008, 0.02, len(weekdays))))
        obs += [
            Observation("equity_close_usd", ticker, datetime(d.year, d.month, d.day, tzinfo=UTC), float(v), "bench")
            for d, v in zip(weekdays, values, strict=True)
        ]
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "b.duckdb") as store:
        store.write_observations(obs, run_id="bench")
        scorer = engine_scorer()
        t0 = time.perf_counter()
        result = run_backtest(store, scorer=scorer, verify_days=3)
        total = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_backtest(store, scorer=scorer, verify_days=0, sweep=False)
        core = time.perf_counter() - t0
    return {
        "days": days,
        "observations": len(obs),
        "seconds": total,
        "seconds_no_sweep_no_check": core,
        "scored_days": int(result.scores["score"].notna().sum()),
        "sweep_strategies": result.sweep.grid_size if result.sweep else 0,
    }


def markdown(grid: dict, backtest: dict) -> str:
    ratio_min = grid["vbt_min"] / grid["ours_min"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join(
        [
            "## Backtest sweep and full backtest (`signaldesk backtest`)",
            "",
            (
                f"Measured with `python benchmarks/bench_sweep.py` on {platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, vectorbt {_version('vectorbt')}, numpy {np.__version__}; "
                f"load average {load:.1f} at the end of the run; the ratio is measured back to back in one process."
            ),
            "",
            (
                f"Grid: {grid['weight_sets']:,} weight sets over {grid['groups']} groups × {grid['thresholds']} (lo, hi) "
                f"threshold pairs = **{grid['strategies']:,} strategies** over **{grid['days']:,} days** of synthetic data; fees "
                f"{FEE_BPS:g} bps, one-day execution lag. Best of the repeats (median in brackets)."
            ),
            "",
            "| what | seconds |",
            "|---|---:|",
            f"| our vectorised sweep (`grid_total_returns`, all strategies) | {grid['ours_min']:.3f} ({grid['ours_med']:.3f}) |",
            f"| vectorbt `Portfolio.from_signals` on the same signals, compiled | {grid['vbt_min']:.3f} ({grid['vbt_med']:.3f}) |",
            f"| vectorbt one-off import | {grid['vbt_import']:.1f} |",
            f"| vectorbt first call on these shapes (JIT compilation + one run) | {grid['vbt_first']:.1f} |",
            f"| our walk-forward over the same grid (expanding train, 365-day tests) | {grid['wf_min']:.3f} ({grid['wf_med']:.3f}) |",
            "",
            (
                f"**Ratio: vectorbt / ours = {ratio_min:.1f}×** (best vs best). Total returns agree on every grid point: "
                f"max |difference| = {grid['max_diff']:.1e}. Both timings include building the strategies' inputs from "
                "the same sub-scores (our composites and positions; vectorbt's entry/exit matrices from the same "
                "composites); vectorbt's import and JIT compilation are one-offs per process and are left out of the "
                "ratio (counting them, one sweep in a fresh process costs vectorbt "
                f"{grid['vbt_import'] + grid['vbt_first']:.0f} s). Why ours is faster: positions come from running "
                "maxima shared by all grid points with the same weights and threshold, and returns from the few "
                "trade days and cumulative sums (no per-day, per-strategy loop and no T × K float array); vectorbt "
                "simulates every order of every column."
            ),
            "",
            (
                f"Full `run_backtest` on a synthetic {backtest['days']:,}-day store ({backtest['observations']:,} observations: BTC, ETH, "
                f"Fear & Greed, MVRV, funding, seven AI equities), real signal engine: **{backtest['seconds']:.1f} s** with "
                f"the walk-forward sweep ({backtest['sweep_strategies']:,} strategies) and three point-in-time re-scorings; "
                f"{backtest['seconds_no_sweep_no_check']:.1f} s for scores, statistics and curves alone "
                f"({backtest['scored_days']:,} scored days). Target: well under a minute."
            ),
            "",
        ]
    )


def _version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="two years, 28 strategies, one repeat (CI)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the Markdown section to this file")
    args = parser.parse_args()
    if args.small:
        grid = bench_grid(730, 3, (0.0, 1.0), 1)
        backtest = bench_backtest(1100)
    else:
        grid = bench_grid(3653, 5, (0.0, 1.0, 2.0), args.repeat)
        backtest = bench_backtest(3653)
    text = markdown(grid, backtest)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
