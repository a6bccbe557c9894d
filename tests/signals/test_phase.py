import numpy as np
import pandas as pd
import pytest

from signaldesk.models import Level
from signaldesk.signals import phase
from signaldesk.signals.rulebook import default_rulebook

SETTINGS = default_rulebook().score
NAN = np.nan


def _features(**rows: tuple) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(phase.FEATURES, row, strict=True)) for row in rows.values()], index=list(rows))


CASES = _features(
    #                    trend  mom30  mom7  drawdown mvrv  fng
    overheated=(0.50, 0.30, -0.02, -0.05, 3.8, 75),
    distribution=(0.08, -0.08, -0.03, -0.12, 2.1, 55),
    recovery=(-0.05, 0.12, 0.04, -0.45, 1.3, 40),
    bull_expansion=(0.20, 0.06, 0.01, -0.04, 2.2, 65),
    accelerating_decline=(-0.37, -0.249, -0.10, -0.50, 1.12, 8),
    bottom_building=(-0.30, -0.02, 0.01, -0.75, 0.9, 25),
    range=(-0.02, -0.01, 0.0, -0.15, 1.8, 50),
    insufficient_data=(NAN, 0.2, 0.1, -0.1, NAN, 50),
    seven_day_crash=(-0.05, NAN, -0.12, -0.22, NAN, NAN),
)


def test_each_phase_from_hand_made_inputs():
    got = dict(zip(CASES.index, phase.classify(CASES), strict=True))
    expected = {name: name for name in CASES.index}
    expected["seven_day_crash"] = "accelerating_decline"  # no 30-day momentum: the 7-day crash decides
    assert got == expected
    assert set(phase.PHASE_NAMES) == {*phase.PHASE_ORDER, "insufficient_data"}


def test_secondary_phases_are_reported():
    seed_day = CASES.loc[["accelerating_decline"]]
    assert phase.matching(seed_day) == [["accelerating_decline", "bottom_building"]]
    text = phase.reasons(seed_day.iloc[0], "accelerating_decline", phase.matching(seed_day)[0])
    assert text["zh-CN"] == ("BTC 较200日均线 -37.00%，30日涨跌 -24.90%，距高点回撤 -50.00%，MVRV 1.12，恐惧与贪婪 8。"
                             "判定为加速下跌：趋势向下且跌势加速（30日跌幅超过15% 或 7日跌幅超过10%）。同时具备底部构建特征。")
    assert text["en"].endswith("Also showing signs of: Bottom building.")
    assert text["zh-TW"].startswith("BTC 較200日均線")


@pytest.mark.parametrize(
    ("score", "coverage", "phase_id", "expected"),
    [
        (70, 0.8, "bull_expansion", "offensive"),
        (70, 0.8, "recovery", "offensive"),
        (70, 0.8, "overheated", "neutral"),
        (30, 0.8, "accelerating_decline", "defensive"),
        (30, 0.8, "bottom_building", "wait"),
        (42, 0.8, "accelerating_decline", "defensive"),  # seed 000: 42/100, 加速下跌 → 防御
        (42, 0.8, "bottom_building", "wait"),
        (50, 0.8, "range", "neutral"),
        (50, 0.8, "distribution", "defensive"),
        (70, 0.2, "bull_expansion", "wait"),  # too little data to act on
        (NAN, 0.0, "range", "wait"),
    ],
)
def test_stance_table(score, coverage, phase_id, expected):
    got = phase.stance(np.array([score]), np.array([coverage]), np.array([phase_id], dtype=object), SETTINGS)
    assert got.tolist() == [expected]


def test_guidance_names_the_nearest_zones():
    support = [Level(price=61_500, low=60_000, high=63_000, why=("round:60000",))]
    resistance = [Level(price=69_000, low=68_000, high=70_000, why=("round:70000",))]
    text = phase.guidance("defensive", support, resistance)
    assert text["zh-CN"] == "仓位降至30%以下，降低杠杆；等待 $60,000–$63,000 支撑确认，若放量跌破 $60,000 则继续减仓；反弹至 $68,000–$70,000 阻力区不追高。"
    assert text["en"].startswith("Cut positions below 30% and reduce leverage; wait for support at $60,000–$63,000")
    assert "放量突破 $70,000 可加仓" in phase.guidance("offensive", support, resistance)["zh-CN"]
    assert phase.guidance("wait", [], [])["zh-CN"] == "以现金为主（仓位0–20%），等待企稳确认再行动。"


def test_features_from_history_use_30_day_momentum():
    from signaldesk.signals.series import daily

    prices = daily(pd.Series(np.linspace(100.0, 70.0, 31), index=pd.date_range("2026-01-01", periods=31)))
    feats = phase.features({("price_usd", "btc"): prices}, pd.DatetimeIndex(["2026-01-31"]), SETTINGS)
    assert feats["mom30"].iloc[0] == pytest.approx(-0.30)
    assert np.isnan(feats["trend"].iloc[0])
