"""The backtest on real history from ../shared/data (skipped when that folder is absent).

Every real series the rules can read (BTC and ETH closes, Fear & Greed, MVRV, funding, open
interest, stablecoin supply, Ethereum TVL and gas, seven AI equities) goes through `import_csv`
exactly as a user would bring it (`tests/backtest/real_store.py`), then the engine scores every
day and the backtest runs, sweep and factor evidence included.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from signaldesk.backtest.run import result_to_json, run_backtest
from signaldesk.backtest.scores import engine_scorer
from tests.backtest.real_store import build
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    from signaldesk.store import Store

    tmp = tmp_path_factory.mktemp("real")
    store = Store.open(tmp / "real.duckdb")
    counts = build(store, shared_file, tmp)
    btc = pd.read_csv(shared_file("data", "btc_daily_ohlcv_yahoo.csv"))
    yield store, counts, btc
    store.close()


@pytest.fixture(scope="module")
def result(real_store):
    store, _, _ = real_store
    return run_backtest(store, date(2016, 1, 1), scorer=engine_scorer(), verify_days=2, factors=True)


def test_real_files_import_completely(real_store):
    store, counts, btc = real_store
    assert counts["price_usd:btc"] == len(btc)
    assert store.series("price_usd", "btc").loc["2021-11-10"] == pytest.approx(64995.23, abs=0.01)
    assert store.series("gas_price_gwei", "ethereum").loc["2021-11-10"] == pytest.approx(173.9, abs=0.1)
    assert counts["fear_greed"] > 1700 and counts["equity_close_usd:NVDA"] > 2500


def test_backtest_runs_on_real_history(real_store, result):
    _, _, btc = real_store
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
    deflated = data["sweep"]["in_sample_best"]["deflated_sharpe"]
    # every grid point with a Sharpe ratio (one that never trades has none) counts as a trial
    assert (
        0.9 * data["sweep"]["grid_size"] < deflated["trials"] <= data["sweep"]["grid_size"]
        and 0 <= deflated["dsr"] <= 1
    )


def test_factor_evidence_matches_an_independent_spearman(real_store, result):
    """The trend rule's 30-day IC, recomputed from the CSV with pandas and scipy alone."""
    _, _, btc = real_store
    close = btc.assign(Date=pd.to_datetime(btc["Date"])).set_index("Date")["Close"].asfreq("D")
    trend = close / close.rolling(200).mean() - 1
    forward = close.shift(-31) / close.shift(-1) - 1
    frame = pd.concat([trend, forward], axis=1).loc["2016-01-01":"2022-12-31"].dropna()
    row = next(f for f in result.factors if f.rule == "btc_trend")
    assert row.ic[30].ic == pytest.approx(stats.spearmanr(frame.iloc[:, 0], frame.iloc[:, 1]).statistic, abs=1e-9)
    assert row.ic[30].ci_low < row.ic[30].ic < row.ic[30].ci_high and row.coverage == pytest.approx(1.0)
    assert {f.rule for f in result.factors} >= {"fear_greed", "mvrv", "funding_btc", "oi_change", "stablecoin_7d"}


def test_the_evidence_weighted_score_has_an_out_of_sample_record(result):
    record = result.score_record
    assert record["start"] == "2016-01-01" and record["days"] > 2000
    assert set(record["ic"]["30"]) == {"score", "rulebook_composite", "momentum_28d", "momentum_90d"}
    score = record["ic"]["30"]["score"]
    assert score["ci_low_corrected"] < score["ci_low"] < score["ic"] < score["ci_high"] < score["ci_high_corrected"]
    assert all(np.isfinite(v["ic"]) for v in record["ic"]["30"].values())
    track = record["track_record"]
    assert track["days"] > 2000 and 0 < track["hit_rate"] < 1
    assert sum(b["days"] for b in track["band_returns"].values()) == track["days"]
    assert all(f["day"][5:] in {"01-01", "04-01", "07-01", "10-01"} for f in record["fits"])
