"""Untrusted text made visible: the characters that change how text looks without being seen.

Feed titles and summaries (providers) and an LLM's prose (report) come from outside. Control
characters (ESC, BEL, NUL), zero-width characters and bidi overrides (U+202E reverses what a reader
sees) have no business in either, so both strip them with the one function here. It lives below
`providers` and `report` because neither may import the other.
"""

from __future__ import annotations

import unicodedata

INVISIBLE = frozenset(
    {"\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"}
    | {chr(c) for c in range(0x202A, 0x202F)}  # bidi embeddings and overrides (U+202E reverses text)
    | {chr(c) for c in range(0x2066, 0x206A)}  # bidi isolates
)
"""Characters that change how text looks or reads without being seen: zero-width and bidi controls."""


def strip_invisible(text: str) -> str:
    """Drop control characters (C0 except tab/newline, DEL, C1), zero-width and bidi controls;
    line and paragraph separators become spaces."""
    out = []
    for ch in text:
        if ch in INVISIBLE:
            continue
        if ch in "\u2028\u2029":
            out.append(" ")
        elif ch in "\t\n" or unicodedata.category(ch) != "Cc":
            out.append(ch)
    return "".join(out)
