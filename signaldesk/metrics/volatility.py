"""Realised volatility of BTC and the volatility risk premium against option-implied vol.

`realized_vol` (entity window `7d`, `30d`): sample standard deviation of daily close-to-close log
returns over the trailing window, × √365 (crypto trades every day), as Glassnode defines it —
an annualised fraction. The window counts *returns*, so 7d needs 8 daily closes; a gap in the
closes leaves the days whose window it touches empty rather than silently stretching the window.

`vol_risk_premium` (entity tenor): ATM implied vol of the tenor − realised vol of the same window,
in vol points as a fraction (0.05 = 5 vols). Positive: options price more movement than the
market has just delivered (the usual state; sellers are paid); negative: recent moves outran
implied vol. Only tenors with a matching realised window (7d, 30d) get one. Both series are
causal: the value on day D uses closes and snapshots up to D only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from signaldesk.metrics.derive import Derivation, History
from signaldesk.models import MetricKey

WINDOWS: dict[str, int] = {"7d": 7, "30d": 30}
ANNUALISE = math.sqrt(365.0)


def realized_vol(close: pd.Series, window: int) -> pd.Series:
    """Trailing `window`-return stdev of daily log returns × √365 (annualised fraction)."""
    daily = close.asfreq("D")
    returns = np.log(daily / daily.shift(1))
    vol = returns.rolling(window, min_periods=window).std(ddof=1) * ANNUALISE
    return vol.reindex(close.index)


def vol_risk_premium(atm_iv: pd.Series, realized: pd.Series) -> pd.Series:
    """ATM IV − realised vol on the days both exist (fraction, vol points / 100)."""
    joined = pd.concat([atm_iv.rename("iv"), realized.rename("rv")], axis=1, join="inner").dropna()
    return (joined["iv"] - joined["rv"]).rename("vol_risk_premium")


def _realized(history: History) -> dict[MetricKey, pd.Series]:
    close = history.get(("price_usd", "btc"))
    if close is None:
        return {}
    return {("realized_vol", name): realized_vol(close, days) for name, days in WINDOWS.items()}


def _vrp(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    for name in WINDOWS:
        iv, rv = history.get(("atm_iv", name)), history.get(("realized_vol", name))
        if iv is not None and rv is not None:
            out[("vol_risk_premium", name)] = vol_risk_premium(iv, rv)
    return out


DERIVATIONS = (
    Derivation("realized_vol", ("price_usd",), ("realized_vol",), _realized),
    Derivation("vol_risk_premium", ("atm_iv", "realized_vol"), ("vol_risk_premium",), _vrp),
)
