"""Bold that renders in every CommonMark renderer, next to Chinese text too.

CommonMark opens `**` only when the delimiter run is left-flanking: the text inside may start with
punctuation (`$`, `+`, `-`, a currency sign) only if the character outside is a space or
punctuation. "合计**$381.0B**" fails that rule (`计` is a letter), so Goldmark (Hugo), GitHub and
every other conforming renderer print the asterisks. The same holds for the closing run
("**+70.0%**同比"). Where a pair would fail, a space goes between the run and the letter outside
— the spacing Chinese typesetting uses between Han characters and Latin text or numbers anyway —
and the Markdown reads the same everywhere, with no raw HTML.
"""

from __future__ import annotations

import re
import unicodedata

_PAIR = re.compile(r"(?<![\\*])\*\*(?=[^*\s])(.+?)(?<=[^*\s\\])\*\*(?!\*)")


def _punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _open_space(ch: str) -> bool:
    """Whitespace, punctuation or a line start: a run after it may open before punctuation."""
    return ch == "" or ch.isspace() or _punctuation(ch)


def fit_bold(markdown: str) -> str:
    """`markdown` with a space added where a `**…**` pair would otherwise not render as bold."""

    def fix(match: re.Match[str]) -> str:
        text = match.string
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        inner = match.group(1)
        lead = " " if _punctuation(inner[0]) and not _open_space(before) else ""
        tail = " " if _punctuation(inner[-1]) and not _open_space(after) else ""
        return f"{lead}**{inner}**{tail}"

    return "\n".join(_PAIR.sub(fix, line) for line in markdown.split("\n"))
