"""`signaldesk report --date D`: a past day's report from the store alone — no network, nothing
written to the store — on real history, and still publishable on a day when most sources failed.

The store is built from the real series in ../shared/data exactly as a user would (`store import`
through `import_csv`); the degraded day adds the run a live `daily` records when the network is
down: every provider failed, with the long raw errors real libraries produce."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signaldesk.cli import app
from signaldesk.models import ProviderOutcome
from signaldesk.providers import registry
from signaldesk.store import Store
from tests.backtest.real_store import build
from tests.browser import chromium
from tests.conftest import shared_file

DAY = date(2022, 6, 20)  # the Celsius/3AC week: a real stress day inside the shared history
LANGS = ("zh-CN", "zh-TW", "en")
LLAMA_ERROR = (
    "api.llama.fi answered HTTP 502 after 3 tries: <!DOCTYPE html><html><head><title>502 Bad Gateway"
    + " upstream connect error or disconnect/reset before headers. reset reason: connection failure" * 20
)
RAW_ERRORS = {
    "UnavailableError": "cannot reach {host}: [Errno -2] Name or service not known",
    "RateLimitedError": 'rate limited by api.coingecko.com (HTTP 429) after 3 tries: {"status":{"error_code":429}}',
    "MalformedError": "farside.co.uk sent an HTML challenge where a table was expected (cf-ray 8a1b2c3d4e5f)",
}
RAW_MARKERS = (
    "Name or service not known",
    "Errno",
    "upstream connect error",
    "cf-ray",
    "error_code",
    "HTTP 429",
    "HTTP 502",
    "after 3 tries",
)
ERROR_LIKE = re.compile(r"(?i)errno|exception|traceback|http \d{3}|not known|upstream|error_code|cf-ray|tries")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open an internet socket fails the test: `report` must not use the network."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network used: {address}")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared_file("data", "btc_daily_ohlcv_yahoo.csv")
    root = tmp_path_factory.mktemp("real")
    (root / "csv").mkdir()
    db = root / "real.duckdb"
    with Store.open(db) as store:
        build(store, shared_file, root / "csv")
    return db


@pytest.fixture(scope="module")
def degraded_db(real_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real history plus the run of a day on which every provider failed (or lacked its key)."""
    db = tmp_path_factory.mktemp("degraded") / "degraded.duckdb"
    db.write_bytes(real_db.read_bytes())
    outcomes = []
    for name, provider in sorted(registry().items()):
        if provider.capabilities.key_env:
            outcomes.append(
                ProviderOutcome(
                    name,
                    "skipped",
                    f"{name} needs an API key: set {provider.capabilities.key_env} to enable it",
                    0,
                    None,
                    "MissingKeyError",
                )
            )
            continue
        kind = (
            "RateLimitedError" if name == "coingecko" else "MalformedError" if name == "farside" else "UnavailableError"
        )
        reason = LLAMA_ERROR if name == "defillama" else RAW_ERRORS[kind].format(host=f"api.{name}.example")
        outcomes.append(ProviderOutcome(name, "failed", reason, 0, None, kind, 20.0))
    with Store.open(db) as store:
        store.write_run(
            f"daily:{DAY}",
            mode="daily",
            as_of=DAY,
            outcomes=outcomes,
            observations=[],
            started_at=datetime(2022, 6, 20, 6, tzinfo=UTC),
            status="partial",
        )
    return db


def report(db: Path, out: Path, *langs: str) -> tuple[int, str]:
    args = ["report", "--date", DAY.isoformat(), "--db", str(db), "--out", str(out)]
    for lang in langs:
        args += ["--lang", lang]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stderr


def _pages(out: Path) -> dict[str, str]:
    bundle = next(p.parent for p in out.rglob("signals.json") if "dashboard" not in p.parts)
    return {lang: (bundle / f"index.{lang.lower()}.md").read_text(encoding="utf-8") for lang in LANGS}


def test_a_past_day_from_real_history_without_network_and_without_writing(real_db: Path, tmp_path: Path) -> None:
    before = real_db.read_bytes()
    code, stderr = report(real_db, tmp_path / "out")
    assert code == 0, stderr  # no run was recorded for the day: nothing failed, it is history
    assert real_db.read_bytes() == before  # opened read-only: the store is untouched
    bundle = next(p for p in (tmp_path / "out").rglob("signals.json") if "dashboard" not in p.parts)
    signals = json.loads(bundle.read_text(encoding="utf-8"))
    assert signals["as_of"] == DAY.isoformat()
    assert signals["score"] is not None
    assert signals["levels"]["assets"]["btc"]["price"] == pytest.approx(20599.54, abs=0.01)  # Yahoo's close that day
    fear_greed = next(row for row in signals["indicators"] if row["id"] == "fear_greed")
    assert fear_greed["value"] == 9  # alternative.me's reading of 2022-06-20
    assert set(_pages(tmp_path / "out")) == set(LANGS)


