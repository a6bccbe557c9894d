import math

import numpy as np
import pandas as pd
import pytest

from signaldesk.metrics.derive import derivations, derive_all
from signaldesk.metrics.liquidity import (
    chain_tvl_change_7d,
    dex_volume_change_7d,
    stablecoin_supply_change_7d,
    stablecoin_supply_delta_usd_7d,
)


def _daily(values, start="2026-02-01"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype=float)


def test_stablecoin_week_change_and_delta_by_hand():
    # seed 000: $308.8B, +0.26 % in a week → $308.0B seven days earlier, about +$0.8B
    before = 308.8e9 / 1.0026
    supply = _daily([before] + [before + 1e8 * k for k in range(1, 7)] + [308.8e9])
    change = stablecoin_supply_change_7d(supply)
    delta = stablecoin_supply_delta_usd_7d(supply)
    assert change.iloc[:7].isna().all() and delta.iloc[:7].isna().all()
    assert change.iloc[7] == pytest.approx(0.0026)
    assert delta.iloc[7] == pytest.approx(308.8e9 - before)
    assert delta.iloc[7] == pytest.approx(0.8e9, rel=0.01)


def test_tvl_change_by_hand():
    tvl = _daily([50e9, 51e9, 52e9, 53e9, 54e9, 55e9, 56e9, 55e9, 57.2e9])
    change = chain_tvl_change_7d(tvl)
    assert change.iloc[7] == pytest.approx(55 / 50 - 1)
    assert change.iloc[8] == pytest.approx(57.2 / 51 - 1)


def test_dex_volume_week_over_week_by_hand():
    # previous week averages 2.0B, this week 2.5B → +25 %
    volume = _daily([1.0e9, 3.0e9] * 3 + [2.0e9] + [2.5e9] * 7)
    change = dex_volume_change_7d(volume)
    assert change.iloc[:13].isna().all()
    assert change.iloc[13] == pytest.approx(0.25)


def test_a_gap_inside_the_window_gives_no_value_instead_of_a_stretched_window():
    tvl = _daily([float(v) for v in range(1, 16)]).drop(pd.Timestamp("2026-02-05"))
    change = chain_tvl_change_7d(tvl)
    assert math.isnan(change[pd.Timestamp("2026-02-12")])  # its base day (02-05) is missing
    assert change[pd.Timestamp("2026-02-13")] == pytest.approx(13 / 6 - 1)
    volume = _daily([1e9] * 24).drop(pd.Timestamp("2026-02-10"))
    dex = dex_volume_change_7d(volume)
    assert math.isnan(dex[pd.Timestamp("2026-02-16")])  # this week includes the gap
    assert math.isnan(dex[pd.Timestamp("2026-02-23")])  # the week before includes it
    assert dex[pd.Timestamp("2026-02-24")] == pytest.approx(0.0)  # both weeks after the gap


def test_causal_future_values_do_not_change_the_past():
    rng = np.random.default_rng(7)
    base = _daily(rng.uniform(1e9, 3e9, 40))
    altered = base.copy()
    altered.iloc[30:] *= 10
    for fn in (stablecoin_supply_change_7d, stablecoin_supply_delta_usd_7d, chain_tvl_change_7d, dex_volume_change_7d):
        pd.testing.assert_series_equal(fn(base).iloc[:30], fn(altered).iloc[:30])


def test_registered_derivations_cover_every_chain_and_the_total():
    assert {"stablecoin_supply_week", "chain_tvl_week", "dex_volume_week"} <= {d.name for d in derivations()}
    supply = _daily([100e9 + 1e9 * k for k in range(10)])
    history = {
        ("stablecoin_supply_usd", ""): supply,
        ("stablecoin_supply_usd", "solana"): supply / 10,
        ("chain_tvl_usd", "ethereum"): supply / 2,
        ("dex_volume_usd_24h", "solana"): _daily([2e9] * 14 + [3e9] * 7),
    }
    out = derive_all(history)
    assert out[("stablecoin_supply_change_7d", "")].iloc[-1] == pytest.approx(109 / 102 - 1)
    assert out[("stablecoin_supply_delta_usd_7d", "solana")].iloc[-1] == pytest.approx(0.7e9)
    assert out[("chain_tvl_change_7d", "ethereum")].iloc[-1] == pytest.approx(109 / 102 - 1)
    assert out[("dex_volume_change_7d", "solana")].iloc[-1] == pytest.approx(0.5)
    # derive_all drops the NaN head: the first value is on the first day with a full window
    assert out[("stablecoin_supply_change_7d", "")].index[0] == pd.Timestamp("2026-02-08")
