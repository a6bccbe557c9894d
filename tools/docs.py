"""Generate the reference pages that must never lag the code: `docs/metrics.md` from the catalog,
`docs/configuration.md` from the typed configuration model, `docs/provider-table.md` from each
provider's declared capabilities.

    python -m tools.docs            # rewrite the generated pages
    python -m tools.docs --check    # exit 1 if a page is out of date (tests/test_docs.py does this)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from signaldesk.catalog import CATALOG
from signaldesk.config import Config

ROOT = Path(__file__).resolve().parent.parent
FAMILY_TITLES = {
    "crypto": "Crypto market",
    "sentiment": "Sentiment",
    "flows": "ETF flows",
    "derivatives": "Derivatives",
    "options": "Options",
    "onchain": "On-chain",
    "liquidity": "Chains and DeFi",
    "ai": "AI side",
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
        lines += [
            "",
            f"## {FAMILY_TITLES[family]}",
            "",
            "| id | unit | meaning | range | max age (days) |",
            "|---|---|---|---|---|",
        ]
        for spec in (s for s in CATALOG.values() if s.family == family):
            lines.append(
                f"| `{spec.id}` | {spec.unit} | {spec.description} | {_bound(spec.lo)} … {_bound(spec.hi)} "
                f"| {spec.max_age_days:g} |"
            )
    return "\n".join(lines) + "\n"


_SCALARS = {str: "string", int: "integer", float: "number", bool: "true/false"}


def _type_name(annotation: object) -> str:
    """A reader's name for a field type: `list of URL`, `number > 0`, `one of "webhook", "slack"`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _annotated_name(*args)
    if origin in (Union, UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f'"{a}"' for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"table of {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table (below)"
    return _SCALARS.get(annotation, str(annotation))  # type: ignore[arg-type]


def _annotated_name(base: object, *meta: object) -> str:
    """A constrained type's name with the constraint a reader must respect: `URL`, `number > 0`.

    The constraint is a pattern (a URL or an environment variable name) or a lower bound, which
    pydantic may nest one level down (a `FieldInfo`'s own metadata).
    """
    for item in meta:
        pattern = getattr(item, "pattern", None)
        if pattern:
            return "URL" if "https?" in pattern else "environment variable name"
        for bound, word in (("gt", ">"), ("ge", "≥")):
            value = getattr(item, bound, None)
            if value is None:
                for inner in getattr(item, "metadata", ()):
                    value = getattr(inner, bound, value)
            if value is not None:
                return f"{_type_name(base)} {word} {value:g}"
    return _type_name(base)


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        rows.append(f"| `{prefix}{name}` | {_type_name(field.annotation)} | {field.description or ''} |")
    return rows


def configuration_page() -> str:
    """Every section and key of config.toml, from `signaldesk/config.py`."""
    lines = [
        "# Configuration",
        "",
        "Generated from `signaldesk/config.py` by `python -m tools.docs`; do not edit by hand.",
        "`config.toml` lives under the user config dir (`SIGNALDESK_CONFIG` overrides). Every key is optional;",
        "a key left out keeps the built-in default. The whole file is checked before any command does work:",
        "an unknown key, a wrong type or a bad value is one error line naming the file, the key and its line",
        "(exit 2). Secrets are never written here — only the names of the environment variables that hold them.",
    ]
    for section, field in Config.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        lines += ["", f"## `[{section}]`", "", "| key | type | meaning |", "|---|---|---|", *_rows(model, "")]
        for name, sub in model.model_fields.items():
            nested = [
                a for a in getattr(sub.annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            if isinstance(sub.annotation, type) and issubclass(sub.annotation, BaseModel):
                nested.append(sub.annotation)
            for inner in nested:
                lines += [
                    "",
                    f"Each entry of `{name}`:",
                    "",
                    "| key | type | meaning |",
                    "|---|---|---|",
                    *_rows(inner, f"{name}[]."),
                ]
    return "\n".join(lines) + "\n"


def _days(value: int | None, none: str) -> str:
    return none if value is None else str(value)


def provider_table_page() -> str:
    """One row per provider: what it yields, its limits, its key and its window, as each declares them."""
    from signaldesk.providers import registry

    lines = [
        "# Provider table",
        "",
        "Generated from each provider's `Capabilities` (`signaldesk/providers/*.py`) by `python -m tools.docs`; do not",
        "edit by hand. Details, quirks and sources are in each module's docstring; `docs/providers.md` explains the",
        "choices and what to do from a server. Days: a fresh store asks for *backfill* days (all: everything the",
        "source serves), later runs re-read *revised* days before the cursor (own: the provider decides), never more",
        "than *max* days back.",
        "",
        "| provider | metrics | requests/s per host | key (how it is sent) | backfill | revised | max | history |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, provider in registry().items():
        caps = provider.capabilities
        if caps.key_env:
            how = f"header `{caps.key_header}`" if caps.key_header else f"query `{caps.key_param}`"
            key = f"`{caps.key_env}` ({'required' if caps.key_required else 'optional'}; {how})"
        else:
            key = "none"
        metrics = ", ".join(f"`{m}`" for m in provider.metrics)
        lines.append(
            f"| [{name}]({caps.docs}) | {metrics} | {caps.rate_limit} | {key} | "
            f"{_days(caps.backfill_days, 'all')} | {_days(caps.revision_days, 'own')} | "
            f"{_days(caps.max_days, '—')} | {caps.history} |"
        )
    return "\n".join(lines) + "\n"


PAGES: dict[str, Callable[[], str]] = {
    "docs/metrics.md": metrics_page,
    "docs/configuration.md": configuration_page,
    "docs/provider-table.md": provider_table_page,
}


def stale_pages() -> list[str]:
    """The generated pages whose file differs from what the code generates now."""
    return [
        name
        for name, make in PAGES.items()
        if not (ROOT / name).exists() or (ROOT / name).read_text(encoding="utf-8") != make()
    ]


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
