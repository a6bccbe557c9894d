import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from signaldesk.backtest import BacktestError
from signaldesk.backtest.run import result_to_json, run_backtest, write_outputs
from signaldesk.backtest.scores import engine_scorer
from signaldesk.backtest.sweep import combine
from signaldesk.store import Store
from tests.backtest.helpers import fill_store, leaky_scorer, synthetic_history, toy_scorer

CUT = date(2020, 6, 30)


@pytest.fixture
def filled(store):
    fill_store(store, synthetic_history())
    return store


def _truncated_copy(tmp_path, history, cut):
    other = Store.open(tmp_path / "cut.duckdb")
    fill_store(other, history)
    other.connection.execute("DELETE FROM observations WHERE ts > ?", [pd.Timestamp(cut) + pd.Timedelta(hours=23)])
    return other


def _scores(store, scorer, **kw):
    return run_backtest(store, scorer=scorer, sweep=False, verify_days=0, **kw).scores.set_index("date")


@pytest.mark.parametrize("which", ["toy", "engine"])
def test_deleting_everything_after_a_day_leaves_every_score_up_to_it_unchanged(filled, tmp_path, which):
    scorer = toy_scorer if which == "toy" else engine_scorer()
    full = _scores(filled, scorer)
    with _truncated_copy(tmp_path, synthetic_history(), CUT) as cut:
        short = _scores(cut, scorer)
    assert short.index.max() == pd.Timestamp(CUT)
    assert short["score"].notna().sum() > 300
    pd.testing.assert_frame_equal(full.loc[: pd.Timestamp(CUT)], short)


def test_engine_group_scores_recombine_to_the_rulebook_composite():
    """The sweep's components rebuild the rulebook's fixed-weight composite (the evidence score reweighs rules)."""
    from signaldesk.backtest.scores import from_engine
    from signaldesk.signals.history import score_history

    engine = score_history(synthetic_history())
    scored = from_engine(engine)
    present = [g for g in scored.components.columns if scored.components[g].notna().any()]
    assert len(present) >= 2
    again = combine(scored.components[present].to_numpy(), np.array([[scored.weights[g] for g in present]]))[:, 0]
    np.testing.assert_allclose(again, engine.prior["score"].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(scored.frame["score"].to_numpy(), engine.evidence.score.to_numpy())


def test_the_same_check_catches_a_scorer_that_reads_the_future(filled, tmp_path):
    full = _scores(filled, leaky_scorer)
    with _truncated_copy(tmp_path, synthetic_history(), CUT) as cut:
        short = _scores(cut, leaky_scorer)
    common = short.index
    assert not np.allclose(full.loc[common, "score"], short["score"], equal_nan=True)


def test_point_in_time_check_passes_causal_and_flags_leaky_scorers(filled):
    good = run_backtest(filled, scorer=toy_scorer, sweep=False, verify_days=2)
    assert good.checks["point_in_time"]["max_abs_diff"] == 0.0
    assert good.checks["point_in_time"]["compared"] > 500
    bad = run_backtest(filled, scorer=leaky_scorer, sweep=False, verify_days=2)
    assert bad.checks["point_in_time"]["max_abs_diff"] > 0
    assert any("point-in-time check FAILED" in n for n in bad.notes)


def test_backtest_statistics_and_window(filled):
    result = run_backtest(filled, date(2019, 6, 1), date(2021, 6, 30), scorer=toy_scorer, sweep=False, verify_days=0)
    assert result.start == date(2019, 6, 1) and result.end == date(2021, 6, 30)
    assert result.scores["date"].iloc[0] == pd.Timestamp("2019-06-01")
    assert result.scores["date"].iloc[-1] == pd.Timestamp("2021-06-30")
    # forward returns near `end` still exist: evaluation may look past the window, scoring may not
    assert result.joined["fwd_90d"].iloc[-1] == pytest.approx(
        filled.series("price_usd", "btc").loc["2021-09-29"] / filled.series("price_usd", "btc").loc["2021-07-01"] - 1
    )
    names = [c["name"] for c in result.curves.summaries()]
    assert names == ["score", "buy_and_hold", "momentum_28d", "333"]
    assert {s.group for s in result.band_stats} <= {"bearish", "neutral", "bullish"}
    assert sum(s.count for s in result.band_stats if s.horizon == 7) == result.joined["fwd_7d"].notna().sum()


def test_start_is_clamped_to_the_first_scored_day(filled):
    result = run_backtest(filled, date(2010, 1, 1), scorer=toy_scorer, sweep=False, verify_days=0)
    assert result.start == date(2019, 1, 1)  # the sentiment part scores from day one


def test_333_says_when_the_ai_basket_is_absent(store):
    fill_store(store, synthetic_history(ai=False))
    result = run_backtest(store, scorer=toy_scorer, sweep=False, verify_days=0)
    assert any("AI basket absent" in n for n in result.notes)


def test_empty_store_and_missing_btc_are_clear_errors(store):
    with pytest.raises(BacktestError, match="empty"):
        run_backtest(store, scorer=toy_scorer)
    history = synthetic_history()
    del history[("price_usd", "btc")]
    fill_store(store, history)
    with pytest.raises(BacktestError, match="price_usd:btc"):
        run_backtest(store, scorer=toy_scorer)


def test_outputs_json_and_files_are_deterministic(filled, tmp_path):
    result = run_backtest(filled, scorer=toy_scorer, sweep=True, verify_days=1, min_train_days=365, test_days=180)
    data = result_to_json(result)
    json.dumps(data, allow_nan=False)
    assert [i["horizon"] for i in data["ic"]] == [7, 30, 90]
    assert data["sweep"]["folds"] and data["sweep"]["grid_size"] == 8 * 25
    first = write_outputs(result, tmp_path / "a")
    second = write_outputs(result, tmp_path / "b")
    assert [p.name for p in first] == ["scores.csv", "index.md", "equity.svg", "score.svg", "bands.svg"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    lines = (tmp_path / "a" / "scores.csv").read_text().splitlines()
    assert lines[0] == "date,score,band,phase,stance,coverage"
    assert len(lines) == len(result.scores) + 1
    day, _score, band, _phase, _stance, coverage = lines[1].split(",")
    assert day == "2019-01-01" and band in {"bearish", "neutral", "bullish"} and float(coverage) == 0.5
    page = (tmp_path / "a" / "index.md").read_text()
    assert page.startswith("---\ntitle: ") and "date: 2022-01-04T00:00:00+00:00" in page
    assert "![Equity curves](equity.svg)" in page and "Walk-forward sweep" in page
    svg = (tmp_path / "a" / "equity.svg").read_text()
    assert "<dc:date>" not in svg


def test_window_starts_when_both_a_score_and_a_btc_close_exist(store):
    """A score from data older than the first BTC close (MVRV since 2013, price since 2014) is not evaluated."""
    history = synthetic_history()

    def early(h):
        scored = toy_scorer(h)
        before = pd.DataFrame(
            {
                "date": pd.date_range("2018-10-01", "2018-12-31"),
                "score": 50.0,
                "band": "neutral",
                "phase": "range",
                "stance": "neutral",
                "coverage": 0.5,
            }
        )
        scored.frame = pd.concat([before, scored.frame], ignore_index=True)
        return scored

    fill_store(store, history)
    result = run_backtest(store, scorer=early, sweep=False, verify_days=0)
    assert result.start == date(2019, 1, 1)
