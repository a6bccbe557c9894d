"""Record/replay of HTTP responses, keyed by request, for the offline demo and for tests.

A recording is the response body stored byte-for-byte (so it keeps the provider's real shape)
under a file name derived from the request alone: `<host>/<path-slug>__<hash>.<ext>`. The hash
covers the method, the path, the sorted query (secrets removed) and the request body, so no index
file is needed and two writers never touch the same file. A non-200 status or special headers
go in a sidecar `<same stem>.meta.json` (`{"status": 429, "headers": {"Retry-After": "2"}}`).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx

GENERIC_SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "secret"})
"""Query parameters that carry a secret in most APIs, whoever sends them."""


@cache
def secret_params() -> frozenset[str]:
    """The generic names, plus what each provider declares (`Capabilities.key_param`, and its `key_header` in
    the query spelling some APIs also accept: `x-cg-demo-api-key` → `x_cg_demo_api_key`): one declaration,
    read here, so a new keyed provider's key cannot end up in a recording's name."""
    from signaldesk.providers import registry

    declared = set()
    for provider in registry().values():
        caps = provider.capabilities
        declared |= {caps.key_param.lower()} if caps.key_param else set()
        declared |= {caps.key_header.lower().replace("-", "_")} if caps.key_header else set()
    return GENERIC_SECRET_PARAMS | declared


_EXT = {"json": ".json", "html": ".html", "xml": ".xml", "rss": ".xml", "atom": ".xml", "csv": ".csv"}
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def scrubbed_query(url: httpx.URL) -> str:
    """The query string sorted and without secret parameters (what a recording is keyed on)."""
    pairs = [
        (k, v) for k, v in parse_qsl(url.query.decode(), keep_blank_values=True) if k.lower() not in secret_params()
    ]
    return urlencode(sorted(pairs))


def request_key(request: httpx.Request) -> str:
    """Canonical text of a request: method, host, path, scrubbed sorted query, body."""
    url = request.url
    body = request.content.decode("utf-8", "replace") if request.content else ""
    return f"{request.method} {url.host}{url.path}?{scrubbed_query(url)}\n{body}"


def recording_stem(request: httpx.Request) -> Path:
    """`<host>/<path-slug>__<sha8>`: readable enough to find by eye, unique by hash."""
    url = request.url
    slug = _SLUG.sub("_", url.path.strip("/")) or "root"
    digest = hashlib.sha256(request_key(request).encode()).hexdigest()[:10]
    return Path(url.host) / f"{slug[:80]}__{digest}"


def _extension(content_type: str) -> str:
    for marker, ext in _EXT.items():
        if marker in content_type:
            return ext
    return ".txt"


_CONTENT_TYPES = {
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".csv": "text/csv",
}


class Recordings:
    """The recorded responses in `directory`, looked up by request.

    Each host folder is listed once and the listing kept, instead of globbing the folder for every
    request (a demo run makes ~150); a request the listing cannot answer lists the folder again, so
    recordings written meanwhile are found.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._listings: dict[Path, dict[str, str]] = {}

    def _listing(self, folder: Path, *, fresh: bool) -> dict[str, str]:
        """stem → body file name in `folder` (sidecar `.meta.json` files left out)."""
        if fresh or folder not in self._listings:
            names = (
                sorted(p.name for p in folder.iterdir() if not p.name.endswith(".meta.json")) if folder.is_dir() else []
            )
            listing: dict[str, str] = {}
            for name in names:
                listing.setdefault(name.rsplit(".", 1)[0], name)
            self._listings[folder] = listing
        return self._listings[folder]

    def body_path(self, stem: Path) -> Path | None:
        """The body file recorded under `stem`, if there is one."""
        for fresh in (False, True):
            name = self._listing(stem.parent, fresh=fresh).get(stem.name)
            if name is not None and (stem.parent / name).is_file():
                return stem.parent / name
        return None

    def response(self, request: httpx.Request) -> httpx.Response:
        """The recorded response to `request`; a request with no recording fails like a dead network would."""
        stem = self.directory / recording_stem(request)
        body_path = self.body_path(stem)
        if body_path is None:
            raise httpx.ConnectError(
                f"no recording for {request.method} {request.url.host}{request.url.path}", request=request
            )
        meta_path = stem.parent / (stem.name + ".meta.json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        headers = {"content-type": _CONTENT_TYPES.get(body_path.suffix, "text/plain"), **meta.get("headers", {})}
        return httpx.Response(meta.get("status", 200), headers=headers, content=body_path.read_bytes(), request=request)


class ReplayTransport(httpx.AsyncBaseTransport):
    """Serves recorded responses; a request with no recording fails like a dead network would."""

    def __init__(self, directory: Path | str) -> None:
        self.recordings = Recordings(directory)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.recordings.response(request)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to `inner` and writes each response into `directory`, secrets scrubbed."""

    def __init__(self, directory: Path | str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.directory = Path(directory)
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        write_recording(
            self.directory,
            request,
            body,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            headers={k: v for k, v in response.headers.items() if k.lower() == "retry-after"},
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)


def write_recording(
    directory: Path | str,
    request: httpx.Request,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Path:
    """Store one response body for `request`; used by the recorder and by fixture builders."""
    stem = Path(directory) / recording_stem(request)
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.parent / (stem.name + _extension(content_type))
    path.write_bytes(body)
    if status != 200 or headers:
        meta = {"status": status, "headers": headers or {}}
        (stem.parent / (stem.name + ".meta.json")).write_text(json.dumps(meta, sort_keys=True))
    return path
