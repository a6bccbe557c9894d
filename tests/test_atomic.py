"""Outputs appear whole or not at all: a failure or a kill mid-write leaves the previous version."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from signaldesk import atomic
from signaldesk.atomic import STAGING, staged_dir


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_new_directory_appears_whole(tmp_path: Path) -> None:
    final = tmp_path / "bundle"
    with staged_dir(final) as staging:
        (staging / "a.md").write_text("A")
        (staging / "sub").mkdir()
        (staging / "sub" / "b.svg").write_text("B")
        assert not final.exists()  # nothing visible while it is being written
    assert _tree(final) == {"a.md": "A", "sub/b.svg": "B"}
    assert oct(final.stat().st_mode & 0o777) == "0o755"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_a_second_version_replaces_the_first_entirely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    final = tmp_path / "bundle"
    with staged_dir(final) as staging:
        (staging / "old.md").write_text("1")
        (staging / "kept.md").write_text("1")
    with staged_dir(final) as staging:
        (staging / "kept.md").write_text("2")
    assert _tree(final) == {"kept.md": "2"}  # no file of the old version lingers
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_a_failure_mid_write_keeps_the_previous_version(tmp_path: Path) -> None:
    final = tmp_path / "bundle"
    with staged_dir(final) as staging:
        (staging / "index.md").write_text("yesterday")
        (staging / "signals.json").write_text("{}")
    with pytest.raises(RuntimeError), staged_dir(final) as staging:
        (staging / "index.md").write_text("today, half")
        raise RuntimeError("disk full")
    assert _tree(final) == {"index.md": "yesterday", "signals.json": "{}"}
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_a_kill_mid_write_leaves_the_previous_version_and_the_next_write_cleans_up(tmp_path: Path) -> None:
    final = tmp_path / "bundle"
    with staged_dir(final) as staging:
        (staging / "index.md").write_text("yesterday")
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from signaldesk.atomic import staged_dir
        with staged_dir(Path({str(final)!r})) as staging:
            (staging / "index.md").write_text("today")
            (staging / "chart.svg").write_bytes(b"")
            os._exit(9)  # as kill -9 would: no cleanup, no exception handling
    """)
    proc = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert proc.returncode == 9
    assert _tree(final) == {"index.md": "yesterday"}
    leftovers = list(tmp_path.glob(f".bundle.*{STAGING}"))
    assert len(leftovers) == 1  # the dead run's staging, hidden (Hugo and web servers skip dot-dirs)
    old = time.time() - atomic.LEFTOVER_AGE_S - 1
    os.utime(leftovers[0], (old, old))
    with staged_dir(final) as staging:
        (staging / "index.md").write_text("today")
    assert _tree(final) == {"index.md": "today"}
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_the_dashboard_is_written_through_a_staged_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from signaldesk.web import dashboard

    dashboard.write_dashboard(tmp_path, {"indicators": [], "as_of": "2026-02-24"}, {})
    before = _tree(tmp_path / "dashboard")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(dashboard.shutil, "copyfile", broken)
    with pytest.raises(OSError):
        dashboard.write_dashboard(tmp_path, {"indicators": [], "as_of": "2026-02-25"}, {})
    assert _tree(tmp_path / "dashboard") == before  # yesterday's page, with its data.js, intact
    assert "data.js" in before
