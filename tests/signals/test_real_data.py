"""The engine on real history (../shared/data, which ends 2022-12-31); skipped when it is absent."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from signaldesk.models import MetricKey
from signaldesk.signals.engine import assess
from signaldesk.signals.history import score_history
from signaldesk.signals.snapshot import snapshot_from_history
from tests.conftest import shared_file


def _csv(name: str, date_col: str, value_col: str, **kwargs) -> pd.Series:
    frame = pd.read_csv(shared_file("data", name), encoding="utf-8-sig", **kwargs)
    index = pd.to_datetime(frame[date_col].astype(str).str[:10], format=kwargs.pop("date_format", None) or "%Y-%m-%d")
    return pd.Series(frame[value_col].to_numpy(dtype=float), index=index).sort_index().dropna()


@pytest.fixture(scope="module")
def history() -> dict[MetricKey, pd.Series]:
    onchain = pd.read_csv(
        shared_file("data", "btc_onchain_coinmetrics_mvrv_mcap_supply.csv"), parse_dates=["date"]
    ).set_index("date")
    onchain = onchain.dropna(subset=["mvrv", "market_cap", "supply"])
    gas = pd.read_csv(shared_file("data", "eth_avg_gas_price_etherscan.csv"))
    oi = pd.read_csv(shared_file("data", "btc_open_interest_cryptoquant.csv"), encoding="utf-8-sig")
    tvl = pd.read_csv(shared_file("data", "chain_tvl_defillama_6chains_2020_2025.csv"), parse_dates=["date"]).set_index(
        "date"
    )
    return {
        ("price_usd", "btc"): _csv("btc_daily_ohlcv_yahoo.csv", "Date", "Close"),
        ("price_usd", "eth"): _csv("eth_daily_ohlcv_yahoo.csv", "Date", "Close"),
        ("fear_greed", ""): _csv("fear_greed_daily_values.csv", "date", "fng"),
        ("funding_rate_8h", "btc"): _csv("btcusdt_funding_daily_mean_binance.csv", "date", "funding_mean"),
        ("stablecoin_supply_usd", ""): _csv("stablecoin_total_supply_defillama.csv", "as_of", "value"),
        ("mvrv", ""): onchain["mvrv"],
        ("realized_price_usd", ""): onchain["market_cap"] / onchain["mvrv"] / onchain["supply"],
        ("gas_price_gwei", "ethereum"): pd.Series(
            gas["Value (Wei)"].to_numpy(dtype=float) / 1e9, index=pd.to_datetime(gas["Date(UTC)"], format="%m/%d/%Y")
        )
        .replace(0.0, np.nan)
        .dropna(),
        ("open_interest_usd", "btc"): pd.Series(
            oi["Data"].to_numpy(dtype=float), index=pd.to_datetime(oi["Date"], format="%Y.%m.%d")
        ),
        ("chain_tvl_usd", "ethereum"): tvl["ethereum"].dropna(),
    }


@pytest.fixture(scope="module")
def scored(history):
    return score_history(history, start=date(2018, 2, 1), end=date(2022, 12, 31))


def test_scores_cover_the_real_history(scored):
    table = scored.scores
    assert table["score"].notna().all() and table["score"].between(0, 100).all()
    assert (table.loc["2021":, "coverage"] > 0.3).all()  # price, sentiment, funding, OI, MVRV, stablecoins, TVL, gas
    assert table["phase"].nunique() >= 6


@pytest.mark.parametrize(
    ("day", "phases"),
    [
        ("2018-12-15", {"accelerating_decline"}),  # the 2018 capitulation low
        ("2019-06-26", {"overheated"}),  # the 2019 spike to ~$13K with greed above 90
        ("2020-03-12", {"accelerating_decline"}),  # COVID crash
        ("2021-04-14", {"overheated"}),  # Coinbase listing top, MVRV above 3
        ("2021-11-10", {"bull_expansion", "overheated"}),  # the cycle's all-time high
        ("2022-06-18", {"accelerating_decline"}),  # the Celsius/3AC capitulation
        ("2022-11-21", {"accelerating_decline", "bottom_building"}),  # the FTX low
    ],
)
def test_phases_at_known_turning_points(scored, day, phases):
    assert scored.scores.loc[day, "phase"] in phases


def test_real_days_agree_with_the_per_day_judgement(history, scored):
    for day in ["2019-06-26", "2021-11-10", "2022-11-21"]:
        a = assess(snapshot_from_history(history, date.fromisoformat(day)))
        row = scored.scores.loc[day]
        assert a.score == pytest.approx(row.score, abs=1e-9)
        assert (a.phase, a.stance, a.band) == (row.phase, row.stance, row.band)


def test_no_look_ahead_on_real_history(history, scored):
    limit = pd.Timestamp("2021-06-30")
    cut = score_history({k: s[s.index <= limit] for k, s in history.items()}, start=date(2018, 2, 1), end=limit.date())
    pd.testing.assert_frame_equal(cut.scores, scored.scores.loc[:limit], check_freq=False)
