"""Secret scrubbing, in one place: every known secret value becomes `***` before text leaves memory.

Secrets reach signaldesk only through the environment (API keys, webhook URLs, bot tokens, the LLM
key), but they leak through text that is not under our control: httpx logs every request URL (a
Slack webhook URL *is* the secret; a Telegram token sits in the path), and upstreams echo a bad key
in their error body (`{"error": "Invalid API key: <key>"}`), which becomes an outcome reason, then
the store, the report, `signals.json` and the dashboard. Rather than hoping every one of those
paths remembers, the values themselves are scrubbed wherever text is made durable: exception
messages (`errors.SignaldeskError`), log records (`LogFilter`), and the store's writes.

A value is known when it was read through `settings.secret` / a provider's key (`remember`), or
when it sits in an environment variable whose *name* says it is secret (`SECRET_NAME`), so a token
is scrubbed even on a path that never read it.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter values (a chat id "42", "true") would mask ordinary words and numbers everywhere."""
SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|AUTH)", re.IGNORECASE)

QUIET_LOGGERS = ("httpx", "httpcore", "hishel", "urllib3", "ccxt")
"""HTTP libraries that log request URLs at INFO; held at WARNING (the log filter still scrubs them)."""

_known: set[str] = set()


TOKEN_PART_LENGTH = 16
"""A path segment or query value of a secret URL this long is a token in itself (a Slack webhook's
last segment): servers echo the path without the scheme and host, so those parts are masked too."""


def remember(value: str | None) -> str | None:
    """Mark `value` (and the forms a URL or query string gives it) as secret; returns it unchanged."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _known.update(_forms(value))
        url = urlsplit(value)
        if url.scheme and url.netloc:
            parts = [url.path, *url.path.split("/"), *(v for _, v in parse_qsl(url.query))]
            for part in parts:
                if len(part) >= TOKEN_PART_LENGTH:
                    _known.update(_forms(part))
    return value


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote_plus(value)}


def _environment_secrets() -> set[str]:
    found = set()
    for name, value in os.environ.items():
        value = value.strip()
        if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH:
            found.update(_forms(value))
    return found


def scrub(text: str) -> str:
    """`text` with every known secret replaced by `***` (longest first, so no fragment survives)."""
    if not text:
        return text
    for secret in sorted(_known | _environment_secrets(), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class LogFilter(logging.Filter):
    """Scrubs each record's final message, so neither a format argument nor a URL leaks a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
