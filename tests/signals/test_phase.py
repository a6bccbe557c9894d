import numpy as np
import pandas as pd
import pytest

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
    assert set(got.values()) <= {*phase.PHASE_ORDER, "insufficient_data"}


def test_secondary_phases_are_reported():
    seed_day = CASES.loc[["accelerating_decline"]]
    assert phase.matching(seed_day) == [["accelerating_decline", "bottom_building"]]
    # Only ids leave the engine (the report words them): the deciding phase, then the others that hold.
    assert phase.reasons(seed_day.iloc[0], "accelerating_decline", phase.matching(seed_day)[0]) == {
        "phase": "accelerating_decline",
        "also": "bottom_building",
    }


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


def test_features_from_history_use_30_day_momentum():
    from signaldesk.signals.series import daily

    prices = daily(pd.Series(np.linspace(100.0, 70.0, 31), index=pd.date_range("2026-01-01", periods=31)))
    feats = phase.features({("price_usd", "btc"): prices}, pd.DatetimeIndex(["2026-01-31"]), SETTINGS)
    assert feats["mom30"].iloc[0] == pytest.approx(-0.30)
    assert np.isnan(feats["trend"].iloc[0])


def test_held_clauses_name_what_made_the_phase():
    """The report words the clauses that held: the seed day is a decline on both momentum tests and
    meets the bottom test on drawdown (−50 % < −40 %), extreme fear (8 < 12) and MVRV near cost (1.12 < 1.3)."""
    day = dict(zip(phase.FEATURES, CASES.loc["accelerating_decline"], strict=True))
    assert phase.held_clauses(day, "accelerating_decline") == ["below_ma", "mom30_falling"]
    assert phase.held_clauses(day, "bottom_building") == [
        "below_ma",
        "deep_drawdown",
        "fear_greed:extreme_fear",
        "mvrv:near_cost",
    ]
    day["mom7"] = -0.12  # −12 % in 7 days is the second way to an accelerating decline
    assert phase.held_clauses(day, "accelerating_decline") == ["below_ma", "mom30_falling", "mom7_falling"]
    assert phase.held_clauses({**day, "trend": 0.05}, "accelerating_decline") == ["mom30_falling", "mom7_falling"]
