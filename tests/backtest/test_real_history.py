"""The backtest on real history from ../shared/data (skipped when that folder is absent).

BTC and ETH closes (Yahoo), Fear & Greed (alternative.me), MVRV (Coin Metrics), funding (Binance)
and seven AI equities go through `import_csv` exactly as a user would bring them, then the
engine scores every day and the backtest runs, sweep included.
"""

from datetime import date

import pandas as pd
import pytest

from signaldesk.backtest.importer import import_csv
from signaldesk.backtest.run import result_to_json, run_backtest
from signaldesk.backtest.scores import engine_scorer
from tests.conftest import shared_file

AI = ("NVDA", "AMD", "MSFT", "GOOGL", "AMZN", "META", "ORCL")


def _as_csv(tmp_path, name, dates, values):
    path = tmp_path / f"{name}.csv"
    frame = pd.DataFrame({"date": pd.to_datetime(dates).dt.strftime("%Y-%m-%d"), "value": values}).dropna()
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    from signaldesk.store import Store

    tmp = tmp_path_factory.mktemp("real")
    btc = pd.read_csv(shared_file("data", "btc_daily_ohlcv_yahoo.csv"))
    eth = pd.read_csv(shared_file("data", "eth_daily_ohlcv_yahoo.csv"))
    fng = pd.read_csv(shared_file("data", "fear_greed_daily_values.csv"))
    onchain = pd.read_csv(shared_file("data", "btc_onchain_coinmetrics_mvrv_mcap_supply.csv"))
    funding = pd.read_csv(shared_file("data", "btcusdt_funding_daily_mean_binance.csv"))
    store = Store.open(tmp / "real.duckdb")
    counts = {
        "btc": import_csv(store, _as_csv(tmp, "btc", btc["Date"], btc["Close"]), "price_usd", "btc", "yahoo"),
        "eth": import_csv(store, _as_csv(tmp, "eth", eth["Date"], eth["Close"]), "price_usd", "eth", "yahoo"),
        "fng": import_csv(store, _as_csv(tmp, "fng", fng["date"], fng["fng"]), "fear_greed", "", "alternative_me"),
        "mvrv": import_csv(store, _as_csv(tmp, "mvrv", onchain["date"], onchain["mvrv"]), "mvrv", "", "coinmetrics"),
        "funding": import_csv(store, _as_csv(tmp, "funding", funding["date"], funding["funding_mean"]),
                              "funding_rate_8h", "btc", "binance"),
    }
    for ticker in AI:
        frame = pd.read_csv(shared_file("data", "equities", f"{ticker}_daily_ohlcv.csv"))
        counts[ticker] = import_csv(store, _as_csv(tmp, ticker, frame["Date"], frame["Close"]),
                                    "equity_close_usd", ticker, "yahoo")
    yield store, counts, btc
    store.close()


def test_real_files_import_completely(real_store):
    store, counts, btc = real_store
    assert counts["btc"] == len(btc)
    assert store.series("price_usd", "btc").loc["2021-11-10"] == pytest.approx(64995.23, abs=0.01)
    assert counts["fng"] > 1700 and counts["NVDA"] > 2500


def test_backtest_runs_on_real_history(real_store):
    store, _, btc = real_store
    result = run_backtest(store, date(2016, 1, 1), scorer=engine_scorer(), verify_days=2)
    assert result.end == date(2022, 12, 31)
    assert result.checks["point_in_time"]["max_abs_diff"] == 0.0
    # the forward 30-day return of 2021-11-10, by hand from the file: enter 11-11, exit 12-11
    close = btc.set_index("Date")["Close"]
    row = result.joined.set_index("date").loc["2021-11-10"]
    assert row["fwd_30d"] == pytest.approx(close["2021-12-11"] / close["2021-11-11"] - 1, rel=1e-12)
    # buy-and-hold is the price ratio less one 10 bps entry fee
    bh = next(c for c in result.curves.summaries() if c["name"] == "buy_and_hold")
    first = result.curves.frame()["buy_and_hold"].dropna().index[0].strftime("%Y-%m-%d")
    assert bh["total_return"] == pytest.approx(close["2022-12-31"] / close[first] / 1.001 - 1, rel=1e-9)
    assert any("AI basket: equal-weight NVDA, AMD, MSFT, GOOGL, AMZN, META, ORCL" in n for n in result.notes)
    data = result_to_json(result)
    assert {b["group"] for b in data["band_stats"]} <= {"bearish", "neutral", "bullish"}
    assert all(i["n"] > 1000 for i in data["ic"])
    assert data["sweep"] is not None and len(data["sweep"]["folds"]) >= 3
