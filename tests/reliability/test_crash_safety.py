"""Crash safety, locking and idempotence of the real pipeline, in subprocesses.

A run killed with SIGKILL at several moments must leave a store that opens, holds no half-run,
and lets the next run finish with exactly the clean result. Two runs at once never interleave:
the second waits on the file lock and then exits with a clear one-line message.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signaldesk.store import Store

KILL_FRACTIONS = (0.15, 0.35, 0.55, 0.75, 0.95)


def _demo(out: Path, db: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "signaldesk", "demo", "--out", str(out), "--db", str(db), "--lang", "en"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "SIGNALDESK_HOME": str(tmp / "home"), "SIGNALDESK_CONFIG": str(tmp / "none.toml")}


def _digest(folder: Path) -> dict[str, str]:
    """Every published file's hash. A killed run's hidden staging directory (`.<bundle>.*.staging`,
    which Hugo and web servers skip, removed by a later write once an hour old) is not published."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _observations(db: Path) -> set[tuple]:
    with Store.open(db, read_only=True) as store:
        return set(store.connection.execute("SELECT metric, entity, ts, value, source FROM observations").fetchall())


def _consistent(db: Path) -> None:
    """No observation without its run; no outcome without its run."""
    with Store.open(db) as store:
        con = store.connection
        orphans = con.execute(
            "SELECT count(*) FROM observations WHERE run_id NOT IN (SELECT run_id FROM runs)"
        ).fetchone()[0]
        lonely = con.execute(
            "SELECT count(*) FROM provider_outcomes WHERE run_id NOT IN (SELECT run_id FROM runs)"
        ).fetchone()[0]
        assert (orphans, lonely) == (0, 0)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("clean")
    started = time.monotonic()
    proc = _demo(tmp / "out", tmp / "store.duckdb", _env(tmp))
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return time.monotonic() - started, _observations(tmp / "store.duckdb"), _digest(tmp / "out")


@pytest.mark.slow
@pytest.mark.parametrize("fraction", KILL_FRACTIONS)
def test_kill_minus_nine_leaves_a_consistent_store(fraction, clean_run, tmp_path):
    duration, clean_obs, clean_files = clean_run
    db, out = tmp_path / "store.duckdb", tmp_path / "out"
    proc = _demo(out, db, _env(tmp_path))
    time.sleep(duration * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    if db.exists():
        _consistent(db)
        assert _observations(db) in (set(), clean_obs), "a killed run left part of its observations"
    again = _demo(out, db, _env(tmp_path))
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    _consistent(db)
    assert _observations(db) == clean_obs
    assert _digest(out) == clean_files


def _live_parents() -> dict[int, int]:
    """{pid: parent pid} of every live (not zombie) process, from Linux /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while listed
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, children of children included."""
    parents = _live_parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from Linux /proc")
def test_a_killed_run_leaves_no_drawing_process_behind(tmp_path):
    """The charts are drawn in forked processes; killing the run must take them down with it (they
    would otherwise wait forever on a queue whose writing end they hold themselves)."""
    proc = _demo(tmp_path / "out", tmp_path / "store.duckdb", _env(tmp_path))
    deadline, forked = time.monotonic() + 120, set()
    while time.monotonic() < deadline and not forked and proc.poll() is None:
        forked = _descendants(proc.pid)
        time.sleep(0.02)
    assert forked, "the run ended before it forked its drawing process"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (left := forked & _live_parents().keys()):
        time.sleep(0.05)
    assert not left, f"processes forked by the killed run are still alive: {sorted(left)}"


def test_rerunning_the_same_day_changes_nothing(clean_run, tmp_path):
    _, clean_obs, clean_files = clean_run
    db, out = tmp_path / "store.duckdb", tmp_path / "out"
    for _ in range(2):
        proc = _demo(out, db, _env(tmp_path))
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    with Store.open(db, read_only=True) as store:
        runs = store.connection.execute("SELECT count(*) FROM runs").fetchone()[0]
        versions = store.connection.execute(
            "SELECT count(*) FROM (SELECT metric, entity, ts, source FROM observations GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
    assert (runs, versions) == (1, 0)
    assert _observations(db) == clean_obs
    assert _digest(out) == clean_files


def test_a_second_run_waits_for_the_lock_then_says_why(tmp_path):
    from filelock import FileLock

    db = tmp_path / "store.duckdb"
    env = {**_env(tmp_path), "SIGNALDESK_LOCK_WAIT_S": "1"}
    with FileLock(str(db) + ".lock"):
        proc = _demo(tmp_path / "out", db, env)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "another signaldesk run is using" in lines[0]
    assert "Traceback" not in err
