"""A plain pandas/numpy implementation of the engine's metrics, for the tests' cross-check and the benchmark.

Deliberately built differently from the SQL engine: it loads the three columns it needs into
memory and fills a dense cohort matrix `unspent[c, d]` (BTC created on day c still unspent at the
end of day d, D×D floats), then reads every metric off that matrix. Simple to verify by eye,
but it needs the table in RAM and float arithmetic, so it agrees with the engine to ~1e-9
relative, not to the cent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from signaldesk.onchain.engine import LTH_DAYS, logistic_weight
from signaldesk.onchain.prices import daily_cents, day_date, day_number

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def _day_numbers(stamps: pd.Series) -> np.ndarray:
    """UTC day numbers of a timestamp column; -1 where null (unspent)."""
    import numpy as np
    import pandas as pd

    utc = stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps
    days = (utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(days=1)
    return days.fillna(-1).to_numpy(dtype=np.int64)


def compute_reference(
    outputs: str | Path,
    prices: pd.Series,
    *,
    as_of: date | None = None,
    lth_mode: str = "sharp",
    urpd_buckets: int = 100,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily metrics, URPD) with the same columns as `OnchainResult.daily` / `.urpd`."""
    import numpy as np
    import pandas as pd

    table = pd.read_parquet(outputs, columns=["value_sat", "created_time", "spent_time"])
    created = _day_numbers(table["created_time"])
    spent = _day_numbers(table["spent_time"])
    btc = table["value_sat"].to_numpy(dtype=np.float64) / 1e8
    first = int(created.min())
    last = day_number(as_of) if as_of is not None else int(max(created.max(), spent.max()))
    keep = created <= last
    created, spent, btc = created[keep] - first, spent[keep], btc[keep]
    spent = np.where((spent >= 0) & (spent <= last), spent - first, -1)
    n_days = last - first + 1
    cents = daily_cents(prices, first, last)["price_cents"].to_numpy()
    price = cents / 100

    # moved[c, s]: BTC created on day c and spent on day s; unspent[c, d] follows by cumulative sums.
    made = np.bincount(created, weights=btc, minlength=n_days)
    was_spent = spent >= 0
    moved = np.zeros((n_days, n_days))
    np.add.at(moved, (created[was_spent], spent[was_spent]), btc[was_spent])
    alive = np.triu(np.ones((n_days, n_days)))  # alive[c, d] = 1 when d >= c
    unspent = made[:, None] * alive - np.cumsum(moved, axis=1)

    supply = unspent.sum(axis=0)
    cap = (unspent * price[:, None]).sum(axis=0)
    age = np.arange(n_days)[None, :] - np.arange(n_days)[:, None]
    if lth_mode == "logistic":
        weight = np.vectorize(logistic_weight)(np.maximum(age, 0)) * alive
    else:
        weight = (age >= LTH_DAYS).astype(float)
    lth = (unspent * weight).sum(axis=0)
    lth_cap = (unspent * weight * price[:, None]).sum(axis=0)
    gain = price[None, :] - price[:, None]  # spend-day price minus creation-day price, per (c, s)
    spent_cost = (moved * price[:, None]).sum(axis=0)
    spent_value = moved.sum(axis=0) * price
    profit = (moved * np.maximum(gain, 0)).sum(axis=0)
    loss = (moved * np.maximum(-gain, 0)).sum(axis=0)
    cdd = (moved * np.maximum(age, 0)).sum(axis=0)
    underwater = np.maximum(-gain, 0)  # creation price above the day's price
    unrealized_loss = (unspent * underwater).sum(axis=0)
    in_profit = (unspent * (gain > 0)).sum(axis=0)
    coin_days_created = np.concatenate([[0.0], np.cumsum(supply)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        liveliness = np.cumsum(cdd) / coin_days_created
        thermocap = np.cumsum(np.diff(np.concatenate([[0.0], supply])) * price)
        active = supply * liveliness
        frame = pd.DataFrame(
            {
                "supply_btc": supply,
                "realized_cap_usd": cap,
                "realized_price_usd": cap / supply,
                "mvrv": supply * price / cap,
                "sth_supply_btc": supply - lth,
                "lth_supply_btc": lth,
                "sth_cost_basis_usd": (cap - lth_cap) / (supply - lth),
                "lth_cost_basis_usd": lth_cap / lth,
                "realized_profit_usd": profit,
                "realized_loss_usd": loss,
                "sopr": spent_value / spent_cost,
                "relative_unrealized_loss": unrealized_loss / (supply * price),
                "supply_in_profit": in_profit / supply,
                "coin_days_destroyed": cdd,
                "liveliness": liveliness,
                "active_supply_btc": active,
                "thermocap_usd": thermocap,
                "investor_cap_usd": cap - thermocap,
                "true_market_mean_usd": (cap - thermocap) / active,
            },
            index=pd.DatetimeIndex([pd.Timestamp(day_date(first + d)) for d in range(n_days)], name="date"),
        )
    frame = frame.replace([np.inf, -np.inf], np.nan)
    frame["realized_profit_usd_7d_sma"] = frame["realized_profit_usd"].rolling(7).mean()
    frame["realized_loss_usd_7d_sma"] = frame["realized_loss_usd"].rolling(7).mean()
    frame["sopr_7d_sma"] = frame["sopr"].rolling(7, min_periods=1).mean()
    frame.iloc[:6, frame.columns.get_loc("sopr_7d_sma")] = np.nan

    known = prices[prices.index <= pd.Timestamp(day_date(last))]
    top = int(np.rint(known.max() * 100))
    bucket = np.minimum(urpd_buckets * cents // top, urpd_buckets - 1)
    per_bucket = np.bincount(bucket, weights=unspent[:, -1], minlength=urpd_buckets)
    width = top / 100 / urpd_buckets
    urpd = pd.DataFrame(
        {
            "price_low": np.arange(urpd_buckets) * width,
            "price_high": (np.arange(urpd_buckets) + 1) * width,
            "supply_btc": per_bucket,
        }
    )
    return frame, urpd
