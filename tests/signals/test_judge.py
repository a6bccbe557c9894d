from datetime import date

import numpy as np
import pandas as pd
import pytest

from signaldesk.models import Snapshot
from signaldesk.signals.judge import bands, evaluate, judge
from signaldesk.signals.rulebook import default_rulebook, loads
from signaldesk.signals.series import view
from tests.signals.helpers import series, snapshot

RB = default_rulebook()
SETTINGS = RB.score
AS_OF = date(2026, 2, 25)


def test_bands_map_values_to_state_strength_and_sub_score():
    x = np.array([5, 12, 20, 50, 80, 95, np.nan])
    band, state, strength, sub = bands(RB.rule("fear_greed"), x)
    # cuts 12, 25, 50, 51, 75, 88: 5 → band 0, 12 and 20 → 1, 50 → 3 (the 50–51 neutral band), 80 → 5, 95 → 6
    assert band.tolist() == [0, 1, 1, 3, 5, 6, -1]
    assert state.tolist() == [1, 1, 1, 0, -1, -1, 0]
    assert strength.tolist() == [1.0, 0.6, 0.6, 0.0, 0.6, 1.0, 0.0]
    np.testing.assert_allclose(sub, [100, 80, 80, 50, 20, 0, np.nan])


def test_stale_values_are_capped():
    _, _, strength, sub = bands(RB.rule("fear_greed"), np.array([5.0, 5.0]), np.array([False, True]), 0.3)
    assert strength.tolist() == [1.0, 0.3]
    np.testing.assert_allclose(sub, [100, 65])


def _one(snap: Snapshot, rule_id: str):
    indicators, gaps = judge(snap, (RB.rule(rule_id),), SETTINGS)
    return indicators[0], gaps


def test_fear_greed_reason_in_three_languages():
    ind, gaps = _one(snapshot({("fear_greed", ""): 8}), "fear_greed")
    assert gaps == []
    assert (ind.id, ind.entity, ind.value, ind.state, ind.strength) == ("fear_greed", "", 8.0, "bullish", 1.0)
    assert ind.reasons["zh-CN"] == "恐惧与贪婪指数 8/100，极度恐惧：逆向看，历史极值往往预示反弹"
    assert ind.reasons["zh-TW"] == "恐懼與貪婪指數 8/100，極度恐懼：逆向看，歷史極值往往預示反彈"
    assert (
        ind.reasons["en"]
        == "Fear & Greed at 8/100, extreme fear: read contrarian, such extremes have often preceded rebounds"
    )
    assert ind.sub_score == 100.0 and ind.display == "8/100" and ind.stale is False and ind.percentile is None


def test_etf_streak_reason_counts_weeks():
    ind, _ = _one(snapshot({("etf_flow_streak_weeks", "btc"): -6}), "etf_streak")
    assert ind.state == "bearish" and ind.reasons["zh-CN"] == "BTC ETF 连续 6 周净流出：机构资金撤离"


def test_funding_band_texts_distinguish_negative_neutral_and_overheated():
    # Funding near 0 is neutral (the seed's "~0% / 8h 🟡 中性"); the neutral band is −0.01 %..+0.03 % per 8 h.
    neg, _ = _one(snapshot({("funding_rate_8h", "btc"): -0.0002}), "funding_btc")
    flat, _ = _one(snapshot({("funding_rate_8h", "btc"): -0.00002}), "funding_btc")
    hot, _ = _one(snapshot({("funding_rate_8h", "btc"): 0.0008}), "funding_btc")
    assert (neg.state, neg.strength, hot.state, hot.strength) == ("bearish", 0.8, "bearish", 0.8)
    assert (flat.state, flat.strength, flat.cls) == ("neutral", 0.0, "neutral")
    assert (neg.cls, hot.cls) == ("negative", "overheated")
    assert "转负" in neg.reasons["zh-CN"] and "多头拥挤" in hot.reasons["zh-CN"] and "多空平衡" in flat.reasons["zh-CN"]


def test_ratio_rule_divides_by_the_reference_known_that_day():
    # STH cost basis observed two days before the price (a lagging on-chain source): still used.
    snap = Snapshot(
        as_of=AS_OF,
        history={
            ("price_usd", "btc"): series([62_900.0], AS_OF),
            ("sth_cost_basis_usd", ""): series([94_500.0], date(2026, 2, 23)),
        },
    )
    ind, _ = _one(snap, "price_vs_sth")
    assert ind.x == pytest.approx(62_900 / 94_500)
    assert (ind.state, ind.strength, ind.value, ind.ref, ind.ref_id) == (
        "bearish",
        0.8,
        62_900.0,
        94_500.0,
        "sth_cost_basis_usd",
    )
    assert ind.reasons["zh-CN"] == "BTC $62,900 低于短期持有者成本 $94,500（-33.44%）：新买家整体亏损，反弹易遇抛压"
    assert ind.display == "-33.44% (vs $94,500)"
    assert ind.stale is False  # 2 days ≤ the 4-day limit of sth_cost_basis_usd


