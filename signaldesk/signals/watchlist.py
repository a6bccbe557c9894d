"""The watch list for the next 24 h: concrete, checkable triggers generated from the day's state.

Each item names a metric, a threshold and a direction, so tomorrow's run can say whether it fired.
Items come from: a streak that may extend (ETF weeks), a level within reach (the nearest support
and resistance zones), an extreme that may persist (Fear & Greed), a sign that may flip or hold
(funding, Coinbase premium), and a trend line within reach (the 200-day mean). Order is fixed
(the list above), so the same state always gives the same list.
"""

from __future__ import annotations

import math

from signaldesk import fmt
from signaldesk.models import Level, WatchItem
from signaldesk.signals.judge import RuleIndicator
from signaldesk.signals.rulebook import to_traditional

SUPPORT_REACH = 0.08  # a support zone within 8 % below the price is "within reach"
RESISTANCE_REACH = 0.12
MA_REACH = 0.05
MAX_ITEMS = 6


def _item(item_id: str, metric: str, entity: str, trigger: float, direction: str, zh: str, en: str) -> WatchItem:
    return WatchItem(id=item_id, metric=metric, entity=entity, trigger=float(trigger), direction=direction,  # type: ignore[arg-type]
                     text={"zh-CN": zh, "zh-TW": to_traditional(zh), "en": en})


def _zone(level: Level) -> str:
    if level.high - level.low < 0.002 * level.price:
        return fmt.price(level.price)
    return f"{fmt.price(level.low)}–{fmt.price(level.high)}"


def build(indicators: list[RuleIndicator], price: float | None, support: list[Level], resistance: list[Level],
          ma200: float | None = None) -> list[WatchItem]:
    """The day's watch items (at most `MAX_ITEMS`)."""
    by_rule = {i.rule: i for i in indicators}
    items: list[WatchItem] = []

    streak = by_rule.get("etf_streak")
    if streak is not None and streak.value is not None and abs(streak.value) >= 2:
        n = int(abs(streak.value))
        if streak.value < 0:
            items.append(_item("etf_streak", "etf_flow_streak_weeks", streak.entity, 0.0, "streak",
                               f"BTC ETF 流量：本周是否继续净流出，成为连续第{n + 1}周流出？",
                               f"BTC ETF flows: will this week end in net outflow too, making {n + 1} weeks in a row?"))
        else:
            items.append(_item("etf_streak", "etf_flow_streak_weeks", streak.entity, 0.0, "streak",
                               f"BTC ETF 流量：本周能否延续净流入，成为连续第{n + 1}周流入？",
                               f"BTC ETF flows: will this week end in net inflow too, making {n + 1} weeks in a row?"))

    if price is not None and math.isfinite(price):
        near = next((z for z in support if z.high >= price * (1 - SUPPORT_REACH)), None)
        if near is not None:
            items.append(_item("support", "price_usd", "btc", near.low, "below",
                               f"{_zone(near)} 支撑：若放量跌破 {fmt.price(near.low)} 可能触发程序化抛售",
                               f"Support at {_zone(near)}: a high-volume break below {fmt.price(near.low)} could trigger programmatic selling"))
        up = next((z for z in resistance if z.low <= price * (1 + RESISTANCE_REACH)), None)
        if up is not None:
            items.append(_item("resistance", "price_usd", "btc", up.high, "above",
                               f"{_zone(up)} 阻力：收盘站上 {fmt.price(up.high)} 则短期转强",
                               f"Resistance at {_zone(up)}: a close above {fmt.price(up.high)} would turn the short term up"))

    fng = by_rule.get("fear_greed")
    if fng is not None and fng.value is not None:
        if fng.value <= 20:
            items.append(_item("fear_greed", "fear_greed", "", 20.0, "below",
                               f"恐惧指数（现 {fng.value:.0f}）：能否维持在20以下？",
                               f"Fear & Greed (now {fng.value:.0f}): will it stay below 20?"))
        elif fng.value >= 80:
            items.append(_item("fear_greed", "fear_greed", "", 80.0, "above",
                               f"贪婪指数（现 {fng.value:.0f}）：能否维持在80以上？",
                               f"Fear & Greed (now {fng.value:.0f}): will it stay above 80?"))

    funding = by_rule.get("funding_btc")
    if funding is not None and funding.value is not None:
        if funding.value < 0:
            items.append(_item("funding", "funding_rate_8h", funding.entity, 0.0, "below",
                               f"BTC 资金费率（现 {fmt.value('funding_rate_8h', funding.value)}）：是否继续为负？",
                               f"BTC funding (now {fmt.value('funding_rate_8h', funding.value)}): does it stay negative?"))
        elif funding.value >= 0.0005:
            items.append(_item("funding", "funding_rate_8h", funding.entity, 0.0005, "above",
                               f"BTC 资金费率（现 {fmt.value('funding_rate_8h', funding.value)}）：是否维持在0.05%/8h以上的过热水平？",
                               f"BTC funding (now {fmt.value('funding_rate_8h', funding.value)}): does it stay above the overheated 0.05% / 8h?"))

    premium = by_rule.get("coinbase_premium")
    if premium is not None and premium.value is not None and premium.value < 0:
        items.append(_item("coinbase_premium", "coinbase_premium", premium.entity, 0.0, "above",
                           f"Coinbase 溢价（现 {fmt.value('coinbase_premium', premium.value)}）：能否转正？",
                           f"Coinbase premium (now {fmt.value('coinbase_premium', premium.value)}): will it turn positive?"))

    if ma200 is not None and price is not None and math.isfinite(ma200) and abs(price / ma200 - 1) <= MA_REACH:
        direction = "above" if price < ma200 else "below"
        zh = "站上" if direction == "above" else "跌破"
        en = "close above" if direction == "above" else "close below"
        items.append(_item("ma200", "price_usd", "btc", ma200, direction,
                           f"200日均线 {fmt.price(ma200)}：BTC 能否{zh}？",
                           f"200-day mean at {fmt.price(ma200)}: will BTC {en} it?"))
    return items[:MAX_ITEMS]

