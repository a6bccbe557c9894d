import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest.portfolio import simulate
from signaldesk.backtest.sweep import combine, make_grid, positions, walk_forward
from tests.backtest.helpers import grid_total_returns


def test_grid_shape_and_labels():
    grid = make_grid(
        ["fng", "mvrv", "funding"],
        groups={"fng": "sentiment", "mvrv": "onchain", "funding": "onchain"},
        base_weights={"mvrv": 2.0},
        lows=(40, 50),
        highs=(50, 60),
    )
    # 3^2 - 1 group multipliers × pairs (40,50) (40,60) (50,50) (50,60)
    assert len(grid.labels) == 8 and grid.thresholds == ((40, 50), (40, 60), (50, 50), (50, 60))
    assert grid.size == 32
    row = grid.labels.index("onchain=2,sentiment=1")
    assert grid.weights[row].tolist() == [1.0, 4.0, 2.0]
    assert grid.point(row * 4 + 1) == (row, 40.0, 60.0)


def test_combine_renormalises_missing_rules():
    sub = np.array([[80.0, 20.0], [80.0, np.nan], [np.nan, np.nan]])
    out = combine(sub, np.array([[1.0, 1.0], [3.0, 1.0]]))
    assert out[0].tolist() == [50.0, 65.0]
    assert out[1].tolist() == [80.0, 80.0]
    assert np.isnan(out[2]).all()


def test_hysteresis_positions_by_hand():
    scores = np.array([[50], [65], [55], [35], [45], [70], [np.nan]], dtype=float)
    lo, hi = np.array([40.0]), np.array([60.0])
    assert positions(scores, lo, hi, 0)[:, 0].tolist() == [0, 1, 1, 0, 0, 1, 1]
    assert positions(scores, lo, hi, 1)[:, 0].tolist() == [0, 0, 1, 1, 0, 0, 1]


def _loop_total_return(score, close, lo, hi, fee_bps, lag):
    """Reference: the hysteresis rule written as a plain loop, run through `simulate`."""
    state, target = 0.0, []
    for value in score:
        if value >= hi:
            state = 1.0
        elif value < lo:
            state = 0.0
        target.append(state)
    target = pd.Series(target, index=score.index).shift(lag).fillna(0.0)
    rets = close.pct_change().fillna(0.0)
    curve = simulate(rets.to_frame("btc"), target.to_frame("btc"), fee_bps=fee_bps)
    return curve.equity.iloc[-1] - 1.0


def _synthetic(n=400, seed=11):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2019-01-01", periods=n, freq="D")
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0005, 0.03, n))), index=idx)
    sub = pd.DataFrame(
        {
            "a": np.clip(50 + np.cumsum(rng.normal(0, 4, n)) % 50 - 25 + 25, 0, 100),
            "b": rng.uniform(0, 100, n),
        },
        index=idx,
    )
    sub.iloc[:20] = np.nan
    sub.iloc[50:60, 1] = np.nan
    return sub, close


def test_vectorised_grid_equals_a_plain_loop_for_every_point():
    sub, close = _synthetic()
    grid = make_grid(["a", "b"], lows=(40, 50), highs=(50, 60))
    totals = grid_total_returns(sub, grid, close, fee_bps=10, lag=1, chunk=5)
    for k in range(grid.size):
        w, lo, hi = grid.point(k)
        score = pd.Series(combine(sub.to_numpy(), grid.weights[w : w + 1])[:, 0], index=sub.index)
        assert totals[k] == pytest.approx(_loop_total_return(score, close, lo, hi, 10, 1), rel=1e-10, abs=1e-12)


def _predictive(n=2200, seed=4):
    """Rule `good` is high before up-drifts and low before down-drifts; `noise` is noise."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2016-01-01", periods=n, freq="D")
    regime = np.repeat(rng.choice([1.0, -1.0], n // 40 + 1), 40)[:n]
    close = pd.Series(100 * np.exp(np.cumsum(0.006 * regime + rng.normal(0, 0.02, n))), index=idx)
    good = 50 + 30 * np.roll(regime, -1) + rng.normal(0, 5, n)  # knows tomorrow's regime
    sub = pd.DataFrame({"good": good, "noise": rng.uniform(0, 100, n)}, index=idx)
    return sub, close


def test_walk_forward_trains_before_it_tests_and_finds_the_informative_rule():
    sub, close = _predictive()
    grid = make_grid(["good", "noise"], lows=(40, 50), highs=(50, 60))
    result = walk_forward(sub, close, grid, fee_bps=10, min_train_days=730, test_days=365, embargo_days=7)
    assert len(result.folds) == 4  # tests start at days 737, 1102, 1467, 1832; the 3-day stub at 2197 joins the last
    for fold in result.folds:
        assert pd.Timestamp(fold.train_end) + pd.Timedelta(days=7) < pd.Timestamp(fold.test_start)
        assert fold.weights.startswith("good=") and not fold.weights.startswith("good=0")
    assert result.oos_equity.index[0] == pd.Timestamp(result.folds[0].test_start) - pd.Timedelta(days=1)
    assert result.oos_equity.iloc[0] == 1.0
    assert result.oos_equity.index[-1] == sub.index[-1]
    assert result.oos_equity.iloc[-1] > result.oos_buy_and_hold.iloc[-1]
    summary = result.summary()
    assert summary["grid_size"] == grid.size and len(summary["folds"]) == 4


def test_walk_forward_does_not_peek_at_the_test_window():
    """Scrambling the data after a fold's training window must not change what that fold chose."""
    sub, close = _predictive()
    grid = make_grid(["good", "noise"], lows=(40, 50), highs=(50, 60))
    base = walk_forward(sub, close, grid, fee_bps=10)
    cut = pd.Timestamp(base.folds[0].train_end)
    rng = np.random.default_rng(0)
    later = sub.index > cut
    scrambled = sub.copy()
    scrambled.loc[later] = rng.uniform(0, 100, (later.sum(), 2))
    other = walk_forward(scrambled, close, grid, fee_bps=10)
    assert (other.folds[0].weights, other.folds[0].lo, other.folds[0].hi) == (
        base.folds[0].weights,
        base.folds[0].lo,
        base.folds[0].hi,
    )
