"""The offline demo's two fixed points: the moment it pretends it is, and the recordings it replays.

The recordings under `signaldesk/data/demo/` ship with the package; the generator that writes
them (`python -m tools.demo.build`) does not — it lives in the repository's `tools/` folder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

DEMO_NOW = datetime(2026, 2, 25, 23, 0, tzinfo=UTC)
"""The moment the demo run pretends it is (the report's as-of day is 2026-02-25)."""

DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"
