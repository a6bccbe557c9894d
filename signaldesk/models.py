"""Shared contracts between the stages, as frozen dataclasses (no logic, cheap to import).

`Observation` is what providers emit and the store keeps; `ProviderOutcome` is one provider's
result in a run; `Snapshot` is what the signal engine judges; `Assessment` (with `Indicator`,
`Level`, `AssetLevels`, `Action`, `WatchItem`) is what the report renders and `signals.json` serialises.
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
    history: dict[MetricKey, pd.Series] = field(default_factory=dict)
    observed_at: dict[MetricKey, datetime] = field(default_factory=dict)
    missing: dict[MetricKey, str] = field(default_factory=dict)
    stale: dict[MetricKey, str] = field(default_factory=dict)
    sources: dict[MetricKey, str] = field(default_factory=dict)
    news: list[NewsItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One judged indicator: a row of `signals.json` (CLI.md) and of the report's indicator table.

    `id`/`entity` name the input the rule read (a fallback input when the primary was missing);
    `value` is that input's value, `x` what the rule's bands compared (the transform's output, or
    the ratio for rules read `over` a reference `ref` named `ref_id`). `cls` is the class the band
    gives the value (its text key: `extreme_fear`, `near_cost`, …), the one id the report words this
    judgement by; `reasons` the rulebook's sentence per language (`reason` in the assessment's
    language). `label` is the rule's name per language, `display` the language-neutral value column
    of the indicator table. `sub_score` is the rule's 0–100 sub-score, `weight` its weight in its
    group, `reading` `trend` or `contrarian`; `age_days` the age of the value judged.
    """

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
    label: dict[str, str] = field(default_factory=dict)
    display: str = ""
    x: float | None = None
    ref: float | None = None
    ref_id: str = ""
    sub_score: float | None = None
    age_days: float | None = None
    reading: str = ""
    weight: float = 0.0
    cls: str = ""


LevelSide = Literal["support", "resistance"]


@dataclass(frozen=True, slots=True)
class LevelSource:
    """One reason a zone exists, in data rather than words, so each language can say it.

    `kind` is one of `signals.levels.KINDS` (e.g. `sth_cost_basis`, `swing_low`, `volume_cluster`);
    `metric`/`entity` name the series it was read from; a cluster keeps its own `low`–`high`
    range (a single price has low == high == price); a swing keeps the `day` of its pivot.
    """

    kind: str
    metric: str
    entity: str
    price: float
    low: float
    high: float
    day: date | None = None


@dataclass(frozen=True, slots=True)
class Level:
    """A support or resistance zone of one asset and the reasons that made it.

    `why` holds the reasons as `kind:payload` codes (stable, for signals.json and old readers);
    `sources` holds the same reasons structured. `distance` is `price` / spot − 1 (negative
    below the price); `kind` is the family of the strongest source (`KIND_FAMILY` in
    `signals.levels`); `side` is `support` or `resistance`.
    """

    price: float
    low: float
    high: float
    why: tuple[str, ...]
    strength: float = 1.0
    asset: str = "btc"
    side: str = ""
    distance: float | None = None
    kind: str = ""
    sources: tuple[LevelSource, ...] = ()


@dataclass(frozen=True, slots=True)
class CostBasis:
    """A major on-chain cost basis and the price's distance to it, listed however far it is.

    `distance` is `price` / spot − 1; `side` is `support` below the spot and `resistance` above.
    """

    kind: str
    metric: str
    entity: str
    asset: str
    price: float
    distance: float
    side: LevelSide


@dataclass(frozen=True, slots=True)
class AssetLevels:
    """One asset's map: spot, the merge width used, zones nearest first, every major cost basis.

    `atr` is the mean absolute daily close change over the rulebook's `atr_days`; `zone_width`
    the widest a merged zone may be (both in USD); `ma200` the 200-day mean of the close.
    """

    asset: str
    price: float | None
    atr: float | None = None
    zone_width: float | None = None
    ma200: float | None = None
    support: tuple[Level, ...] = ()
    resistance: tuple[Level, ...] = ()
    cost_bases: tuple[CostBasis, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A conditional action of the strategy, chosen by the stance (`[levels.actions]` in the rulebook).

    `id` is the action (words live in the report's i18n `[levels.action]`); `price` is the level
    whose break or reclaim conditions it; `support`/`resistance` are the zones it refers to.
    """

    id: str
    asset: str
    price: float | None = None
    support: Level | None = None
    resistance: Level | None = None


@dataclass(frozen=True, slots=True)
class WatchItem:
    """A concrete, checkable trigger for the next 24 h, structured so each language can word it.

    The trigger fires when `metric:entity`, read over `window` (`1d` a daily value or close,
    `7d` a seven-day sum), is at or `direction` (`above`/`below`) the threshold `trigger`.
    `mode` says what is asked: `hold` (does the value stay on its side, e.g. Fear & Greed stays
    below 25) or `cross` (does it cross, e.g. the week's ETF net flow turns positive).
    `current` is today's reading; `level` the zone a price trigger sits on; `rule` the rule
    whose band edge set the threshold; `reference` a second number the words need (for the
    ETF item, the current streak in weeks, negative for outflows). The words are the report's
    (`report.signals_json` adds them to signals.json as `text`/`texts`).
    """

    id: str
    metric: str
    entity: str
    trigger: float
    direction: Literal["above", "below", "streak"]
    mode: Literal["hold", "cross"] = "cross"
    window: str = "1d"
    current: float | None = None
    level: Level | None = None
    rule: str = ""
    reference: float | None = None


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
    asset_levels: dict[str, AssetLevels] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    group_scores: dict[str, float] = field(default_factory=dict)
    phase_reasons: dict[str, str] = field(default_factory=dict)
    stance_guidance: dict[str, str] = field(default_factory=dict)
    # "What state is the market in" (phase and its measured inputs: a description) is kept apart
    # from "what has tended to follow" (the score's evidence: weights, calibrated bands, out-of-
    # sample track record; signals.calibration), so a description is never read as a forecast.
    market_state: dict[str, object] = field(default_factory=dict)
    outlook: dict[str, object] = field(default_factory=dict)