def test_a_day_when_everything_failed_still_reads_as_a_report(degraded_db: Path, tmp_path: Path) -> None:
    code, stderr = report(degraded_db, tmp_path / "out")
    assert code == 3, stderr  # the day's run had failed sources
    for lang, text in _pages(tmp_path / "out").items():
        lines = [line for line in text.splitlines() if line.strip()]
        leaked = [m for m in RAW_MARKERS if m in text]
        assert leaked == [], f"{lang}: raw error text in the page: {leaked}"
        error_like = [line for line in lines if ERROR_LIKE.search(line)]
        assert len(error_like) < 0.05 * len(lines), (lang, error_like[:5])
        reasons = re.findall(r"—\s?[（(]([^）)]*)[）)]", text)
        assert reasons, f"{lang}: no missing number says why"
        assert all(0 < len(reason) <= 24 for reason in reasons), (lang, sorted(set(reasons), key=len)[-3:])
    for lang_button in range(3):  # the dashboard, as a browser shows it, in each language
        shown = _dashboard_text(tmp_path / "out" / "dashboard" / "index.html", lang_button)
        assert not [m for m in RAW_MARKERS if m in shown]
        assert ("—" in shown) and shown.count("\n") > 20  # the page did render its lists


def _dashboard_text(index: Path, lang_button: int) -> str:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(index.as_uri())
        page.wait_for_selector("#missing li")
        page.locator("#langs button").nth(lang_button).click()
        return page.locator("body").inner_text()


def test_a_single_language_and_a_date_outside_history(real_db: Path, tmp_path: Path) -> None:
    code, _ = report(real_db, tmp_path / "en", "en")
    assert code == 0
    assert [p.name for p in (tmp_path / "en").rglob("index.*.md")] == ["index.en.md"]
    result = CliRunner().invoke(app, ["report", "--date", "2099-01-01", "--db", str(real_db)])
    assert result.exit_code == 2 and "outside the days signaldesk can report on" in result.stderr


def test_as_known_reproduces_the_day_before_a_later_revision(real_db: Path, tmp_path: Path) -> None:
    """The day's run stored Fear & Greed 9; two days later the source revised it to 30. The report
    says 30 by default (the store's best knowledge) and 9 with --as-known (what the run knew)."""
    from signaldesk.models import Observation

    db = tmp_path / "revised.duckdb"
    db.write_bytes(real_db.read_bytes())
    day_start = datetime(2022, 6, 20, tzinfo=UTC)
    with Store.open(db) as store:
        store.write_run(
            f"daily:{DAY}",
            mode="daily",
            as_of=DAY,
            outcomes=[],
            observations=[],
            started_at=datetime(2022, 6, 21, 6, tzinfo=UTC),
            status="ok",
        )
        store.connection.execute("UPDATE runs SET finished_at = ?", [datetime(2022, 6, 21, 6, 5)])
        store.connection.execute(
            "UPDATE observations SET fetched_at = ? WHERE metric = 'fear_greed'", [datetime(2022, 6, 21, 6, 1)]
        )
        store.write_observations(
            [Observation("fear_greed", "", day_start, 30.0, "alternative_me")],
            run_id="revision",
            fetched_at=datetime(2022, 6, 23, 6, tzinfo=UTC),
        )

    def fear_greed(*flags: str) -> float:
        out = tmp_path / ("known" if flags else "latest")
        result = CliRunner().invoke(
            app, ["report", "--date", DAY.isoformat(), "--db", str(db), "--out", str(out), "--lang", "en", *flags]
        )
        assert result.exit_code == 0, result.stderr
        signals = json.loads(next(p for p in out.rglob("signals.json") if "dashboard" not in p.parts).read_text())
        return next(row["value"] for row in signals["indicators"] if row["id"] == "fear_greed")

    assert fear_greed() == 30.0
    assert fear_greed("--as-known") == 9.0
    result = CliRunner().invoke(app, ["report", "--date", "2022-06-19", "--db", str(db), "--as-known"])
    assert result.exit_code == 2 and "no run was recorded for 2022-06-19" in result.stderr
