"""`signals.json`: the machine-readable twin of the report, holding every number the text uses.

The engine's part comes from `signaldesk.signals.serialize.assessment_to_dict` (the contract in
ARCHITECTURE.md/CLI.md); the report adds its model under `"report"` (the numbers its sections
print), the presentation thresholds the text may quote, the demo flag, and where the narrative
came from. Keys keep their insertion order and floats their full precision, so the file is
byte-identical for the same inputs.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

from signaldesk.langs import LANGS
from signaldesk.models import Assessment
from signaldesk.report.model import ReportModel, to_dict
from signaldesk.signals.serialize import assessment_to_dict


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def assessment_dict(assessment: Assessment) -> dict[str, Any]:
    """The engine's `signals.json` structure for `assessment` with the words the engine leaves out:
    band, phase and stance names per language (`*_name`), and the watch items with their words
    (`text` in zh-CN, `texts` per language, like every text field), so the dashboard and
    yesterday's-triggers alerts say them as the page does."""
    data = assessment_to_dict(assessment)
    for item, texts in zip(data["watchlist"], watch_texts(assessment), strict=True):
        item["text"], item["texts"] = texts["zh-CN"], texts
    data.update(names(assessment))
    return data


def thresholds() -> dict[str, Any]:
    """The rulebook limits the text may quote (phase conditions, near-level, divergence z)."""
    from signaldesk.signals.rulebook import default_rulebook

    rb = default_rulebook()
    divergence = rb.rule("ai_crypto_divergence").cuts
    return {"divergence_z": max(divergence), **rb.phase.model_dump(), **rb.thresholds.model_dump()}


def names(assessment: Assessment) -> dict[str, dict[str, str]]:
    """Band, phase and stance names per language, from the report's i18n (words live there)."""
    from signaldesk.report.render import i18n

    return {f"{key}_name": {lang: str(i18n(lang)[table].get(value, value)) for lang in LANGS}
            for key, table, value in (("band", "band", assessment.band), ("phase", "phases", assessment.phase),
                                      ("stance", "stance", assessment.stance))}


def watch_texts(assessment: Assessment) -> list[dict[str, str]]:
    """Each watch item in words per language, as the page says it."""
    from signaldesk.report.render import formatter, plain_text
    from signaldesk.report.sections import watch_items

    return [{lang: plain_text(formatter(lang).watch_item(w)) for lang in LANGS} for w in watch_items(assessment)]


def build_signals(assessment: Assessment, model: ReportModel) -> dict[str, Any]:
    """`signals.json` content: the assessment, then the report model and what the text may quote."""
    data = assessment_dict(assessment)
    data["demo"] = model.demo
    report = to_dict(model)
    report["thresholds"] = thresholds()
    data["report"] = report
    return data


def dumps(data: dict[str, Any]) -> str:
    """Stable JSON text (UTF-8, two-space indent, trailing newline)."""
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False, default=_default) + "\n"


def _default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON-serialisable in signals.json: {type(value).__name__}")
