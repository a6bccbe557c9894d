import numpy as np
import pandas as pd

from signaldesk.metrics.derive import derive_all
from signaldesk.metrics.onchain_means import mean_7d


def test_seven_day_mean_by_hand_and_gaps_are_not_zeros():
    days = pd.date_range("2026-02-01", periods=9, freq="D")
    loss = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9], index=days, dtype=float)
    smoothed = mean_7d(loss, min_days=7)
    assert np.isnan(smoothed.iloc[5])
    assert smoothed.iloc[6] == 4.0  # (1+…+7)/7
    assert smoothed.iloc[8] == 6.0  # (3+…+9)/7
    gappy = loss.drop(days[4])
    assert np.isnan(mean_7d(gappy, min_days=7).loc[days[7]])  # 6 points in the window, not 7


def test_registered_derivations_fill_the_ids_the_rulebook_reads():
    days = pd.date_range("2026-02-01", periods=7, freq="D")
    history = {
        ("sopr", ""): pd.Series([0.9, 1.0, 1.1, 0.95, 0.9, 0.85, 0.8], index=days),
        ("realized_loss_usd", ""): pd.Series([7e9] * 7, index=days),
    }
    out = derive_all(history)
    assert out[("sopr_7d_sma", "")].iloc[-1] == np.mean([0.9, 1.0, 1.1, 0.95, 0.9, 0.85, 0.8])
    assert out[("sopr_7d_sma", "")].iloc[0] == 0.9  # one day is enough for SOPR's mean
    assert out[("realized_loss_usd_7d_sma", "")].iloc[-1] == 7e9
    assert ("realized_profit_usd_7d_sma", "") not in out
