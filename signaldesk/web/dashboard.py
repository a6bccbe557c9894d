"""The static dashboard: one HTML page plus assets, interactive without a server or a CDN.

`write_dashboard` copies `assets/` (HTML, CSS, vanilla JS that draws SVG charts) into
`<out_dir>/dashboard/` and writes `data.js`, which sets `window.SIGNALDESK` to the latest
assessment (the `signals.json` structure), each indicator's daily history and the score
history. Data travels in a script file rather than JSON fetched at run time because browsers
refuse `fetch()` from `file://` pages — this way the page opens from disk. The dashboard only
shows what the engine decided; it judges nothing. `serve` publishes a directory on 127.0.0.1
for `signaldesk serve`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signaldesk.atomic import staged_dir

if TYPE_CHECKING:
    import pandas as pd

ASSETS = Path(__file__).resolve().parent / "assets"
HISTORY_DAYS = 730
"""Days of history per series kept in the page (two years keeps `data.js` small)."""


def _flat(key: Any) -> str:
    if isinstance(key, tuple):
        metric, entity = key
        return f"{metric}:{entity}" if entity else metric
    return str(key)


def _number(value: float) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return float(f"{float(value):.6g}")


def _points(series: pd.Series, days: int) -> list[list[Any]]:
    import pandas as pd

    clean = series.dropna().sort_index()
    if clean.empty:
        return []
    end = pd.Timestamp(clean.index[-1])
    clean = clean[clean.index > end - pd.Timedelta(days=days)]
    return [[pd.Timestamp(ts).strftime("%Y-%m-%d"), _number(v)] for ts, v in clean.items() if _number(v) is not None]


def _scores(score_history: Any, days: int) -> list[list[Any]]:
    if score_history is None:
        return []
    frame = getattr(score_history, "scores", score_history)  # signals.history.ScoreHistory or a frame/series
    series = frame["score"] if hasattr(frame, "columns") else frame
    return _points(series, days)


def _units() -> dict[str, str]:
    from signaldesk.catalog import CATALOG

    return {metric_id: spec.unit for metric_id, spec in CATALOG.items()}


def _default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"not JSON-serialisable for the dashboard: {type(value).__name__}")


def dashboard_data(
    assessment_dict: Mapping[str, Any],
    histories: Mapping[Any, pd.Series],
    score_history: Any = None,
    *,
    days: int = HISTORY_DAYS,
    demo: bool | None = None,
) -> dict[str, Any]:
    """What `data.js` carries: the assessment, per-indicator histories, scores, metric units.

    `demo` (when given) marks the page as demo data, as the report is.
    """
    wanted = {_flat((i.get("id", ""), i.get("entity", ""))) for i in assessment_dict.get("indicators", [])}
    series = {}
    for key, values in sorted(histories.items(), key=lambda kv: _flat(kv[0])):
        flat = _flat(key)
        if (not wanted or flat in wanted) and values is not None:
            points = _points(values, days)
            if points:
                series[flat] = points
    assessment = dict(assessment_dict)
    if demo is not None:
        assessment["demo"] = demo
    return {"assessment": assessment, "history": series, "scores": _scores(score_history, days), "units": _units()}


def write_dashboard(
    out_dir: Path | str,
    assessment_dict: Mapping[str, Any],
    histories: Mapping[Any, pd.Series],
    score_history: Any = None,
    *,
    days: int = HISTORY_DAYS,
    demo: bool | None = None,
) -> Path:
    """Write `<out_dir>/dashboard/` (index.html, style.css, app.js, data.js); return the index path.

    The directory is written aside and swapped in whole (`atomic.staged_dir`): a page is never
    served with last run's `data.js` or none."""
    target = Path(out_dir) / "dashboard"
    data = dashboard_data(assessment_dict, histories, score_history, days=days, demo=demo)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default)
    # "</" inside a script would end it early if this were ever inlined; keep it inert anyway.
    text = text.replace("</", "<\\/")
    with staged_dir(target) as staging:
        for asset in sorted(ASSETS.iterdir()):
            if asset.is_file():
                shutil.copyfile(asset, staging / asset.name)
        (staging / "data.js").write_text(f"window.SIGNALDESK = {text};\n", encoding="utf-8")
    return target / "index.html"
