"""Why a number is missing, as a class id the report can word in a few words.

A provider's failure reaches the report as an outcome (`ProviderOutcome`: status and the
exception's type name) and as free text (the exception's message, echoed into metric reasons).
The text is for the log and `signals.json`; the page says only the class — no key, unreachable,
rate limited, stale since a day, no history yet, bad data — once per source in the sources
section, and as "—（无密钥）" beside each number that lacks it. The class comes from the error's
type in `signaldesk.errors` (or the outcome's status), never from guessing at message words;
the engine's own reasons (a value too old, too little history) are recognised by the exact
phrases `signals.judge` and `signals.snapshot` write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from signaldesk import errors
from signaldesk.models import ProviderOutcome

CLASSES = ("no_key", "unreachable", "rate_limited", "stale", "no_history", "bad_data", "partial", "failed", "no_data")
"""Every reason class, in the order the sources section lists them (words: i18n `[reason]`)."""

_BY_ERROR: tuple[tuple[type[Exception], str], ...] = (
    (errors.MissingKeyError, "no_key"),
    (errors.RateLimitedError, "rate_limited"),
    (errors.UnavailableError, "unreachable"),
    (errors.MalformedError, "bad_data"),
    (errors.ImplausibleError, "bad_data"),
)
_OTHER_ERRORS = {"TimeoutError": "unreachable", "EmptyResponse": "bad_data"}
"""Outcome error types that are not signaldesk exceptions (see `collect._run_one`)."""
_STATUS = {"skipped": "no_key", "stale": "stale", "partial": "partial", "failed": "failed"}

_STALE = re.compile(r"last value on (\d{4}-\d{2}-\d{2}) is \d+ days old")
_HISTORY = re.compile(r"needs about \d+ days of history")


@dataclass(frozen=True, slots=True)
class Why:
    """A missing number's reason: class id, the provider at fault ("" when none), the stale day."""

    cls: str
    source: str = ""
    since: date | None = None


def outcome_class(outcome: ProviderOutcome) -> str:
    """The class of a provider's outcome: from its exception type, else from its status."""
    if outcome.status == "ok":
        return ""
    error = getattr(errors, outcome.error_type, None)
    if isinstance(error, type):
        for base, name in _BY_ERROR:
            if issubclass(error, base):
                return name
    if outcome.error_type in _OTHER_ERRORS:
        return _OTHER_ERRORS[outcome.error_type]
    return _STATUS.get(outcome.status, "failed")


def classify(reason: str, outcomes: Mapping[str, ProviderOutcome]) -> Why:
    """Classify a metric's missing/stale reason text: the engine's own phrases first, then the
    provider it names (pipeline and snapshot reasons start with or contain `<provider> <status>`)."""
    found = _STALE.search(reason)
    if found:
        return Why("stale", "", date.fromisoformat(found.group(1)))
    if _HISTORY.search(reason):
        return Why("no_history")
    for name in sorted(outcomes, key=len, reverse=True):
        if re.search(rf"(^|\W){re.escape(name)}(\W|$)", reason) and outcomes[name].status != "ok":
            return Why(outcome_class(outcomes[name]) or "failed", name)
    return Why("no_data")


def by_provider(outcomes: Sequence[ProviderOutcome]) -> dict[str, ProviderOutcome]:
    return {o.provider: o for o in outcomes}
