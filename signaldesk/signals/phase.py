"""Market phase (from trend, momentum, valuation and sentiment) and stance (from score and phase).

Phase inputs, each the value known on the day (BTC unless noted):
`trend` = price / 200-day mean − 1, `mom30` = 30-day price change (else the 7-day change),
`mom7` = 7-day change, `drawdown` from the all-time high, `mvrv`, and `fear_greed`.
The phase is the first of `PHASE_ORDER` whose condition holds (`CONDITIONS`); a missing input
makes the conditions that need it false, and without the trend the phase is `insufficient_data`.
Both functions are vectorised, so the score history and the per-day judgement share them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from signaldesk import fmt
from signaldesk.metrics.returns import change
from signaldesk.models import Level, MetricKey
from signaldesk.signals.rulebook import LANGS, ScoreSettings
from signaldesk.signals.series import asof, day_index, max_age

PRICE = ("price_usd", "btc")
PHASE_KEYS: tuple[MetricKey, ...] = (
    PRICE, ("price_vs_ma200", "btc"), ("price_change_7d", "btc"), ("drawdown_from_ath", "btc"),
    ("mvrv", ""), ("fear_greed", ""),
)
FEATURES = ("trend", "mom30", "mom7", "drawdown", "mvrv", "fear_greed")

PHASE_NAMES: dict[str, dict[str, str]] = {
    "overheated": {"zh-CN": "过热", "zh-TW": "過熱", "en": "Overheated"},
    "distribution": {"zh-CN": "高位分配", "zh-TW": "高位分配", "en": "Distribution at highs"},
    "recovery": {"zh-CN": "复苏", "zh-TW": "復甦", "en": "Recovery"},
    "bull_expansion": {"zh-CN": "牛市扩张", "zh-TW": "牛市擴張", "en": "Bull expansion"},
    "accelerating_decline": {"zh-CN": "加速下跌", "zh-TW": "加速下跌", "en": "Accelerating decline"},
    "bottom_building": {"zh-CN": "底部构建", "zh-TW": "底部構建", "en": "Bottom building"},
    "range": {"zh-CN": "震荡整理", "zh-TW": "震盪整理", "en": "Range-bound consolidation"},
    "insufficient_data": {"zh-CN": "数据不足", "zh-TW": "資料不足", "en": "Insufficient data"},
}
STANCE_NAMES: dict[str, dict[str, str]] = {
    "offensive": {"zh-CN": "进攻", "zh-TW": "進攻", "en": "Offensive"},
    "neutral": {"zh-CN": "中性", "zh-TW": "中性", "en": "Neutral"},
    "defensive": {"zh-CN": "防御", "zh-TW": "防禦", "en": "Defensive"},
    "wait": {"zh-CN": "观望", "zh-TW": "觀望", "en": "Wait and see"},
}
BAND_NAMES: dict[str, dict[str, str]] = {
    "bullish": {"zh-CN": "偏多", "zh-TW": "偏多", "en": "Bullish"},
    "neutral": {"zh-CN": "中性", "zh-TW": "中性", "en": "Neutral"},
    "bearish": {"zh-CN": "偏空", "zh-TW": "偏空", "en": "Bearish"},
    "unknown": {"zh-CN": "未知", "zh-TW": "未知", "en": "Unknown"},
}

Frame = Mapping[str, np.ndarray]
#: Phase conditions in priority order (the first that holds names the phase).
CONDITIONS: dict[str, Callable[[Frame], np.ndarray]] = {
    "overheated": lambda f: (f["trend"] > 0.10) & ((f["fear_greed"] >= 80) | (f["mvrv"] >= 3.0)),
    "distribution": lambda f: (f["trend"] > 0) & (f["drawdown"] > -0.25) & (f["mom30"] < -0.05),
    "recovery": lambda f: (f["trend"] > -0.10) & (f["mom30"] > 0.05) & (f["drawdown"] < -0.20),
    "bull_expansion": lambda f: (f["trend"] > 0.03) & (f["mom30"] >= 0),
    "accelerating_decline": lambda f: (f["trend"] < 0) & ((f["mom30"] < -0.15) | (f["mom7"] < -0.10)),
    "bottom_building": lambda f: (f["trend"] < 0) & ((f["drawdown"] < -0.40) | (f["mvrv"] < 1.2) | (f["fear_greed"] <= 20)),
}
PHASE_ORDER: tuple[str, ...] = (*CONDITIONS, "range")

_CONDITION_TEXT: dict[str, dict[str, str]] = {
    "overheated": {"zh-CN": "趋势向上且情绪或估值过热（恐惧与贪婪≥80 或 MVRV≥3）",
                   "en": "an uptrend with overheated sentiment or valuation (Fear & Greed ≥ 80 or MVRV ≥ 3)"},
    "distribution": {"zh-CN": "仍在200日均线上方、距高点不足25%，但30日动能转负",
                     "en": "still above the 200-day mean and within 25% of the high, but 30-day momentum has turned down"},
    "recovery": {"zh-CN": "从深度回撤中反弹，30日涨幅超过5%，价格回到200日均线附近",
                 "en": "a rebound from a deep drawdown: up more than 5% in 30 days and back near the 200-day mean"},
    "bull_expansion": {"zh-CN": "价格高于200日均线且30日动能为正", "en": "price above the 200-day mean with positive 30-day momentum"},
    "accelerating_decline": {"zh-CN": "趋势向下且跌势加速（30日跌幅超过15% 或 7日跌幅超过10%）",
                             "en": "a downtrend that is speeding up (down more than 15% in 30 days or 10% in 7 days)"},
    "bottom_building": {"zh-CN": "趋势向下但跌势放缓，且回撤超过40%、MVRV低于1.2或极度恐惧",
                        "en": "a downtrend that has slowed, with a drawdown beyond 40%, MVRV below 1.2 or extreme fear"},
    "range": {"zh-CN": "趋势与动能都不极端", "en": "neither trend nor momentum is extreme"},
    "insufficient_data": {"zh-CN": "缺少 BTC 价格的200日历史，无法判断趋势", "en": "there is not enough BTC price history (200 days) to judge the trend"},
}


def _tw(text: str) -> str:
    from signaldesk.signals.rulebook import to_traditional

    return to_traditional(text)


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


def classify(features_: pd.DataFrame) -> np.ndarray:
    """Phase id per row: the first condition of `PHASE_ORDER` that holds."""
    frame = _frame(features_)
    with np.errstate(invalid="ignore"):
        conditions = [CONDITIONS[name](frame) for name in CONDITIONS]
    out = np.select(conditions, list(CONDITIONS), default="range")
    return np.where(np.isfinite(frame["trend"]), out, "insufficient_data").astype(object)


def matching(features_: pd.DataFrame) -> list[list[str]]:
    """Every phase whose condition holds, per row (the first is the phase; others are secondary)."""
    frame = _frame(features_)
    with np.errstate(invalid="ignore"):
        table = np.column_stack([CONDITIONS[name](frame) for name in CONDITIONS])
    names = list(CONDITIONS)
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


def _measured(row: pd.Series, lang: str) -> str:
    zh = lang != "en"
    parts = []
    if np.isfinite(row["trend"]):
        parts.append(f"BTC 较200日均线 {fmt.pct(row['trend'])}" if zh else f"BTC {fmt.pct(row['trend'])} versus its 200-day mean")
    if np.isfinite(row["mom30"]):
        parts.append(f"30日涨跌 {fmt.pct(row['mom30'])}" if zh else f"{fmt.pct(row['mom30'])} over 30 days")
    if np.isfinite(row["drawdown"]):
        parts.append(f"距高点回撤 {fmt.pct(row['drawdown'])}" if zh else f"{fmt.pct(row['drawdown'])} from the high")
    if np.isfinite(row["mvrv"]):
        parts.append(f"MVRV {row['mvrv']:.2f}")
    if np.isfinite(row["fear_greed"]):
        parts.append(f"恐惧与贪婪 {row['fear_greed']:.0f}" if zh else f"Fear & Greed {row['fear_greed']:.0f}")
    return ("，" if zh else ", ").join(parts)


def reasons(row: pd.Series, phase_id: str, secondary: list[str]) -> dict[str, str]:
    """Why this phase, per language: the measured inputs, the deciding condition, other matches."""
    out = {}
    for lang in ("zh-CN", "en"):
        measured = _measured(row, lang)
        if lang == "en":
            text = f"{measured}. Phase: {PHASE_NAMES[phase_id]['en']}, because of {_CONDITION_TEXT[phase_id]['en']}."
            others = [PHASE_NAMES[p]["en"] for p in secondary if p != phase_id]
            if others:
                text += f" Also showing signs of: {', '.join(others)}."
        else:
            text = f"{measured}。判定为{PHASE_NAMES[phase_id]['zh-CN']}：{_CONDITION_TEXT[phase_id]['zh-CN']}。"
            others = [PHASE_NAMES[p]["zh-CN"] for p in secondary if p != phase_id]
            if others:
                text += f"同时具备{'、'.join(others)}特征。"
        out[lang] = text.lstrip("，。. ")
    out["zh-TW"] = _tw(out["zh-CN"])
    return {lang: out[lang] for lang in LANGS}


_POSITION: dict[str, dict[str, str]] = {
    "offensive": {"zh-CN": "仓位可提高至60–80%，回踩支撑分批加仓", "en": "positions may rise to 60–80%, adding on pullbacks to support"},
    "neutral": {"zh-CN": "仓位保持40–60%，区间操作，不追涨杀跌", "en": "keep positions at 40–60% and trade the range; do not chase"},
    "defensive": {"zh-CN": "仓位降至30%以下，降低杠杆", "en": "cut positions below 30% and reduce leverage"},
    "wait": {"zh-CN": "以现金为主（仓位0–20%），等待企稳确认再行动", "en": "hold mostly cash (0–20% positions) until the market confirms a base"},
}


def _zone(level: Level) -> str:
    if level.high - level.low < 0.002 * level.price:
        return fmt.price(level.price)
    return f"{fmt.price(level.low)}–{fmt.price(level.high)}"


def guidance(stance_id: str, support: list[Level], resistance: list[Level]) -> dict[str, str]:
    """Position guidance per language, naming the nearest support and resistance zones."""
    s = support[0] if support else None
    r = resistance[0] if resistance else None
    out = {}
    for lang in ("zh-CN", "en"):
        parts = [_POSITION[stance_id][lang]]
        if stance_id in {"defensive", "wait"}:
            if s is not None:
                parts.append(f"等待 {_zone(s)} 支撑确认，若放量跌破 {fmt.price(s.low)} 则继续减仓" if lang != "en"
                             else f"wait for support at {_zone(s)} to hold; a high-volume break below {fmt.price(s.low)} means cutting further")
            if r is not None:
                parts.append(f"反弹至 {_zone(r)} 阻力区不追高" if lang != "en" else f"do not chase a bounce into resistance at {_zone(r)}")
        else:
            if s is not None:
                parts.append(f"守住 {_zone(s)} 支撑则维持判断" if lang != "en" else f"the view holds while {_zone(s)} support holds")
            if r is not None:
                parts.append(f"放量突破 {fmt.price(r.high)} 可加仓" if lang != "en" else f"a high-volume break above {fmt.price(r.high)} allows adding")
        out[lang] = ("；" if lang != "en" else "; ").join(parts) + ("。" if lang != "en" else ".")
        if lang == "en":
            out[lang] = out[lang][0].upper() + out[lang][1:]
    out["zh-TW"] = _tw(out["zh-CN"])
    return {lang: out[lang] for lang in LANGS}
