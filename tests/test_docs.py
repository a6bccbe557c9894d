"""Docs that cannot lag the code: every command has help and is shown in the README, every
provider has a row in docs/providers.md, every doc the README links to exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from signaldesk.cli import app
from signaldesk.providers import registry

ROOT = Path(__file__).resolve().parent.parent


def _commands(group, prefix: str = "") -> list[tuple[str, object]]:
    """(full name, command) for every command and sub-command (Typer groups have `.commands`)."""
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
    return found


def test_every_command_has_help_and_appears_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 14
    for name, command in commands:
        assert (command.help or command.short_help or "").strip(), f"`signaldesk {name}` has no help"
        if not hasattr(command, "commands"):
            assert f"signaldesk {name}" in readme, f"README.md does not show `signaldesk {name}`"


def test_every_provider_has_a_row_in_the_providers_doc():
    text = (ROOT / "docs" / "providers.md").read_text()
    for name in registry():
        assert f"| `{name}` |" in text, f"docs/providers.md has no row for {name}"


def test_every_linked_doc_exists():
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), link


def test_generated_reference_pages_are_up_to_date():
    from tools.docs import stale_pages

    assert stale_pages() == [], "run `python -m tools.docs` and commit the result"


def test_the_metrics_page_lists_every_catalog_id():
    from signaldesk.catalog import CATALOG

    text = (ROOT / "docs" / "metrics.md").read_text()
    assert all(f"| `{metric_id}` |" in text for metric_id in CATALOG)
