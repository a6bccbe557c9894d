"""An AI news item's theme (chips, data centres and power, models and agents, miners pivoting,
deals) from its title, by the keyword table in `themes.toml`; and what the day's items add up to.

The table is data, so a desk can change it without touching code; the words for each theme live
in the report's i18n files (`[ai_theme]`, `[ai_theme_meaning]`).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

OTHER = "other"
"""The theme of an AI item no keyword matches."""


@cache
def _table() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    data = tomllib.loads((Path(__file__).with_name("themes.toml")).read_text(encoding="utf-8"))
    return tuple((t["id"], tuple(t.get("all", ())), tuple(t.get("any", ()))) for t in data["themes"])


def ids() -> tuple[str, ...]:
    """Every theme id, in matching order, then `other`."""
    return (*(t[0] for t in _table()), OTHER)


def _has(title: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}", title) is not None


def theme_of(title: str) -> str:
    """The first theme whose keywords the title holds (all of `all`, one of `any`), else `other`."""
    text = title.lower()
    for theme, every, some in _table():
        if all(_has(text, w) for w in every) and (not some or any(_has(text, w) for w in some)):
            return theme
    return OTHER


def ranked(themes: Iterable[str]) -> list[str]:
    """The day's themes, most items first (ties in table order), `other` last."""
    order = {t: i for i, t in enumerate(ids())}
    counts = Counter(themes)
    return sorted(counts, key=lambda t: (t == OTHER, -counts[t], order[t]))
