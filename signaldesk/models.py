"""Shared contracts between the stages, as frozen dataclasses (no logic, cheap to import).

`Observation` is what providers emit and the store keeps; `ProviderOutcome` is one provider's
result in a run; `Snapshot` is what the signal engine judges; `Assessment` (with `Indicator`,
`Level`, `WatchItem`) is what the report renders and `signals.json` serialises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

MetricKey = tuple[str, str]
"""(metric id, entity); entity is `""` where there is none (METRICS.md)."""

OutcomeStatus = Literal["ok", "partial", "failed", "stale", "skipped"]
State = Literal["bullish", "neutral", "bearish"]


def key_to_flat(key: MetricKey) -> str:
    """(metric, entity) → `metric:entity` (or `metric` when entity is empty), as in snapshot files."""
    metric, entity = key
    return f"{metric}:{entity}" if entity else metric


def flat_to_key(flat: str) -> MetricKey:
    """`metric:entity` → (metric, entity)."""
    metric, _, entity = flat.partition(":")
    return metric, entity


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one metric for one entity at one UTC timestamp, from one source."""

    metric: str
    entity: str
    ts: datetime
    value: float
    source: str

    @property
    def key(self) -> MetricKey:
        return self.metric, self.entity


@dataclass(frozen=True, slots=True)
class ProviderOutcome:
    """How one provider fared in one run; stored in the `provider_outcomes` table.

    `status` is `ok`, `partial` (some of its parts — a chain, a venue, a ticker, a feed — failed
    while the rest answered; `reason` names them), `failed` (with `reason`), `stale` (answered, but
    its newest point is older than the metric allows), or `skipped` (e.g. an optional key is not set).
    """

    provider: str
    status: OutcomeStatus
    reason: str = ""
    observations: int = 0
    latest_ts: datetime | None = None
    error_type: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One deduplicated news item; title and link are untrusted text (escape wherever rendered)."""

    id: str
    ts: datetime
    source: str
    title: str
    link: str
    themes: tuple[str, ...] = ()
    summary: str = ""


@dataclass(slots=True)
class Snapshot:
    """What the signal engine judges: latest values as of a day, plus their history when known.

    `values` holds the value the report shows for each key; `history` (optional) holds the daily
    series up to and including `as_of` so transforms (change, percentile, z-score) can be computed;
    `observed_at` is the timestamp of each value (for freshness); `missing` maps keys the engine
    wanted but could not get to the reason (provider failure text, 'no data', …).
    """

    as_of: date
    values: dict[MetricKey, float] = field(default_factory=dict)
    history: dict[MetricKey, "pd.Series"] = field(default_factory=dict)
    observed_at: dict[MetricKey, datetime] = field(default_factory=dict)
    missing: dict[MetricKey, str] = field(default_factory=dict)
    stale: dict[MetricKey, str] = field(default_factory=dict)
    sources: dict[MetricKey, str] = field(default_factory=dict)
    news: list[NewsItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One judged indicator row of `signals.json` (CLI.md)."""

    id: str
    entity: str
    value: float | None
    state: State
    strength: float
    percentile: float | None
    reason: str
    contribution: float = 0.0
    group: str = ""
    rule: str = ""
    reasons: dict[str, str] = field(default_factory=dict)
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Level:
    """A support or resistance zone and the reasons that made it."""

    price: float
    low: float
    high: float
    why: tuple[str, ...]
    strength: float = 1.0


@dataclass(frozen=True, slots=True)
class WatchItem:
    """A concrete, checkable trigger for the next 24 h."""

    id: str
    metric: str
    entity: str
    trigger: float
    direction: Literal["above", "below", "streak"]
    text: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Missing:
    """A metric the engine wanted and did not get, with the reason in words."""

    id: str
    entity: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A provider's line in the report's 'data sources and freshness' section."""

    provider: str
    status: OutcomeStatus
    latest: datetime | None
    reason: str = ""
    note: str = ""


@dataclass(slots=True)
class Assessment:
    """The day's judgement: everything the report and `signals.json` say."""

    as_of: date
    score: float | None
    band: str
    phase: str
    stance: str
    coverage: float
    indicators: list[Indicator] = field(default_factory=list)
    support: list[Level] = field(default_factory=list)
    resistance: list[Level] = field(default_factory=list)
    watchlist: list[WatchItem] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    group_scores: dict[str, float] = field(default_factory=dict)
    phase_reasons: dict[str, str] = field(default_factory=dict)
    stance_guidance: dict[str, str] = field(default_factory=dict)
