"""The languages signaldesk writes, and how its Taiwan Chinese is derived from its mainland Chinese.

One tuple, `LANGS`, is every language the report, the rulebook's texts, `signals.json` and the CLI
accept, in the order the report is written. zh-TW text is never written by hand where zh-CN exists:
`to_traditional` converts it (OpenCC `s2twp`, then the market terms of `zh_tw_glossary.toml` that
OpenCC leaves in mainland form), so the two cannot drift apart. It lives here, below every stage,
because both the rulebook (rule labels and reasons) and the report (its i18n files) need it.
"""

from __future__ import annotations

import tomllib
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

LANGS: tuple[str, ...] = ("zh-CN", "zh-TW", "en")
DEFAULT_LANG = "zh-CN"
"""The language of the single-language text fields (`reason`, `why`, `text`) of `signals.json`."""
GLOSSARY_PATH = Path(__file__).resolve().parent / "zh_tw_glossary.toml"


@cache
def _opencc() -> Any:
    import opencc

    return opencc.OpenCC("s2twp")


@cache
def _glossary() -> tuple[tuple[str, str], ...]:
    """Taiwan market terms OpenCC does not know (期權 → 選擇權, 同比 → 年增), longest first."""
    with GLOSSARY_PATH.open("rb") as handle:
        terms = tomllib.load(handle)["terms"]
    return tuple(sorted(terms.items(), key=lambda kv: (-len(kv[0]), kv[0])))


@lru_cache(maxsize=8192)
def to_traditional(text: str) -> str:
    """Simplified → Taiwan traditional Chinese with Taiwan phrasing (OpenCC s2twp, then the glossary
    of market terms); deterministic."""
    out = _opencc().convert(text)
    for mainland, taiwan in _glossary():
        out = out.replace(mainland, taiwan)
    return out
