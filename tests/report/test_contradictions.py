"""One judgement, one place: a report never classifies the same metric two ways.

Every sentence that states a class (extreme fear, funding neutral, MVRV near cost, ETF outflows…)
is worded through the templates' `judged(metric, class)`, which records the pair on the model
(`ReportModel.claims`). Many generated days — a seeded grid over the values where the words
change — are assessed by the real engine and rendered in every language; each page must hold
one class per metric, and the targeted checks of issue 12 must hold on the words themselves.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

import pandas as pd
import pytest

from signaldesk.langs import LANGS
from signaldesk.report import render
from signaldesk.signals.engine import assess
from signaldesk.signals.rulebook import default_rulebook
from tests.report import sample

RB = default_rulebook()
GRID = {
    ("fear_greed", ""): [3, 11.9, 12, 24.9, 25, 49, 50, 74.9, 75, 87.9, 95],
    ("funding_rate_8h", "btc"): [-0.0009, -0.0001, -0.00002, 0.0, 0.00002, 0.00029, 0.0004, 0.0009],
    ("mvrv", ""): [0.8, 0.99, 1.0, 1.01, 1.19, 1.3, 2.0, 2.5, 3.5],
    ("etf_net_flow_usd", "btc"): [-506.6e6, -9e6, 0.0, 9e6, 506.6e6],
    ("etf_net_flow_usd_7d", "btc"): [-1.2e9, -482.8e6, -5e7, 0.0, 5e7, 482.8e6, 1.2e9],
    ("etf_flow_streak_weeks", "btc"): [-6, -2, -1, 0, 1, 2, 6],
    ("basket_return_30d", "ai"): [-0.0936, -0.02, 0.042, 0.15, 0.3],
    ("price_vs_ma200", "btc"): [-0.37, -0.05, 0.02, 0.2, 0.5],
    ("price_change_7d", "btc"): [-0.15, -0.0723, 0.01, 0.12],
    ("coinbase_premium", ""): [-0.0012, -0.0001, 0.0, 0.002],
    ("gas_price_gwei", "ethereum"): [0.9, 1.41, 12.0, 150.0],
}
DAYS = 40


def _ai_history() -> pd.Series:
    """Three years of 30-day AI basket returns, so the basket is ranked against its own history."""
    days = pd.date_range(end=str(sample.AS_OF), periods=3 * 365, freq="D")
    return pd.Series([0.1 * ((i * 37) % 101 - 50) / 50 for i in range(len(days))], index=days)


def _day(rng: random.Random):
    snap = sample.snapshot()
    values = dict(snap.values)
    for key, choices in GRID.items():
        values[key] = float(rng.choice(choices))
    history = dict(snap.history)
    ai = _ai_history()
    ai.iloc[-1] = values[("basket_return_30d", "ai")]
    history[("basket_return_30d", "ai")] = ai
    for key in (("price_vs_ma200", "btc"), ("price_change_7d", "btc")):
        history.pop(key, None)
    flows = history[("etf_net_flow_usd", "btc")].copy()
    flows.iloc[-1] = values[("etf_net_flow_usd", "btc")]
    history[("etf_net_flow_usd", "btc")] = flows
    snap = replace(snap, values=values, history=history)
    return snap, assess(snap)


def _days():
    rng = random.Random(12)
    return [_day(rng) for _ in range(DAYS)]


@pytest.fixture(scope="module")
def pages():
    out = []
    for snap, assessment in _days():
        model = render.build_model(assessment, snap, outcomes=sample.OUTCOMES)
        texts = {lang: render.render_markdown(model, lang) for lang in LANGS}
        out.append((snap, assessment, model, texts))
    return out


def test_the_grid_reaches_many_classes(pages):
    """The generated days are not all alike: the checks below see every side of each judgement."""
    seen = defaultdict(set)
    for *_, model, _texts in pages:
        for metric, cls in model.claims["en"]:
            seen[metric].add(cls)
    assert {"extreme_fear", "fear", "greed", "extreme_greed"} <= seen["fear_greed"]
    assert {"negative", "neutral", "overheated"} <= seen["funding_rate_8h:btc"]
    assert {"below_cost", "near_cost", "fair"} <= seen["mvrv"]
    assert {"outflow", "flat", "inflow"} <= seen["etf_net_flow_usd_7d:btc"]
    assert {"outflow", "inflow"} <= seen["etf_net_flow_usd:btc"]
    assert {"weak", "usual", "strong"} <= seen["basket_return_30d:ai"]
    assert len({assessment.stance for _, assessment, *_ in pages}) >= 2


def test_one_class_per_metric_per_page(pages):
    for *_, model, _texts in pages:
        for lang in LANGS:
            classes = defaultdict(set)
            for metric, cls in model.claims[lang]:
                classes[metric].add(cls)
            clashes = {metric: found for metric, found in classes.items() if len(found) > 1}
            assert not clashes, f"{model.as_of} {lang}: {clashes}"


def test_claims_are_the_rulebook_classes_of_the_values(pages):
    """What the words say is what the rulebook's bands give the value (not a second threshold)."""
    for snap, _assessment, model, _texts in pages:
        claims = dict(model.claims["en"])
        assert claims["fear_greed"] == RB.class_of("fear_greed", snap.values[("fear_greed", "")])
        assert claims["funding_rate_8h:btc"] == RB.class_of("funding_btc", snap.values[("funding_rate_8h", "btc")])
        assert claims["mvrv"] == RB.class_of("mvrv", snap.values[("mvrv", "")])
        assert claims["etf_net_flow_usd:btc"] == RB.classify("etf_day_flow", snap.values[("etf_net_flow_usd", "btc")])


