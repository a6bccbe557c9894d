"""The numbers check: every number in a text must be one signals.json holds, after formatting."""

from __future__ import annotations

from signaldesk.report.numbers import Token, allowed, tokens, unknown_numbers

SIGNALS = {
    "as_of": "2026-02-25",
    "score": 42.0,
    "indicators": [{"id": "fear_greed", "value": 8.0, "reason": "极度恐惧(8)"}],
    "report": {
        "flow": -203.8e6,
        "price": 62_900.0,
        "change": 0.0026,
        "supply": 19_990_000.0,
        "gas": 1.41,
        "streak": -6.0,
        "cap": 1.16e12,
    },
}


def test_tokens_read_scales_signs_and_skip_window_tags() -> None:
    text = "连续6周净流出，2月23日单日净流出$203.8M（7d +0.26%）8/100，1,999万 BTC，24h爆仓，25Δ偏斜\n1. 第一项"
    assert tokens(text) == [
        Token("6", ""),
        Token("2", ""),
        Token("23", ""),
        Token("203.8", "M"),
        Token("0.26", "%"),
        Token("8", ""),
        Token("1999", "万"),
    ]


def test_tokens_ignore_entities_links_and_identifiers() -> None:
    assert tokens("&#123;&#123; [x](https://a.b/c-2026?id=7) L2 x402 SHA256") == []
    assert tokens("未来24小时 / next 24 hours") == []


def test_faithful_text_passes_in_every_formatting() -> None:
    text = (
        "2026年2月25日：ETF净流出$203.8M，连续6周；BTC $62,900（约$62.9K、$63K），稳定币7d +0.26%，"
        "供应1,999万 BTC（20.0M），Gas 1.41 Gwei，评分42/100，恐惧指数8，市值蒸发$1.16T。"
    )
    assert unknown_numbers(text, SIGNALS) == []


def test_invented_numbers_are_named() -> None:
    text = "BTC $65,000 支撑，ETF净流出$210.0M，评分42/100"
    assert unknown_numbers(text, SIGNALS) == [Token("65000", ""), Token("210.0", "M")]


def test_a_scale_change_is_not_the_same_number() -> None:
    # 8 is in signals.json; 8% and $8K are different claims.
    assert unknown_numbers("8% and $8K", SIGNALS) == [Token("8", "%"), Token("8", "K")]


def test_allowed_includes_numbers_inside_strings() -> None:
    assert Token("8", "") in allowed({"reason": "Fear & Greed 8"})
    assert Token("2026", "") in allowed({"latest": "2026-02-25T00:00:00+00:00"})
