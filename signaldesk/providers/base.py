"""The provider contract: declare what you yield, build requests, parse purely, fetch thinly.

A provider module owns one source. Its `parse_*` functions are pure (payload → Observations) so
they can be tested on recorded bodies; `fetch` is the only code that touches the network, always
through the shared `HttpClient`. Quirks of the source (rate limit, history depth, key) are declared
in `Capabilities`, not scattered through code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from signaldesk import settings
from signaldesk.errors import MissingKeyError

if TYPE_CHECKING:
    from signaldesk.http import HttpClient
    from signaldesk.models import NewsItem, Observation


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a source allows, declared once.

    Args:
        hosts: host → requests per second we allow ourselves (the client enforces it).
        history: how far back the free tier serves, in words ("full", "365 days", "30 days").
        key_env: environment variable holding an optional API key ("" = keyless).
        key_required: the provider yields nothing without the key (skipped with a note).
        docs: the endpoint documentation URL.
    """

    hosts: dict[str, float]
    history: str = "full"
    key_env: str = ""
    key_required: bool = False
    docs: str = ""

    @property
    def rate_limit(self) -> str:
        """Human summary of the per-host limits, for `signaldesk providers`."""
        return ", ".join(f"{host} {rps:g}/s" for host, rps in sorted(self.hosts.items()))


class Provider(ABC):
    """One data source. Subclasses set `name`, `metrics`, `capabilities` and implement `fetch`."""

    name: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]]
    capabilities: ClassVar[Capabilities]
    optional_metrics: ClassVar[tuple[str, ...]] = ()
    """Declared metrics a run may rightly not yield (an index needing more calls than a keyless tier
    allows): they never hold the collect cursor back, so their absence cannot force a full backfill."""

    def api_key(self) -> str | None:
        """The key from the environment, or None; never logged, never written anywhere."""
        return settings.secret(self.capabilities.key_env) if self.capabilities.key_env else None

    def require_key(self) -> str:
        """The key, or `MissingKeyError` naming the variable to set."""
        key = self.api_key()
        if key is None:
            raise MissingKeyError(
                f"{self.name} needs an API key: set {self.capabilities.key_env} to enable it", provider=self.name
            )
        return key

    def part_failures(self) -> list[str]:
        """What failed in the last `fetch` while other parts answered, as "part: reason" lines.

        Providers that fetch several independent parts (chains, venues, tickers, feeds) keep the
        failed ones in `self.failures` (a dict or a list) or `self.venue_errors`; the collector
        turns a non-empty list into a `partial` outcome so a missing chain is never silent.
        """
        found = getattr(self, "failures", None) or getattr(self, "venue_errors", None) or {}
        if isinstance(found, dict):
            return [f"{part}: {reason}" for part, reason in found.items()]
        return [str(item) for item in found]

    @abstractmethod
    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        """Fetch everything new since `since` (None: as much history as the source allows)."""

    async def fetch_news(self, client: HttpClient, since: date | None) -> list[NewsItem]:
        """News items, for the few providers that yield text (feeds); numeric providers yield none.

        Called by the collector after `fetch` when `yields_news` is True.
        """
        return []

    yields_news: ClassVar[bool] = False
