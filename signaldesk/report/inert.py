"""Inert text: words from outside (feed titles, an LLM's prose) reach the Markdown as plain prose.

A feed title or a model's answer is data, never page structure. Written raw into Markdown it can
open a heading (`# …`), a list (`150000. BTC is going there` renders as `<ol start="150000">`), a
rule or front matter (`---`), a link (`[login](https://…)`), raw HTML, or a link through Goldmark's
linkify (bare `https://…`, `www.…`, e-mail addresses); control characters and bidi overrides
(U+202E) can disguise what a reader sees. `inert()` removes the invisible characters, folds the
text onto one line, and backslash-escapes every character that could start structure — the
escapes render as the characters themselves in Hugo (checked with the real binary in the tests),
so the reader sees the text exactly as written, and nothing more.
"""

from __future__ import annotations

import re

from signaldesk.redact import scrub
from signaldesk.text import INVISIBLE, strip_invisible  # noqa: F401 (INVISIBLE: re-exported for the tests)

_INLINE = re.compile(r"([\\`*_\[\]|~{}]|&(?=#?\w+;))")  # {}: Hugo reads {{< >}} shortcodes; & only before an entity
_ANGLES = {"<": "&lt;", ">": "&gt;"}
"""Angle brackets become entities, not escapes: no renderer, CommonMark or not, sees a tag in them."""
_LINKIFY = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<![\w.])(www)(\.)|(?<=\w)(@)(?=\w)")
_LINE_START = re.compile(
    r"^(#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)"  # a heading, a bullet, an ordered-list marker ("150000. BTC …")
    r"|^([-=])(?=[\s=-]*$)"  # a rule or a setext underline: a line of only - or =
)


def one_line(text: str) -> str:
    """All whitespace runs (newlines included) folded to single spaces, ends trimmed."""
    return " ".join(strip_invisible(text).split())


def inert(text: str) -> str:
    """`text` as one line of Markdown that renders as exactly these words: no structure, no links,
    and no secret (an upstream or a model may echo a key back: `redact.scrub`)."""
    line = _INLINE.sub(r"\\\1", one_line(scrub(text)))
    line = "".join(_ANGLES.get(ch, ch) for ch in line)
    line = _LINKIFY.sub(lambda m: "".join(("\\" + g if g in (":", ".", "@") else g) for g in m.groups() if g), line)
    return _LINE_START.sub(lambda m: _escape_marker(m.group(0)), line)


def _escape_marker(marker: str) -> str:
    """`#` → `\\#`; `150000.` → `150000\\.`; `-` → `\\-` (structure only while its punctuation is bare).
    Only markers followed by a space count: `21.0%` or `-5%` at the start are numbers, left as written."""
    return marker[:-1] + "\\" + marker[-1]
