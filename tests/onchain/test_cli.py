"""`signaldesk onchain synth`, `compute` and `sync` through Typer, into a temporary store and ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from signaldesk import cli as main_cli
from signaldesk.errors import OnchainError
from signaldesk.models import Observation
from signaldesk.onchain.cli import app
from signaldesk.store import Store
from tests.onchain.node import Node

runner = CliRunner()


def test_synth_then_compute_json_into_the_store(tmp_path: Path) -> None:
    out = tmp_path / "chain"
    synth = runner.invoke(app, ["synth", "--outputs", "600", "--out", str(out), "--seed", "5"])
    assert synth.exit_code == 0, synth.output
    assert (out / "outputs.parquet").exists() and (out / "prices.csv").exists()
    db = tmp_path / "store.duckdb"
    args = [
        "compute",
        "--outputs",
        str(out / "outputs.parquet"),
        "--prices",
        str(out / "prices.csv"),
        "--db",
        str(db),
        "--engine",
        "duckdb",
        "--urpd-buckets",
        "10",
    ]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["as_of"] == "2017-03-01"  # 60 days from 2017-01-01
    metrics = doc["metrics"]
    for key in (
        "realized_cap_usd",
        "realized_price_usd",
        "supply_btc",
        "sth_supply_btc",
        "lth_supply_btc",
        "sth_cost_basis_usd",
        "realized_profit_usd",
        "realized_loss_usd",
        "sopr",
        "relative_unrealized_loss",
        "true_market_mean_usd",
    ):
        assert key in metrics
    assert metrics["supply_btc"] == 60 * 144 * 50  # all issuance, nothing lost
    assert metrics["lth_supply_btc"] == 0 and metrics["lth_cost_basis_usd"] is None  # chain < 155 days
    assert len(doc["urpd"]) == 10
    assert sum(b["supply_btc"] for b in doc["urpd"]) == metrics["supply_btc"]
    with Store.open(db) as store:
        series = store.series("realized_price_usd")
        assert len(series) == 60 and series.iloc[-1] == metrics["realized_price_usd"]
        urpd = store.history(["urpd_supply_btc"])
        assert ("urpd_supply_btc", "0.00") in urpd and len(urpd) == 10
        assert store.history_and_sources()[1][("sopr", "")] == "onchain_engine"
    again = runner.invoke(app, args)  # same run again: nothing new to store
    assert again.exit_code == 0 and "LTH n/a" in again.output and "; 0 new observations" in again.output


def test_prices_default_to_the_store(tmp_path: Path) -> None:
    out = tmp_path / "chain"
    runner.invoke(app, ["synth", "--outputs", "300", "--out", str(out), "--days", "60"])
    db = tmp_path / "store.duckdb"
    lines = (out / "prices.csv").read_text().splitlines()[1:]
    with Store.open(db) as store:
        store.write_observations(
            [
                Observation("price_usd", "btc", datetime.fromisoformat(d).replace(tzinfo=UTC), float(p), "test")
                for d, p in (line.split(",") for line in lines)
            ],
            run_id="seed",
        )
    with_store = runner.invoke(app, ["compute", "--outputs", str(out / "outputs.parquet"), "--db", str(db), "--json"])
    with_csv = runner.invoke(
        app,
        [
            "compute",
            "--outputs",
            str(out / "outputs.parquet"),
            "--db",
            str(db),
            "--json",
            "--prices",
            str(out / "prices.csv"),
        ],
    )
    assert with_store.exit_code == 0, with_store.output
    assert json.loads(with_store.output)["metrics"] == json.loads(with_csv.output)["metrics"]


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    missing = runner.invoke(
        app,
        [
            "compute",
            "--outputs",
            str(tmp_path / "x.parquet"),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--prices",
            str(tmp_path / "p.csv"),
        ],
    )
    assert missing.exit_code == 1
    assert missing.output.strip().count("\n") == 0 and "signaldesk: error:" in missing.output
    no_prices = runner.invoke(
        app, ["compute", "--outputs", str(tmp_path / "x.parquet"), "--db", str(tmp_path / "s.duckdb")]
    )
    assert no_prices.exit_code == 1 and "no BTC prices" in no_prices.output
    bad_day = runner.invoke(
        app, ["compute", "--outputs", "x", "--as-of", "2020-13-01", "--db", str(tmp_path / "s.duckdb")]
    )
    assert bad_day.exit_code == 2
    bad_engine = runner.invoke(app, ["compute", "--outputs", "x", "--engine", "oracle"])
    assert bad_engine.exit_code == 2


def test_main_cli_debug_reaches_the_onchain_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `signaldesk onchain`, the main CLI's one guard: one line without --debug, the exception with it."""
    monkeypatch.setattr(main_cli, "_configure_logging", lambda: None)  # pytest keeps its log handlers
    args = [
        "onchain",
        "compute",
        "--outputs",
        str(tmp_path / "x.parquet"),
        "--db",
        str(tmp_path / "s.duckdb"),
        "--prices",
        str(tmp_path / "p.csv"),
    ]
    quiet = runner.invoke(main_cli.app, args)
    assert quiet.exit_code == 1 and quiet.stderr.startswith("signaldesk: error: ") and quiet.stderr.count("\n") == 1
    loud = runner.invoke(main_cli.app, ["--debug", *args])
    assert loud.exit_code == 1 and isinstance(loud.exception, OnchainError)
    assert "signaldesk: error:" not in loud.stderr
    again = runner.invoke(main_cli.app, args)  # --debug does not stick to the next invocation
    assert again.exit_code == 1 and again.stderr.startswith("signaldesk: error: ")


def test_an_unexpected_exception_is_one_line_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signaldesk.onchain.synthetic

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(signaldesk.onchain.synthetic, "generate", explode)
    result = runner.invoke(app, ["synth", "--outputs", "10", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == "signaldesk: error: RuntimeError: boom (run with --debug for the traceback)\n"


def test_sync_follows_a_reorg_and_exports(httpserver: HTTPServer, tmp_path: Path) -> None:
    node = Node(httpserver, "a")
    ledger, out = tmp_path / "ledger.duckdb", tmp_path / "outputs.parquet"
    first = runner.invoke(app, ["sync", "--rpc-url", node.url, "--ledger", str(ledger)])
    assert first.exit_code == 0 and first.stdout == f"added 5 block(s) to {ledger}\n"
    node.chain = "b"
    second = runner.invoke(app, ["sync", "--rpc-url", node.url, "--ledger", str(ledger), "--export", str(out)])
    assert second.exit_code == 0, second.output
    assert second.stdout == (
        f"added 3 block(s) to {ledger} after undoing 2 orphaned block(s)\nwrote 17 outputs to {out}\n"
    )  # chain B: 6 coinbases × 2 + t1: 2 + t2, t4, t6: 1 each
