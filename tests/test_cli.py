"""The command-line contract (CLI.md): exit codes 0/1/2/3, errors as one line on stderr, tracebacks
only with `--debug`, and the documented `--json` shapes.

Commands run in-process through Typer's runner; start-up behaviour (`--debug`, the one-line
promise as a real process sees it) runs `python -m signaldesk`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner, Result

from signaldesk import pipeline
from signaldesk.cli import app
from signaldesk.clock import day_start, pinned_now, today_utc
from signaldesk.errors import MalformedError
from signaldesk.http import HttpClient
from signaldesk.models import Observation, ProviderOutcome
from signaldesk.providers import registry
from signaldesk.providers.base import Capabilities, Provider
from signaldesk.store import Store

TODAY_UTC = datetime.now(UTC).date()
PREFIX = "signaldesk: error: "
STATES = {"bullish", "neutral", "bearish"}


@pytest.fixture(autouse=True)
def _keep_root_logging() -> Iterator[None]:
    """Each invocation points the root logger at a log file; give pytest its handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result: Result) -> str:
    """The promise: stdout empty of errors, stderr exactly one `signaldesk: error:` line, no traceback."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(PREFIX) and "Traceback" not in result.stderr
    return lines[0].removeprefix(PREFIX)


# -- fake providers for the commands that collect ------------------------------------------------------
class Fresh(Provider):
    """Answers today's and yesterday's Fear & Greed (fresh whatever the date), or raises `error`."""

    name: ClassVar[str] = "fresh"
    metrics: ClassVar[tuple[str, ...]] = ("fear_greed",)
    capabilities = Capabilities(hosts={"fake.test": 100.0})
    error: ClassVar[Exception | None] = None

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        if self.error is not None:
            raise self.error
        today = today_utc()
        return [Observation("fear_greed", "", day_start(today - timedelta(days=i)), 50.0, self.name) for i in (1, 0)]


class Broken(Fresh):
    name: ClassVar[str] = "broken"
    error: ClassVar[Exception | None] = MalformedError("renamed field")


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make the pipeline see exactly these providers (as `--only` and `collect` do)."""

    def install(*classes: type[Provider]) -> None:
        monkeypatch.setattr(pipeline, "registry", lambda: {c.name: c for c in sorted(classes, key=lambda c: c.name)})

    return install


# -- exit 2: bad usage -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["providers", "--bogus"],
        ["store", "import", "x.csv"],  # --metric is required
        ["serve", "--port", "eighty"],
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["store"],  # a group without a command shows its help
    ],
)
def test_parser_errors_exit_2(args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["signals"], "give exactly one of --snapshot FILE or --as-of YYYY-MM-DD"),
        (
            ["signals", "--snapshot", "s.json", "--as-of", "2026-02-25"],
            "give exactly one of --snapshot FILE or --as-of YYYY-MM-DD",
        ),
        (["schedule", "--at", "25:99"], "--at wants HH:MM (24-hour), got '25:99'"),
        (
            ["schedule", "--at", "08:05", "--tz", "Mars/Olympus"],
            "unknown time zone 'Mars/Olympus' (want an IANA name such as Asia/Shanghai)",
        ),
        (["collect", "--since", "2026-13-01"], "not a date (want YYYY-MM-DD): '2026-13-01'"),
        (["collect", "--only", "nosuch"], "unknown provider(s): nosuch; known: broken, fresh"),
        (["daily", "--lang", "fr"], "unknown language(s) fr; choose from zh-CN, zh-TW, en"),
        (["signals", "--as-of", "2026-02-25", "--lang", "xx"], "unknown language(s) xx; choose from zh-CN, zh-TW, en"),
        (
            ["daily", "--date", "2099-01-01"],
            f"2099-01-01 is outside the days signaldesk can report on: 2009-01-03 to {TODAY_UTC} (today, UTC)",
        ),
        (
            ["daily", "--date", "0001-01-01"],
            f"0001-01-01 is outside the days signaldesk can report on: 2009-01-03 to {TODAY_UTC} (today, UTC)",
        ),
        (
            ["daily", "--date", "2009-01-02"],
            f"2009-01-02 is outside the days signaldesk can report on: 2009-01-03 to {TODAY_UTC} (today, UTC)",
        ),
    ],
)
def test_bad_values_exit_2_with_one_line(
    register: Callable[..., None], tmp_path: Path, args: list[str], message: str
) -> None:
    """Values the parser cannot check are refused as usage errors, in one line, before any work."""
    register(Fresh, Broken)
    result = cli(*args, *([] if args[0] == "schedule" else ["--db", tmp_path / "s.duckdb"]))
    assert result.exit_code == 2
    assert one_error_line(result) == message
    assert not (tmp_path / "s.duckdb").exists()  # nothing was collected or created


