"""The numbers check: every number a reader sees must be one `signals.json` holds, after formatting.

A number in text is reduced to a token — its digits as printed (thousands separators dropped,
integers without leading zeros) and its scale (`K`/`M`/`B`/`T`, `万`/`亿`, `%`, or none); the sign
is ignored, since "outflow $203.8M" and "-$203.8M" state the same number. The allowed tokens are
every way `signaldesk.fmt` (and the roundings a writer may fairly use: 0–2 decimals, 万/亿) can
print each number in `signals.json`, plus every number already written inside its strings
(dates, reasons). Window tags in labels (`7d`, `24h`, `25Δ`) and list markers are not data and
are skipped. Used by the report's self-check and to reject an LLM narrative that invents a figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from signaldesk import fmt

_SKIP = re.compile(
    r"(?m)^\s*(?:[-*]\s+)?\d+\.\s"  # ordered-list markers
    r"|(?<![A-Za-z0-9_.])\d+\s?(?:d|h|D|H|Δ)(?![A-Za-z0-9_])"  # window tags: 7d, 24h, 25Δ
    r"|(?<![A-Za-z0-9_.])\d+-(?:delta|day|hour|week)(?![A-Za-z])"  # 25-delta, 7-day
    r"|(?<![A-Za-z0-9_.])\d+\s?(?:小时|小時|hours?\b)"  # the 24-hour window of the watch list
    r"|(?<![A-Za-z0-9_.月])\d+\s?(?:日|天)"  # 30日, 7天 windows (not the day of 2月25日)
    r"|(?<![A-Za-z0-9_])[A-Za-z]+\d+[A-Za-z0-9]*"  # identifiers such as L2, SHA256, x402
    r"|https?://\S+"  # links
    r"|&#\d+;"  # HTML character references (escaped braces)
)
WINDOWS = "1|7|14|24|25|28|30|90|155|180|200|365"
"""The windows the report's labels name (7d, 24h, 25Δ, 155-day, 200-day): in untrusted text only these
are skipped as labels — "777-day" or "100000 hours" are numbers a model made up."""
IDENTIFIERS = r"L[123]|x402|SHA-?256|Q[1-4]"
"""Names with digits an untrusted text may use (layer 2, the x402 protocol, a quarter)."""
_STRICT_SKIP = re.compile(
    rf"(?<![A-Za-z0-9_.])(?:{WINDOWS})\s?(?:d|h|D|H|Δ)(?![A-Za-z0-9_])"
    rf"|(?<![A-Za-z0-9_.])(?:{WINDOWS})-(?:delta|day|hour|week)(?![A-Za-z])"
    rf"|(?<![A-Za-z0-9_.])(?:{WINDOWS})\s?(?:小时|小時|日|天)"
    rf"|(?<![A-Za-z0-9_])(?:{IDENTIFIERS})(?![A-Za-z0-9_])"
    r"|&#\d+;"
)
_GLUED_NUMBER = re.compile(
    r"(?<![0-9.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s?(?P<scale>[KMBT](?![a-z0-9])|万|萬|亿|億|%|/100(?!\d))?"
)
"""In untrusted text a number glued to letters is still a number: `BTC150K`, `BTCUSD150000`."""
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s?(?P<scale>[KMBT](?![A-Za-z0-9])|万|萬|亿|億|%|/100(?!\d))?"
)
_SCALE = {"萬": "万", "億": "亿", "/100": ""}


@dataclass(frozen=True, slots=True, order=True)
class Token:
    """A printed number: `digits` as written (no separators) and its `scale` suffix."""

    digits: str
    scale: str

    def __str__(self) -> str:
        return f"{self.digits}{self.scale}"


def _canonical(digits: str, scale: str) -> Token:
    digits = digits.replace(",", "")
    if "." not in digits:
        digits = str(int(digits))
    return Token(digits, _SCALE.get(scale, scale))


def tokens(text: str, *, strict: bool = False) -> list[Token]:
    """The numbers in `text`, as tokens, in order of appearance.

    `strict` is for text from outside (an LLM's answer): no list marker, identifier or window tag
    is skipped unless it is one the report itself uses, and digits glued to letters count."""
    if strict:
        cleaned = _STRICT_SKIP.sub(" ", text)
        return [_canonical(m.group("num"), m.group("scale") or "") for m in _GLUED_NUMBER.finditer(cleaned)]
    cleaned = _SKIP.sub(" ", text)
    return [_canonical(m.group("num"), m.group("scale") or "") for m in _NUMBER.finditer(cleaned)]


def _variants(x: float) -> Iterator[str]:
    """Every printing of `x` the report or a careful writer may use."""
    size = abs(x)
    yield fmt.usd(size)
    yield fmt.price(size)
    yield fmt.number(size, 0)
    yield fmt.number(size, 1)
    yield fmt.number(size, 2)
    yield fmt.number(size, 4)
    yield f"{size:.0f}"
    yield f"{size:.1f}"
    yield f"{size:.2f}"
    yield f"{size:.4f}"
    for digits in (0, 1, 2, 4):
        yield fmt.pct(size, signed=False, digits=digits)
    for lang in ("zh-CN", "en"):
        yield fmt.count(size, lang)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= scale * 0.95:
            for digits in (0, 1, 2):
                yield f"{size / scale:.{digits}f}{suffix}"
            break
    for scale, suffix in ((1e8, "亿"), (1e4, "万")):
        if size >= scale * 0.95:
            for digits in (0, 1, 2):
                yield f"{size / scale:,.{digits}f}{suffix}"
            break


def _leaves(obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict):
        for value in obj.values():
            yield from _leaves(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from _leaves(value)
    else:
        yield obj


def allowed(signals: Any, *, from_strings: bool = True) -> set[Token]:
    """Every token a text may use, given the `signals.json` data.

    `from_strings=False` (for untrusted text) takes numbers from numeric fields and dates only: a
    feed title in `signals.json` saying "BTC will reach $999,999" must not make $999,999 allowed."""
    out: set[Token] = set()
    for leaf in _leaves(signals):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, int | float):
            if math.isfinite(leaf):
                for text in _variants(float(leaf)):
                    out.update(tokens(text))
        elif isinstance(leaf, str):
            if from_strings:
                out.update(tokens(leaf))
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?", leaf):
                out.update(tokens(re.sub(r"[-:T+.Z]", " ", leaf)))
    return out


def unknown_numbers(
    text: str, signals: Any, *, extra: Iterable[Token] = (), strict: bool = False, known: set[Token] | None = None
) -> list[Token]:
    """Tokens of `text` that no number of `signals` explains (empty when the text is faithful);
    `strict` for untrusted text (see `tokens` and `allowed`). `known` is `allowed(signals)` when the
    caller checks several texts against the same data (it costs a tenth of a second to build)."""
    ok = (allowed(signals, from_strings=not strict) if known is None else known) | set(extra)
    seen: list[Token] = []
    for token in tokens(text, strict=strict):
        if token not in ok and token not in seen:
            seen.append(token)
    return seen
