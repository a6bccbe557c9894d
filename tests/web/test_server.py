"""`signaldesk serve` serves the dashboard and reports and nothing else: no listings, no symlink
escapes, no DNS rebinding, no traceback on a hostile path, and it says where it listens."""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from signaldesk.errors import UsageError
from signaldesk.web.server import is_loopback, make_server


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    (root / "dashboard").mkdir(parents=True)
    (root / "dashboard" / "index.html").write_text("<title>signaldesk dashboard</title>")
    (root / "dashboard" / "data.js").write_text("window.DATA = {};")
    (root / "2026-02-25").mkdir()
    (root / "2026-02-25" / "signals.json").write_text("{}")
    (root / "2026-02-25" / "notes.sh").write_text("echo not served")
    secret = tmp_path / "outside.txt"
    secret.write_text("root:x:0:0")
    (root / "dashboard" / "escape.txt").symlink_to(secret)
    (root / "link-to-tmp").symlink_to(tmp_path, target_is_directory=True)
    return root


@pytest.fixture
def port(site: Path) -> Iterator[int]:
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    con.putrequest("GET", path, skip_host=True)
    con.putheader("Host", host or f"127.0.0.1:{port}")
    con.endheaders()
    answer = con.getresponse()
    body = answer.read()
    con.close()
    return answer.status, body


def test_serves_the_dashboard_and_the_bundle(port: int) -> None:
    assert get(port, "/dashboard/index.html") == (200, b"<title>signaldesk dashboard</title>")
    assert get(port, "/dashboard/")[0] == 200  # a directory serves its index.html
    assert get(port, "/2026-02-25/signals.json") == (200, b"{}")
    assert get(port, "/dashboard/index.html", host=f"localhost:{port}")[0] == 200
    assert get(port, "/dashboard/index.html", host=f"[::1]:{port}")[0] == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/2026-02-25/",
        "/link-to-tmp/",
        "/dashboard/escape.txt",
        "/link-to-tmp/outside.txt",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/2026-02-25/notes.sh",
    ],
)
def test_no_listing_no_escape_no_unlisted_kinds(port: int, path: str) -> None:
    status, body = get(port, path)
    assert status == 404
    assert b"root:x" not in body and b"Directory listing" not in body


def test_a_rebinding_host_is_refused(port: int) -> None:
    status, body = get(port, "/dashboard/index.html", host="attacker.example")
    assert status == 421
    assert b"signaldesk dashboard" not in body


@pytest.mark.parametrize("path", ["/.%00./", "/dashboard/%00index.html"])
def test_a_nul_in_the_path_is_a_400_not_a_traceback(port: int, path: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert get(port, path)[0] == 400
    assert "Traceback" not in capfd.readouterr().err


def test_a_directory_without_a_dashboard_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no dashboard at .*dashboard/index\.html"):
        make_server(tmp_path / "nothing-here", 0)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("localhost.attacker.example", False),
    ],
)
def test_loopback_names(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_the_cli_says_where_it_listens_and_warns_off_loopback(site: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "signaldesk", "serve", "--dir", str(site), "--port", "0", "--host", "0.0.0.0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first, second = proc.stderr.readline(), proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert first.startswith(f"serving {site.resolve()} at http://0.0.0.0:")
    assert second.startswith("WARNING: bound to 0.0.0.0, not loopback")


def test_the_cli_refuses_a_missing_dir_with_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "signaldesk", "serve", "--dir", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("signaldesk: error: no dashboard at ")
