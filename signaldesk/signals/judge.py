"""Apply rules: input series → transform → band → state, strength and a 0–100 sub-score.

`evaluate` works on any list of days at once (numpy, no per-day Python loop), so the same code
judges one snapshot (`days = [as_of]`) and a ten-year history (`signals.history`). A value older
than its metric's `max_age_days` is *stale*: still judged, but its strength is capped
(`stale_strength_cap`) so stale data never drives a strong signal; older than `expire_factor` ×
that, it counts as missing. The sub-score is 50 + 50 × strength for bullish, 50 − 50 × strength
for bearish and 50 for neutral.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from signaldesk import fmt
from signaldesk.langs import LANGS
from signaldesk.models import Indicator, MetricKey, Missing, Snapshot, State, key_to_flat
from signaldesk.signals import transforms
from signaldesk.signals.rulebook import Rule, ScoreSettings
from signaldesk.signals.series import asof, day_index, max_age, view

_STATE_CODE: dict[State, int] = {"bullish": 1, "neutral": 0, "bearish": -1}
_CODE_STATE: dict[int, State] = {code: state for state, code in _STATE_CODE.items()}


@dataclass(slots=True)
class Evaluation:
    """One rule over `days`: arrays of the input's value, the transform output and the judgement."""

    days: pd.DatetimeIndex
    x: np.ndarray
    value: np.ndarray
    ref: np.ndarray
    age: np.ndarray
    stale: np.ndarray
    used: np.ndarray
    band: np.ndarray
    state: np.ndarray
    strength: np.ndarray
    sub: np.ndarray
    bases: list[pd.Series | None]

    @property
    def known(self) -> np.ndarray:
        return np.isfinite(self.x)


def evaluate(
    rule: Rule, history: Mapping[MetricKey, pd.Series], days: pd.DatetimeIndex | list[date], settings: ScoreSettings
) -> Evaluation:
    """Judge `rule` on each of `days` from daily series (clean, as `series.daily` returns)."""
    days = day_index(days)
    n = len(days)
    x, value, ref = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    age, stale, used = np.full(n, np.nan), np.zeros(n, dtype=bool), np.full(n, -1)
    spec, params = rule.transform_spec, rule.params
    bases: list[pd.Series | None] = []
    for i, item in enumerate(rule.inputs):
        series = history.get(item.key)
        if series is None or series.empty:
            bases.append(None)
            continue
        over_values = over_age_at_obs = np.empty(0)  # the reference's values and ages, for `over` inputs
        base, primary = series, series.to_numpy(dtype=float)
        if item.over_key is not None:
            over = history.get(item.over_key)
            if over is None or over.empty:
                bases.append(None)
                continue
            # The reference as known on each observation day of the input (it may lag by days).
            at = asof(over, series.index, limit_days=settings.expire_factor * max_age(item.over_key[0]))
            ok = at.known
            base = (series[ok] / at.value[ok]).astype(float)
            primary, over_values, over_age_at_obs = primary[ok], at.value[ok], at.age[ok]
        bases.append(base)
        if base.empty:
            continue
        output = spec.compute(base, params).to_numpy(dtype=float)
        found = asof(base, days, limit_days=settings.expire_factor * max_age(item.metric), values=output)
        take = found.known & (used < 0)
        if item.over_key is not None:
            pos = np.where(found.position >= 0, found.position, 0)
            ref_age = found.age + over_age_at_obs[pos]
            fresh = ref_age <= settings.expire_factor * max_age(item.over_key[0])
            take &= fresh
            ref = np.where(take, over_values[pos], ref)
            stale |= take & (ref_age > max_age(item.over_key[0]))
        else:
            pos = np.where(found.position >= 0, found.position, 0)
        x = np.where(take, found.value, x)
        value = np.where(take, primary[pos], value)
        age = np.where(take, found.age, age)
        stale |= take & (found.age > max_age(item.metric))
        used = np.where(take, i, used)
    band, state, strength, sub = bands(rule, x, stale, settings.stale_strength_cap)
    return Evaluation(days, x, value, ref, age, stale, used, band, state, strength, sub, bases)


