"""Demo recording for bitview (BRK): the one bulk request a fresh store makes, in BRK's shape.

The series are built from the scenario so that they tell one consistent story:
- realised price is `Scenario.realized_price` (Coin Metrics' demo says the same);
- STH cost basis is a volume-weighted 45-day-half-life mean of the close (≈ $95K early February,
  as seed 001 quotes, ≈ $89K on 2026-02-24: well above the $62.9K close);
- LTH cost basis follows from realised price = w·STH + (1 − w)·LTH, with the STH share of supply
  w between about 12 % and 28 % (higher after rallies, when coins move), so it sits below both;
- True Market Mean is a slow (360-day half-life) mean of the close, ≈ $79K in the sell-off;
- SOPR is below 1 when price is under the STH cost basis and falling; realised profit and loss
  come from one spent-value series V (≈ 35 % of spot volume): profit − loss = V·(SOPR − 1) exactly,
  profit + loss = V·g with a dispersion g > |SOPR − 1|, so losses run near $2B a day in late February;
- supply in profit is logistic in ln(close / realised price) (≈ 57 % on 2026-02-24, ≈ 98 % at the
  ATH) and relative unrealised loss is 0.9·(1 − supply in profit)² (≈ 12–13 % early February,
  seed 001's reading).
As on the live API, rows carry no dates (positions from 2009-01-01, the current BRK mapping), the
last row is the still-forming 2026-02-25, and `stamp` is the moment the answer was made.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.bitview import BULK_URL, INDEX, SERIES, Bitview, bulk_params
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, rng

DAY1_ZERO = date(2009, 1, 1)
"""Position 0 of the `day1` index on current BRK servers (the provider never relies on it)."""
STAMP = "2026-02-25T22:58:07Z"

#: metric → (wire type, version, decimals on the wire)
_WIRE: dict[str, tuple[str, int, int]] = {
    "sth_cost_basis_usd": ("Dollars", 14, 2),
    "lth_cost_basis_usd": ("Dollars", 14, 2),
    "realized_price_usd": ("Dollars", 13, 2),
    "true_market_mean_usd": ("Dollars", 9, 2),
    "realized_profit_usd": ("Dollars", 11, 2),
    "realized_loss_usd": ("Dollars", 11, 2),
    "sopr": ("StoredF32", 11, 6),
    "supply_in_profit": ("StoredF32", 12, 4),
    "relative_unrealized_loss": ("StoredF32", 12, 4),
}


def _noise(name: str, index: pd.Index, scale: float) -> pd.Series:
    return pd.Series(rng(f"bitview-{name}").normal(0.0, scale, len(index)), index=index)


def _ewm(series: pd.Series, halflife: float) -> pd.Series:
    """Exponentially weighted mean with a CPU-independent smoothing factor (see `exactmath`)."""
    return series.ewm(alpha=exactmath.halflife_alpha(halflife)).mean()


def demo_series(scenario: Scenario) -> dict[str, pd.Series]:
    """Every metric the provider yields, daily over the whole scenario, in catalog units."""
    close, realized = scenario.btc, scenario.realized_price
    volume = scenario.volume("btc")
    index = close.index
    sth = _ewm(close * volume, 45) / _ewm(volume, 45)
    trend = exactmath.log(_ewm(close, 60) / _ewm(close, 365))
    share = (0.2 + 0.08 * exactmath.tanh(3 * trend)).clip(0.12, 0.28)
    lth = (realized - share * sth) / (1 - share)
    tmm = _ewm(close, 360)
    log_sopr = 0.12 * exactmath.log(close / sth) + 0.5 * exactmath.log(close / _ewm(close, 5))
    sopr = exactmath.exp(log_sopr + _noise("sopr", index, 0.006))
    spent = 0.35 * volume * exactmath.exp(_noise("spent", index, 0.15))
    spread = (sopr - 1).abs() + 0.035 + _noise("spread", index, 0.01).abs()
    profit = spent * (spread + sopr - 1) / 2
    loss = spent * (spread - (sopr - 1)) / 2
    in_profit = 1 / (1 + exactmath.exp(-(4.8 * exactmath.log(close / realized) - 0.48 + _noise("sip", index, 0.05))))
    unrealized_loss = 0.9 * (1 - in_profit) ** 2
    return {
        "sth_cost_basis_usd": sth,
        "lth_cost_basis_usd": lth,
        "realized_price_usd": realized,
        "true_market_mean_usd": tmm,
        "realized_profit_usd": profit,
        "realized_loss_usd": loss,
        "sopr": sopr,
        "supply_in_profit": in_profit,
        "relative_unrealized_loss": unrealized_loss,
    }


def _wire_value(value: float, divisor: float, decimals: int) -> float:
    """Catalog units → the wire's (percent where BRK serves percent), rounded like BRK prints it."""
    return round(float(value) * divisor, decimals)


def record(directory: Path, scenario: Scenario) -> None:
    today = DEMO_NOW.date()
    start = Bitview.capabilities.window(None, today).start
    days = pd.date_range(start, today, freq="D")
    series = demo_series(scenario)
    position = (start - DAY1_ZERO).days
    envelopes = []
    for spec in SERIES:
        kind, version, decimals = _WIRE[spec.metric]
        values = series[spec.metric].reindex(days)
        envelopes.append(
            {
                "version": version,
                "index": INDEX,
                "type": kind,
                "start": position,
                "end": position + len(days),
                "stamp": STAMP,
                "data": [_wire_value(v, spec.divisor, decimals) for v in values],
            }
        )
    write_json(directory, demo_request("GET", BULK_URL, params=bulk_params(SERIES, start)), envelopes)
