"""Support and resistance zones for BTC, each with the reasons that made it.

Candidates come from five places (no standard definition exists; research.md §1.2):
on-chain cost bases (realised price, STH/LTH cost basis, True Market Mean), the 200-day mean,
supply clusters (URPD buckets when the UTXO engine provides them) and volume-by-price clusters
of the last year, recent swing highs and lows (pivots confirmed by `SWING_RADIUS` days on both
sides, so a pivot is only known once it is over), and round numbers. Candidates within
`MERGE_GAP` of each other merge into one zone whose strength is the sum of their weights.

Each reason is a language-neutral code (`kind:payload`, e.g. `sth_cost_basis_usd:94500`,
`round:60000`, `swing_low:2026-02-06:60123`); `why_text(code, lang)` words it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from signaldesk import fmt
from signaldesk.models import Level, MetricKey
from signaldesk.signals.rulebook import LANGS, ScoreSettings
from signaldesk.signals.series import asof, day_index, max_age

ASSET = "btc"
COST_BASES: dict[str, float] = {  # metric → weight
    "realized_price_usd": 2.0, "sth_cost_basis_usd": 2.0, "true_market_mean_usd": 2.0, "lth_cost_basis_usd": 1.5,
}
LEVEL_KEYS: tuple[MetricKey, ...] = (("price_usd", ASSET), *((m, "") for m in COST_BASES))
VOLUME = "spot_volume_usd"  # optional: without it, the price profile weighs days, not dollars
SWING_RADIUS = 5
SWING_LOOKBACK_DAYS = 120
PROFILE_DAYS = 365
PROFILE_BIN = 0.02  # log-width of a volume-by-price bin (~2 %)
MERGE_GAP = 0.015  # candidates closer than 1.5 % merge into one zone
RANGE = 0.30  # zones further than ±30 % from the price are not listed
MAX_ZONES = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    price: float
    low: float
    high: float
    weight: float
    code: str


def _known(history: Mapping[MetricKey, pd.Series], key: MetricKey, day: pd.DatetimeIndex,
           settings: ScoreSettings) -> float:
    value = asof(history.get(key), day, limit_days=settings.expire_factor * max_age(key[0])).value[0]
    return float(value)


def swings(close: pd.Series, as_of: pd.Timestamp, radius: int = SWING_RADIUS,
           lookback: int = SWING_LOOKBACK_DAYS) -> list[Candidate]:
    """Closes that are the highest (lowest) within ±`radius` days, in the last `lookback` days."""
    recent = close[(close.index > as_of - pd.Timedelta(days=lookback)) & (close.index <= as_of)]
    values = recent.to_numpy(dtype=float)
    out = []
    for i in range(radius, len(values) - radius):
        window = values[i - radius:i + radius + 1]
        day = recent.index[i].date().isoformat()
        if values[i] == window.max():
            out.append(Candidate(values[i], values[i], values[i], 1.0, f"swing_high:{day}:{values[i]:.0f}"))
        elif values[i] == window.min():
            out.append(Candidate(values[i], values[i], values[i], 1.0, f"swing_low:{day}:{values[i]:.0f}"))
    return out


def profile(close: pd.Series, volume: pd.Series | None, as_of: pd.Timestamp, price: float,
            days: int = PROFILE_DAYS) -> list[Candidate]:
    """Volume-by-price clusters of the last `days`: bins holding well above their share of volume.

    Without a daily volume series every day weighs the same (time at price), and the reason says so.
    """
    recent = close[(close.index > as_of - pd.Timedelta(days=days)) & (close.index <= as_of)]
    if len(recent) < 30:
        return []
    weights = np.ones(len(recent))
    kind = "dwell"
    if volume is not None and not volume.empty:
        aligned = volume.reindex(recent.index).to_numpy(dtype=float)
        if np.isfinite(aligned).mean() > 0.8:
            weights, kind = np.nan_to_num(aligned, nan=0.0), "volume"
    logs = np.log(recent.to_numpy(dtype=float))
    edges = np.arange(logs.min(), logs.max() + PROFILE_BIN, PROFILE_BIN)
    if len(edges) < 3:
        return []
    mass, edges = np.histogram(logs, bins=edges, weights=weights)
    threshold = 1.5 * mass[mass > 0].mean()
    out = []
    for i in range(len(mass)):
        left = mass[i - 1] if i > 0 else -1
        right = mass[i + 1] if i + 1 < len(mass) else -1
        if mass[i] >= threshold and mass[i] >= left and mass[i] >= right:
            low, high = math.exp(edges[i]), math.exp(edges[i + 1])
            if abs((low + high) / 2 / price - 1) <= RANGE:
                out.append(Candidate((low + high) / 2, low, high, 1.5, f"{kind}:{low:.0f}-{high:.0f}"))
    return out


def urpd(history: Mapping[MetricKey, pd.Series], as_of: pd.Timestamp, price: float) -> list[Candidate]:
    """Supply clusters from URPD buckets (`urpd_supply_btc`, entity = bucket low price) on the day."""
    buckets = []
    for (metric, entity), series in history.items():
        if metric != "urpd_supply_btc" or series.empty or series.index[-1] != as_of:
            continue
        try:
            buckets.append((float(entity), float(series.iloc[-1])))
        except ValueError:
            continue
    if len(buckets) < 3:
        return []
    buckets.sort()
    lows = np.array([b[0] for b in buckets])
    supply = np.array([b[1] for b in buckets])
    width = np.median(np.diff(lows))
    threshold = 1.5 * supply.mean()
    out = []
    i = 0
    while i < len(buckets):
        if supply[i] < threshold:
            i += 1
            continue
        j = i
        while j + 1 < len(buckets) and supply[j + 1] >= threshold:
            j += 1
        low, high = lows[i], lows[j] + width
        if abs((low + high) / 2 / price - 1) <= RANGE:
            out.append(Candidate((low + high) / 2, low, high, 2.0, f"urpd:{low:.0f}-{high:.0f}"))
        i = j + 1
    return out


def round_numbers(price: float) -> list[Candidate]:
    """Round levels within ±15 %: multiples of the largest 1-2-5 step that gives at least three.

    For $62,900 that is every $5,000; for $1,840 every $100. Multiples of ten times the step's
    decade ($10,000; $1,000) weigh double.
    """
    width = price * 0.30 / 3
    decade = 10 ** math.floor(math.log10(width))
    unit = max(m * decade for m in (1, 2, 5) if m * decade <= width)
    major = 10 * 10 ** math.floor(math.log10(unit))
    out = []
    k = math.ceil(price * 0.85 / unit)
    while k * unit <= price * 1.15:
        level = round(k * unit, 10)
        whole = abs(level / major - round(level / major)) < 1e-9
        out.append(Candidate(level, level, level, 1.0 if whole else 0.5, f"round:{level:g}"))
        k += 1
    return out


def candidates(history: Mapping[MetricKey, pd.Series], as_of: date, settings: ScoreSettings,
               asset: str = ASSET) -> tuple[float, list[Candidate]]:
    """The day's price and every level candidate (empty when the price is unknown)."""
    day = day_index([as_of])
    today = day[0]
    price = _known(history, ("price_usd", asset), day, settings)
    if not math.isfinite(price):
        return math.nan, []
    out: list[Candidate] = []
    for metric, weight in COST_BASES.items():
        level = _known(history, (metric, ""), day, settings)
        if math.isfinite(level) and level > 0:
            out.append(Candidate(level, level, level, weight, f"{metric}:{level:.0f}"))
    close = history.get(("price_usd", asset))
    if close is not None and len(close) >= 200:
        window = close[(close.index > today - pd.Timedelta(days=200)) & (close.index <= today)]
        if len(window) >= 180:
            mean = float(window.mean())
            out.append(Candidate(mean, mean, mean, 1.5, f"ma200:{mean:.0f}"))
    if close is not None:
        close = close[close.index <= today]
        out.extend(swings(close, today))
        out.extend(profile(close, history.get((VOLUME, asset)), today, price))
    out.extend(urpd(history, today, price))
    out.extend(round_numbers(price))
    return price, [c for c in out if abs(c.price / price - 1) <= RANGE]


