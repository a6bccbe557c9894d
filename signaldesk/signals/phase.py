"""Market phase (from trend, momentum, valuation and sentiment) and stance (from score and phase).

Phase inputs, each the value known on the day (BTC unless noted):
`trend` = price / 200-day mean − 1, `mom30` = 30-day price change (else the 7-day change),
`mom7` = 7-day change, `drawdown` from the all-time high, `mvrv`, and `fear_greed`.
The phase is the first of `PHASE_ORDER` whose condition holds (`conditions`, with the limits of
the rulebook's `[phase]` table; Fear & Greed and MVRV enter as their rules' classes, so "extreme
fear" is one band everywhere); a missing input makes the conditions that need it false, and
without the trend the phase is `insufficient_data`. Only ids leave this module: the report's
i18n files hold the phase and stance names and the conditions in words.
Both functions are vectorised, so the score history and the per-day judgement share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from signaldesk.metrics.returns import change
from signaldesk.models import MetricKey
from signaldesk.signals.rulebook import Rulebook, ScoreSettings, default_rulebook
from signaldesk.signals.series import asof, day_index, max_age

PRICE = ("price_usd", "btc")
PHASE_KEYS: tuple[MetricKey, ...] = (
    PRICE, ("price_vs_ma200", "btc"), ("price_change_7d", "btc"), ("drawdown_from_ath", "btc"),
    ("mvrv", ""), ("fear_greed", ""),
)
FEATURES = ("trend", "mom30", "mom7", "drawdown", "mvrv", "fear_greed")

Frame = Mapping[str, np.ndarray]
#: Phase ids in priority order (the first whose condition holds names the phase); `range` when
#: none holds, `insufficient_data` without the trend. Their names and the conditions in words live
#: in the report's i18n files (`[phases]`, `[phase_condition]`).
PHASE_ORDER: tuple[str, ...] = ("overheated", "distribution", "recovery", "bull_expansion", "accelerating_decline",
                                "bottom_building", "range")
STANCES: tuple[str, ...] = ("offensive", "neutral", "defensive", "wait")


def _in_classes(frame: Frame, refs: tuple[str, ...], rulebook: Rulebook) -> np.ndarray:
    """True where any `rule:class` of `refs` holds: the rule's bands classify its feature column."""
    out = np.zeros(len(frame["trend"]), dtype=bool)
    for ref in refs:
        rule_id, name = ref.split(":")
        rule = rulebook.rule(rule_id)
        x = frame[rule.metric]
        keys = np.array([b.text_key for b in rule.bands], dtype=object)
        found = keys[np.searchsorted(np.asarray(rule.cuts, dtype=float), np.where(np.isfinite(x), x, 0.0), side="right")]
        out |= np.isfinite(x) & (found == name)
    return out


def conditions(frame: Frame, rulebook: Rulebook) -> dict[str, np.ndarray]:
    """Each phase's condition per row, with the limits and classes of `rulebook.phase`."""
    p = rulebook.phase
    trend, mom30, mom7, drawdown = frame["trend"], frame["mom30"], frame["mom7"], frame["drawdown"]
    with np.errstate(invalid="ignore"):
        return {
            "overheated": (trend > p.overheated_trend) & _in_classes(frame, p.overheated_classes, rulebook),
            "distribution": (trend > 0) & (drawdown > p.distribution_drawdown) & (mom30 < p.distribution_mom30),
            "recovery": (trend > p.recovery_trend) & (mom30 > p.recovery_mom30) & (drawdown < p.recovery_drawdown),
            "bull_expansion": (trend > p.bull_trend) & (mom30 >= 0),
            "accelerating_decline": (trend < 0) & ((mom30 < p.decline_mom30) | (mom7 < p.decline_mom7)),
            "bottom_building": (trend < 0) & ((drawdown < p.bottom_drawdown) | _in_classes(frame, p.bottom_classes, rulebook)),
        }


def features(history: Mapping[MetricKey, pd.Series], days: pd.DatetimeIndex | list[date],
             settings: ScoreSettings) -> pd.DataFrame:
    """The phase inputs as known on each day (NaN where unknown or expired)."""
    days = day_index(days)

    def known(key: MetricKey, series: pd.Series | None = None, values: np.ndarray | None = None) -> np.ndarray:
        source = history.get(key) if series is None else series
        limit = settings.expire_factor * max_age(key[0])
        return asof(source, days, limit_days=limit, values=values).value

    price = history.get(PRICE)
    mom30 = np.full(len(days), np.nan)
    if price is not None and not price.empty:
        mom30 = known(PRICE, price, change(price, 30).to_numpy(dtype=float))
    mom7 = known(("price_change_7d", "btc"))
    out = pd.DataFrame({
        "trend": known(("price_vs_ma200", "btc")),
        "mom30": np.where(np.isfinite(mom30), mom30, mom7),
        "mom7": mom7,
        "drawdown": known(("drawdown_from_ath", "btc")),
        "mvrv": known(("mvrv", "")),
        "fear_greed": known(("fear_greed", "")),
    }, index=days)
    return out


def _frame(features_: pd.DataFrame) -> dict[str, np.ndarray]:
    return {name: features_[name].to_numpy(dtype=float) for name in FEATURES}


def classify(features_: pd.DataFrame, rulebook: Rulebook | None = None) -> np.ndarray:
    """Phase id per row: the first condition of `PHASE_ORDER` that holds."""
    frame = _frame(features_)
    held = conditions(frame, rulebook or default_rulebook())
    out = np.select(list(held.values()), list(held), default="range")
    return np.where(np.isfinite(frame["trend"]), out, "insufficient_data").astype(object)


def matching(features_: pd.DataFrame, rulebook: Rulebook | None = None) -> list[list[str]]:
    """Every phase whose condition holds, per row (the first is the phase; others are secondary)."""
    held = conditions(_frame(features_), rulebook or default_rulebook())
    names = list(held)
    table = np.column_stack(list(held.values()))
    return [[names[j] for j in np.flatnonzero(row)] for row in table]


def stance(score: np.ndarray, coverage: np.ndarray, phase: np.ndarray, settings: ScoreSettings,
           *, min_coverage: float = 0.3) -> np.ndarray:
    """Stance per day.

    Without a score, or with under `min_coverage` of the rulebook, the desk waits (观望). Above
    the bullish band it attacks in a bull expansion or recovery and stays neutral otherwise;
    below the bearish band it defends, except in bottom building where it waits for
    confirmation; in the neutral band it defends in an accelerating decline, distribution or
    overheating, waits in bottom building and is neutral otherwise.
    """
    score = np.asarray(score, dtype=float)
    phase = np.asarray(phase, dtype=object)
    coverage = np.asarray(coverage, dtype=float)
    bullish = score > settings.bullish_above
    bearish = score < settings.bearish_below
    up = np.isin(phase, ["bull_expansion", "recovery"])
    bottom = phase == "bottom_building"
    risky = np.isin(phase, ["accelerating_decline", "distribution", "overheated"])
    out = np.select(
        [~np.isfinite(score) | (coverage < min_coverage), bullish & up, bullish, bearish & bottom, bearish,
         bottom, risky],
        ["wait", "offensive", "neutral", "wait", "defensive", "wait", "defensive"],
        default="neutral",
    )
    return out.astype(object)


def reasons(row: pd.Series, phase_id: str, secondary: list[str]) -> dict[str, str]:
    """Why this phase, as ids (the report words them): the deciding phase and the others that hold."""
    return {"phase": phase_id, "also": ",".join(p for p in secondary if p != phase_id)}
