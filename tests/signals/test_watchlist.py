import dataclasses

import pytest

from signaldesk.models import AssetLevels, CostBasis, Level, LevelSource
from signaldesk.signals import watchlist
from signaldesk.signals.engine import assess
from signaldesk.signals.rulebook import Band, default_rulebook
from tests.signals.helpers import SEED_VALUES, snapshot

#: Bands pinned here so the expected edges are ours, whatever the shipped rulebook's tuning.
BANDS = {
    "fear_greed": (
        Band(below=25, state="bullish", strength=0.6),
        Band(below=75, state="neutral"),
        Band(state="bearish", strength=0.6),
    ),
    "funding_btc": (
        Band(below=-0.0001, state="bearish", strength=0.8),
        Band(below=0, state="bearish", strength=0.4),
        Band(below=0.0003, state="neutral"),
        Band(state="bearish", strength=0.4),
    ),
    "coinbase_premium": (
        Band(below=0, state="bearish", strength=0.5),
        Band(below=0.0005, state="neutral"),
        Band(state="bullish", strength=0.5),
    ),
}
SHIPPED = default_rulebook()
RB = SHIPPED.model_copy(
    update={"rules": tuple(r.model_copy(update={"bands": BANDS[r.id]}) if r.id in BANDS else r for r in SHIPPED.rules)}
)


def _zone(low: float, high: float, side: str, kind: str = "swing_low") -> Level:
    source = LevelSource(kind, "price_usd", "btc", low, low, low)
    return Level(price=(low + high) / 2, low=low, high=high, why=(), side=side, sources=(source,))


SUPPORT = _zone(60_000, 63_000, "support")
RESISTANCE = _zone(68_000, 70_000, "resistance", "swing_high")
TMM = CostBasis("true_market_mean", "true_market_mean_usd", "", "btc", 80_200, 80_200 / 62_900 - 1, "resistance")


def _map(price: float = 62_900, support=(SUPPORT,), resistance=(RESISTANCE,), bases=(TMM,), ma200=None) -> AssetLevels:
    return AssetLevels(
        "btc", price, support=tuple(support), resistance=tuple(resistance), cost_bases=tuple(bases), ma200=ma200
    )


def test_seed_day_watch_list_is_structured_triggers():
    """Seed 000 watched: the ETF weeks, the $60K support, Fear & Greed; plus funding and the premium turning."""
    indicators = assess(snapshot(SEED_VALUES)).indicators
    items = watchlist.build(indicators, _map(), RB)
    got = [(i.id, i.metric, i.entity, i.direction, i.trigger, i.mode, i.window, i.current) for i in items]
    assert got == [
        # six weeks of outflows: does the week's net flow turn positive ("一周净流入转正")?
        ("etf_flow", "etf_net_flow_usd_7d", "btc", "above", 0.0, "cross", "7d", -9.5e8),
        ("support", "price_usd", "btc", "below", 60_000, "cross", "1d", 62_900),
        ("resistance", "price_usd", "btc", "above", 70_000, "cross", "1d", 62_900),  # 68,000 is within 12 %
        # extreme fear read contrarian: does it stay under the rule's neutral edge (25)?
        ("fear_greed", "fear_greed", "", "below", 25.0, "hold", "1d", 8),
        # trend readings below their neutral band: do they turn positive?
        ("funding_btc", "funding_rate_8h", "btc", "above", 0.0, "cross", "1d", -0.00002),
        ("coinbase_premium", "coinbase_premium", "", "above", 0.0, "cross", "1d", -0.0006),
    ]
    assert items[0].reference == -6 and items[0].rule == "etf_flow_7d"
    assert items[1].level is SUPPORT and items[2].level is RESISTANCE
    assert items[3].rule == "fear_greed"


def test_an_inflow_streak_asks_whether_the_week_turns_negative():
    values = {**SEED_VALUES, ("etf_flow_streak_weeks", "btc"): 3, ("etf_net_flow_usd_7d", "btc"): 4e8}
    items = watchlist.build(assess(snapshot(values)).indicators, _map(support=(), resistance=()), RB)
    assert (items[0].id, items[0].direction, items[0].current, items[0].reference) == ("etf_flow", "below", 4e8, 3)


def test_calm_day_has_no_items_and_far_levels_are_skipped():
    indicators = assess(snapshot({("fear_greed", ""): 50, ("funding_rate_8h", "btc"): 0.0001})).indicators
    far = _zone(49_000, 51_000, "support")  # the top of the zone is 18.9 % below: beyond the 8 % reach
    assert watchlist.build(indicators, _map(support=(far,), resistance=()), RB) == []


def test_a_cost_basis_within_reach_is_watched_unless_a_zone_holds_it():
    near = dataclasses.replace(TMM, distance=80_200 / 70_000 - 1)  # +14.6 %, within 15 %
    items = watchlist.build([], _map(70_000, support=(), resistance=(), bases=(near,)), RB)
    assert [(i.id, i.direction, i.trigger, i.level.sources[0].kind, i.level.distance) for i in items] == [
        ("cost_basis", "above", 80_200, "true_market_mean", pytest.approx(0.145714, abs=1e-6))
    ]
    held = Level(
        80_200,
        79_500,
        80_200,
        (),
        side="resistance",
        sources=(LevelSource("true_market_mean", "true_market_mean_usd", "", 80_200, 80_200, 80_200),),
    )
    items = watchlist.build([], _map(72_000, support=(), resistance=(held,), bases=(near,)), RB)
    assert [i.id for i in items] == ["resistance"]


def test_trend_line_within_reach_unless_a_zone_holds_it():
    items = watchlist.build([], _map(98_000, support=(), resistance=(), bases=(), ma200=100_000), RB)
    assert [(i.id, i.trigger, i.direction) for i in items] == [("ma200", 100_000, "above")]
    zone = _zone(99_000, 100_000, "resistance", "ma200")
    items = watchlist.build([], _map(98_000, support=(), resistance=(zone,), bases=(), ma200=100_000), RB)
    assert [i.id for i in items] == ["resistance"]


@pytest.mark.parametrize(
    ("rule", "x", "edge"),
    [
        ("fear_greed", 8, (25.0, "below")),
        ("fear_greed", 50, None),
        ("fear_greed", 90, (75.0, "above")),
        ("funding_btc", -0.0005, (0.0, "below")),
        ("funding_btc", -0.00005, (0.0, "below")),
        ("funding_btc", 0.0001, None),
        ("funding_btc", 0.0007, (0.0003, "above")),
    ],
)
def test_rule_edge_is_the_neutral_bands_edge(rule, x, edge):
    assert watchlist.rule_edge(RB.rule(rule), x) == edge


def test_the_list_is_capped():
    capped = RB.model_copy(update={"watch": RB.watch.model_copy(update={"max_items": 2})})
    items = watchlist.build(assess(snapshot(SEED_VALUES)).indicators, _map(), capped)
    assert [i.id for i in items] == ["etf_flow", "support"]
