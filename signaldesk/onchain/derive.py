"""Exact per-day totals → the published metrics (BTC, USD, ratios, 7-day means).

Engine-independent on purpose: both engines hand over the same integers, and these few divisions
run once, in Python, on a table with one row per day. Formulas are in docs/onchain.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signaldesk.onchain.engine import WEIGHT_SCALE
from signaldesk.onchain.schema import CENTS_PER_USD, METRIC_COLUMNS, SAT_PER_BTC

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SAT_CENTS_PER_USD = SAT_PER_BTC * CENTS_PER_USD
"""sat × cent per BTC × USD: divide a sat×cent total by this to get USD."""


def _f(col: pd.Series) -> np.ndarray:
    """Exact integers → float64 (each rounded once, identically on every engine's output)."""
    import numpy as np

    return np.asarray(col, dtype=object).astype(np.float64)  # int.__float__ per value: correctly rounded


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (e.g. SOPR on a day nothing was spent)."""
    import numpy as np

    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def derive_daily(exact: pd.DataFrame, lth_mode: str) -> pd.DataFrame:
    """The metric frame (index: UTC dates) from the engine's exact per-day totals."""
    import numpy as np
    import pandas as pd

    price = _f(exact["price_cents"]) / CENTS_PER_USD
    supply = _f(exact["supply"])
    cap = _f(exact["realized_cap"])
    if lth_mode == "logistic":
        lth_supply = _f(exact["lth_supply_w"]) / WEIGHT_SCALE
        lth_cap = _f(exact["lth_cap_w"]) / WEIGHT_SCALE
        sth_supply, sth_cap = supply - lth_supply, cap - lth_cap
    else:  # sharp: subtract as integers, so STH + LTH = supply to the satoshi
        lth_supply, lth_cap = _f(exact["lth_supply"]), _f(exact["lth_cap"])
        sth_supply = _f(exact["supply"] - exact["lth_supply"])
        sth_cap = _f(exact["realized_cap"] - exact["lth_cap"])
    liveliness = _ratio(_f(exact["cum_cdd"]), _f(exact["coin_days_created"]))
    investor_cap = _f(exact["realized_cap"] - exact["thermocap"]) / SAT_CENTS_PER_USD
    active_supply = supply / SAT_PER_BTC * liveliness
    out = pd.DataFrame(
        {
            "supply_btc": supply / SAT_PER_BTC,
            "realized_cap_usd": cap / SAT_CENTS_PER_USD,
            "realized_price_usd": _ratio(cap, supply) / CENTS_PER_USD,
            "mvrv": _ratio(supply * price * CENTS_PER_USD, cap),
            "sth_supply_btc": sth_supply / SAT_PER_BTC,
            "lth_supply_btc": lth_supply / SAT_PER_BTC,
            "sth_cost_basis_usd": _ratio(sth_cap, sth_supply) / CENTS_PER_USD,
            "lth_cost_basis_usd": _ratio(lth_cap, lth_supply) / CENTS_PER_USD,
            "realized_profit_usd": _f(exact["profit"]) / SAT_CENTS_PER_USD,
            "realized_loss_usd": _f(exact["loss"]) / SAT_CENTS_PER_USD,
            "sopr": _ratio(_f(exact["spent_value"]), _f(exact["spent_cost"])),
            "relative_unrealized_loss": _ratio(_f(exact["unrealized_loss"]), supply * price * CENTS_PER_USD),
            "supply_in_profit": _ratio(_f(exact["supply_in_profit"]), supply),
            "coin_days_destroyed": _f(exact["cdd"]) / SAT_PER_BTC,
            "liveliness": liveliness,
            "active_supply_btc": active_supply,
            "thermocap_usd": _f(exact["thermocap"]) / SAT_CENTS_PER_USD,
            "investor_cap_usd": investor_cap,
            "true_market_mean_usd": _ratio(investor_cap, active_supply),
        },
        index=pd.DatetimeIndex(np.asarray(exact.index, dtype=np.int64).astype("datetime64[D]"), name="date"),
    )
    # 7-day means: the mean of the 7 daily values ending on the day, none before the chain's 7th
    # day; SOPR's skips days without spends, which have no SOPR.
    out["realized_profit_usd_7d_sma"] = out["realized_profit_usd"].rolling(7, min_periods=7).mean()
    out["realized_loss_usd_7d_sma"] = out["realized_loss_usd"].rolling(7, min_periods=7).mean()
    sopr_sma = out["sopr"].rolling(7, min_periods=1).mean()
    sopr_sma.iloc[:6] = float("nan")
    out["sopr_7d_sma"] = sopr_sma
    return out[list(METRIC_COLUMNS)]


def urpd_frame(bucket_supply: list[int], ath_cents: int) -> pd.DataFrame:
    """URPD rows (price_low, price_high in USD; supply_btc), one per bucket of `bucket_supply` (sat)."""
    import pandas as pd

    buckets = len(bucket_supply)
    width = ath_cents / buckets / CENTS_PER_USD
    return pd.DataFrame(
        {
            "price_low": [i * width for i in range(buckets)],
            "price_high": [(i + 1) * width for i in range(buckets)],
            "supply_btc": [supply / SAT_PER_BTC for supply in bucket_supply],
        }
    )
