import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.models import LevelSource
from signaldesk.signals import levels
from signaldesk.signals.levels import Candidate
from signaldesk.signals.levels_schema import ACTIONS, LevelSettings
from signaldesk.signals.rulebook import default_rulebook
from tests.conftest import shared_file
from tests.signals.helpers import series

S = LevelSettings()  # the defaults; the shipped rulebook sets the same values (test below)
EXPIRE = 5.0


def _point(price: float, kind: str = "swing_low", weight: float = 1.0) -> Candidate:
    return Candidate(LevelSource(kind, "price_usd", "btc", price, price, price), weight)


def test_shipped_rulebook_states_the_level_and_watch_settings():
    rb = default_rulebook()
    assert rb.levels == S
    assert (rb.watch.support_reach, rb.watch.resistance_reach, rb.watch.max_items) == (0.08, 0.12, 6)


def test_atr_is_the_mean_absolute_close_change():
    close = series([100, 102, 99, 103])
    assert levels.atr(close, 3) == 3.0  # |+2|, |-3|, |+4|
    assert levels.atr(close, 2) == 3.5  # the last two changes only
    assert math.isnan(levels.atr(close, 4))


@pytest.mark.parametrize(("atr", "width"), [(3.0, 4.0), (2.0, 3.0), (0.2, 1.0), (math.nan, 1.0)])
def test_zone_width_is_atr_based_and_clamped(atr, width):
    # price 100: 1.5 × ATR, at least 1 % (1.0), at most 4 % (4.0)
    assert levels.zone_width(100.0, atr, S) == pytest.approx(width)


def test_swings_need_radius_days_on_both_sides():
    close = series([10, 11, 14, 11, 10, 9, 8, 9, 10, 11, 12, 13, 12], "2026-01-01")
    got = levels.swings(close, pd.Timestamp("2026-01-13"), radius=2, lookback=30)
    assert [(x.kind, x.day, x.price) for x in got] == [
        ("swing_high", date(2026, 1, 3), 14),
        ("swing_low", date(2026, 1, 7), 8),
    ]
    # The high on 2026-01-12 is not confirmed yet (one day after it): not a swing.


def test_merge_groups_within_the_width_nearest_first():
    items = [_point(97), _point(96), _point(95, "realized_price", 2.0), _point(90)]
    zones = levels.merge(items, spot=100.0, width=3.0, side="support", s=S)
    assert [(z.low, z.high, z.price, z.strength) for z in zones] == [(95, 97, 95.75, 4.0), (90, 90, 90, 1.0)]
    # (97 + 96 + 2 × 95) / 4 = 95.75; the heaviest source leads the reasons and names the zone's family
    assert zones[0].why[0] == "realized_price:95" and zones[0].kind == "cost_basis"
    assert zones[0].distance == pytest.approx(-0.0425) and zones[1].kind == "swing"


def test_merge_shows_a_narrow_zone_as_one_price():
    zones = levels.merge([_point(97.0), _point(96.7)], spot=100.0, width=3.0, side="support", s=S)
    # a span of 0.3 is under 0.5 % of the spot: one price at the weighted centre
    assert [(z.low, z.high, z.price) for z in zones] == [(96.85, 96.85, 96.85)]


def test_merge_starts_a_new_zone_past_the_width():
    zones = levels.merge([_point(101), _point(103.9), _point(104.1)], spot=100.0, width=3.0, side="resistance", s=S)
    assert [(z.low, z.high) for z in zones] == [(101, 103.9), (104.1, 104.1)]


def _cost_bases(day: date, **values: float) -> dict:
    return {(f"{k}_usd", ""): series([v], day) for k, v in values.items()}


def test_structural_levels_near_the_price_leave_no_room_for_round_numbers():
    day = date(2026, 2, 25)
    history = {
        ("price_usd", "btc"): series([62_900.0], day),
        **_cost_bases(date(2026, 2, 24), realized_price=60_500, true_market_mean=65_500, sth_cost_basis=94_500),
    }
    got = levels.asset_levels(history, day, S, EXPIRE)
    assert [(z.price, z.kind) for z in got.support] == [(60_500, "cost_basis")]  # no $60,000 beside it
    assert [(z.price, z.kind) for z in got.resistance] == [(65_500, "cost_basis")]  # no $65,000 either
    # +50 %: beyond the ±30 % range of zones, but every major cost basis is listed with its distance
    assert [(c.kind, c.side, round(c.distance, 6)) for c in got.cost_bases] == [
        ("realized_price", "support", -0.038156),
        ("true_market_mean", "resistance", 0.041335),
        ("sth_cost_basis", "resistance", 0.502385),
    ]


def test_round_numbers_fill_a_gap_near_the_price():
    day = date(2026, 2, 25)
    history = {("price_usd", "btc"): series([62_900.0], day), **_cost_bases(day, realized_price=55_800)}
    got = levels.asset_levels(history, day, S, EXPIRE)
    # nothing structural within 8 %: round numbers there stand in (every 5,000 at this price);
    # 70,000 is 11.3 % above, beyond the gap
    assert [(z.price, z.kind) for z in got.support] == [(60_000, "round_number"), (55_800, "cost_basis")]
    assert [(z.price, z.kind, z.why) for z in got.resistance] == [(65_000, "round_number", ("round_number:65000",))]


