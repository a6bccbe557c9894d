"""The one exception tree.

Every failure the pipeline can survive is a `SignaldeskError`; the CLI turns one into a single
line on stderr (the traceback only with `--debug`). Providers raise `ProviderError` subclasses so
the collector can record *why* a source is missing without guessing from a message string.
"""

from __future__ import annotations

from signaldesk.redact import scrub

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
"""The exit codes CLI.md promises: all good; failed (any error below); bad usage (`UsageError`);
finished with partial data (a source failed or is stale, an alert was not delivered)."""


class SignaldeskError(Exception):
    """Base of everything signaldesk raises on purpose. Its message is scrubbed of known secrets
    (`redact.scrub`) when it is made, because messages become outcome reasons, log lines and report
    text, and upstreams echo keys back in their error bodies."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(scrub(arg) if isinstance(arg, str) else arg for arg in args))


class UsageError(SignaldeskError, ValueError):
    """The user asked for something impossible (a date in 2099, an unknown language, a bad setting):
    the CLI exits 2. Other `ValueError`s are bugs or bad data, not bad usage, and exit 1."""


class ProviderError(SignaldeskError):
    """A source could not give usable data. `provider` names it for the runs table."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider


class UnavailableError(ProviderError):
    """Network failure, timeout, 5xx, 403/451 geo-block, or no recording to replay."""


class RateLimitedError(UnavailableError):
    """HTTP 429 (or a provider's 200-with-rate-limit-code) after retries were exhausted."""


class MissingKeyError(ProviderError):
    """An optional keyed provider was asked for but its environment variable is not set."""


class MalformedError(ProviderError):
    """The payload is not what the provider documents: bad JSON, HTML challenge, renamed field."""


class ImplausibleError(ProviderError):
    """The payload parsed but a value is absurd (negative price, Fear & Greed 150)."""


class StoreError(SignaldeskError):
    """The DuckDB store could not be opened, migrated, locked or written."""


class StoreLockedError(StoreError):
    """Another signaldesk process holds the store's write lock."""


class RulebookError(SignaldeskError):
    """A rulebook file is invalid; the message names the file, the line and the problem."""


class ReportError(SignaldeskError):
    """The report bundle could not be rendered or written."""


class OnchainError(SignaldeskError):
    """The UTXO engine was given an input it cannot use (schema, prices, engine)."""
