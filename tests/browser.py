"""Debian's Chromium driven by Playwright, kept off the network: the one way the tests open a browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# The pages are file:// or loopback URLs with no network use of their own; keep Chromium itself off the
# network too (no DNS lookups of Google's hosts, no QUIC, no sync), so a closed sandbox sees no traffic.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-domain-reliability",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (skips the test without Playwright or Debian's chromium; a skip
    is a failure in CI, see conftest.py)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