def test_the_2026_02_06_case_lists_the_sth_cost_basis():
    """Seed 001: price ~$70K below the True Market Mean (~$80.2K); STH cost basis ~$94.5K; realised ~$55.8K."""
    day = date(2026, 2, 6)
    history = {
        ("price_usd", "btc"): series([70_000.0], day),
        **_cost_bases(day, sth_cost_basis=94_500, true_market_mean=80_200, realized_price=55_800),
    }
    got = levels.asset_levels(history, day, S, EXPIRE)
    sth = next(c for c in got.cost_bases if c.kind == "sth_cost_basis")
    assert (sth.price, sth.side, sth.distance) == (94_500, "resistance", pytest.approx(0.35))
    # 70,000 itself is no level; 75,000 fills the gap below the True Market Mean
    assert [(z.price, z.distance) for z in got.resistance] == [
        (75_000, pytest.approx(1 / 14)),
        (80_200, pytest.approx(0.145714, abs=1e-6)),
    ]
    assert [z.price for z in got.support] == [65_000, 55_800]


def test_eth_gets_its_own_levels_from_its_price_history():
    # 2,000 → 1,800 (8 days), → 2,100 (8 days), → 1,950 (8 days): a swing low and a swing high
    closes = (
        [2_000 - 25 * i for i in range(9)]
        + [1_800 + 37.5 * i for i in range(1, 9)]
        + [2_100 - 18.75 * i for i in range(1, 9)]
    )
    day = date(2026, 1, 25)
    history = {("price_usd", "eth"): series(closes, "2026-01-01")}
    assert len(closes) == 25 and closes[-1] == 1_950
    markets = levels.assess_levels(history, day, default_rulebook())
    eth = markets["eth"]
    assert eth.price == 1_950 and eth.cost_bases == ()
    assert eth.atr == pytest.approx((6 * 37.5 + 8 * 18.75) / 14)  # the last 14 close changes
    assert [(z.price, z.kind, z.sources[0].day) for z in eth.support] == [(1_800, "swing", date(2026, 1, 9))]
    assert [(z.price, z.kind, z.sources[0].day) for z in eth.resistance] == [(2_100, "swing", date(2026, 1, 17))]
    assert eth.support[0].asset == "eth" and eth.support[0].distance == pytest.approx(1_800 / 1_950 - 1)
    assert markets["btc"].price is None and markets["btc"].support == ()


def test_volume_profile_finds_the_heavy_range():
    days = pd.date_range("2025-03-01", periods=360)
    rng = np.random.default_rng(0)
    prices = np.where(np.arange(360) % 3 == 0, 61_000 + rng.uniform(-300, 300, 360), rng.uniform(50_000, 80_000, 360))
    close = pd.Series(prices, index=days)
    volume = pd.Series(np.where(np.arange(360) % 3 == 0, 5e10, 1e10), index=days)
    got = levels.profile(close, volume, days[-1], S)
    heaviest = max(got, key=lambda x: -abs(x.price - 61_000))
    assert heaviest.kind == "volume_cluster" and heaviest.metric == "spot_volume_usd"
    assert any(x.low <= 61_300 and x.high >= 60_700 for x in got)
    dwell = levels.profile(close, None, days[-1], S)
    assert dwell and {x.kind for x in dwell} == {"dwell_cluster"}


def test_urpd_clusters_at_their_supply_weighted_centre():
    as_of = pd.Timestamp("2026-02-25")
    supply = {50_000: 1e5, 55_000: 1e5, 60_000: 9e5, 65_000: 1.1e6, 70_000: 1e5, 75_000: 1e5}
    history = {("urpd_supply_btc", str(low)): pd.Series([v], index=[as_of]) for low, v in supply.items()}
    got = levels.urpd(history, as_of, S)
    # mean bucket 4e5, peak 1.5 × = 6e5: the 60K and 65K buckets; centre (62,500 × 9 + 67,500 × 11) / 20
    assert [(x.kind, x.low, x.high, x.price) for x in got] == [("urpd_cluster", 60_000, 70_000, 65_250)]


def test_no_price_no_levels():
    got = levels.asset_levels({}, date(2026, 2, 25), S, EXPIRE)
    assert (got.price, got.support, got.resistance, got.cost_bases) == (None, (), (), ())


# -- actions follow the stance -----------------------------------------------------------------
def _map():
    day = date(2026, 2, 25)
    history = {
        ("price_usd", "btc"): series([62_900.0], day),
        **_cost_bases(day, realized_price=60_500, true_market_mean=65_500),
    }
    return levels.asset_levels(history, day, S, EXPIRE)


def test_defensive_actions_name_their_zones_and_prices():
    got = levels.actions("defensive", _map(), S)
    assert [(a.id, a.price) for a in got] == [
        ("wait_for_support", 60_500),
        ("reduce_on_breakdown", 60_500),
        ("no_chase", 65_500),
        ("reassess_above_resistance", 65_500),
    ]
    assert got[0].support.price == 60_500 and got[2].resistance.price == 65_500


