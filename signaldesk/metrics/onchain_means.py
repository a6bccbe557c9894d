"""7-day means of daily on-chain flows, as the report and the rulebook quote them (Glassnode's
convention): realised profit and loss smooth out single-block spikes, SOPR its day-to-day noise.

Each is its own derivation because a derivation waits for all its inputs, and a source may
yield one of these series without the others.
"""

from __future__ import annotations

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.models import MetricKey


def mean_7d(series: pd.Series, *, min_days: int) -> pd.Series:
    """Trailing 7-calendar-day mean (a gap counts as missing, not as zero); needs `min_days` points."""
    daily = series.asfreq("D")
    return daily.rolling(7, min_periods=min_days).mean().reindex(series.index)


def _smoothed(source: str, target: str, min_days: int):
    def compute(history: History) -> dict[MetricKey, pd.Series]:
        return {(target, e): mean_7d(history[(source, e)], min_days=min_days) for e in entities(history, source)}

    return Derivation(f"{target}", (source,), (target,), compute)


DERIVATIONS = (
    _smoothed("realized_loss_usd", "realized_loss_usd_7d_sma", 7),
    _smoothed("realized_profit_usd", "realized_profit_usd_7d_sma", 7),
    _smoothed("sopr", "sopr_7d_sma", 1),
)