def test_ratio_rule_is_stale_when_the_reference_is():
    snap = Snapshot(
        as_of=AS_OF,
        history={
            ("price_usd", "btc"): series([62_900.0], AS_OF),
            ("sth_cost_basis_usd", ""): series([94_500.0], date(2026, 2, 19)),  # 6 days old, limit 4
        },
    )
    ind, _ = _one(snap, "price_vs_sth")
    assert ind.stale is True and ind.strength == 0.3 and ind.sub_score == 35.0


def test_stale_and_expired_values():
    old = Snapshot(as_of=AS_OF, history={("fear_greed", ""): series([8.0], date(2026, 2, 22))})  # 3 days > 2
    ind, _ = _one(old, "fear_greed")
    assert ind.stale is True and ind.strength == 0.3 and ind.age_days == 3.0
    gone = Snapshot(as_of=AS_OF, history={("fear_greed", ""): series([8.0], date(2026, 2, 14))})  # 11 days > 2 × 5
    ind, gaps = _one(gone, "fear_greed")
    assert ind is None
    assert gaps[0].id == "fear_greed" and gaps[0].reason == "last value on 2026-02-14 is 11 days old (limit 10 days)"


def test_fallback_input_is_used_when_the_first_is_missing():
    ind, _ = _one(snapshot({("sopr", ""): 0.97}), "sopr")
    assert (ind.id, ind.state, ind.strength) == ("sopr", "bearish", 0.6)
    both, _ = _one(snapshot({("sopr", ""): 0.97, ("sopr_7d_sma", ""): 1.05}), "sopr")
    assert (both.id, both.state) == ("sopr_7d_sma", "bullish")


def test_history_transform_needs_history():
    ind, gaps = _one(snapshot({("realized_loss_usd_7d_sma", ""): 1.26e9}), "realized_loss_spike")
    assert ind is None
    assert gaps[0].id == "realized_loss_usd_7d_sma"
    assert gaps[0].reason == "rule realized_loss_spike: zscore needs about 90 days of history, has 1 point(s)"


def test_zscore_rule_on_a_history():
    # A year of steady losses with noise, then a spike: z above 2 → the contrarian "spike" band.
    rng = np.random.default_rng(1)
    values = [*(1e9 * (1 + 0.05 * rng.standard_normal(364))), 2e9]
    snap = Snapshot(as_of=AS_OF, history={("realized_loss_usd_7d_sma", ""): series(values, date(2025, 2, 26))})
    ind, _ = _one(snap, "realized_loss_spike")
    s = pd.Series(values)
    expected = (values[-1] - s.mean()) / s.std()
    assert ind.x == pytest.approx(expected)
    assert ind.state == "bullish" and "飙升" in ind.reasons["zh-CN"] and f"+{expected:.2f}σ" in ind.reasons["en"]
    assert ind.percentile == 1.0


def test_percentile_is_the_share_of_history_at_or_below_today():
    snap = Snapshot(as_of=date(2026, 1, 4), history={("fear_greed", ""): series([10.0, 20.0, 30.0, 8.0])})
    ind, _ = _one(snap, "fear_greed")
    assert ind.percentile == 0.25


def test_missing_reason_prefers_the_provider_reason():
    snap = snapshot({})
    snap.missing[("funding_rate_8h", "btc")] = "binance failed: HTTP 451 restricted location"
    _, gaps = _one(snap, "funding_btc")
    assert (gaps[0].id, gaps[0].entity, gaps[0].reason) == (
        "funding_rate_8h",
        "btc",
        "binance failed: HTTP 451 restricted location",
    )
    _, gaps = _one(snapshot({("price_usd", "btc"): 62_900}), "price_vs_tmm")
    assert (gaps[0].id, gaps[0].reason) == ("true_market_mean_usd", "no data")


def test_evaluate_many_days_with_gaps():
    rb = loads(
        """
[groups.sentiment]
label = { zh-CN = "情绪", en = "Sentiment" }

[[rules]]
id = "fg_change"
metric = "fear_greed"
transform = "delta"
days = 1
reading = "trend"
group = "sentiment"
label = { zh-CN = "变化", en = "change" }
bands = [{ below = 0, state = "bearish", strength = 1.0 }, { state = "neutral" }]
[rules.text]
bearish = { zh-CN = "降 {x}", en = "down {x}" }
neutral = { zh-CN = "平 {x}", en = "flat {x}" }
""",
        extends=False,
    )
    history = view(Snapshot(as_of=date(2026, 1, 10), history={("fear_greed", ""): series([50, 40, 45, 30])}))
    days = pd.date_range("2026-01-01", "2026-01-08")
    ev = evaluate(rb.rule("fg_change"), history, days, rb.score)
    # Observed deltas: day2 −10, day3 +5, day4 −15; later days carry day 4 forward until it is 10 days old.
    assert [None if np.isnan(v) else v for v in ev.x] == [None, -10, 5, -15, -15, -15, -15, -15]
    assert ev.age.tolist()[3:] == [0, 1, 2, 3, 4]
    assert ev.stale.tolist() == [False] * 6 + [True, True]  # fear_greed's limit is 2 days
    np.testing.assert_allclose(ev.sub, [np.nan, 0, 50, 0, 0, 0, 35, 35])