def merge(items: list[Candidate]) -> list[Level]:
    """Candidates within `MERGE_GAP` of each other become one zone (reasons sorted by weight)."""
    zones: list[list[Candidate]] = []
    for item in sorted(items, key=lambda c: (c.low, c.high, c.code)):
        if zones and item.low <= max(c.high for c in zones[-1]) * (1 + MERGE_GAP):
            zones[-1].append(item)
        else:
            zones.append([item])
    out = []
    for members in zones:
        total = sum(c.weight for c in members)
        center = sum(c.price * c.weight for c in members) / total
        why = tuple(c.code for c in sorted(members, key=lambda c: (-c.weight, c.code)))
        out.append(Level(price=round(center, 2), low=round(min(c.low for c in members), 2),
                         high=round(max(c.high for c in members), 2), why=why, strength=round(total, 2)))
    return out


def levels(history: Mapping[MetricKey, pd.Series], as_of: date, settings: ScoreSettings,
           asset: str = ASSET) -> tuple[list[Level], list[Level]]:
    """(support, resistance): up to `MAX_ZONES` zones each, nearest first."""
    price, items = candidates(history, as_of, settings, asset)
    if not items:
        return [], []
    zones = merge(items)
    support = sorted((z for z in zones if z.price < price), key=lambda z: -z.price)[:MAX_ZONES]
    resistance = sorted((z for z in zones if z.price >= price), key=lambda z: z.price)[:MAX_ZONES]
    return support, resistance


