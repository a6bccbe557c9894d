"""People-formatting of numbers, shared by rule reasons, the report and the dashboard.

The seed report's conventions: `$63.0K`, `$1.16T`, `-$203.8M` (two decimals under 10 of the
unit, one above), prices with thousands separators (`$62,900`), signed percentages for changes
(`+0.26%`), plain ones for levels (`58.0%`), `8/100`, `1.41 Gwei`. Rounding is deterministic
(round-half-even on the printed digits, as Python's format does), so the same data prints the
same text byte for byte. Language matters only for words, not digits: every language the report
ships uses K/M/B/T for dollars, as the seed does.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
DASH = "—"

PRICE_METRICS = frozenset(
    {
        "price_usd",
        "ath_usd",
        "realized_price_usd",
        "sth_cost_basis_usd",
        "lth_cost_basis_usd",
        "true_market_mean_usd",
        "equity_close_usd",
    }
)
SIGNED_FRACTIONS = frozenset(
    {
        "price_change_7d",
        "price_vs_ma200",
        "open_interest_change_7d",
        "stablecoin_supply_change_7d",
        "chain_tvl_change_7d",
        "dex_volume_change_7d",
        "coinbase_premium",
        "funding_rate_8h",
        "basket_return_7d",
        "basket_return_30d",
        "basket_return_90d",
        "miners_vs_btc_30d",
        "capex_yoy",
        "vol_risk_premium",
        "skew_25d",
        "drawdown_from_ath",
    }
)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def usd(value: float | None) -> str:
    """Compact dollars: `$63.0K`, `$1.16T`, `-$203.8M`, `$950`."""
    if _missing(value):
        return DASH
    sign = "-" if value < 0 else ""
    size = abs(value)
    for scale, suffix in _SCALES:
        if size >= scale * 0.9995:
            scaled = size / scale
            digits = 2 if scaled < 9.995 else 1
            return f"{sign}${scaled:.{digits}f}{suffix}"
    return f"{sign}${size:.0f}" if size >= 100 else f"{sign}${size:.2f}"


def price(value: float | None) -> str:
    """A price with separators: `$62,900`, `$1,840`, `$79.50`, `$0.4321`."""
    if _missing(value):
        return DASH
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size >= 1000:
        return f"{sign}${size:,.0f}"
    if size >= 1:
        return f"{sign}${size:,.2f}"
    return f"{sign}${size:.4f}"


def pct(value: float | None, *, signed: bool = True, digits: int = 2) -> str:
    """A fraction as a percentage: `+0.26%` (signed) or `58.00%`."""
    if _missing(value):
        return DASH
    text = f"{value * 100:+.{digits}f}%" if signed else f"{value * 100:.{digits}f}%"
    return text.replace("+0.00%", "0.00%").replace("-0.00%", "0.00%") if digits == 2 else text


def score(value: float | None) -> str:
    """`8/100`."""
    return DASH if _missing(value) else f"{value:.0f}/100"


def number(value: float | None, digits: int = 2) -> str:
    """A plain number with separators."""
    return DASH if _missing(value) else f"{value:,.{digits}f}"


def value(metric_id: str, value: float | None) -> str:
    """Format a value by what its metric id means (the one entry point templates use)."""
    if _missing(value):
        return DASH
    if metric_id in PRICE_METRICS:
        return price(value)
    if metric_id == "fear_greed":
        return score(value)
    if metric_id == "gas_price_gwei":
        return f"{value:.2f} Gwei"
    if metric_id == "funding_rate_8h":
        return f"{value * 100:+.4f}% / 8h"
    if metric_id in SIGNED_FRACTIONS:
        return pct(value)
    if metric_id in {
        "btc_dominance",
        "supply_in_profit",
        "relative_unrealized_loss",
        "liveliness",
        "atm_iv",
        "realized_vol",
        "exchange_whale_ratio",
    }:
        return pct(value, signed=False, digits=1) if metric_id != "exchange_whale_ratio" else f"{value:.2f}"
    if metric_id in {"etf_flow_streak_weeks"}:
        return f"{value:+.0f}"
    if metric_id.endswith("_usd") or "_usd_" in metric_id:
        return usd(value)
    return _plain(metric_id, value)


def _plain(metric_id: str, value: float) -> str:
    """The rest of `value`: no currency or percent, so only the precision and the unit word differ by metric."""
    if metric_id in {
        "mvrv",
        "sopr",
        "sopr_7d_sma",
        "eth_btc_ratio",
        "ai_crypto_correlation_90d",
        "ai_crypto_divergence_z",
    }:
        return f"{value:.4f}" if metric_id == "eth_btc_ratio" else f"{value:.2f}"
    if metric_id == "hashrate_ehs":
        return f"{value:,.0f} EH/s"
    if metric_id == "altcoin_season_index":
        return f"{value:.0f}/100"
    return number(value)


# -- language-aware helpers (the report and the dashboard) -----------------------------------
#
# Dollars keep K/M/B/T in every language (the seed writes `$203.8M` in Chinese too). Plain
# counts of things that are not money (coins, supply) are where Chinese readers expect 万/亿
# (zh-TW: 萬/億): `1,999万 BTC` reads naturally, `19.99M BTC` does not.

_CJK_UNITS = {"zh-CN": ((1e8, "亿"), (1e4, "万")), "zh-TW": ((1e8, "億"), (1e4, "萬"))}
_EN_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _scaled(size: float) -> str:
    digits = 2 if size < 9.995 else 1 if size < 999.95 else 0
    return f"{size:,.{digits}f}"


def count(value: float | None, lang: str = "en") -> str:
    """A large plain count (not dollars): `1,999万` / `1,999萬` in Chinese, `19.99M` in English."""
    if _missing(value):
        return DASH
    sign = "-" if value < 0 else ""
    size = abs(value)
    for scale, suffix in _CJK_UNITS.get(lang, _EN_UNITS):
        if size >= scale * 0.9995:
            return f"{sign}{_scaled(size / scale)}{suffix}"
    return f"{sign}{size:,.0f}"


def day(moment: date | datetime, lang: str = "en") -> str:
    """A short day: `2月23日` (Chinese), `Feb 23` (English)."""
    if lang.startswith("zh"):
        return f"{moment.month}月{moment.day}日"
    return f"{_MONTHS[moment.month - 1][:3]} {moment.day}"


def long_date(moment: date | datetime, lang: str = "en") -> str:
    """A full date: `2026年2月25日` (Chinese), `February 25, 2026` (English)."""
    if lang.startswith("zh"):
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def timestamp(moment: datetime | None) -> str:
    """A UTC data time, language-neutral: `2026-02-25 00:00 UTC` (— when unknown)."""
    if moment is None:
        return DASH
    if moment.tzinfo is None:
        raise ValueError("naive datetime: timestamps must be aware UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def percentile(value: float | None) -> str:
    """A percentile in the value's own history, given as a fraction 0–1: `12%`."""
    return DASH if _missing(value) else f"{value * 100:.0f}%"


def price_range(low: float | None, high: float | None) -> str:
    """A price zone the way the seed writes it: `$60,000–63,000` (one dollar sign)."""
    if _missing(low) or _missing(high):
        return DASH
    if abs(high - low) < 0.5:
        return price(low)
    return f"{price(low)}–{price(high).lstrip('$')}"


def signed_usd(value: float | None) -> str:
    """Compact dollars with an explicit sign for changes: `+$800.0M`, `-$203.8M`."""
    if _missing(value):
        return DASH
    return ("+" if value > 0 else "") + usd(value)