def test_an_action_without_its_zone_is_left_out():
    bare = _map()  # without its resistance zone
    bare = type(bare)(asset=bare.asset, price=bare.price, support=bare.support)
    assert [a.id for a in levels.actions("neutral", bare, S)] == ["reduce_on_breakdown"]


@pytest.mark.parametrize("stance", ["defensive", "wait"])
def test_cautious_stances_never_add(stance):
    assert not any(a.id.startswith("add_") for a in levels.actions(stance, _map(), default_rulebook().levels))


def test_every_action_can_be_stated():
    assert {a for ids in S.actions.values() for a in ids} <= set(ACTIONS)


# -- properties --------------------------------------------------------------------------------
@settings(max_examples=60)
@given(
    steps=st.lists(st.floats(-0.08, 0.08), min_size=40, max_size=220),
    bases=st.lists(st.floats(0.3, 2.0), min_size=0, max_size=4),
    start=st.floats(50.0, 100_000.0),
)
def test_zones_are_ordered_on_their_side_and_within_the_width(steps, bases, start):
    close = pd.Series(start * np.exp(np.cumsum(steps)), index=pd.date_range("2025-01-01", periods=len(steps)))
    day = close.index[-1].date()
    history = {("price_usd", "btc"): close}
    for metric, ratio in zip(levels.COST_BASES, bases, strict=False):
        history[(metric, "")] = pd.Series([close.iloc[-1] * ratio], index=[close.index[-1]])
    got = levels.asset_levels(history, day, S, EXPIRE)
    spot = got.price
    assert spot == pytest.approx(close.iloc[-1])
    assert len(got.support) <= S.max_zones and len(got.resistance) <= S.max_zones
    assert all(z.high < spot and z.side == "support" and z.distance < 0 for z in got.support)
    assert all(z.low >= spot and z.side == "resistance" and z.distance >= 0 for z in got.resistance)
    assert [z.price for z in got.support] == sorted((z.price for z in got.support), reverse=True)
    assert [z.price for z in got.resistance] == sorted(z.price for z in got.resistance)
    for zone in (*got.support, *got.resistance):
        assert zone.low <= zone.price <= zone.high
        assert zone.high - zone.low <= got.zone_width
        assert zone.high - zone.low == 0 or zone.high - zone.low >= S.line_below * spot
    for side in (got.support, got.resistance):  # round numbers only fill a gap near the price
        sources = [x for z in side for x in z.sources]
        if any(x.kind == "round_number" for x in sources):
            assert not any(abs(x.price / spot - 1) <= S.round_gap for x in sources if x.kind != "round_number")
    assert len(got.cost_bases) == len(bases)
    assert [abs(c.distance) for c in got.cost_bases] == sorted(abs(c.distance) for c in got.cost_bases)


# -- real history (../shared/data, ends 2022-12-31) --------------------------------------------
def _yahoo(name: str) -> pd.Series:
    frame = pd.read_csv(shared_file("data", name), parse_dates=["Date"])
    return frame.set_index("Date")["Close"].astype(float)


def _realized() -> pd.Series:
    frame = pd.read_csv(shared_file("data", "btc_realized_price_cryptoquant.csv"))
    index = pd.to_datetime(frame["Datetime"], utc=True).dt.tz_localize(None)
    return pd.Series(frame["Realized Price"].to_numpy(dtype=float), index=index).sort_index()


@pytest.mark.parametrize(
    ("day", "side", "distance", "first_resistance"),
    [
        # the 2021 top: the realised price is 63 % below, far outside the zones, and still listed;
        # a swing high of 2021-10-20 is the nearest resistance
        (date(2021, 11, 10), "support", 23_775.23220466 / 64_995.23046875 - 1, "swing"),
        # June 2022: price fell under the realised price, now the nearest resistance, 9.7 % away
        (date(2022, 6, 20), "resistance", 22_588.98013793 / 20_599.537109375 - 1, "cost_basis"),
    ],
)
def test_real_history_cost_basis_and_zones(day, side, distance, first_resistance):
    history = {
        ("price_usd", "btc"): _yahoo("btc_daily_ohlcv_yahoo.csv"),
        ("price_usd", "eth"): _yahoo("eth_daily_ohlcv_yahoo.csv"),
        ("realized_price_usd", ""): _realized(),
    }
    markets = levels.assess_levels(history, day, default_rulebook())
    btc = markets["btc"]
    realized = next(c for c in btc.cost_bases if c.kind == "realized_price")
    assert (realized.side, realized.distance) == (side, pytest.approx(distance))
    assert btc.resistance[0].kind == first_resistance
    for asset in ("btc", "eth"):  # ETH has its own zones; round numbers only at new highs or lows
        got = markets[asset]
        assert got.support and got.resistance, asset
        assert all(z.high - z.low <= got.zone_width for z in (*got.support, *got.resistance)), asset
    assert {z.kind for z in btc.support} == (
        {"round_number"} if day == date(2022, 6, 20) else {"supply_cluster", "swing"}
    )
