"""A loopback server that replays the demo recordings and injects one fault per host.

Requests leave the real `HttpClient` through `RedirectTransport`, which sends them over a real
socket to 127.0.0.1 with the original host as the first path segment; the server finds the
recording exactly as `ReplayTransport` would and then spoils it as the cell demands. So each
fault exercises the real stack: sockets, timeouts, retries, status handling, parsing, validation.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from signaldesk.recordings import recording_stem

FAULTS = (
    "timeout",
    "refused",
    "429",
    "500",
    "502",
    "503",
    "403",
    "451",
    "truncated",
    "html_challenge",
    "renamed_field",
    "absurd_values",
    "stale",
)
SHIFT_DAYS = 400
"""How far back the `stale` fault moves every timestamp: beyond every metric's max age (CapEx: 200 d)."""

CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<div id='challenge-running'>Checking your browser before accessing. Cloudflare</div></body></html>"
)


# -- body mutations -------------------------------------------------------------------------------
def _scale_number(value: float) -> float:
    return value * 1e6 if value else 1e12


def _walk_json(node: Any, on_number: Callable[[Any], Any], on_key: Callable[[str], str] | None = None) -> Any:
    if isinstance(node, dict):
        return {(on_key(k) if on_key else k): _walk_json(v, on_number, on_key) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk_json(v, on_number, on_key) for v in node]
    return on_number(node)


_NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_ISO_DAY = re.compile(r"(?<![\d-])(20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?!\d)")
_DMY = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (20\d\d)\b")
_RFC822 = re.compile(r"\b(\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d)\b")


def _is_epoch(value: float) -> str:
    if 1.2e9 <= value <= 2.2e9:
        return "s"
    if 1.2e12 <= value <= 2.2e12:
        return "ms"
    return ""


def absurd(body: bytes, kind: str) -> bytes:
    """Every measured number ×1e6 (timestamps left alone): negative/huge prices, F&G in millions…"""
    if kind == "json":

        def bump(value: Any) -> Any:
            if isinstance(value, bool) or value is None:
                return value
            if isinstance(value, int | float):
                return value if _is_epoch(value) else _scale_number(value)
            if isinstance(value, str) and _NUMERIC.match(value) and not _is_epoch(float(value)):
                return str(_scale_number(float(value)))
            if isinstance(value, str) and _HEX.match(value):
                return hex(int(value, 16) * 1_000_000 + 1)
            return value

        return json.dumps(_walk_json(json.loads(body), bump)).encode()
    text = body.decode("utf-8", "replace")
    return re.sub(
        r"(?<![\d.])(\d{1,3}(?:,\d{3})*\.\d+)", lambda m: f"{float(m.group(1).replace(',', '')) * 1e6:.1f}", text
    ).encode()


def renamed(body: bytes, kind: str) -> bytes:
    """Every JSON key renamed (a schema change), or the HTML/XML structure renamed."""
    if kind == "json":
        return json.dumps(_walk_json(json.loads(body), lambda v: v, lambda k: f"{k}_v2")).encode()
    text = body.decode("utf-8", "replace")
    for old, new in (
        ("<table", "<div"),
        ("</table>", "</div>"),
        ("<item", "<entry-x"),
        ("</item>", "</entry-x>"),
        ("<entry", "<post-x"),
        ("</entry>", "</post-x>"),
    ):
        text = text.replace(old, new)
    return text.encode()


def stale(body: bytes, kind: str) -> bytes:
    """Every timestamp moved SHIFT_DAYS into the past, so the newest point is too old to trust."""
    shift = timedelta(days=SHIFT_DAYS)
    if kind == "json":

        def back(value: Any) -> Any:
            if isinstance(value, bool) or value is None:
                return value
            if isinstance(value, int | float) and _is_epoch(value):
                return value - (shift.total_seconds() * (1000 if _is_epoch(value) == "ms" else 1))
            if isinstance(value, str) and _NUMERIC.match(value) and _is_epoch(float(value)):
                unit = 1000 if _is_epoch(float(value)) == "ms" else 1
                return str(int(float(value) - shift.total_seconds() * unit))
            if isinstance(value, str) and _ISO_DAY.search(value):
                return _ISO_DAY.sub(lambda m: (datetime.fromisoformat(m.group(1)) - shift).strftime("%Y-%m-%d"), value)
            return value

        return json.dumps(_walk_json(json.loads(body), back)).encode()
    text = body.decode("utf-8", "replace")
    text = _DMY.sub(lambda m: (datetime.strptime(m.group(0), "%d %b %Y") - shift).strftime("%d %b %Y"), text)
    text = _ISO_DAY.sub(lambda m: (datetime.fromisoformat(m.group(1)) - shift).strftime("%Y-%m-%d"), text)
    return text.encode()


# -- server and transport -------------------------------------------------------------------------
class FaultServer:
    """Threaded HTTP server on 127.0.0.1 replaying recordings from `directory` with injected faults."""

    def __init__(self, directory: Path, *, delay_s: float = 3.0) -> None:
        self.directory = directory
        self.delay_s = delay_s
        self.faults: dict[str, str] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                server._serve(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server._serve(self, self.rfile.read(length))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        host, _, rest = handler.path.lstrip("/").partition("/")
        original = httpx.Request(handler.command, f"https://{host}/{rest}", content=body)
        self.hits.append(host)
        fault = self.faults.get(host, "")
        if fault == "timeout":
            time.sleep(self.delay_s)
        if fault in {"429", "500", "502", "503", "403", "451"}:
            headers = {"Retry-After": "1"} if fault == "429" else {}
            payload = (
                b'{"code":0,"msg":"Service unavailable from a restricted location"}' if fault == "451" else b"error"
            )
            return self._reply(handler, int(fault), payload, "application/json", headers)
        stem = self.directory / recording_stem(original)
        files = [p for p in stem.parent.glob(stem.name + ".*") if not p.name.endswith(".meta.json")]
        if not files:
            return self._reply(handler, 404, b'{"error":"no recording"}', "application/json")
        path = files[0]
        content = path.read_bytes()
        meta_path = stem.parent / (stem.name + ".meta.json")
        if meta_path.exists():  # a recorded non-200 answer is replayed as it was
            meta = json.loads(meta_path.read_text())
            return self._reply(handler, meta.get("status", 200), content, "application/json", meta.get("headers"))
        kind = "json" if path.suffix == ".json" else "text"
        ctype = {".json": "application/json", ".html": "text/html", ".xml": "application/xml"}.get(
            path.suffix, "text/plain"
        )
        if fault == "truncated":
            content = content[: max(1, len(content) // 2)]
        elif fault == "html_challenge":
            content, ctype = CHALLENGE, "text/html"
        elif fault == "renamed_field":
            content = renamed(content, kind)
        elif fault == "absurd_values":
            content = absurd(content, kind)
        elif fault == "stale":
            content = stale(content, kind)
        self._reply(handler, 200, content, ctype)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout cell): nothing to do


class RedirectTransport(httpx.AsyncBaseTransport):
    """Sends every request to the fault server; hosts listed in `refused` go to a closed port."""

    def __init__(self, port: int, refused: frozenset[str] = frozenset()) -> None:
        self.port = port
        self.refused = refused
        self.inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = _closed_port() if host in self.refused else self.port
        target = request.url.copy_with(scheme="http", host="127.0.0.1", port=port, path=f"/{host}{request.url.path}")
        forwarded = httpx.Request(
            request.method, target, headers=request.headers, content=request.content, extensions=request.extensions
        )  # keeps the client's timeouts
        response = await self.inner.handle_async_request(forwarded)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the with-block ends: connections are refused
