"""Data flows one way (docs/architecture.md); this walks every module's imports to prove it.

`metrics` is a library of pure functions (no I/O), so providers may call it (options analytics,
the CapEx quarter arithmetic) without breaking the direction of data.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "signaldesk"

# stage → stages (and modules) it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "providers": ("store", "signals", "report", "web", "backtest", "collect", "pipeline", "cli", "alerts", "onchain"),
    "store": ("providers", "metrics", "signals", "report", "web", "backtest", "collect", "pipeline", "cli", "http"),
    "metrics": ("providers", "store", "signals", "report", "web", "backtest", "collect", "pipeline", "cli", "http"),
    "signals": ("providers", "report", "web", "backtest", "collect", "pipeline", "cli", "http", "alerts"),
    "report": ("providers", "collect", "pipeline", "cli", "backtest", "alerts"),  # http: the LLM narrative
    "web": ("providers", "collect", "pipeline", "cli", "http", "backtest", "alerts"),
    "backtest": ("providers", "collect", "pipeline", "cli", "http", "report", "web", "alerts"),
    "onchain": ("providers", "signals", "report", "web", "backtest", "collect", "pipeline", "http", "alerts"),
}
NO_IO_LIBS = {"metrics": ("httpx", "duckdb", "requests", "ccxt")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(stage: str) -> list[Path]:
    root = PACKAGE / stage
    return sorted(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{stage}.py"]


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stage_imports_only_upstream(stage: str) -> None:
    bad = []
    for path in _modules(stage):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "signaldesk" and len(parts) > 1 and parts[1] in FORBIDDEN[stage]:
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if parts[0] in NO_IO_LIBS.get(stage, ()):
                bad.append(f"{path.relative_to(PACKAGE)} imports I/O library {name}")
    assert bad == []


def test_heavy_libraries_are_not_imported_at_cli_start_up() -> None:
    import subprocess
    import sys

    code = (
        "import sys, signaldesk.cli; heavy = {'matplotlib', 'ccxt', 'pyspark', 'pandas', 'duckdb', 'scipy'}; "
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
