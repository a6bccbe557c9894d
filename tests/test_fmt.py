"""People-formatting: the seed's conventions, hand-checked."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from signaldesk import fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (63_000, "$63.0K"),
        (1.16e12, "$1.16T"),
        (-203.8e6, "-$203.8M"),
        (950, "$950"),
        (9.996e9, "$10.0B"),
        (2.72e9, "$2.72B"),
        (0.5, "$0.50"),
        (None, "—"),
        (math.nan, "—"),
    ],
)
def test_usd(value: float | None, text: str) -> None:
    assert fmt.usd(value) == text


def test_price_pct_score_value() -> None:
    assert fmt.price(62_900) == "$62,900"
    assert fmt.price(79.5) == "$79.50"
    assert fmt.pct(0.0026) == "+0.26%"
    assert fmt.pct(0.58, signed=False, digits=1) == "58.0%"
    assert fmt.score(8) == "8/100"
    assert fmt.value("gas_price_gwei", 1.41) == "1.41 Gwei"
    assert fmt.value("fear_greed", 8) == "8/100"
    assert fmt.value("etf_flow_streak_weeks", -6) == "-6"


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (19_990_000, "zh-CN", "1,999万"),
        (19_990_000, "zh-TW", "1,999萬"),
        (19_990_000, "en", "20.0M"),
        (123_456_789, "zh-CN", "1.23亿"),
        (123_456_789, "zh-TW", "1.23億"),
        (8_500, "zh-CN", "8,500"),
        (45_000, "zh-CN", "4.50万"),
        (-2_000_000, "en", "-2.00M"),
        (None, "en", "—"),
    ],
)
def test_count_uses_wan_yi_only_in_chinese(value: float | None, lang: str, text: str) -> None:
    assert fmt.count(value, lang) == text


def test_dates_and_times() -> None:
    assert fmt.day(date(2026, 2, 23), "zh-CN") == "2月23日"
    assert fmt.day(date(2026, 2, 23), "en") == "Feb 23"
    assert fmt.long_date(date(2026, 2, 25), "zh-TW") == "2026年2月25日"
    assert fmt.long_date(date(2026, 2, 25), "en") == "February 25, 2026"
    east8 = timezone(timedelta(hours=8))
    assert fmt.timestamp(datetime(2026, 2, 25, 14, 5, tzinfo=east8)) == "2026-02-25 06:05 UTC"
    assert fmt.timestamp(None) == "—"
    with pytest.raises(ValueError):
        fmt.timestamp(datetime(2026, 2, 25, 14, 5))


def test_ranges_percentiles_signed() -> None:
    assert fmt.price_range(60_000, 63_000) == "$60,000–63,000"
    assert fmt.price_range(60_000, 60_000) == "$60,000"
    assert fmt.percentile(0.0123) == "1%"
    assert fmt.signed_usd(0.8e9) == "+$800.0M"
    assert fmt.signed_usd(-203.8e6) == "-$203.8M"
    assert fmt.timestamp(datetime(2026, 2, 25, tzinfo=UTC)) == "2026-02-25 00:00 UTC"
