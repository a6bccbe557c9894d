import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.signals import score as score_mod
from signaldesk.signals.engine import assess
from signaldesk.signals.rulebook import default_rulebook
from tests.signals.helpers import snapshot

RB = default_rulebook()
M = score_mod.model(RB)


def test_small_snapshot_score_by_hand():
    """Fear & Greed 8 (bullish 1.0 → 100), ETF streak −6 (bearish 1.0 → 0), funding −0.002 % (inside the
    neutral band −0.01 %…+0.03 % per 8h, the seed's "~0 is neutral" → 50).

    Three groups have data (sentiment 100, flows 0, derivatives 50), equal group weights, no evidence
    yet (a one-day snapshot: the rulebook's prior): score = (100 + 0 + 50) / 3 = 50.
    Coverage = (sentiment 1/1.5 + flows 1/3 + derivatives 1/4.5) / 6 groups.
    """
    a = assess(
        snapshot({("fear_greed", ""): 8, ("etf_flow_streak_weeks", "btc"): -6, ("funding_rate_8h", "btc"): -0.00002})
    )
    assert a.score == pytest.approx(150 / 3)
    assert a.band == "neutral"
    assert a.coverage == pytest.approx((1 / 1.5 + 1 / 3 + 1 / 4.5) / 6)
    contributions = {i.rule: i.contribution for i in a.indicators}
    assert contributions == pytest.approx({"fear_greed": 50 / 3, "etf_streak": -50 / 3, "funding_btc": 0.0}, abs=1e-4)
    assert 50 + sum(contributions.values()) == pytest.approx(a.score, abs=1e-3)
    assert a.group_scores == {"sentiment": 100.0, "flows": 0.0, "derivatives": 50.0}


def test_weights_within_and_across_groups():
    # Gas (weight 0.5, bullish 0.5 → 75) joins Fear & Greed (weight 1, 100) in sentiment: (100 + 0.5 × 75) / 1.5.
    a = assess(snapshot({("fear_greed", ""): 8, ("gas_price_gwei", "ethereum"): 1.41}))
    assert a.group_scores["sentiment"] == pytest.approx(137.5 / 1.5, abs=1e-4)
    assert a.score == pytest.approx(137.5 / 1.5)


def test_context_rules_never_move_the_score():
    base = assess(snapshot({("fear_greed", ""): 50}))
    with_ai = assess(
        snapshot(
            {
                ("fear_greed", ""): 50,
                ("ai_crypto_divergence_z", ""): 3.1,
                ("capex_yoy", "hyperscalers"): 0.7,
                ("btc_dominance", ""): 0.62,
            }
        )
    )
    assert with_ai.score == base.score == 50.0 and with_ai.coverage == base.coverage
    context = {
        i.rule: (i.state, i.contribution, i.group) for i in with_ai.indicators if i.group in {"macro_ai", "altcoins"}
    }
    assert context == {
        "ai_crypto_divergence": ("bearish", 0.0, "macro_ai"),
        "capex_yoy": ("bullish", 0.0, "macro_ai"),
        "btc_dominance": ("bearish", 0.0, "altcoins"),
    }
    assert with_ai.group_scores["macro_ai"] == pytest.approx((25 + 90) / 2)


def test_missing_rules_lower_coverage_not_the_score():
    """A missing rule is not a neutral 50: the score is the mean of what was seen, coverage drops."""
    one = assess(snapshot({("fear_greed", ""): 8}))
    two = assess(snapshot({("fear_greed", ""): 8, ("gas_price_gwei", "ethereum"): 10}))  # gas neutral: a real 50
    assert one.score == 100.0 and two.score == pytest.approx(250 / 3)
    assert one.coverage < two.coverage


def test_nothing_known_gives_no_score():
    a = assess(snapshot({}))
    assert (a.score, a.band, a.coverage, a.stance) == (None, "unknown", 0.0, "wait")
    assert len(a.missing) >= len(RB.rules) - 1


def test_min_coverage_withholds_the_score():
    sub = np.full((1, len(M.rules)), np.nan)
    sub[0, M.rules.index("fear_greed")] = 100.0
    assert score_mod.composite(sub, M).score[0] == 100.0
    assert math.isnan(score_mod.composite(sub, M, min_coverage=0.5).score[0])


def test_bands_edges():
    assert score_mod.band(np.array([39.99, 40.0, 60.0, 60.01, np.nan]), 40.0, 60.0).tolist() == [
        "bearish",
        "neutral",
        "neutral",
        "bullish",
        "unknown",
    ]
    assert score_mod.band(None, 40.0, 60.0).tolist() == ["unknown"]


