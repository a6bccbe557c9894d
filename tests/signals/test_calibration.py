"""The evidence-weighted score: walk-forward weights, point in time, skill gate, shrinkage and calibrated bands."""

import numpy as np
import pandas as pd
import pytest

from signaldesk.signals.calibration import (
    PROCEDURE,
    contributions,
    evidence_history,
    fit_weights,
    weighted_score,
)
from signaldesk.signals.evidence import forward_returns

DAYS = pd.date_range("2018-01-01", periods=1500, freq="D")


def _market(seed: int = 4) -> tuple[pd.Series, pd.DataFrame]:
    """A price and three rules: one that knows the next 30 days (noisily), one of noise, one backwards."""
    rng = np.random.default_rng(seed)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.03, len(DAYS)))), index=DAYS)
    fwd = forward_returns(close, (30,))["fwd_30d"].fillna(0.0).to_numpy()
    informed = np.clip(50 + 150 * fwd + rng.normal(0, 10, len(DAYS)), 0, 100)
    subs = pd.DataFrame(
        {"informed": informed, "noise": rng.uniform(0, 100, len(DAYS)), "backwards": 100 - informed}, index=DAYS
    )
    return close, subs


def test_weighted_score_and_contributions_by_hand():
    sub = np.array([80.0, 30.0, np.nan])
    w = np.array([0.75, 0.25, 0.5])  # the third rule has no data today: it neither counts nor dilutes
    assert weighted_score(sub[None, :], w)[0] == pytest.approx(50 + 0.75 * 30 + 0.25 * -20)
    np.testing.assert_allclose(contributions(sub, w), [22.5, -5.0, 0.0])
    assert np.isnan(weighted_score(np.array([[np.nan, np.nan, np.nan]]), w)[0])


def test_only_skilled_rules_get_weight_and_a_wrong_sign_is_never_flipped():
    close, subs = _market()
    forward = forward_returns(close, (30,))["fwd_30d"]
    fit = fit_weights(subs, forward, pd.Timestamp("2021-01-01"))
    assert fit is not None and set(fit.weights) == {"informed"}
    assert fit.weights["informed"] == pytest.approx(1.0)  # one skilled rule: 0.5 × 1 + 0.5 × 1
    assert fit.ics["backwards"].ic < 0 and fit.ics["noise"].t < PROCEDURE.skill_t


def test_weights_shrink_half_way_to_equal():
    close, subs = _market()
    subs["informed_too"] = subs["informed"].rolling(3, min_periods=1).mean()
    forward = forward_returns(close, (30,))["fwd_30d"]
    fit = fit_weights(subs, forward, pd.Timestamp("2021-01-01"))
    a, b = fit.ics["informed"].ic, fit.ics["informed_too"].ic
    assert fit.weights["informed"] == pytest.approx(0.25 + 0.5 * a / (a + b))
    assert fit.weights["informed_too"] == pytest.approx(0.25 + 0.5 * b / (a + b))


def test_a_refit_reads_nothing_after_its_training_cutoff():
    close, subs = _market()
    day = pd.Timestamp("2021-01-01")
    cutoff = day - pd.Timedelta(days=PROCEDURE.lag + PROCEDURE.horizon + PROCEDURE.embargo_days)
    changed_close = close.copy()
    changed_close[close.index > cutoff] *= np.linspace(0.2, 5.0, int((close.index > cutoff).sum()))
    changed_subs = subs.copy()
    changed_subs[subs.index > cutoff] = 100 - subs[subs.index > cutoff]
    before = fit_weights(subs, forward_returns(close, (30,))["fwd_30d"], day)
    after = fit_weights(changed_subs, forward_returns(changed_close, (30,))["fwd_30d"], day)
    assert before.weights == after.weights and before.train_end == cutoff


def test_history_refits_quarterly_and_bands_are_expanding_terciles():
    close, subs = _market()
    prior = pd.Series(50.0, index=DAYS)
    ev = evidence_history(subs, close, prior, (40.0, 60.0))
    assert all(f.day.day == 1 and f.day.month in (1, 4, 7, 10) for f in ev.fits)
    first = ev.fits[0].day
    assert (ev.status[ev.status.index < first] == "prior").all() and (ev.score[ev.status == "prior"] == 50.0).all()
    assert (ev.bearish_below[ev.status == "prior"] == 40.0).all()
    day = pd.Timestamp("2021-08-15")
    history = ev.score[(ev.status != "prior") & (ev.score.index <= day)]
    assert len(history) >= PROCEDURE.min_band_days
    assert ev.bearish_below[day] == pytest.approx(np.quantile(history, 1 / 3))
    assert ev.bullish_above[day] == pytest.approx(np.quantile(history, 2 / 3))
    expected = (
        "bearish"
        if ev.score[day] < ev.bearish_below[day]
        else "bullish"
        if ev.score[day] > ev.bullish_above[day]
        else "neutral"
    )
    assert ev.band[day] == expected


def test_no_price_keeps_the_prior_score_and_fixed_bands():
    _, subs = _market()
    prior = pd.Series(np.linspace(20, 80, len(DAYS)), index=DAYS)
    ev = evidence_history(subs, None, prior, (40.0, 60.0))
    assert not ev.fits and (ev.status == "prior").all()
    pd.testing.assert_series_equal(ev.score, prior, check_names=False)
    assert ev.band.iloc[0] == "bearish" and ev.band.iloc[-1] == "bullish"
