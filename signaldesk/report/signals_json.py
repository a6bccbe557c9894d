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

from signaldesk.models import Assessment
from signaldesk.report import sections
from signaldesk.report.model import ReportModel, to_dict
from signaldesk.signals.serialize import assessment_to_dict


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def assessment_dict(assessment: Assessment) -> dict[str, Any]:
    """The engine's `signals.json` structure for `assessment`."""
    return assessment_to_dict(assessment)


THRESHOLDS = {
    "divergence_z": sections.DIVERGENCE_Z,
    "coupling_correlation": sections.COUPLING_CORRELATION,
    "extreme_fear": sections.EXTREME_FEAR,
    "extreme_greed": sections.EXTREME_GREED,
    "etf_streak_weeks": sections.STREAK_HEADLINE,
    "gas_low_gwei": sections.GAS_LOW,
    "gas_high_gwei": sections.GAS_HIGH,
    "near_level": sections.NEAR_LEVEL,
    "mvrv_fair": 1.0,
}


def build_signals(assessment: Assessment, model: ReportModel) -> dict[str, Any]:
    """`signals.json` content: the assessment, then the report model and what the text may quote."""
    data = assessment_dict(assessment)
    data["demo"] = model.demo
    report = to_dict(model)
    report["thresholds"] = dict(THRESHOLDS)
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