def test_mvrv_above_one_is_never_worded_as_at_or_below_realised_value(pages):
    for snap, _a, _m, texts in pages:
        if snap.values[("mvrv", "")] > 1.0:
            assert "below what holders paid" not in texts["en"] and "below holders' cost" not in texts["en"]
            assert "低于全体持币者的平均成本" not in texts["zh-CN"] and "市值低于持币成本" not in texts["zh-CN"]


def test_position_advice_follows_the_stance(pages):
    words = render.i18n("zh-CN")
    for _s, assessment, model, texts in pages:
        zh = texts["zh-CN"]
        assert {step.id for step in model.strategy.steps} <= set(RB.levels.actions[assessment.stance])
        for stance in ("offensive", "neutral", "defensive", "wait"):
            advice = str(words["strategy"][f"position_{stance}"]).split("{")[0]
            assert (advice in zh) == (stance == assessment.stance), (assessment.stance, stance)
        if assessment.stance in ("defensive", "wait"):
            assert "维持当前仓位" not in zh and "加仓" not in zh.split("## 操作建议")[1].split("### ETH")[0].replace(
                "后再考虑加仓", ""
            )


def test_etf_direction_words_follow_the_signs_shown(pages):
    for snap, _a, _m, texts in pages:
        day, week = snap.values[("etf_net_flow_usd", "btc")], snap.values[("etf_net_flow_usd_7d", "btc")]
        en, zh = texts["en"], texts["zh-CN"]
        assert ("Net outflow of" in en) == (day <= -1e7) and ("Net inflow of" in en) == (day >= 1e7)
        assert ("单日净流出" in zh) == (day <= -1e7) and ("单日净流入" in zh) == (day >= 1e7)
        assert ("Net outflows of" in en) == (week <= -1e8) and ("Net inflows of" in en) == (week >= 1e8)
        if week >= 1e8:
            assert "are unwinding" not in en and "正在瓦解" not in zh


def test_ai_basket_is_worded_against_its_own_history(pages):
    for _snap, assessment, model, texts in pages:
        row = next(i for i in assessment.indicators if i.rule == "ai_basket_30d")
        expected = RB.class_of("ai_basket_30d", row.percentile)
        assert dict(model.claims["en"])["basket_return_30d:ai"] == expected
        words = {"weak": "a weak month", "usual": "an ordinary month", "strong": "a strong month"}
        assert words.pop(expected) in texts["en"]
        assert not any(other in texts["en"] for other in words.values())  # e.g. −9 % at the 10th percentile: weak


def test_funding_near_zero_is_neutral(pages):
    for snap, _a, _m, texts in pages:
        if abs(snap.values[("funding_rate_8h", "btc")]) < 1e-4:
            assert "接近0，多空平衡" in texts["zh-CN"] and "空头主导" not in texts["zh-CN"]
            assert "close to zero, longs and shorts are balanced" in texts["en"]


def test_a_second_threshold_would_be_caught(pages):
    """The check has teeth: a section that judged MVRV by its own edge shows up as two classes."""
    model = next(p[2] for p in pages if p[2].onchain.mvrv_class == "near_cost")
    model.onchain = replace(model.onchain, mvrv_class="below_cost")
    render.render_markdown(model, "en")
    assert {cls for metric, cls in model.claims["en"] if metric == "mvrv"} == {"near_cost", "below_cost"}
