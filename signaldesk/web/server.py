"""`signaldesk serve`: a small, closed static server for the dashboard and the report bundles.

The stdlib's `SimpleHTTPRequestHandler` is a development convenience: it lists directories, follows
symlinks anywhere on the disk, answers any `Host` (so a DNS-rebinding page in the user's browser can
read it), and prints a traceback on a path holding a NUL byte. This handler serves regular files
under one directory and nothing else:

- no directory listings (a directory serves its `index.html` or 404);
- the resolved path must stay inside the directory (a symlink out of it is 404);
- on a loopback bind the `Host` header must name a loopback host (DNS rebinding is refused, 421);
- a malformed path is a 400, never a traceback;
- files only from the allowed extensions (pages, data, charts, fonts).
"""

from __future__ import annotations

import http.server
import ipaddress
import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from signaldesk.errors import UsageError

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SERVED_SUFFIXES = frozenset({".html", ".js", ".json", ".css", ".svg", ".png", ".md", ".txt", ".woff2", ".ico"})
ENTRY = Path("dashboard") / "index.html"


def is_loopback(host: str) -> bool:
    """True for `localhost` and any loopback address (127.0.0.0/8, ::1)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClosedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves regular files under `directory` only; see the module docstring for what it refuses."""

    loopback_only_hosts = True

    def __init__(self, *args: Any, directory: str, loopback_only_hosts: bool, **kwargs: Any) -> None:
        self.loopback_only_hosts = loopback_only_hosts
        super().__init__(*args, directory=directory, **kwargs)

    def send_head(self) -> Any:
        if self.loopback_only_hosts and not is_loopback(_host_name(self.headers.get("Host", ""))):
            self.send_error(421, "Misdirected Request: this server answers only to localhost")
            return None
        try:
            target = self._resolve(self.path)
        except ValueError:
            self.send_error(400, "Bad request path")
            return None
        if target is None:
            self.send_error(404, "Not found")
            return None
        self.path = "/" + target.relative_to(Path(self.directory).resolve()).as_posix()
        return super().send_head()

    def _resolve(self, raw_path: str) -> Path | None:
        """The regular file a request path names, or None when it is outside, hidden or not served."""
        path = unquote(urlsplit(raw_path).path)
        if "\x00" in path:
            raise ValueError("NUL in path")
        root = Path(self.directory).resolve()
        target = (root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = (target / "index.html").resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        if target.suffix.lower() not in SERVED_SUFFIXES:
            return None
        return target

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(404, "Not found")

    def log_message(self, format: str, *args: Any) -> None:
        """Access lines go to stderr as one short line each (the stdlib's format, without the date)."""
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def _host_name(header: str) -> str:
    """`Host: [::1]:8765` → `::1`; `localhost:8765` → `localhost`."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def make_server(directory: Path | str, port: int = 8765, *, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """A server for `directory` bound to `host` (loopback by default); port 0 picks a free one.

    Raises UsageError when the directory holds no dashboard: serving 404s silently helps nobody."""
    root = Path(directory)
    if not (root / ENTRY).is_file():
        raise UsageError(f"no dashboard at {root / ENTRY}: run `signaldesk demo --out {root}` or pass --dir")

    def handler(*args: Any, **kwargs: Any) -> ClosedHandler:
        return ClosedHandler(*args, directory=str(root), loopback_only_hosts=is_loopback(host), **kwargs)

    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(directory: Path | str, port: int = 8765, *, host: str = "127.0.0.1") -> None:
    """Serve until interrupted, after saying where — and warning loudly when not on loopback."""
    with make_server(directory, port, host=host) as httpd:
        bound_host, bound_port = httpd.server_address[:2]
        shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        print(
            f"serving {Path(directory).resolve()} at http://{shown}:{bound_port}/{ENTRY.as_posix()} (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        if not is_loopback(host):
            print(
                f"WARNING: bound to {host}, not loopback: anyone who can reach this machine on port {bound_port} "
                "can read the dashboard and reports. There is no authentication.",
                file=sys.stderr,
                flush=True,
            )
        with suppress(KeyboardInterrupt):
            httpd.serve_forever()
