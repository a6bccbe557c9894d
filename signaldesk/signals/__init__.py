"""The signal engine: rulebook → indicators → composite score, phase, stance, levels, watch list.

Public API (the CLI, the report and the backtest use only these):

- `assess(snapshot, *, rulebook=None, lang="zh-CN")` → `Assessment`
- `assess_snapshot_file(path, rulebook_path=None)` → `signaldesk signals --snapshot FILE`
- `assess_store(store, as_of, reasons=None, rulebook_path=None)` → `signaldesk signals --as-of D`
- `load_rulebook(path=None)` → the shipped rulebook, merged with a user file when given
- `signals.history.score_history(history)` → the causal daily score history for backtests
- `signals.serialize.assessment_to_dict` / `render_text` → `signals.json` and terminal text

The functions import their modules on call, so importing `signaldesk.signals` stays cheap for
`signaldesk --help`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from signaldesk.models import Assessment, Snapshot
    from signaldesk.signals.rulebook import Rulebook
    from signaldesk.store import Store


def assess(snapshot: Snapshot, *, rulebook: Rulebook | None = None, lang: str = "zh-CN") -> Assessment:
    """Judge a snapshot (any subset of metrics); what it lacks is listed in `missing`."""
    from signaldesk.signals.engine import assess as _assess

    return _assess(snapshot, rulebook=rulebook, lang=lang)


def assess_snapshot_file(path: str | Path, rulebook_path: str | Path | None = None, *, lang: str = "zh-CN") -> Assessment:
    """Judge a snapshot JSON file (`{"as_of": …, "values": {…}}`)."""
    from signaldesk.signals.engine import assess_snapshot_file as _assess_file

    return _assess_file(path, rulebook_path, lang=lang)


def assess_store(store: Store, as_of: date, reasons: Mapping[str, str] | None = None,
                 rulebook_path: str | Path | None = None, *, lang: str = "zh-CN") -> Assessment:
    """Judge the store as it stood at the end of `as_of`, derived metrics from history up to then only."""
    from signaldesk.signals.engine import assess_store as _assess_store

    return _assess_store(store, as_of, reasons, rulebook_path, lang=lang)


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """The shipped rulebook, or it merged with the user file at `path` (`RulebookError` when invalid)."""
    from signaldesk.signals.rulebook import load_rulebook as _load

    return _load(path)


__all__ = ["assess", "assess_snapshot_file", "assess_store", "load_rulebook"]
