"""Price-derived metrics: all-time high, drawdown, N-day change, trend vs the 200-day mean.

All take daily close series indexed by UTC day and use only data up to each day (expanding or
trailing windows), so a value on day D never depends on D+1.
"""

from __future__ import annotations

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.models import MetricKey


def ath(close: pd.Series) -> pd.Series:
    """All-time high close up to and including each day (USD)."""
    return close.cummax()


def drawdown_from_ath(close: pd.Series) -> pd.Series:
    """price / ATH − 1: a fraction ≤ 0, 0 on a new high."""
    return close / close.cummax() - 1.0


def change(series: pd.Series, days: int) -> pd.Series:
    """Fractional change over `days` calendar days (value_t / value_{t−days} − 1).

    Uses the calendar, not row positions, so a gap in the data cannot silently stretch the window.
    """
    daily = series.asfreq("D")
    return (daily / daily.shift(days) - 1.0).reindex(series.index)


def delta(series: pd.Series, days: int) -> pd.Series:
    """Absolute change over `days` calendar days (same units as the series)."""
    daily = series.asfreq("D")
    return (daily - daily.shift(days)).reindex(series.index)


def price_vs_ma(close: pd.Series, window: int = 200) -> pd.Series:
    """close / trailing `window`-day mean − 1 (fraction); NaN until the window is full."""
    daily = close.asfreq("D")
    mean = daily.rolling(window, min_periods=window).mean()
    return (daily / mean - 1.0).reindex(close.index)


def _price_metrics(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    for asset in entities(history, "price_usd"):
        close = history[("price_usd", asset)]
        out[("ath_usd", asset)] = ath(close)
        out[("drawdown_from_ath", asset)] = drawdown_from_ath(close)
        out[("price_change_7d", asset)] = change(close, 7)
        out[("price_vs_ma200", asset)] = price_vs_ma(close, 200)
    if ("price_usd", "eth") in history and ("price_usd", "btc") in history:
        eth, btc = history[("price_usd", "eth")], history[("price_usd", "btc")]
        out[("eth_btc_ratio", "")] = (eth / btc).dropna()
    return out


def _market_cap_lost(history: History) -> dict[MetricKey, pd.Series]:
    cap = history[("crypto_market_cap_usd", "")]
    return {("market_cap_change_from_ath_usd", ""): cap - cap.cummax()}


DERIVATIONS = (
    Derivation(
        "price",
        ("price_usd",),
        ("ath_usd", "drawdown_from_ath", "price_change_7d", "price_vs_ma200", "eth_btc_ratio"),
        _price_metrics,
    ),
    Derivation("market_cap_lost", ("crypto_market_cap_usd",), ("market_cap_change_from_ath_usd",), _market_cap_lost),
)
