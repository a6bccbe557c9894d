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
    PRICE,
    ("price_vs_ma200", "btc"),
    ("price_change_7d", "btc"),
    ("drawdown_from_ath", "btc"),
    ("mvrv", ""),
    ("fear_greed", ""),
)
FEATURES = ("trend", "mom30", "mom7", "drawdown", "mvrv", "fear_greed")

Frame = Mapping[str, np.ndarray]
#: Phase ids in priority order (the first whose condition holds names the phase); `range` when
#: none holds, `insufficient_data` without the trend. Their names and the conditions in words live
#: in the report's i18n files (`[phases]`, `[phase_condition]`).
PHASE_ORDER: tuple[str, ...] = (
    "overheated",
    "distribution",
    "recovery",
    "bull_expansion",
    "accelerating_decline",
    "bottom_building",
    "range",
)
STANCES: tuple[str, ...] = ("offensive", "neutral", "defensive", "wait")


def _in_classes(frame: Frame, refs: tuple[str, ...], rulebook: Rulebook) -> np.ndarray:
    """True where any `rule:class` of `refs` holds: the rule's bands classify its feature column.
    A class of a rule the user's rulebook dropped (`enabled = false`) never holds."""
    out = np.zeros(len(frame["trend"]), dtype=bool)
    enabled = {rule.id for rule in rulebook.rules}
    for ref in refs:
        rule_id, name = ref.split(":")
        if rule_id not in enabled:
            continue
        rule = rulebook.rule(rule_id)
        x = frame[rule.metric]
        keys = np.array([b.text_key for b in rule.bands], dtype=object)
        found = keys[
            np.searchsorted(np.asarray(rule.cuts, dtype=float), np.where(np.isfinite(x), x, 0.0), side="right")
        ]
        out |= np.isfinite(x) & (found == name)
    return out


CLAUSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "overheated": (("trend_hot",), ("classes:overheated",)),
    "distribution": (("above_ma", "near_high", "mom30_slipping"), ()),
    "recovery": (("near_ma", "mom30_rebound", "deep_drawdown_recovery"), ()),
    "bull_expansion": (("trend_bull", "mom30_positive"), ()),
    "accelerating_decline": (("below_ma",), ("mom30_falling", "mom7_falling")),
    "bottom_building": (("below_ma",), ("deep_drawdown", "classes:bottom")),
}
"""Each phase's condition as clauses: (all of, any of). `classes:<table>` stands for the rule
classes listed in the rulebook's `[phase]` (one clause per `rule:class`, id `rule:class`)."""


def clause_values(frame: Frame, rulebook: Rulebook) -> dict[str, np.ndarray]:
    """Every clause of every phase per row, with the limits and classes of `rulebook.phase`: the one
    place a phase's inputs are compared with its limits (the report words the clauses that held)."""
    p = rulebook.phase
    trend, mom30, mom7, drawdown = frame["trend"], frame["mom30"], frame["mom7"], frame["drawdown"]
    with np.errstate(invalid="ignore"):
        out = {
            "trend_hot": trend > p.overheated_trend,
            "above_ma": trend > 0,
            "near_high": drawdown > p.distribution_drawdown,
            "mom30_slipping": mom30 < p.distribution_mom30,
            "near_ma": trend > p.recovery_trend,
            "mom30_rebound": mom30 > p.recovery_mom30,
            "deep_drawdown_recovery": drawdown < p.recovery_drawdown,
            "trend_bull": trend > p.bull_trend,
            "mom30_positive": mom30 >= 0,
            "below_ma": trend < 0,
            "mom30_falling": mom30 < p.decline_mom30,
            "mom7_falling": mom7 < p.decline_mom7,
            "deep_drawdown": drawdown < p.bottom_drawdown,
        }
    for ref in (*p.overheated_classes, *p.bottom_classes):
        out[ref] = _in_classes(frame, (ref,), rulebook)
    return out


def _expand(ids: tuple[str, ...], rulebook: Rulebook) -> list[str]:
    tables = {"classes:overheated": rulebook.phase.overheated_classes, "classes:bottom": rulebook.phase.bottom_classes}
    return [ref for i in ids for ref in tables.get(i, (i,))]


def phase_clauses(phase_id: str, rulebook: Rulebook) -> tuple[list[str], list[str]]:
    """The clause ids of a phase's condition: (all of, any of), class references expanded."""
    all_of, any_of = CLAUSES.get(phase_id, ((), ()))
    return _expand(all_of, rulebook), _expand(any_of, rulebook)


def conditions(frame: Frame, rulebook: Rulebook) -> dict[str, np.ndarray]:
    """Each phase's condition per row: all of its clauses, and at least one of its alternatives."""
    values = clause_values(frame, rulebook)
    out = {}
    for name in CLAUSES:
        all_of, any_of = phase_clauses(name, rulebook)
        held = np.logical_and.reduce([values[c] for c in all_of])
        if any_of:
            held = held & np.logical_or.reduce([values[c] for c in any_of])
        out[name] = held
    return out


def held_clauses(state: Mapping[str, float | None], phase_id: str, rulebook: Rulebook | None = None) -> list[str]:
    """The clauses of `phase_id` that held for one day's inputs (`Assessment.market_state`), in order."""
    rb = rulebook or default_rulebook()
    frame = {name: np.array([np.nan if state.get(name) is None else float(state[name])]) for name in FEATURES}  # type: ignore[arg-type]
    values = clause_values(frame, rb)
    all_of, any_of = phase_clauses(phase_id, rb)
    return [c for c in (*all_of, *any_of) if bool(values[c][0])]


def features(
    history: Mapping[MetricKey, pd.Series], days: pd.DatetimeIndex | list[date], settings: ScoreSettings
) -> pd.DataFrame:
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
    out = pd.DataFrame(
        {
            "trend": known(("price_vs_ma200", "btc")),
            "mom30": np.where(np.isfinite(mom30), mom30, mom7),
            "mom7": mom7,
            "drawdown": known(("drawdown_from_ath", "btc")),
            "mvrv": known(("mvrv", "")),
            "fear_greed": known(("fear_greed", "")),
        },
        index=days,
    )
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


def stance(
    score: np.ndarray, coverage: np.ndarray, phase: np.ndarray, settings: ScoreSettings, *, min_coverage: float = 0.3
) -> np.ndarray:
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
        [
            ~np.isfinite(score) | (coverage < min_coverage),
            bullish & up,
            bullish,
            bearish & bottom,
            bearish,
            bottom,
            risky,
        ],
        ["wait", "offensive", "neutral", "wait", "defensive", "wait", "defensive"],
        default="neutral",
    )
    return out.astype(object)


def reasons(row: pd.Series, phase_id: str, secondary: list[str]) -> dict[str, str]:
    """Why this phase, as ids (the report words them): the deciding phase and the others that hold."""
    return {"phase": phase_id, "also": ",".join(p for p in secondary if p != phase_id)}
