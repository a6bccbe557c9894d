import textwrap
from pathlib import Path

import pytest

from signaldesk.catalog import CATALOG
from signaldesk.errors import RulebookError
from signaldesk.langs import to_traditional
from signaldesk.signals.rulebook import (
    DEFAULT_PATH,
    default_rulebook,
    load_rulebook,
    loads,
)

ROOT = Path(__file__).resolve().parents[2]


def _user(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _line(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if needle in line]
    return lines[occurrence - 1]


NEW_RULE = """
[[rules]]
id = "btc_fee_high"
metric = "btc_fee_sat_vb"
reading = "contrarian"
group = "sentiment"
weight = 0.5
label = { zh-CN = "BTC 手续费", en = "BTC fee" }
bands = [
  { below = 50, state = "neutral" },
  { state = "bearish", strength = 0.5 },
]
[rules.text]
neutral = { zh-CN = "手续费 {value}", en = "Fee {value}" }
bearish = { zh-CN = "手续费 {value}，拥堵", en = "Fee {value}, congested" }
"""


def test_shipped_rulebook_loads_with_every_indicator_of_issue_3():
    rb = default_rulebook()
    metrics = {item.metric for rule in rb.rules for item in rule.inputs} | {
        item.over_key[0] for rule in rb.rules for item in rule.inputs if item.over_key
    }
    expected = {
        "etf_flow_streak_weeks",
        "funding_rate_8h",
        "open_interest_change_7d",
        "coinbase_premium",
        "fear_greed",
        "gas_price_gwei",
        "exchange_whale_ratio",
        "price_vs_ma200",
        "drawdown_from_ath",
        "stablecoin_supply_change_7d",
        "chain_tvl_change_7d",
        "dex_volume_change_7d",
        "mvrv",
        "sth_cost_basis_usd",
        "sopr",
        "realized_loss_usd_7d_sma",
        "skew_25d",
        "vol_risk_premium",
        "btc_dominance",
        "altcoin_season_index",
        "ai_crypto_divergence_z",
        "ai_crypto_correlation_90d",
        "capex_yoy",
        "basket_return_30d",
        "miners_vs_btc_30d",
    }
    assert expected <= metrics
    assert metrics <= set(CATALOG)
    assert len({r.id for r in rb.rules}) == len(rb.rules)


def test_ai_context_rules_do_not_move_the_btc_score():
    rb = default_rulebook()
    ai = {r.id: r for r in rb.rules if r.group == "macro_ai"}
    assert {r.metric for r in ai.values()} == {
        "ai_crypto_divergence_z",
        "ai_crypto_correlation_90d",
        "capex_yoy",
        "basket_return_30d",
        "miners_vs_btc_30d",
    }
    assert ai["capex_yoy"].entity == "hyperscalers" and ai["ai_basket_30d"].entity == "ai"
    assert rb.groups["macro_ai"].in_score is False and rb.groups["altcoins"].in_score is False
    scoring = {r.id for r in rb.scoring_rules}
    assert not scoring & set(ai)
    assert {"fear_greed", "etf_streak", "funding_btc", "mvrv"} <= scoring


def test_seed_judgements_are_encoded():
    """Seed 000: the bearish and the contrarian bullish signals read the way the analyst read them; funding
    of −0.002 %/8h is the seed's "~0% / 8h 🟡 中性", neutral, not bearish."""
    import numpy as np

    from signaldesk.signals.judge import bands

    rb = default_rulebook()
    cases = {
        "etf_streak": -6,
        "funding_btc": -0.00002,
        "oi_change": -0.08,
        "coinbase_premium": -0.0006,
        "whale_ratio": 0.64,
        "fear_greed": 8,
        "eth_gas_low": 1.41,
        "stablecoin_7d": 0.0026,
    }
    states = {rule_id: int(bands(rb.rule(rule_id), np.array([x]))[1][0]) for rule_id, x in cases.items()}
    assert states == {
        "etf_streak": -1,
        "funding_btc": 0,
        "oi_change": -1,
        "coinbase_premium": -1,
        "whale_ratio": -1,
        "fear_greed": 1,
        "eth_gas_low": 1,
        "stablecoin_7d": 0,
    }


def test_override_changes_only_what_it_sets(tmp_path):
    path = _user(
        tmp_path,
        """
        [[rules]]
        id = "fear_greed"
        weight = 2.0
        [rules.text.extreme_fear]
        en = "Fear at {value}"

        [[rules]]
        id = "eth_gas_low"
        enabled = false
    """
        + NEW_RULE
        + """
        [score]
        bullish_above = 65.0
    """,
    )
    rb = load_rulebook(path)
    base = default_rulebook()
    fg = rb.rule("fear_greed")
    assert fg.weight == 2.0
    assert fg.bands == base.rule("fear_greed").bands
    assert fg.text["extreme_fear"]["en"] == "Fear at {value}"
    assert fg.text["extreme_fear"]["zh-CN"] == base.rule("fear_greed").text["extreme_fear"]["zh-CN"]
    with pytest.raises(KeyError):
        rb.rule("eth_gas_low")
    added = rb.rule("btc_fee_high")
    assert added.transform == "level" and added.label["zh-TW"] == to_traditional("BTC 手续费") == "BTC 手續費"
    assert rb.score.bullish_above == 65.0 and rb.score.bearish_below == 40.0
    assert [r.id for r in rb.rules][-1] == "btc_fee_high"
    assert rb.files == (str(DEFAULT_PATH), str(path))


def test_extends_false_replaces_the_shipped_rules(tmp_path):
    path = _user(
        tmp_path, 'extends = false\n[groups.sentiment]\nlabel = { zh-CN = "情绪", en = "Sentiment" }\n' + NEW_RULE
    )
    rb = load_rulebook(path)
    assert [r.id for r in rb.rules] == ["btc_fee_high"]
    assert list(rb.groups) == ["sentiment"]


@pytest.mark.parametrize(
    ("text", "needle", "occurrence", "message"),
    [
        (
            '[[rules]]\nid = "fear_greed"\nweight = -1\n',
            "weight = -1",
            1,
            "weight: Input should be greater than or equal to 0",
        ),
        (
            '[[rules]]\nid = "fear_greed"\nmetric = "fear_and_greed"\n',
            "metric =",
            1,
            "unknown metric id 'fear_and_greed'",
        ),
        ('[[rules]]\nid = "fear_greed"\ntransform = "wiggle"\n', "transform =", 1, "unknown transform 'wiggle'"),
        (
            '[[rules]]\nid = "fear_greed"\ntransform = "change"\n',
            "transform =",
            1,
            "transform: transform 'change' needs `days`",
        ),
        ('[[rules]]\nid = "fear_greed"\ngroup = "vibes"\n', "group =", 1, "unknown group 'vibes'"),
        (
            (
                '[[rules]]\nid = "fear_greed"\nbands = [\n  { below = 10, state = "bullish", strength = 1.0 },\n'
                '  { below = 20, state = "bullish", strength = 1.5 },\n  { state = "neutral" },\n]\n'
            ),
            "strength = 1.5",
            1,
            "bands[1].strength: Input should be less than or equal to 1",
        ),
        (
            (
                '[[rules]]\nid = "fear_greed"\nbands = [\n  { below = 20, state = "bullish", strength = 1.0 },\n'
                '  { below = 10, state = "neutral" },\n  { state = "bearish", strength = 1.0 },\n]\n'
            ),
            "bands = [",
            1,
            "must increase strictly",
        ),
        (
            (
                '[[rules]]\nid = "fear_greed"\nbands = [\n  { below = 20, state = "bullish", strength = 1.0 },\n'
                '  { below = 30, state = "bearish", strength = 1.0 },\n]\n'
            ),
            "bands = [",
            1,
            "last band must not set `below`",
        ),
        (
            (
                '[[rules]]\nid = "fear_greed"\nbands = [\n  { below = 20, state = "bullish", strength = 1.0 },\n'
                '  { state = "neutral", strength = 0.5 },\n]\n'
            ),
            "strength = 0.5",
            1,
            "a neutral band has strength 0",
        ),
        (
            '[[rules]]\nid = "fear_greed"\n[rules.text.extreme_fear]\nzh-CN = "恐惧 {valu}"\n',
            "zh-CN =",
            1,
            "unknown placeholder {valu}",
        ),
        (
            (
                '[[rules]]\nid = "fear_greed"\nbands = [\n  { below = 20, state = "bullish", strength = 1.0, text = "panic" },\n'
                '  { state = "neutral" },\n]\n'
            ),
            'text = "panic"',
            1,
            "bands[0]: band 0 uses text 'panic'",
        ),
        ('[[rules]]\nid = "fear_greed"\ncolour = "red"\n', "colour =", 1, "colour: Extra inputs are not permitted"),
        ('[[rules]]\nid = "fear_greed"\n[[rules]]\nid = "fear_greed"\n', 'id = "fear_greed"', 2, "defined twice"),
        ("[[rules]]\nweight = 1\n", "[[rules]]", 1, "every rule needs a string `id`"),
        ("[score]\nbearish_below = 70.0\n", "[score]", 1, "bearish_below must not exceed bullish_above"),
        ('[groups.flows]\nweight = "heavy"\n', "weight =", 1, "groups.flows.weight: Input should be a valid number"),
        ("wobble = 1\n", "wobble", 1, "unknown top-level key 'wobble'"),
    ],
)
def test_invalid_user_rulebooks_name_file_line_and_problem(tmp_path, text, needle, occurrence, message):
    path = _user(tmp_path, text)
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    first = str(info.value).split(" (+")[0]
    assert first.startswith(f"{path}:{_line(path, needle, occurrence)}: ")
    assert message in first


def test_new_rule_missing_required_keys_names_them(tmp_path):
    path = _user(tmp_path, '[[rules]]\nid = "lonely"\nmetric = "fear_greed"\n')
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    problems = info.value.problems
    assert all(p.startswith(f"{path}:1: rule 'lonely': ") for p in problems)
    assert {p.split(": ")[2] for p in problems} >= {"reading", "group", "label", "bands", "text"}


def test_broken_toml_reports_the_parser_line(tmp_path):
    path = _user(tmp_path, '[[rules]]\nid = "fear_greed"\nweight = = 2\n')
    with pytest.raises(RulebookError, match=rf"^{path}:3: invalid TOML"):
        load_rulebook(path)


def test_missing_language_is_an_error_but_zh_tw_is_derived():
    with pytest.raises(RulebookError, match="the en text is missing"):
        loads('[[rules]]\nid = "fear_greed"\n[rules.text.extreme_fear]\nen = ""\n')
    rb = loads(
        '[[rules]]\nid = "fear_greed"\n[rules.text.extreme_fear]\nzh-CN = "资金费率 {value}"\nen = "x {value}"\nzh-TW = ""\n'
    )
    assert rb.rule("fear_greed").text["extreme_fear"]["zh-TW"] == "資金費率 {value}"


def test_unreadable_file(tmp_path):
    with pytest.raises(RulebookError, match="cannot read rulebook"):
        load_rulebook(tmp_path / "absent.toml")


def test_docs_list_every_rule_and_the_generated_table_is_current():
    from signaldesk.signals.rulebook import markdown_table

    docs = (ROOT / "docs" / "rulebook.md").read_text(encoding="utf-8")
    rb = default_rulebook()
    for rule in rb.rules:
        assert f"`{rule.id}`" in docs, f"docs/rulebook.md lacks rule {rule.id}"
    start, end = docs.index("<!-- rules:start -->"), docs.index("<!-- rules:end -->")
    block = docs[start + len("<!-- rules:start -->") : end].strip()
    assert block == markdown_table(rb), "docs/rulebook.md is stale: run python -m signaldesk.signals.rulebook --docs"


def test_docs_list_every_transform():
    from signaldesk.signals import transforms

    docs = (ROOT / "docs" / "rulebook.md").read_text(encoding="utf-8")
    for transform in transforms.TRANSFORMS:
        assert f"`{transform.name}`" in docs


def test_the_override_example_in_the_docs_loads():
    docs = (ROOT / "docs" / "rulebook.md").read_text(encoding="utf-8")
    start = docs.index("```toml\n[score]") + len("```toml\n")
    rb = loads(docs[start : docs.index("```", start)], name="docs/rulebook.md")
    assert rb.rule("funding_streak").transform == "streak"
    assert rb.rule("fear_greed").weight == 2.0 and rb.groups["macro_ai"].in_score is True
    with pytest.raises(KeyError):
        rb.rule("eth_gas_low")
