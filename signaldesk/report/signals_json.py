"""`signals.json`: the machine-readable twin of the report, holding every number the text uses.

The engine's part comes from `signaldesk.signals.serialize.assessment_to_dict` (the contract in
ARCHITECTURE.md/CLI.md, ids and numbers only); the report adds the words the engine leaves out
(phase, stance and band names, each zone's reasons, each watch item: `assessment_dict`), its model
under `"report"` (the numbers its sections print), the presentation thresholds the text may quote, the demo flag, and where the narrative
came from. Keys keep their insertion order and floats their full precision, so the file is
byte-identical for the same inputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from signaldesk.langs import DEFAULT_LANG, LANGS
from signaldesk.models import Assessment, ProviderOutcome
from signaldesk.report.model import ReportModel, to_dict
from signaldesk.signals.serialize import assessment_to_dict


def assessment_dict(assessment: Assessment) -> dict[str, Any]:
    """The engine's `signals.json` structure for `assessment` with the words the engine leaves out:
    band, phase and stance names per language (`*_name`), each zone's reasons (`why` in zh-CN,
    `whys` per language) and the watch items (`text`, `texts`), so the dashboard and
    yesterday's-triggers alerts say them as the page does."""
    data = level_words(assessment_to_dict(assessment))
    for item, texts in zip(data["watchlist"], watch_texts(assessment), strict=True):
        item["text"], item["texts"] = texts[DEFAULT_LANG], texts
    data.update(names(assessment))
    return data


def gap_words(data: dict[str, Any], outcomes: Sequence[ProviderOutcome]) -> dict[str, Any]:
    """`data` with each missing metric and each source given its reason *class* (`gap`) and its words
    per language (`gaps`), as the page says them: readers that show reasons (the dashboard) never
    show a provider's raw error text, which stays in `reason` for machines."""
    from signaldesk import fmt
    from signaldesk.report.gaps import by_provider, classify, outcome_class
    from signaldesk.report.render import i18n

    known = by_provider(outcomes)

    def words(cls: str, since: date | None) -> dict[str, str]:
        return {
            lang: (
                str(i18n(lang)["reason"]["stale_since"]).format(day=fmt.day(since, lang))
                if cls == "stale" and since
                else str(i18n(lang)["reason"][cls or "no_data"])
            )
            for lang in LANGS
        }

    for item in data.get("missing", []):
        why = classify(str(item.get("reason", "")), known)
        item["gap"], item["gaps"] = why.cls, words(why.cls, why.since)
    for item in data.get("sources", []):
        outcome = known.get(item.get("provider", ""))
        cls = outcome_class(outcome) if outcome is not None else ""
        item["gap"], item["gaps"] = cls, (words(cls, None) if cls else {})
    return data


def level_words(node: Any) -> Any:
    """`node` with every zone (a dict with `why_codes` and `sources`, wherever it sits: the levels,
    each asset's map, a watch item's or an action's zone) given its reasons in words as the page
    says them: `why` (zh-CN) after `price`, `whys` (per language) after `why_codes`."""
    if isinstance(node, list):
        return [level_words(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "why_codes" not in node or "sources" not in node:
        return {key: level_words(value) for key, value in node.items()}
    from signaldesk.report.render import formatter, plain_text

    whys = {
        lang: [
            plain_text(formatter(lang).reason(s["kind"], s["price"], _day(s["day"]), priced=True))
            for s in node["sources"]
        ]
        for lang in LANGS
    }
    out: dict[str, Any] = {}
    for key, value in node.items():
        out[key] = value
        if key == "price":
            out["why"] = whys[DEFAULT_LANG]
        elif key == "why_codes":
            out["whys"] = whys
    return out


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def thresholds() -> dict[str, Any]:
    """The rulebook limits the text may quote (phase conditions, near-level, divergence z)."""
    from signaldesk.signals.rulebook import default_rulebook

    rb = default_rulebook()
    divergence = rb.rule("ai_crypto_divergence").cuts
    return {"divergence_z": max(divergence), **rb.phase.model_dump(), **rb.thresholds.model_dump()}


def names(assessment: Assessment) -> dict[str, dict[str, str]]:
    """Band, phase and stance names per language, from the report's i18n (words live there)."""
    from signaldesk.report.render import i18n

    return {
        f"{key}_name": {lang: str(i18n(lang)[table].get(value, value)) for lang in LANGS}
        for key, table, value in (
            ("band", "band", assessment.band),
            ("phase", "phases", assessment.phase),
            ("stance", "stance", assessment.stance),
        )
    }


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