def test_a_bad_lock_wait_setting_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALDESK_LOCK_WAIT_S", "abc")
    result = cli("collect", "--db", tmp_path / "s.duckdb")
    assert result.exit_code == 2
    assert one_error_line(result) == "SIGNALDESK_LOCK_WAIT_S='abc' is not a number of seconds between 0 and 86400"


@pytest.mark.parametrize("command", ["backtest", "signals --as-of 2026-02-25"])
def test_commands_that_read_the_store_say_when_there_is_none(tmp_path: Path, command: str) -> None:
    db = tmp_path / "absent.duckdb"
    result = cli(*command.split(), "--db", db)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(f"no store at {db}: run `signaldesk collect`")


# -- exit 1: failures ---------------------------------------------------------------------------------------
def test_a_signaldesk_error_exits_1_with_one_line(tmp_path: Path) -> None:
    csv = tmp_path / "h.csv"
    csv.write_text("date,value\n2024-01-01,1\n")
    result = cli("store", "import", csv, "--metric", "no_such_metric", "--db", tmp_path / "s.duckdb")
    assert result.exit_code == 1
    assert one_error_line(result).startswith("unknown metric id 'no_such_metric'")


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("absent.json", None, "absent.json: cannot read"),
        ("broken.json", "{", "broken.json:1: not valid JSON"),
    ],
)
def test_a_bad_snapshot_file_exits_1(tmp_path: Path, name: str, body: str | None, message: str) -> None:
    path = tmp_path / name
    if body is not None:
        path.write_text(body)
    result = cli("signals", "--snapshot", path)
    assert result.exit_code == 1
    assert message in one_error_line(result)


