"""Write the demo recordings: `python -m tools.demo.build [DIR]`.

Every `tools/demo/rec_<provider>.py` module defines `record(directory, scenario)`, which
writes that provider's response bodies, in the provider's exact shape, for the requests its
`fetch` makes on a fresh store with the clock pinned to `DEMO_NOW`. A test rebuilds them into a
temporary directory and compares byte for byte with the shipped copy, so they cannot drift.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx

from signaldesk.demo import DEMO_DIR
from signaldesk.recordings import write_recording
from tools.demo.scenario import Scenario


def demo_request(
    method: str, url: str, *, params: dict[str, Any] | None = None, json_body: Any = None
) -> httpx.Request:
    """The request a provider sends, built exactly as the shared client builds it."""
    return httpx.Request(method, url, params=params, json=json_body)


def write_json(directory: Path, request: httpx.Request, payload: Any, *, indent: int | str | None = None) -> Path:
    """Record a JSON body (compact unless the real API pretty-prints, as alternative.me does)."""
    separators = (",", ":") if indent is None else (",", ": ")
    body = json.dumps(payload, indent=indent, separators=separators, ensure_ascii=False)
    return write_recording(directory, request, body.encode(), content_type="application/json")


def recorder_modules() -> list[str]:
    """Names of every `rec_*` module in this package, sorted."""
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("rec_"))


def build(directory: Path, scenario: Scenario | None = None) -> list[Path]:
    """Rebuild every provider's recordings into `directory` (emptied first)."""
    scenario = scenario or Scenario()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name in recorder_modules():
        module = importlib.import_module(f"tools.demo.{name}")
        module.record(directory, scenario)
    return sorted(p for p in directory.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DEMO_DIR
    files = build(target)
    print(f"wrote {len(files)} recordings to {target}")


if __name__ == "__main__":
    main()
