import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest.portfolio import (
    _rebalance,
    ai_basket,
    buy_and_hold,
    curve_stats,
    executed,
    month_starts,
    score_strategy,
    score_weight,
    simulate,
    three_three_three,
)
from tests.backtest.helpers import threshold_strategy


def _days(n, start="2024-01-01"):
    return pd.date_range(start, periods=n, freq="D")


def test_all_in_and_all_out_fees_by_hand():
    idx = _days(3)
    returns = pd.DataFrame({"btc": [0.0, 0.10, 0.05]}, index=idx)
    targets = pd.DataFrame({"btc": [1.0, 0.0, np.nan]}, index=idx)
    curve = simulate(returns, targets, fee_bps=10)
    # buy all: holdings 1/1.001; +10%; sell all at day 2: lose 0.1% of the holdings; then cash
    held = 1 / 1.001
    assert curve.equity.iloc[0] == pytest.approx(held, abs=1e-15)
    assert curve.equity.iloc[1] == pytest.approx(held * 1.1 * 0.999, abs=1e-15)
    assert curve.equity.iloc[2] == curve.equity.iloc[1]
    assert curve.trades == 2


def test_partial_rebalance_reaches_the_target_after_fees():
    # buy half from cash, fee 1%: V' = 1 - 0.01 * 0.5 V'  →  V' = 1 / 1.005
    new, paid = _rebalance(1.0, np.array([0.0]), np.array([0.5]), 0.01)
    assert new[0] == pytest.approx(0.5 / 1.005, abs=1e-15)
    assert paid == pytest.approx(1 - 1 / 1.005, abs=1e-15)
    # sell half of a fully invested book: V' = 1 - 0.01 (1 - 0.5 V')  →  V' = 0.99 / 0.995
    new, paid = _rebalance(1.0, np.array([1.0]), np.array([0.5]), 0.01)
    assert new[0] == pytest.approx(0.5 * 0.99 / 0.995, abs=1e-15)


def test_score_to_weight_mapping():
    score = pd.Series([30, 40, 50, 55, 60, 70, np.nan], dtype=float)
    assert score_weight(score, 40, 60).tolist()[:6] == pytest.approx([0, 0, 0.5, 0.75, 1, 1])
    assert np.isnan(score_weight(score, 40, 60).iloc[6])
    assert score_weight(score, 50, 50).tolist()[:6] == [0, 0, 1, 1, 1, 1]


def test_decisions_trade_lag_days_later_and_missing_scores_hold():
    idx = _days(5)
    weight = pd.Series([1.0, np.nan, 0.0, np.nan], index=idx[:4])
    assert executed(weight, idx, 1).tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]


def test_threshold_strategy_on_a_tiny_path():
    idx = _days(5)
    close = pd.Series([100, 100, 120, 60, 90], index=idx, dtype=float)
    score = pd.Series([70, 30, 30, 70, 70], index=idx, dtype=float)
    curve = threshold_strategy(score, close, threshold=50, fee_bps=0, lag=1)
    # in BTC from the close of day 1 to the close of day 2 only: +20%
    assert curve.equity.iloc[-1] == pytest.approx(1.2)
    assert curve.weights["btc"].tolist() == pytest.approx([0, 1, 0, 0, 1])


def test_score_strategy_skips_trades_smaller_than_the_tolerance():
    idx = _days(6)
    close = pd.Series(100.0, index=idx)
    score = pd.Series([60, 59.6, 58, 57.6, 50, 50], index=idx, dtype=float)
    curve = score_strategy(score, close, fee_bps=0, lo=40, hi=60, lag=1, tolerance=0.05)
    # targets 1, .98, .9, .88, .5 (traded a day later): .98 and .88 are within .05 of the book
    assert curve.trades == 3
    assert curve.weights["btc"].tolist() == pytest.approx([0, 1, 1, 0.9, 0.9, 0.5])


def test_buy_and_hold_pays_one_fee():
    idx = _days(4)
    close = pd.Series([100, 150, 50, 200], index=idx, dtype=float)
    curve = buy_and_hold(close, idx, fee_bps=25)
    assert curve.equity.iloc[-1] == pytest.approx(2.0 / 1.0025)
    assert curve.trades == 1


def test_curve_statistics_by_hand():
    eq = pd.Series([1.0, 1.1, 0.99], index=_days(3))
    stats = curve_stats(eq)
    assert stats["total_return"] == pytest.approx(-0.01)
    assert stats["max_drawdown"] == pytest.approx(0.99 / 1.1 - 1)
    rets = np.array([0.1, -0.1])
    assert stats["sharpe"] == pytest.approx(rets.mean() / rets.std(ddof=1) * np.sqrt(365))


def test_ai_basket_fills_weekends_and_averages_listed_tickers():
    fri, mon = pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-08")
    history = {
        ("equity_close_usd", "NVDA"): pd.Series([100.0, 110.0], index=[fri, mon]),
        ("equity_close_usd", "MSFT"): pd.Series([50.0, 45.0], index=[fri, mon]),
    }
    basket, used = ai_basket(history)
    assert used == ["NVDA", "MSFT"]
    assert basket.loc["2024-01-06"] == pytest.approx(basket.loc[fri])
    assert basket.loc[mon] / basket.loc["2024-01-07"] - 1 == pytest.approx((0.10 - 0.10) / 2)


def _333_history(with_ai: bool):
    idx = _days(2, "2024-01-30")
    history = {
        ("price_usd", "btc"): pd.Series([100.0, 130.0], index=idx),
        ("price_usd", "eth"): pd.Series([10.0, 12.0], index=idx),
    }
    if with_ai:
        history[("equity_close_usd", "NVDA")] = pd.Series([100.0, 110.0], index=idx)
        history[("equity_close_usd", "MSFT")] = pd.Series([100.0, 90.0], index=idx)
    return history, idx


def test_333_by_hand():
    history, idx = _333_history(with_ai=True)
    curve = three_three_three(history, idx, fee_bps=0)
    # 1/6 × 30% + 1/6 × 20% + 1/3 × 0% (AI +10% and -10%) + 1/3 cash
    assert curve.equity.iloc[-1] == pytest.approx(1 + 0.3 / 6 + 0.2 / 6)
    assert "NVDA, MSFT" in curve.note


def test_333_without_ai_keeps_that_third_in_cash_and_says_so():
    history, idx = _333_history(with_ai=False)
    curve = three_three_three(history, idx, fee_bps=0)
    assert curve.equity.iloc[-1] == pytest.approx(1 + 0.3 / 6 + 0.2 / 6)
    assert "AI basket absent" in curve.note and "cash" in curve.note


def test_333_rebalances_on_each_month_start():
    idx = _days(70, "2024-01-15")
    assert [d.strftime("%m-%d") for d in month_starts(idx)] == ["01-15", "02-01", "03-01"]
    rng = np.random.default_rng(2)
    history = {("price_usd", "btc"): pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.05, 70))), index=idx)}
    curve = three_three_three(history, idx, fee_bps=10)
    assert curve.trades == 3
    assert curve.weights.loc["2024-02-01", "btc"] == pytest.approx(1 / 3)
