"""The real daily history in ../shared/data, brought into a store exactly as a user would (`import_csv`).

Each source file is reshaped to the `date,value` CSV that `signaldesk store import` takes (dates
as YYYY-MM-DD, values in the metric's unit: gas from wei to gwei) and imported; nothing is
copied into the project. Used by the real-history tests (through `shared_file`, so they skip
cleanly without ../shared) and by the evidence command:

    .venv/bin/python -m tests.backtest.real_store OUT_DIR

which builds the store in OUT_DIR, runs `signaldesk backtest --factors` on it and writes the
backtest page there (the numbers in docs/evidence.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from signaldesk.backtest.importer import import_csv

AI = ("NVDA", "AMD", "MSFT", "GOOGL", "AMZN", "META", "ORCL")
Locate = Callable[..., Path]


def _dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    return pd.to_datetime(values.astype(str).str.slice(0, 10), format=fmt).dt.strftime("%Y-%m-%d")


def _csv(tmp: Path, name: str, dates: pd.Series, values: pd.Series) -> Path:
    path = tmp / f"{name}.csv"
    frame = pd.DataFrame({"date": dates.to_numpy(), "value": pd.to_numeric(values, errors="coerce").to_numpy()})
    frame.dropna().drop_duplicates("date").sort_values("date").to_csv(path, index=False)
    return path


def series_files(locate: Locate, tmp: Path) -> list[tuple[Path, str, str, str]]:
    """(csv, metric, entity, source) for every real series the rules can read."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(locate("data", name), encoding="utf-8-sig")

    btc = read("btc_daily_ohlcv_yahoo.csv")
    eth = read("eth_daily_ohlcv_yahoo.csv")
    fng = read("fear_greed_daily_values.csv")
    onchain = read("btc_onchain_coinmetrics_mvrv_mcap_supply.csv")
    funding = read("btcusdt_funding_daily_mean_binance.csv")
    oi = read("btc_open_interest_cryptoquant.csv")
    stable = read("stablecoin_total_supply_defillama.csv")
    tvl = read("chain_tvl_defillama_6chains_2020_2025.csv")
    gas = read("eth_avg_gas_price_etherscan.csv")
    out = [
        (_csv(tmp, "btc", _dates(btc["Date"]), btc["Close"]), "price_usd", "btc", "yahoo"),
        (_csv(tmp, "eth", _dates(eth["Date"]), eth["Close"]), "price_usd", "eth", "yahoo"),
        (_csv(tmp, "fng", _dates(fng["date"]), fng["fng"]), "fear_greed", "", "alternative_me"),
        (_csv(tmp, "mvrv", _dates(onchain["date"]), onchain["mvrv"]), "mvrv", "", "coinmetrics"),
        (_csv(tmp, "funding", _dates(funding["date"]), funding["funding_mean"]), "funding_rate_8h", "btc", "binance"),
        (_csv(tmp, "oi", _dates(oi["Date"], "%Y.%m.%d"), oi["Data"]), "open_interest_usd", "btc", "cryptoquant"),
        (_csv(tmp, "stable", _dates(stable["as_of"]), stable["value"]), "stablecoin_supply_usd", "", "defillama"),
        (_csv(tmp, "tvl", _dates(tvl["date"]), tvl["ethereum"]), "chain_tvl_usd", "ethereum", "defillama"),
        (
            _csv(tmp, "gas", _dates(gas["Date(UTC)"], "%m/%d/%Y"), gas["Value (Wei)"] / 1e9),
            "gas_price_gwei",
            "ethereum",
            "etherscan",
        ),
    ]
    for ticker in AI:
        frame = read(f"equities/{ticker}_daily_ohlcv.csv")
        out.append((_csv(tmp, ticker, _dates(frame["Date"]), frame["Close"]), "equity_close_usd", ticker, "yahoo"))
    return out


def build(store, locate: Locate, tmp: Path) -> dict[str, int]:
    """Import every real series into `store`; rows added per (metric:entity)."""
    counts = {}
    for path, metric, entity, source in series_files(locate, tmp):
        counts[f"{metric}:{entity}" if entity else metric] = import_csv(store, path, metric, entity, source)
    return counts


def main(argv: list[str]) -> int:
    """Build the store from ../shared/data in OUT_DIR and write the factor evidence and backtest page there."""
    from signaldesk.backtest.run import run_backtest, write_outputs
    from signaldesk.store import Store

    out = Path(argv[0] if argv else "evidence-out")
    out.mkdir(parents=True, exist_ok=True)
    shared = Path(__file__).resolve().parents[2].parent / "shared"

    def locate(*parts: str) -> Path:
        return shared.joinpath(*parts)

    (out / "csv").mkdir(exist_ok=True)
    db = out / "real.duckdb"
    db.unlink(missing_ok=True)
    with Store.open(db) as store:
        build(store, locate, out / "csv")
        result = run_backtest(store, factors=True, verify_days=2)
        written = write_outputs(result, out / "page")
    print("\n".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