def bands(
    rule: Rule, x: np.ndarray, stale: np.ndarray | None = None, cap: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised band lookup: band index, state code (+1/0/−1), strength, sub-score (NaN = unknown)."""
    known = np.isfinite(x)
    band = np.searchsorted(np.asarray(rule.cuts, dtype=float), np.where(known, x, 0.0), side="right")
    codes = np.array([_STATE_CODE[b.state] for b in rule.bands])[band]
    strength = np.array([b.strength for b in rule.bands])[band]
    if stale is not None:
        strength = np.where(stale, np.minimum(strength, cap), strength)
    sub = np.where(known, 50.0 + 50.0 * codes * strength, np.nan)
    return np.where(known, band, -1), np.where(known, codes, 0), np.where(known, strength, 0.0), sub


# -- one day -----------------------------------------------------------------------------------
def _percentile(base: pd.Series | None) -> float | None:
    """Share of the input's history (up to the day) at or below today's value, 0–1."""
    if base is None or len(base) < 2:
        return None
    values = base.to_numpy(dtype=float)
    return float(np.mean(values <= values[-1]))


def _placeholders(rule: Rule, ev: Evaluation, lang: str, percentile: float | None) -> dict[str, str]:
    item = rule.inputs[int(ev.used[0])]
    spec = rule.transform_spec
    x, value, ref = float(ev.x[0]), float(ev.value[0]), float(ev.ref[0])
    if item.over_key is not None:
        x_text, gap = f"{x:.2f}", fmt.pct(x - 1.0)
    else:
        x_text, gap = transforms.format_output(spec, item.metric, x), fmt.DASH
    return {
        "value": fmt.value(item.metric, value),
        "x": x_text,
        "absx": x_text.lstrip("+-") if x_text.startswith(("+", "-")) else x_text,
        "n": f"{abs(x):.0f}",
        "ref": fmt.value(item.over_key[0], ref) if item.over_key is not None else fmt.DASH,
        "gap": gap,
        "pct": fmt.DASH if percentile is None else f"{percentile * 100:.0f}%",
        "days": str(rule.days or ""),
        "window": str(rule.window or ""),
        "label": rule.label[lang],
    }


def _display(rule: Rule, ev: Evaluation, values: dict[str, str]) -> str:
    item = rule.inputs[int(ev.used[0])]
    if item.over_key is not None:
        return f"{values['gap']} (vs {values['ref']})"
    if rule.transform_spec.name == "level":
        return values["value"]
    return f"{values['value']} ({values['x']})"


def indicator(rule: Rule, ev: Evaluation) -> Indicator:
    """The indicator row for a rule evaluated on one day (contribution filled in by the scorer)."""
    item = rule.inputs[int(ev.used[0])]
    base = ev.bases[int(ev.used[0])]
    percentile = _percentile(base)
    band = rule.bands[int(ev.band[0])]
    reasons, display = {}, ""
    for lang in LANGS:
        values = _placeholders(rule, ev, lang, percentile)
        reasons[lang] = rule.text[band.text_key][lang].format_map(values)
        display = _display(rule, ev, values)
    ref_id = key_to_flat(item.over_key) if item.over_key is not None else ""
    return Indicator(
        id=item.metric,
        entity=item.entity,
        value=float(ev.value[0]),
        state=_CODE_STATE[int(ev.state[0])],
        strength=round(float(ev.strength[0]), 4),
        percentile=None if percentile is None else round(percentile, 4),
        reason=reasons["zh-CN"],
        group=rule.group,
        rule=rule.id,
        reasons=reasons,
        stale=bool(ev.stale[0]),
        label=dict(rule.label),
        display=display,
        x=float(ev.x[0]),
        ref=None if item.over_key is None else float(ev.ref[0]),
        ref_id=ref_id,
        sub_score=float(ev.sub[0]),
        age_days=float(ev.age[0]),
        reading=rule.reading,
        weight=rule.weight,
        cls=band.text_key,
    )


def missing_reason(
    rule: Rule, history: Mapping[MetricKey, pd.Series], snapshot: Snapshot, settings: ScoreSettings
) -> Missing:
    """Why a rule could not be judged on the snapshot's day, naming the key that is lacking."""
    as_of = pd.Timestamp(snapshot.as_of)
    for item in rule.inputs:
        for key in filter(None, (item.key, item.over_key)):
            series = history.get(key)
            if series is None or series.empty:
                continue
            age = int((as_of - series.index[-1]).days)
            limit = settings.expire_factor * max_age(key[0])
            if age > limit:
                return Missing(
                    key[0], key[1], f"last value on {series.index[-1].date()} is {age} days old (limit {limit:g} days)"
                )
    for item in rule.inputs:
        if item.key in history and (item.over_key is None or item.over_key in history):
            need = rule.transform_spec.min_history(rule.params)
            return Missing(
                item.metric,
                item.entity,
                f"rule {rule.id}: {rule.transform_spec.name} needs about {need} days of history, "
                f"has {len(history[item.key])} point(s)",
            )
    for item in rule.inputs:
        for key in filter(None, (item.key, item.over_key)):
            if key not in history:
                return Missing(key[0], key[1], snapshot.missing.get(key) or "no data")
    return Missing(rule.metric, rule.entity, "no data")


def judge(
    snapshot: Snapshot,
    rules: tuple[Rule, ...],
    settings: ScoreSettings,
    history: Mapping[MetricKey, pd.Series] | None = None,
) -> tuple[list[Indicator | None], list[Missing]]:
    """Every rule on the snapshot's day: an indicator per rule (None where missing) and the gaps.

    `history` is `series.view(snapshot)` when the caller already has it.
    """
    history = view(snapshot) if history is None else history
    days = day_index([snapshot.as_of])
    out: list[Indicator | None] = []
    gaps: list[Missing] = []
    for rule in rules:
        ev = evaluate(rule, history, days, settings)
        if ev.known[0]:
            out.append(indicator(rule, ev))
        else:
            out.append(None)
            gaps.append(missing_reason(rule, history, snapshot, settings))
    return out, gaps
