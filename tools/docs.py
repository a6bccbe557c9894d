"""Generate the reference pages that must never lag the code: `docs/metrics.md` from the catalog.

    python -m tools.docs            # rewrite the generated pages
    python -m tools.docs --check    # exit 1 if a page is out of date (tests/test_docs.py does this)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from signaldesk.catalog import CATALOG

ROOT = Path(__file__).resolve().parent.parent
FAMILY_TITLES = {
    "crypto": "Crypto market", "sentiment": "Sentiment", "flows": "ETF flows", "derivatives": "Derivatives",
    "options": "Options", "onchain": "On-chain", "liquidity": "Chains and DeFi", "ai": "AI side",
}


def _bound(value: float) -> str:
    return "—" if value in (float("inf"), float("-inf")) else f"{value:g}"


def metrics_page() -> str:
    """Every metric id, grouped by family, with unit, meaning, plausible range and maximum age."""
    lines = [
        "# Metrics",
        "",
        "Generated from `signaldesk/catalog.py` by `python -m tools.docs`; do not edit by hand.",
        "A value outside its range is rejected as implausible; one older than its maximum age is shown as",
        "stale and does not drive a signal. `store import --metric` takes these ids.",
    ]
    families = sorted({spec.family for spec in CATALOG.values()}, key=list(FAMILY_TITLES).index)
    for family in families:
        lines += ["", f"## {FAMILY_TITLES[family]}", "", "| id | unit | meaning | range | max age (days) |",
                  "|---|---|---|---|---|"]
        for spec in (s for s in CATALOG.values() if s.family == family):
            lines.append(f"| `{spec.id}` | {spec.unit} | {spec.description} | {_bound(spec.lo)} … {_bound(spec.hi)} "
                         f"| {spec.max_age_days:g} |")
    return "\n".join(lines) + "\n"


PAGES: dict[str, Callable[[], str]] = {"docs/metrics.md": metrics_page}


def stale_pages() -> list[str]:
    """The generated pages whose file differs from what the code generates now."""
    return [name for name, make in PAGES.items()
            if not (ROOT / name).exists() or (ROOT / name).read_text(encoding="utf-8") != make()]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_pages()
        for name in stale:
            print(f"{name} is out of date: run `python -m tools.docs`", file=sys.stderr)
        return 1 if stale else 0
    for name, make in PAGES.items():
        (ROOT / name).write_text(make(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
