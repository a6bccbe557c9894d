from datetime import date

import numpy as np
import pandas as pd
import pytest

from signaldesk.signals import transforms
from signaldesk.signals.engine import assess
from signaldesk.signals.history import recombine, rescore, score_grid, score_history
from signaldesk.signals.rulebook import default_rulebook, loads
from signaldesk.signals.snapshot import snapshot_from_history
from tests.signals.helpers import synthetic_history

HISTORY = synthetic_history()
RB = default_rulebook()


@pytest.fixture(scope="module")
def scored():
    return score_history(HISTORY)


def test_table_has_the_scores_csv_columns(scored):
    table = scored.table()
    assert list(table.columns) == ["date", "score", "band", "phase", "stance", "coverage"]
    assert table["date"].iloc[-1] == "2026-02-25" and len(table) == 3650
    assert scored.subscores.shape == (3650, len(RB.rules))
    valid = table["score"].dropna()
    assert valid.between(0, 100).all() and len(valid) == len(table)
    assert set(table["band"]) <= {"bearish", "neutral", "bullish"}


@pytest.mark.parametrize(
    "day", ["2016-03-05", "2016-09-30", "2021-07-14", "2024-03-01", "2025-06-06", "2026-01-17", "2026-02-25"]
)
def test_history_agrees_with_the_per_day_judgement(scored, day):
    """The vectorised history on day D equals assess() on the snapshot of D (first days: no 200-day trend yet)."""
    a = assess(snapshot_from_history(HISTORY, date.fromisoformat(day)))
    row = scored.scores.loc[pd.Timestamp(day)]
    assert a.score == pytest.approx(row.score, abs=1e-9)
    assert (a.band, a.phase, a.stance) == (row.band, row.phase, row.stance)
    assert a.coverage == pytest.approx(row.coverage, abs=1e-12)
    judged = {i.rule: i.sub_score for i in a.indicators}
    expected = scored.subscores.loc[pd.Timestamp(day)].dropna().to_dict()
    assert judged == pytest.approx(expected)


def test_expired_inputs_leave_the_history_like_they_leave_the_day(scored):
    # The STH cost basis stops 40 days before the end: judged until 20 days (4 × 5) after its last value, then missing.
    last = HISTORY[("sth_cost_basis_usd", "")].index[-1]
    column = scored.subscores["price_vs_sth"]
    assert np.isfinite(column.loc[last + pd.Timedelta(days=20)])
    assert np.isnan(column.loc[last + pd.Timedelta(days=21)])
    assert scored.stale["price_vs_sth"].loc[last + pd.Timedelta(days=5)]


def _truncated(history, day):
    limit = pd.Timestamp(day)
    return {k: s[s.index <= limit] for k, s in history.items()}


def _changed_up_to(day: str, rulebook) -> bool:
    """True when deleting all data after `day` changes any score, sub-score or phase up to `day`."""
    full = score_history(HISTORY, rulebook=rulebook, end=date(2026, 2, 25))
    cut = score_history(_truncated(HISTORY, day), rulebook=rulebook, end=date.fromisoformat(day))
    window = slice(None, pd.Timestamp(day))
    same_scores = np.allclose(
        full.scores.loc[window, "score"], cut.scores.loc[window, "score"], equal_nan=True, atol=1e-9
    )
    same_subs = np.allclose(full.subscores.loc[window], cut.subscores.loc[window], equal_nan=True, atol=1e-9)
    same_phase = full.scores.loc[window, ["phase", "stance", "band"]].equals(
        cut.scores.loc[window, ["phase", "stance", "band"]]
    )
    return not (same_scores and same_subs and same_phase)


@pytest.mark.parametrize("day", ["2020-06-30", "2025-12-31"])
def test_no_look_ahead(day):
    assert not _changed_up_to(day, RB)


def test_the_no_look_ahead_check_catches_a_peeking_rule():
    """A deliberately biased transform (tomorrow's value) must be caught by the same check."""
    transforms.register(transforms.Transform("peek_tomorrow", lambda s, p: s.shift(-1), doc="biased on purpose"))
    try:
        biased = loads("""
[[rules]]
id = "peeking_fear"
metric = "fear_greed"
transform = "peek_tomorrow"
reading = "contrarian"
group = "sentiment"
label = { zh-CN = "偷看", en = "peek" }
bands = [{ below = 50, state = "bullish", strength = 1.0 }, { state = "bearish", strength = 1.0 }]
[rules.text]
bullish = { zh-CN = "明天 {x}", en = "tomorrow {x}" }
bearish = { zh-CN = "明天 {x}", en = "tomorrow {x}" }
""")
        assert _changed_up_to("2025-12-31", biased)
    finally:
        transforms.unregister("peek_tomorrow")