def test_band_edges_are_the_calibrated_ones_when_the_outlook_has_them_else_the_rulebooks():
    prior = (RB.score.bearish_below, RB.score.bullish_above)
    assert score_mod.band_edges({}, RB) == prior
    assert (
        score_mod.band_edges({"bands": {"bearish_below": None, "bullish_above": None}}, RB) == prior
    )  # no history yet
    assert score_mod.band_edges({"bands": {"bearish_below": float("nan"), "bullish_above": 61.0}}, RB) == prior
    assert score_mod.band_edges({"bands": {"bearish_below": 43.5, "bullish_above": 58.25, "calibrated": True}}, RB) == (
        43.5,
        58.25,
    )


def test_weight_sweep_matches_one_by_one():
    rng = np.random.default_rng(3)
    sub = np.where(rng.random((50, len(M.rules))) < 0.3, np.nan, rng.uniform(0, 100, (50, len(M.rules))))
    sets = rng.uniform(0, 2, (4, len(M.rules)))
    groups = rng.uniform(0.5, 1.5, (4, len(M.groups)))
    swept = score_mod.composite(sub, M, weights=sets, group_weights=groups)
    assert swept.score.shape == (50, 4) and swept.group_scores.shape == (50, len(M.groups), 4)
    for k in range(4):
        single = score_mod.composite(sub, M, weights=sets[k], group_weights=groups[k])
        np.testing.assert_allclose(swept.score[:, k], single.score, equal_nan=True)
        np.testing.assert_allclose(swept.coverage[:, k], single.coverage)


def test_contributions_sum_to_the_distance_from_50():
    rng = np.random.default_rng(5)
    for _ in range(20):
        sub = np.where(rng.random(len(M.rules)) < 0.5, np.nan, rng.uniform(0, 100, len(M.rules)))
        total = score_mod.composite(sub[None, :], M).score[0]
        if math.isfinite(total):
            assert 50 + score_mod.contributions(sub, M).sum() == pytest.approx(total)


# -- properties -------------------------------------------------------------------------------------
LEVEL_RULES = [r for r in RB.scoring_rules if r.transform == "level" and r.over is None and not r.fallback]
#: A value range per input that covers every band of its rule.
RANGES = {r.key: (r.cuts[0] - abs(r.cuts[0]) - 1, r.cuts[-1] + abs(r.cuts[-1]) + 1) for r in LEVEL_RULES}


def _clip(key, value):
    from signaldesk.catalog import CATALOG

    spec = CATALOG[key[0]]
    return float(min(max(value, spec.lo), spec.hi))


values_strategy = st.fixed_dictionaries(
    {}, optional={key: st.floats(lo, hi, allow_nan=False) for key, (lo, hi) in RANGES.items()}
)


@settings(max_examples=40)
@given(values=values_strategy)
def test_score_stays_within_0_and_100(values):
    a = assess(snapshot({k: _clip(k, v) for k, v in values.items()}))
    if values:
        assert 0.0 <= a.score <= 100.0 and 0.0 < a.coverage <= 1.0
        assert a.band in {"bearish", "neutral", "bullish"}
    else:
        assert a.score is None


def _monotone_direction(rule):
    """+1 when the signed strength never falls as the value grows (trend-like), −1 when it never rises."""
    signed = [(-1 if b.state == "bearish" else 1 if b.state == "bullish" else 0) * b.strength for b in rule.bands]
    if all(b >= a for a, b in itertools.pairwise(signed)):
        return 1
    if all(b <= a for a, b in itertools.pairwise(signed)):
        return -1
    return 0


MONOTONE = [r for r in LEVEL_RULES if _monotone_direction(r) != 0]


def test_most_shipped_level_rules_are_monotone():
    assert {"etf_streak", "fear_greed", "coinbase_premium", "btc_trend", "stablecoin_7d"} <= {r.id for r in MONOTONE}
    assert _monotone_direction(RB.rule("fear_greed")) == -1 and _monotone_direction(RB.rule("etf_streak")) == 1


@settings(max_examples=40)
@given(values=values_strategy, data=st.data())
def test_a_growing_bullish_input_never_lowers_the_score(values, data):
    rule = data.draw(st.sampled_from(MONOTONE))
    lo, hi = RANGES[rule.key]
    start = data.draw(st.floats(lo, hi, allow_nan=False))
    step = data.draw(st.floats(0.0, hi - lo, allow_nan=False))
    direction = _monotone_direction(rule)  # contrarian readings grow more bullish as the value falls
    before = {**values, rule.key: _clip(rule.key, start)}
    after = {**values, rule.key: _clip(rule.key, start + direction * step)}
    a, b = assess(snapshot(before)), assess(snapshot(after))
    assert b.score >= a.score - 1e-9
    assert a.coverage == b.coverage
