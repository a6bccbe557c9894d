"""`signaldesk onchain …`: the synthetic chain generator and the UTXO metric engine (CLI.md).

Commands parse options, call `synthetic.generate` or `engine.compute`, write the store and print.
Heavy libraries load inside the commands so `signaldesk --help` stays fast. Errors go through the
main CLI's decorator (`cli_errors.guarded`): one line on stderr, exit 1 (2 for bad usage), unless
`--debug` is on.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from signaldesk.cli_errors import guarded
from signaldesk.onchain.schema import METRIC_COLUMNS

if TYPE_CHECKING:
    from signaldesk.onchain.engine import OnchainResult

app = typer.Typer(
    help="UTXO-level on-chain metrics: a synthetic chain generator and the DuckDB/Spark engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

STORED_METRICS: tuple[str, ...] = tuple(m for m in METRIC_COLUMNS if m not in ("thermocap_usd", "investor_cap_usd"))
"""Series written to the store: every catalog id the engine yields (thermocap/investor cap are JSON-only)."""


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class LthSplit(StrEnum):
    sharp = "sharp"
    logistic = "logistic"


@app.command()
@guarded
def synth(
    outputs: Annotated[int, typer.Option("--outputs", min=1, help="Number of outputs (rows) to generate.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for outputs.parquet and prices.csv.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same chain.")] = 0,
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Chain length in days (default: by size, 60 to 1461).")
    ] = None,
) -> None:
    """Write a seeded synthetic chain: DIR/outputs.parquet and DIR/prices.csv (date,price)."""
    from signaldesk.onchain.synthetic import generate

    summary = generate(outputs, out, seed=seed, days=days)
    typer.echo(
        f"wrote {summary.rows:,} outputs over {summary.days} days ({summary.unspent:,} unspent) to "
        f"{summary.outputs_path}; prices to {summary.prices_path}"
    )


def _clean(value: float) -> float | None:
    """JSON has no NaN: an undefined value (e.g. LTH cost basis with no LTH coins) is null."""
    return float(value) if math.isfinite(value) else None


def _text(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}" if math.isfinite(value) else "n/a"


def result_json(result: OnchainResult, engine: str) -> dict[str, Any]:
    """The `--json` document: the as-of day's metrics and URPD (CLI.md), plus how they were made."""
    row = result.daily.iloc[-1]
    return {
        "as_of": result.as_of.isoformat(),
        "engine": engine,
        "outputs": result.outputs,
        "lth_split": result.lth_mode,
        "metrics": {name: _clean(row[name]) for name in METRIC_COLUMNS},
        "urpd": [
            {"price_low": r.price_low, "price_high": r.price_high, "supply_btc": r.supply_btc}
            for r in result.urpd.itertuples(index=False)
        ],
    }


@app.command()
@guarded
def compute(
    outputs: Annotated[
        str, typer.Option("--outputs", help="The outputs Parquet file (docs/onchain.md); with Spark also s3a://… etc.")
    ],
    engine: Annotated[Engine, typer.Option("--engine", help="Where the SQL runs.")] = Engine.duckdb,
    prices: Annotated[
        Path | None, typer.Option("--prices", help="A date,price CSV of daily BTC closes (default: the store).")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: the chain's last day).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB store (default: under the user data dir).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the as-of day's values as JSON.")] = False,
    lth: Annotated[LthSplit, typer.Option("--lth", help="STH/LTH split at 155 days.")] = LthSplit.sharp,
    urpd_buckets: Annotated[int, typer.Option("--urpd-buckets", min=1, help="URPD buckets from 0 to the ATH.")] = 100,
    memory_limit: Annotated[str, typer.Option("--memory-limit", help="DuckDB memory cap; it spills past it.")] = "8GB",
    temp_dir: Annotated[Path | None, typer.Option("--temp-dir", help="DuckDB spill directory.")] = None,
) -> None:
    """Compute the daily on-chain series, write them into the store, optionally print JSON."""
    from signaldesk.clock import parse_day
    from signaldesk.onchain import SOURCE
    from signaldesk.onchain.backends import DuckDBOptions
    from signaldesk.onchain.engine import compute as run
    from signaldesk.onchain.prices import from_store, read_csv
    from signaldesk.onchain.store_io import observations
    from signaldesk.settings import default_db
    from signaldesk.store import Store

    day = parse_day(as_of) if as_of else None
    options = DuckDBOptions(memory_limit=memory_limit, temp_directory=str(temp_dir) if temp_dir else None)
    store_path = db or default_db()
    if prices is not None:
        series = read_csv(prices)
    else:
        with Store.open(store_path) as store:
            series = from_store(store, day)
    # The store is not held open while the engine runs (minutes on a full chain): others may write.
    result = run(
        outputs,
        series,
        engine=engine.value,
        as_of=day,
        lth_mode=lth.value,
        urpd_buckets=urpd_buckets,
        duckdb_options=options,
    )
    with Store.open(store_path) as store:
        stats = store.write_observations(
            observations(result, STORED_METRICS), run_id=f"onchain-{result.as_of.isoformat()}-{engine.value}"
        )
    if as_json:
        typer.echo(json.dumps(result_json(result, engine.value), indent=2))
    else:
        row = result.daily.iloc[-1]
        typer.echo(
            f"{result.as_of}: realised price {_text(row['realized_price_usd'])} USD, STH cost basis "
            f"{_text(row['sth_cost_basis_usd'])}, LTH {_text(row['lth_cost_basis_usd'])}, "
            f"SOPR {_text(row['sopr'], 4)}; {stats.inserted:,} new observations ({SOURCE})"
        )


@app.command()
@guarded
def sync(
    rpc_url: Annotated[str, typer.Option("--rpc-url", help="Bitcoin Core JSON-RPC URL, e.g. http://127.0.0.1:8332.")],
    ledger: Annotated[
        Path, typer.Option("--ledger", help="DuckDB ledger file, kept on the best chain block by block.")
    ],
    to_height: Annotated[int | None, typer.Option("--to-height", min=0, help="Last block (default: node tip).")] = None,
    export_to: Annotated[
        Path | None, typer.Option("--export", help="Then write the outputs Parquet table here.")
    ] = None,
) -> None:
    """Follow a node's best chain into a ledger (getblock verbosity 2), undoing reorged blocks.

    Credentials come from BITCOIN_RPC_USER / BITCOIN_RPC_PASSWORD.
    """
    from signaldesk.onchain.rpc import RpcClient, export
    from signaldesk.onchain.rpc import sync as run_sync

    client = RpcClient(rpc_url)
    try:
        done = run_sync(client, ledger, to_height=to_height)
    finally:
        client.close()
    undone = f" after undoing {done.undone:,} orphaned block(s)" if done.undone else ""
    typer.echo(f"added {done.added:,} block(s) to {ledger}{undone}")
    if export_to is not None:
        typer.echo(f"wrote {export(ledger, export_to):,} outputs to {export_to}")
