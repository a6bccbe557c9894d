"""Our equity arithmetic against vectorbt's, on the same data, signals, fees and timing.

Conventions matched (see signaldesk/backtest/portfolio.py): the score of day D decides, the
trade happens at the close of D + 1 (so vectorbt gets the signals shifted by one day and fills at
that day's close); an all-in buy spends the whole cash including the fee (vectorbt's
`size=inf`), an all-out sale pays the fee on the proceeds; initial cash 1, no slippage; a day
without a score holds the position on both sides.

vectorbt runs in a subprocess with NUMBA_DISABLE_JIT=1 (its own code, interpreted), which saves
the ~30 s its JIT compiler needs in a fresh process; benchmarks/bench_sweep.py repeats the
comparison with the compiled vectorbt on a ten-year grid.
"""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest.portfolio import executed, threshold_weight
from signaldesk.backtest.sweep import combine, make_grid
from tests.backtest.helpers import grid_total_returns, threshold_strategy
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # importing vectorbt takes several seconds

FEE_BPS = 10.0


def _market(n=1500, seed=21):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2018-01-01", periods=n, freq="D")
    close = pd.Series(10_000 * np.exp(np.cumsum(rng.normal(0.0006, 0.035, n))), index=idx)
    score = pd.Series(np.clip(50 + 20 * np.sin(np.arange(n) / 40) + rng.normal(0, 8, n), 0, 100), index=idx)
    score.iloc[:25] = np.nan
    score.iloc[400:410] = np.nan
    sub = pd.DataFrame({"a": score, "b": np.clip(100 - score + rng.normal(0, 15, n), 0, 100)}, index=idx)
    return close, score, sub


def _vectorbt(tmp_path, close, entries, exits):
    pytest.importorskip("vectorbt")
    source, target = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(source, close=close.to_numpy(), entries=entries.to_numpy(), exits=exits.to_numpy(), fees=FEE_BPS / 1e4)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run(
        [sys.executable, "-m", "tests.backtest.vbt_runner", str(source), str(target)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    out = np.load(target)
    return out["total_return"], out["value"]


def test_threshold_strategy_and_sweep_grid_equal_vectorbt(tmp_path):
    close, score, sub = _market()
    ours = threshold_strategy(score, close, threshold=55, fee_bps=FEE_BPS, lag=1)
    held = executed(threshold_weight(score, 55), ours.equity.index, 1).reindex(close.index, fill_value=0.0)
    entries, exits = [held > 0.5], [held < 0.5]
    grid = make_grid(["a", "b"], lows=(40, 50), highs=(50, 60))
    for k in range(grid.size):
        w, lo, hi = grid.point(k)
        comp = pd.Series(combine(sub.to_numpy(), grid.weights[w : w + 1])[:, 0], index=sub.index)
        entries.append((comp >= hi).shift(1, fill_value=False))
        exits.append((comp < lo).shift(1, fill_value=False))
    total, value = _vectorbt(tmp_path, close, pd.concat(entries, axis=1), pd.concat(exits, axis=1))

    # column 0: the simple threshold strategy, total return and the whole equity curve
    assert ours.trades > 20
    assert ours.equity.iloc[-1] - 1.0 == pytest.approx(total[0], abs=1e-9)
    start = close.index.get_loc(ours.equity.index[0])
    np.testing.assert_allclose(ours.equity.to_numpy(), value[start:, 0], rtol=1e-9)
    # the vectorised sweep, every grid point
    np.testing.assert_allclose(
        grid_total_returns(sub, grid, close, fee_bps=FEE_BPS, lag=1), total[1:], rtol=0, atol=1e-9
    )
