"""Opening the store safely: a foreign file is refused before DuckDB touches it, a reader holding
the file is waited for (then named), and a write that hits a full disk says so."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from signaldesk.errors import StoreError, StoreLockedError
from signaldesk.models import Observation
from signaldesk.store import Store


def test_a_sqlite_file_is_refused_before_duckdb_sees_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"notes\.db is a SQLite database; give --db a DuckDB file"):
        Store.open(path)
    assert path.read_bytes() == before  # untouched


def test_any_other_file_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("# not a database\n" * 4)
    with pytest.raises(StoreError, match="is not a DuckDB database"):
        Store.open(path, read_only=True)


def test_extension_autoloading_is_off(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        settings = dict(
            store.connection.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name LIKE 'auto%known_extensions'"
            ).fetchall()
        )
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def _hold_read_only(path: Path, seconds: float) -> subprocess.Popen[str]:
    code = (
        f"import duckdb, time; c = duckdb.connect({str(path)!r}, read_only=True); print('held', flush=True); "
        f"time.sleep({seconds})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_reader_holding_the_file_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    reader = _hold_read_only(path, 1.0)
    try:
        with Store.open(path, wait_s=30) as store:  # the reader lets go after ~1 s; we get in
            assert store.count() == 0
    finally:
        reader.wait()


def test_a_reader_that_stays_is_named_after_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    reader = _hold_read_only(path, 30.0)
    try:
        with pytest.raises(StoreLockedError, match=rf"s\.duckdb is in use by process {reader.pid} \(waited 0\.3 s\)"):
            Store.open(path, wait_s=0.3)
    finally:
        reader.kill()
        reader.wait()


def test_a_full_disk_reports_the_write_error_not_the_rollback(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG), the same path as ENOSPC:
    the commit fails, DuckDB's rollback then finds no transaction — that must not hide the cause."""
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from datetime import UTC, datetime, timedelta
        from signaldesk.errors import StoreError
        from signaldesk.models import Observation
        from signaldesk.store import Store
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        store = Store.open({str(path)!r})
        size = {path.stat().st_size}
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 4096, size + 4096))
        start = datetime(2020, 1, 1, tzinfo=UTC)
        rows = [Observation("price_usd", f"c{{i % 50}}", start + timedelta(days=i // 50), float(i), "s")
                for i in range(200_000)]
        try:
            store.write_observations(rows, run_id="big")
        except StoreError as exc:
            print(exc)
            sys.exit(0)
        sys.exit("no error")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "writing observations failed, nothing was stored" in proc.stdout
    assert "no transaction is active" not in proc.stdout
    assert "File too large" in proc.stdout or "No space left" in proc.stdout
    with Store.open(path, read_only=True) as store:
        assert store.count() == 0


def test_lock_wait_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.write_observations(
            [Observation("price_usd", "btc", datetime(2026, 2, 25, tzinfo=UTC), 1.0, "s")], run_id="r"
        )
    reader = _hold_read_only(path, 30.0)
    monkeypatch.setenv("SIGNALDESK_LOCK_WAIT_S", "0.2")
    started = time.monotonic()
    try:
        with pytest.raises(StoreLockedError, match=r"waited 0\.2 s"):
            Store.open(path)
    finally:
        reader.kill()
        reader.wait()
    assert date.today() and time.monotonic() - started < 25  # bounded by the setting, not by the reader