def test_an_empty_store_is_a_clear_backtest_failure(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    result = cli("backtest", "--db", db, "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "the store is empty" in one_error_line(result)


def test_a_locked_store_exits_1_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    monkeypatch.setenv("SIGNALDESK_LOCK_WAIT_S", "0")
    csv = tmp_path / "h.csv"
    csv.write_text("date,value\n2024-01-01,1\n")
    db = tmp_path / "s.duckdb"
    with FileLock(str(db) + ".lock"):
        result = cli("store", "import", csv, "--metric", "price_usd", "--db", db)
    assert result.exit_code == 1
    assert one_error_line(result) == f"another signaldesk run is using {db} (waited 0 s); try again later"


def test_an_unexpected_exception_is_still_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug is reported as its type and message with a hint, never as a traceback."""
    import signaldesk.schedule

    def explode(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(signaldesk.schedule, "plan_schedule", explode)
    result = cli("schedule", "--at", "08:05")
    assert result.exit_code == 1
    assert one_error_line(result) == "RuntimeError: boom (run with --debug for the traceback)"


def test_debug_lets_the_exception_through_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """With --debug the guard re-raises: the runner sees the original exception, and nothing is reduced to a line."""
    import signaldesk.schedule

    def explode(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(signaldesk.schedule, "plan_schedule", explode)
    result = cli("--debug", "schedule", "--at", "08:05")
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"
    assert PREFIX not in result.stderr
    again = cli("schedule", "--at", "08:05")  # --debug does not stick to the next invocation
    assert again.exit_code == 1 and one_error_line(again).startswith("RuntimeError: boom")


@pytest.mark.parametrize("debug", [False, True])
def test_debug_shows_the_traceback_in_a_real_process(debug: bool) -> None:
    """As a user sees it: one line and exit 2 for bad usage, or the full traceback with --debug."""
    proc = subprocess.run(
        [sys.executable, "-m", "signaldesk", *(["--debug"] if debug else []), "signals"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if debug:
        assert proc.returncode == 1
        assert proc.stderr.startswith("Traceback (most recent call last):")
        assert (
            proc.stderr.rstrip().splitlines()[-1]
            == "signaldesk.errors.UsageError: give exactly one of --snapshot FILE or --as-of YYYY-MM-DD"
        )
    else:
        assert proc.returncode == 2
        assert proc.stderr == PREFIX + "give exactly one of --snapshot FILE or --as-of YYYY-MM-DD\n"
    assert proc.stdout == ""


# -- exit 0 and 3: finished, fully or in part --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("providers", "code", "stored"),
    [
        ((Fresh,), 0, 2),
        ((Fresh, Broken), 3, 2),
    ],
)
def test_collect_exits_0_or_3(
    register: Callable[..., None], tmp_path: Path, providers: tuple[type[Provider], ...], code: int, stored: int
) -> None:
    """A failing source does not fail the run: the others are stored and the exit code says 'partial'."""
    register(*providers)
    db = tmp_path / "s.duckdb"
    result = cli("collect", "--db", db)
    assert result.exit_code == code, result.output
    assert result.stdout.splitlines()[-1] == f"{stored} new observations stored in {db}"
    again = cli("collect", "--db", db)
    assert again.exit_code == code and again.stdout.splitlines()[-1] == f"0 new observations stored in {db}"


def test_store_import_counts_rows_and_is_idempotent(tmp_path: Path) -> None:
    csv = tmp_path / "btc.csv"
    csv.write_text("date,value\n2024-01-01,42000\n2024-01-02,43000\n2024-01-03,41000.5\n")
    db = tmp_path / "s.duckdb"
    first = cli("store", "import", csv, "--metric", "price_usd", "--entity", "btc", "--db", db)
    again = cli("store", "import", csv, "--metric", "price_usd", "--entity", "btc", "--db", db)
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout == "3 rows added to price_usd:btc\n"
    assert again.stdout == "0 rows added to price_usd:btc\n"
    with Store.open(db, read_only=True) as store:
        assert store.series("price_usd", "btc").tolist() == [42000.0, 43000.0, 41000.5]


# -- --json shapes -----------------------------------------------------------------------------------------------
def test_providers_json_shape(tmp_path: Path) -> None:
    """`[{"name", "metrics": [ids], "needs_key", "rate_limit", "last_outcome"}]`, one per provider, with the
    last outcome read from the store."""
    known = registry()
    first = next(iter(known))
    db = tmp_path / "s.duckdb"
    with pinned_now(datetime(2026, 2, 25, 9, tzinfo=UTC)), Store.open(db) as store:
        store.write_run(
            "r",
            mode="collect",
            as_of=date(2026, 2, 25),
            outcomes=[ProviderOutcome(first, "failed", "HTTP 503")],
            observations=[],
            started_at=datetime(2026, 2, 25, 8, tzinfo=UTC),
            status="partial",
        )
    result = cli("providers", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == list(known)
    for row in rows:
        cls = known[row["name"]]
        assert {"name", "metrics", "needs_key", "rate_limit", "last_outcome"} <= set(row)
        assert row["metrics"] == list(cls.metrics)
        assert row["needs_key"] == (cls.capabilities.key_env or False)
        assert isinstance(row["rate_limit"], str)
    by_name = {row["name"]: row for row in rows}
    assert by_name[first]["last_outcome"] == {
        "status": "failed",
        "reason": "HTTP 503",
        "at": "2026-02-25T09:00:00+00:00",
    }
    assert all(row["last_outcome"] is None for name, row in by_name.items() if name != first)


def test_providers_json_without_a_store_has_no_outcomes(tmp_path: Path) -> None:
    result = cli("providers", "--json", "--db", tmp_path / "absent.duckdb")
    assert result.exit_code == 0
    assert [row["last_outcome"] for row in json.loads(result.stdout)] == [None] * len(registry())
    assert not (tmp_path / "absent.duckdb").exists()  # listing providers creates no store


def _check_signals_shape(doc: dict[str, object], as_of: str) -> list[dict[str, object]]:
    """The `signals.json` contract of ARCHITECTURE.md / CLI.md; returns the indicators."""
    assert {
        "as_of",
        "score",
        "band",
        "phase",
        "stance",
        "indicators",
        "levels",
        "watchlist",
        "missing",
        "sources",
    } <= set(doc)
    assert doc["as_of"] == as_of
    levels = doc["levels"]
    assert isinstance(levels, dict) and set(levels) >= {"support", "resistance"}
    indicators = doc["indicators"]
    assert isinstance(indicators, list)
    for row in indicators:
        assert {"id", "entity", "value", "state", "strength", "percentile", "reason", "contribution"} <= set(row)
        assert row["state"] in STATES
    return indicators


def test_signals_snapshot_json_shape(tmp_path: Path) -> None:
    """A snapshot with one value: that value is judged, everything else is listed as missing."""
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(json.dumps({"as_of": "2026-02-25", "values": {"fear_greed": 8}}))
    result = cli("signals", "--snapshot", snapshot, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    indicators = _check_signals_shape(doc, "2026-02-25")
    assert [(row["id"], row["entity"], row["value"]) for row in indicators] == [("fear_greed", "", 8)]
    missing = doc["missing"]
    assert isinstance(missing, list) and missing and "fear_greed" not in {m["id"] for m in missing}


def test_signals_as_of_reads_the_store_as_it_stood(tmp_path: Path) -> None:
    """`--as-of D` judges what the store held for D: a later day's value is not seen."""
    db = tmp_path / "s.duckdb"
    d = date(2026, 2, 25)
    with Store.open(db) as store:
        store.write_observations(
            [
                Observation("fear_greed", "", day_start(d), 8.0, "alternative_me"),
                Observation("fear_greed", "", day_start(d + timedelta(days=1)), 90.0, "alternative_me"),
            ],
            run_id="seed",
            fetched_at=datetime(2026, 2, 27, tzinfo=UTC),
        )
    result = cli("signals", "--as-of", "2026-02-25", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    indicators = _check_signals_shape(json.loads(result.stdout), "2026-02-25")
    assert {(row["id"], row["value"]) for row in indicators if row["id"] == "fear_greed"} == {("fear_greed", 8)}
