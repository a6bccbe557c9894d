"""Derivatives-derived metrics: the 7-day change of open interest.

`open_interest_change_7d` (entity asset) = OI_D / OI_{D−7} − 1, a fraction, on the calendar (a
missing day leaves the value empty instead of comparing with the wrong day). OI here is the
venue sum the `exchanges` provider stores, so the change is only meaningful because that sum is
always taken over the same venues (see `signaldesk.providers.exchanges.combine`).
"""

from __future__ import annotations

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.metrics.returns import change
from signaldesk.models import MetricKey


def open_interest_change_7d(open_interest_usd: pd.Series) -> pd.Series:
    """7-calendar-day fractional change of open interest (USD in, fraction out)."""
    return change(open_interest_usd, 7)


def _oi_change(history: History) -> dict[MetricKey, pd.Series]:
    return {
        ("open_interest_change_7d", asset): open_interest_change_7d(history[("open_interest_usd", asset)])
        for asset in entities(history, "open_interest_usd")
    }


DERIVATIONS = (
    Derivation("open_interest_change", ("open_interest_usd",), ("open_interest_change_7d",), _oi_change),
)