def test_recombine_reproduces_the_scores_and_reweights(scored):
    again = recombine(scored.subscores, RB, phases=scored.scores["phase"])
    pd.testing.assert_frame_equal(again, scored.prior)
    only_sentiment = recombine(
        scored.subscores, RB, group_weights={g: 0.0 for g in ("trend", "flows", "derivatives", "onchain", "liquidity")}
    )
    sentiment = scored.subscores[["fear_greed", "eth_gas_low"]]
    expected = (sentiment["fear_greed"] + 0.5 * sentiment["eth_gas_low"]) / 1.5
    np.testing.assert_allclose(only_sentiment["score"], expected)
    shifted = recombine(scored.subscores, RB, bearish_below=45, bullish_above=55)
    prior = scored.prior["score"]
    assert (shifted["band"] == np.where(prior < 45, "bearish", np.where(prior > 55, "bullish", "neutral"))).all()


def test_score_grid_equals_recombine_per_weight_set(scored):
    sets = pd.DataFrame(
        {"fear_greed": [1.0, 3.0, 0.0], "btc_trend": [1.0, 0.5, 2.0]}, index=["base", "more_fear", "trend"]
    )
    grid = score_grid(scored.subscores, RB, sets)
    assert list(grid.columns) == ["base", "more_fear", "trend"]
    np.testing.assert_allclose(grid["base"], scored.prior["score"])
    single = recombine(scored.subscores, RB, weights={"fear_greed": 3.0, "btc_trend": 0.5})
    np.testing.assert_allclose(grid["more_fear"], single["score"])


def test_rescore_applies_new_thresholds_to_stored_values(scored):
    np.testing.assert_allclose(rescore(scored.values, scored.stale, RB), scored.subscores, equal_nan=True)
    fear = RB.rule("fear_greed")
    strict = fear.model_copy(update={"bands": (fear.bands[0].model_copy(update={"below": 5.0}), *fear.bands[1:])})
    rb = RB.model_copy(update={"rules": tuple(strict if r.id == "fear_greed" else r for r in RB.rules)})
    moved = rescore(scored.values, scored.stale, rb)["fear_greed"]
    x = scored.values["fear_greed"]
    fresh = ~scored.stale["fear_greed"]
    assert (moved[(x >= 5) & (x < 12) & fresh] == 80.0).all() and (moved[(x < 5) & fresh] == 100.0).all()


def test_empty_history():
    result = score_history({})
    assert result.scores.empty and list(result.table().columns) == [
        "date",
        "score",
        "band",
        "phase",
        "stance",
        "coverage",
    ]


def test_a_user_phase_table_shapes_the_history_as_it_shapes_the_day():
    """With `decline_mom30 = 0.5` every day with a 30-day return under +50 % is "accelerating decline"
    (it is checked before the calmer phases): the history must say so, as the day's assessment does."""
    history = synthetic_history(days=400)
    book = loads("[phase]\ndecline_mom30 = 0.5\n")
    table = score_history(history, rulebook=book).scores
    default = score_history(history).scores
    day = table.index[-1]
    assert assess(snapshot_from_history(history, day.date()), rulebook=book).phase == table.loc[day, "phase"]
    scored_days = table["phase"] != "insufficient_data"
    assert (table.loc[scored_days, "phase"] == "accelerating_decline").mean() > (
        default.loc[scored_days, "phase"] == "accelerating_decline"
    ).mean()


def test_a_score_history_handed_to_assess_gives_the_assessment_it_would_compute(scored):
    """The daily run computes the score history once and hands it to `assess`; the day's evidence-weighted
    score, band and outlook are the ones `assess` computes on its own. A history ending on another day
    would give another walk-forward, so it is refused."""
    day = date(2026, 2, 25)
    assert scored.evidence.status.loc[pd.Timestamp(day)] == "evidence"  # weights fitted, not the prior
    snap = snapshot_from_history(HISTORY, day)
    alone, given = assess(snap), assess(snap, scored=scored)
    assert (given.score, given.band, given.stance, given.outlook) == (
        alone.score,
        alone.band,
        alone.stance,
        alone.outlook,
    )
    assert [i.contribution for i in given.indicators] == [i.contribution for i in alone.indicators]
    with pytest.raises(ValueError, match="ends on 2026-02-25, not on 2026-02-24"):
        assess(snapshot_from_history(HISTORY, date(2026, 2, 24)), scored=scored)
