from signaldesk.models import Level
from signaldesk.signals import assess, watchlist
from tests.signals.helpers import SEED_VALUES, snapshot

SUPPORT = [Level(price=61_500, low=60_000, high=63_000, why=("round:60000",))]
RESISTANCE = [Level(price=69_000, low=68_000, high=70_000, why=("round:70000",))]


def test_seed_day_watch_list_has_the_seed_items_with_triggers():
    """Seed 000 watched: a 7th week of ETF outflows, the $60K support, Fear & Greed below 20."""
    indicators = assess(snapshot(SEED_VALUES)).indicators
    items = watchlist.build(indicators, 62_900, SUPPORT, RESISTANCE)
    got = [(i.id, i.metric, i.trigger, i.direction) for i in items]
    assert got == [
        ("etf_streak", "etf_flow_streak_weeks", 0.0, "streak"),
        ("support", "price_usd", 60_000.0, "below"),
        ("resistance", "price_usd", 70_000.0, "above"),
        ("fear_greed", "fear_greed", 20.0, "below"),
        ("funding", "funding_rate_8h", 0.0, "below"),
        ("coinbase_premium", "coinbase_premium", 0.0, "above"),
    ]
    assert items[0].text["zh-CN"] == "BTC ETF 流量：本周是否继续净流出，成为连续第7周流出？"
    assert items[1].text["zh-CN"] == "$60,000–$63,000 支撑：若放量跌破 $60,000 可能触发程序化抛售"
    assert items[3].text["en"] == "Fear & Greed (now 8): will it stay below 20?"
    assert items[3].text["zh-TW"] == "恐懼指數（現 8）：能否維持在20以下？"


def test_calm_day_has_few_items_and_far_levels_are_skipped():
    indicators = assess(snapshot({("fear_greed", ""): 50, ("funding_rate_8h", "btc"): 0.0001})).indicators
    far_support = [Level(price=50_000, low=49_000, high=51_000, why=("round:50000",))]
    assert watchlist.build(indicators, 62_900, far_support, []) == []


def test_trend_line_within_reach():
    items = watchlist.build([], 98_000, [], [], ma200=100_000)
    assert [(i.id, i.trigger, i.direction) for i in items] == [("ma200", 100_000.0, "above")]
    assert items[0].text["en"] == "200-day mean at $100,000: will BTC close above it?"
