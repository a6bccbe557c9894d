"""Hand-made histories and snapshots for the signal-engine tests (our own numbers, no shared data)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from signaldesk.models import MetricKey, Snapshot


def series(values: Iterable[float], start: str | date = "2026-01-01") -> pd.Series:
    """Daily series from `start`, one value per day."""
    values = list(values)
    return pd.Series(
        np.asarray(values, dtype=float), index=pd.date_range(pd.Timestamp(start), periods=len(values), freq="D")
    )


def snapshot(values: dict[MetricKey, float], as_of: date = date(2026, 2, 25)) -> Snapshot:
    """A snapshot holding only `values`, observed on the as-of day."""
    return Snapshot(as_of=as_of, values=dict(values))


SEED_DAY = date(2026, 2, 25)

#: The values seed report 000 states for 2026-02-25 (or implies: "转负", "跌至"), as engine inputs.
SEED_VALUES: dict[MetricKey, float] = {
    ("fear_greed", ""): 8,
    ("gas_price_gwei", "ethereum"): 1.41,
    ("etf_flow_streak_weeks", "btc"): -6,
    ("etf_net_flow_usd_7d", "btc"): -9.5e8,
    ("coinbase_premium", ""): -0.0006,
    ("funding_rate_8h", "btc"): -0.00002,
    ("open_interest_change_7d", "btc"): -0.08,
    ("exchange_whale_ratio", ""): 0.64,
    ("stablecoin_supply_change_7d", ""): 0.0026,
    ("price_usd", "btc"): 62_900,
    ("price_vs_ma200", "btc"): -0.37,
    ("drawdown_from_ath", "btc"): 62_900 / 126_200 - 1,
    ("price_change_7d", "btc"): -0.103,  # the demo scenario's 7 days to 2026-02-25 (the seed states none)
    ("btc_dominance", ""): 0.58,
    ("mvrv", ""): 1.12,
}


def synthetic_history(days: int = 3650, end: str = "2026-02-25", seed: int = 7) -> dict[MetricKey, pd.Series]:
    """Ten years (by default) of daily inputs for most rules: a random-walk market with its moods."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(end=pd.Timestamp(end), periods=days, freq="D")
    btc = 5_000 * np.exp(np.cumsum(rng.normal(0.0006, 0.035, days)))
    eth = 300 * np.exp(np.cumsum(rng.normal(0.0004, 0.045, days)))
    fng = np.clip(50 + 35 * np.sin(np.arange(days) / 60) + rng.normal(0, 8, days), 1, 99).round()
    realized = pd.Series(btc, index=index).ewm(halflife=300).mean().to_numpy() * 0.7
    out: dict[MetricKey, pd.Series] = {
        ("price_usd", "btc"): pd.Series(btc, index=index),
        ("price_usd", "eth"): pd.Series(eth, index=index),
        ("fear_greed", ""): pd.Series(fng, index=index),
        ("mvrv", ""): pd.Series(btc / realized, index=index),
        ("realized_price_usd", ""): pd.Series(realized, index=index),
        ("funding_rate_8h", "btc"): pd.Series(rng.normal(0.0001, 0.0002, days), index=index),
        ("coinbase_premium", ""): pd.Series(rng.normal(0.0, 0.0008, days), index=index),
        ("gas_price_gwei", "ethereum"): pd.Series(np.exp(rng.normal(2.5, 1.0, days)), index=index),
        ("open_interest_change_7d", "btc"): pd.Series(rng.normal(0, 0.06, days), index=index),
        ("stablecoin_supply_change_7d", ""): pd.Series(rng.normal(0.002, 0.006, days), index=index),
        ("exchange_whale_ratio", ""): pd.Series(np.clip(rng.normal(0.45, 0.08, days), 0, 1), index=index),
        ("realized_loss_usd_7d_sma", ""): pd.Series(np.exp(rng.normal(20, 0.6, days)), index=index),
        ("btc_dominance", ""): pd.Series(np.clip(rng.normal(0.55, 0.05, days), 0, 1), index=index),
    }
    # Weekly-only and gappy inputs: ETF streaks exist from the last two years, every Friday.
    fridays = index[(index.day_of_week == 4) & (index > index[-1] - pd.Timedelta(days=730))]
    streak = np.cumsum(np.where(rng.random(len(fridays)) < 0.5, -1, 1))
    out[("etf_flow_streak_weeks", "btc")] = pd.Series(np.clip(streak, -8, 8).astype(float), index=fridays)
    # The STH cost basis arrives with a three-day lag and stops 40 days before the end (expires).
    sth = pd.Series(btc, index=index).rolling(155, min_periods=30).mean().shift(3).dropna()
    out[("sth_cost_basis_usd", "")] = sth[sth.index <= index[-1] - pd.Timedelta(days=40)]
    return out


def seed_file(tmp_path: Path) -> Path:
    """SEED_VALUES as a snapshot file (ARCHITECTURE.md shape)."""
    path = tmp_path / "seed.json"
    values = {(f"{m}:{e}" if e else m): v for (m, e), v in SEED_VALUES.items()}
    path.write_text(json.dumps({"as_of": SEED_DAY.isoformat(), "values": values}))
    return path
