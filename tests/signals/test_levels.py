from datetime import date

import numpy as np
import pandas as pd
import pytest

from signaldesk.models import Level
from signaldesk.signals import levels
from signaldesk.signals.levels import Candidate
from signaldesk.signals.rulebook import default_rulebook
from tests.signals.helpers import series

SETTINGS = default_rulebook().score


def test_round_numbers_around_the_price():
    got = [(c.price, c.weight) for c in levels.round_numbers(62_900)]
    # ±15 % of 62,900 is 53,465–72,335: every 5,000, whole 10,000s weigh double.
    assert got == [(55_000, 0.5), (60_000, 1.0), (65_000, 0.5), (70_000, 1.0)]
    eth = levels.round_numbers(1_840)
    assert [c.price for c in eth] == [1_600, 1_700, 1_800, 1_900, 2_000, 2_100]
    assert [c.weight for c in eth] == [0.5, 0.5, 0.5, 0.5, 1.0, 0.5]
    assert [c.price for c in levels.round_numbers(0.4321)] == [0.38, 0.4, 0.42, 0.44, 0.46, 0.48]


def test_swings_need_radius_days_on_both_sides():
    close = series([10, 11, 14, 11, 10, 9, 8, 9, 10, 11, 12, 13, 12], "2026-01-01")
    got = levels.swings(close, pd.Timestamp("2026-01-13"), radius=2, lookback=30)
    assert [c.code for c in got] == ["swing_high:2026-01-03:14", "swing_low:2026-01-07:8"]
    # The high on 2026-01-12 is not confirmed yet (one day after it): not a swing.


def test_merge_builds_zones_with_all_reasons():
    items = [Candidate(60_000, 60_000, 60_000, 1.0, "round:60000"), Candidate(60_500, 60_500, 60_500, 2.0, "realized_price_usd:60500"),
             Candidate(63_000, 63_000, 63_000, 1.0, "swing_low:2026-02-06:63000")]
    zones = levels.merge(items)
    assert zones == [
        Level(price=60_333.33, low=60_000, high=60_500, why=("realized_price_usd:60500", "round:60000"), strength=3.0),
        Level(price=63_000, low=63_000, high=63_000, why=("swing_low:2026-02-06:63000",), strength=1.0),
    ]


def test_why_texts():
    assert levels.why_text("sth_cost_basis_usd:94500", "zh-CN") == "短期持有者成本 $94,500"
    assert levels.why_text("sth_cost_basis_usd:94500", "zh-TW") == "短期持有者成本 $94,500"
    assert levels.why_text("swing_low:2026-02-06:60123", "en") == "swing low $60,123 on 2026-02-06"
    assert levels.why_text("urpd:66900-70600", "zh-CN") == "筹码密集区 $66,900–$70,600（URPD）"
    assert levels.why_text("round:60000", "en") == "round number $60,000"


def test_levels_from_cost_bases_and_round_numbers():
    history = {
        ("price_usd", "btc"): series([62_900.0], date(2026, 2, 25)),
        ("realized_price_usd", ""): series([55_800.0], date(2026, 2, 24)),
        ("true_market_mean_usd", ""): series([80_200.0], date(2026, 2, 24)),  # +27 %: listed (within 30 %)
        ("sth_cost_basis_usd", ""): series([94_500.0], date(2026, 2, 24)),  # +50 %: too far to list
    }
    support, resistance = levels.levels(history, date(2026, 2, 25), SETTINGS)
    assert [(z.price, z.why) for z in support] == [(60_000, ("round:60000",)), (55_640, ("realized_price_usd:55800", "round:55000"))]
    assert [(z.price, z.why) for z in resistance] == [(65_000, ("round:65000",)), (70_000, ("round:70000",)),
                                                       (80_200, ("true_market_mean_usd:80200",))]


def test_volume_profile_finds_the_heavy_range():
    days = pd.date_range("2025-03-01", periods=360)
    rng = np.random.default_rng(0)
    prices = np.where(np.arange(360) % 3 == 0, 61_000 + rng.uniform(-300, 300, 360), rng.uniform(50_000, 80_000, 360))
    close = pd.Series(prices, index=days)
    volume = pd.Series(np.where(np.arange(360) % 3 == 0, 5e10, 1e10), index=days)
    got = levels.profile(close, volume, days[-1], 62_900)
    assert got and got[0].code.startswith("volume:")
    assert all(c.low <= 61_300 and c.high >= 60_700 for c in got[:1])
    dwell = levels.profile(close, None, days[-1], 62_900)
    assert dwell and dwell[0].code.startswith("dwell:")


def test_urpd_clusters():
    as_of = pd.Timestamp("2026-02-25")
    supply = {50_000: 1e5, 55_000: 1e5, 60_000: 9e5, 65_000: 1.1e6, 70_000: 1e5, 75_000: 1e5}
    history = {("urpd_supply_btc", str(low)): pd.Series([v], index=[as_of]) for low, v in supply.items()}
    got = levels.urpd(history, as_of, 62_900)
    assert [(c.low, c.high, c.code) for c in got] == [(60_000, 70_000, "urpd:60000-70000")]


def test_no_price_no_levels():
    assert levels.levels({}, date(2026, 2, 25), SETTINGS) == ([], [])


@pytest.mark.parametrize("price", [0.4321, 79.5, 1_840.0, 62_900.0])
def test_round_numbers_are_near_any_price(price):
    got = levels.round_numbers(price)
    assert got and all(abs(c.price / price - 1) <= 0.15 + 1e-9 for c in got)