_WORDS: dict[str, dict[str, str]] = {
    "realized_price_usd": {"zh-CN": "实现价格 {p}", "en": "realised price {p}"},
    "sth_cost_basis_usd": {"zh-CN": "短期持有者成本 {p}", "en": "short-term holder cost basis {p}"},
    "lth_cost_basis_usd": {"zh-CN": "长期持有者成本 {p}", "en": "long-term holder cost basis {p}"},
    "true_market_mean_usd": {"zh-CN": "真实市场均值 {p}", "en": "True Market Mean {p}"},
    "ma200": {"zh-CN": "200日均线 {p}", "en": "200-day mean {p}"},
    "swing_high": {"zh-CN": "{d} 波段高点 {p}", "en": "swing high {p} on {d}"},
    "swing_low": {"zh-CN": "{d} 波段低点 {p}", "en": "swing low {p} on {d}"},
    "volume": {"zh-CN": "近一年成交密集区 {r}", "en": "high-volume range {r} of the last year"},
    "dwell": {"zh-CN": "近一年价格停留密集区 {r}", "en": "range {r} where price spent the most days last year"},
    "urpd": {"zh-CN": "筹码密集区 {r}（URPD）", "en": "supply cluster {r} (URPD)"},
    "round": {"zh-CN": "整数关口 {p}", "en": "round number {p}"},
}


def why_text(code: str, lang: str) -> str:
    """Words for a level reason code in `lang` (zh-TW converted from zh-CN)."""
    if lang == "zh-TW":
        from signaldesk.signals.rulebook import to_traditional

        return to_traditional(why_text(code, "zh-CN"))
    kind, _, payload = code.partition(":")
    template = _WORDS.get(kind, {}).get("en" if lang == "en" else "zh-CN", kind + " {p}")
    day, price_text, range_text = "", "", ""
    if kind in {"swing_high", "swing_low"}:
        day, _, value = payload.partition(":")
        price_text = fmt.price(float(value))
    elif "-" in payload:
        low, _, high = payload.partition("-")
        range_text = f"{fmt.price(float(low))}–{fmt.price(float(high))}"
    else:
        price_text = fmt.price(float(payload))
    return template.format(p=price_text, d=day, r=range_text)


def why_texts(level: Level) -> dict[str, list[str]]:
    """Every reason of a zone, per language."""
    return {lang: [why_text(code, lang) for code in level.why] for lang in LANGS}
