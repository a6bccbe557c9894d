"""The report model: the data of the twelve sections, as raw numbers and ids — never text.

`build_model` (in `signaldesk.report.sections`) fills it from an `Assessment`, a `Snapshot` and the
run's provider outcomes. Templates turn it into words for each language; `to_dict` puts it in
`signals.json` next to the assessment, so every number a reader sees in the text can be found in
that file. Choices made here (which fact heads the report, which chain is "expanding") are
presentation, not signals: the score, phase, stance, levels and watch list come from the
signal engine unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from signaldesk.models import NewsItem


@dataclass(frozen=True, slots=True)
class Cell:
    """One metric's value for the report, or why there is none.

    `missing` is the raw reason when `value` is None (provider failure text: for `signals.json`
    and the log, never the page); `why` is its class (`report.gaps.CLASSES`), `source` the provider
    at fault and `since` the last day a stale value was seen; `stale` is set when the value is shown
    but older than its metric allows.
    """

    id: str
    entity: str = ""
    value: float | None = None
    missing: str = ""
    stale: str = ""
    why: str = ""
    source: str = ""
    since: date | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Dated:
    """A value on a day (a peak, a low, a flow day)."""

    day: date
    value: float


@dataclass(frozen=True, slots=True)
class Lead:
    """Section 1: which contradiction heads the report, and the numbers that show it.

    `theme` is one of `divergence`, `coupling`, `fear`, `greed`, `outflows`, `inflows`, `band`;
    `direction` (divergence only) is `ai_leads` or `crypto_leads`. `moves` are the day's biggest
    movers (indicator rows, strongest first) that the opening paragraph tells.
    """

    theme: str
    direction: str
    divergence_z: Cell
    correlation: Cell
    ai_return_30d: Cell
    btc_return_30d: Cell
    fear_greed: Cell
    etf_streak: Cell
    drawdown: Cell
    moves: list[Move] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Move:
    """One line of the opening's "what moved and why": a fact kind the templates know how to say,
    its numbers, and the class id (from the rulebook) that explains it."""

    kind: str
    cells: tuple[Cell, ...]
    cls: str = ""


@dataclass(frozen=True, slots=True)
class CompanyCapex:
    """A hyperscaler's CapEx: trailing twelve months, growth, and the latest reported quarter."""

    ticker: str
    ttm: Cell
    yoy: Cell
    quarter: Cell = field(default_factory=lambda: Cell("capex_usd"))
    quarter_end: date | None = None


@dataclass(frozen=True, slots=True)
class Basket:
    entity: str
    r7: Cell
    r30: Cell
    r90: Cell


@dataclass(frozen=True, slots=True)
class Equity:
    ticker: str
    close: Cell
    change_30d: float | None


@dataclass(frozen=True, slots=True)
class News:
    title: str
    source: str
    link: str
    day: date
    themes: tuple[str, ...]
    theme: str = ""
    """The item's AI theme id (`report.themes`): chips, datacenters_power, models_agents, miners_pivot, deals."""
    title_translated: dict[str, str] = field(default_factory=dict)
    """The title per language when a checked LLM translation exists (otherwise the original is shown)."""


@dataclass(frozen=True, slots=True)
class AISide:
    """Section 2: CapEx, baskets, semiconductors, news, miners' pivot to AI compute."""

    capex_ttm: Cell
    capex_yoy: Cell
    capex_by_company: list[CompanyCapex]
    baskets: list[Basket]
    equities: list[Equity]
    correlation: Cell
    divergence_z: Cell
    news: list[News]
    miners_vs_btc: Cell
    miner_revenue_per_mw: Cell
    ai_hosting_per_mw: Cell
    hosting_multiple: float | None
    efficiency_j_per_th: float | None = None
    """The miner-economics assumptions behind the two revenues (config `[miners]`, else defaults)."""
    hosting_usd_per_kwh: float | None = None
    news_why: str = ""
    """The news provider's failure class when it gave nothing today (the section says so)."""
    themes: list[str] = field(default_factory=list)
    """The day's AI news themes, most items first (what the news adds up to)."""
    quarter_total: float | None = None
    """The hyperscalers' latest reported quarters added up (guidance is not in filings)."""
    ai_basket_class: str = ""
    """The `ai_basket_30d` rule's class: the basket's 30-day move against its own history."""
    nvda_shown: bool = False

    @property
    def available(self) -> bool:
        cells = (self.capex_ttm, self.correlation, self.miners_vs_btc, self.miner_revenue_per_mw)
        return any(c.ok for c in cells) or bool(self.baskets or self.equities or self.news)


@dataclass(frozen=True, slots=True)
class Flow:
    fund: str
    value: float


@dataclass(frozen=True, slots=True)
class CryptoSide:
    """Section 3: ETF flows, Fear & Greed, price and drawdown, market cap, derivatives.

    `fear_greed_class` is `extreme_fear`, `fear`, `neutral`, `greed` or `extreme_greed`.
    """

    flow_day: date | None
    flow_total: Cell
    flows_by_fund: list[Flow]
    flow_7d: Cell
    streak: Cell
    aum: Cell
    aum_peak: Dated | None
    fear_greed: Cell
    fear_greed_class: str
    fear_greed_low: Dated | None
    fear_greed_record_low: bool
    price: Cell
    ath: Cell
    ath_day: date | None
    drawdown: Cell
    change_7d: Cell
    market_cap: Cell
    market_cap_lost: Cell
    funding: Cell
    open_interest: Cell
    oi_change_7d: Cell
    long_liquidations: Cell
    short_liquidations: Cell
    coinbase_premium: Cell
    whale_ratio: Cell
    funding_class: str = ""
    """Class ids from the rulebook's rules (funding_btc, coinbase_premium, etf_streak, etf_flow_7d)
    and its `etf_day_flow` table: the one judgement each sentence about them words."""
    premium_class: str = ""
    streak_class: str = ""
    flow_7d_class: str = ""
    flow_day_class: str = ""

    @property
    def available(self) -> bool:
        cells = (
            self.flow_total,
            self.streak,
            self.aum,
            self.fear_greed,
            self.price,
            self.market_cap,
            self.funding,
            self.open_interest,
            self.coinbase_premium,
        )
        return any(c.ok for c in cells)


@dataclass(frozen=True, slots=True)
class Rung:
    """One cost-basis level on the on-chain ladder (or the price itself)."""

    id: str
    value: float


@dataclass(frozen=True, slots=True)
class OnChain:
    """Section 4: realised price and cost bases, MVRV, realised and unrealised loss."""

    cells: dict[str, Cell]
    ladder: list[Rung]
    below: str
    above: str
    mvrv_class: str = ""
    """The `mvrv` rule's class (below_cost, near_cost, fair, rich, overheated)."""

    @property
    def available(self) -> bool:
        return any(c.ok for c in self.cells.values())


@dataclass(frozen=True, slots=True)
class Tenor:
    tenor: str
    atm_iv: Cell
    skew: Cell
    vrp: Cell
    realized_vol: Cell


@dataclass(frozen=True, slots=True)
class Options:
    """Section 5: ATM IV term structure, 25-delta skew, volatility risk premium.

    `term_shape` is `contango` (long tenors richer), `backwardation` or `flat`; `skew_class` is the
    `skew_30d` rule's class (calls_rich, symmetric, puts_rich), "" when unknown; `gap` is a cell
    that says why the section has no data.
    """

    tenors: list[Tenor]
    dvol: Cell
    term_shape: str
    skew_class: str
    gap: Cell

    @property
    def available(self) -> bool:
        return any(t.atm_iv.ok or t.skew.ok for t in self.tenors) or self.dvol.ok


@dataclass(frozen=True, slots=True)
class Chain:
    chain: str
    tvl: Cell
    tvl_change: Cell
    stable: Cell
    stable_change: Cell
    dex: Cell
    dex_change: Cell
    trend: str


@dataclass(frozen=True, slots=True)
class Liquidity:
    """Section 6: per-chain table, gas, weekly stablecoin change, observations.

    `gas_level` is the `eth_gas_low` rule's class (very_low, normal, elevated); `dex_leader` is the
    chain with the most DEX volume; `gap` says why the section has no data.
    """

    chains: list[Chain]
    gas: Cell
    gas_level: str
    stable_total: Cell
    stable_delta_7d: Cell
    stable_change_7d: Cell
    dex_leader: str
    gap: Cell

    @property
    def available(self) -> bool:
        return bool(self.chains) or self.gas.ok or self.stable_total.ok


@dataclass(frozen=True, slots=True)
class Row:
    """Section 7: one judged indicator (from the assessment, unchanged)."""

    id: str
    entity: str
    value: float | None
    state: str
    strength: float
    percentile: float | None
    contribution: float
    group: str
    reasons: dict[str, str]
    reason: str
    stale: bool
    label: dict[str, str] = field(default_factory=dict)
    """The engine's name for the indicator, per language (empty: the report's own label)."""
    display: str = ""
    """The engine's value column (value and transform output), language-neutral."""
    cls: str = ""
    """The class its rule's band gave (the id its reason words); "" for rows from plain contracts."""
    metric_key: str = ""
    """`metric` or `metric:entity` of the rule's input, the key its claim is recorded under."""


@dataclass(frozen=True, slots=True)
class Gap:
    """A metric wanted and not available (or stale): the raw reason (signals.json) and its class."""

    id: str
    entity: str
    reason: str
    why: str = ""
    source: str = ""
    since: date | None = None


@dataclass(frozen=True, slots=True)
class Phase:
    """Section 8: composite score, its band and the bands' limits, phase, the signals each way."""

    score: float | None
    band: str
    phase: str
    coverage: float
    bearish_below: float
    bullish_above: float
    bullish: list[Row]
    bearish: list[Row]
    bullish_count: int
    bearish_count: int
    group_scores: dict[str, float]
    also: list[str]
    """Other phases whose conditions hold too (ids, in priority order)."""
    group_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)
    """The clauses of the phase's condition that held today (`signals.phase.CLAUSES` ids)."""
    state: dict[str, float] = field(default_factory=dict)
    """The measured inputs of the phase (`Assessment.market_state`): a description, not a forecast."""
    outlook: Outlook | None = None
    bullish_groups: list[Reasons] = field(default_factory=list)
    bearish_groups: list[Reasons] = field(default_factory=list)
    also_held: dict[str, list[str]] = field(default_factory=dict)
    """For each secondary phase, the clauses of its condition that held."""
    clause_keys: dict[str, str] = field(default_factory=dict)
    """A `rule:class` clause → the metric key of its rule (such a clause classifies that metric)."""


@dataclass(frozen=True, slots=True)
class Reasons:
    """One group's signals on one side: the strongest row's reason said once, the others as evidence."""

    group: str
    lead: Row
    others: list[Row]


@dataclass(frozen=True, slots=True)
class Outlook:
    """What has tended to follow scores like today's (`Assessment.outlook`): evidence, not a description.

    `status` is `evidence` (out-of-sample skill), `no_skill` (tested, none found) or `prior` (not
    yet tested: the rulebook's weights). `momentum_28d_ic` and `momentum_90d_ic` are the momentum
    baselines' ICs over the same days: the bar the score must clear (and said when it does not).
    """

    status: str
    horizon_days: int
    ic: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    hit_rate: float | None = None
    calls: float | None = None
    momentum_28d_ic: float | None = None
    momentum_90d_ic: float | None = None
    calibrated: bool = False
    band_returns: dict[str, dict[str, float]] = field(default_factory=dict)
    """band → {days, mean, median, share_up}: forward returns after past days in that band."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One structural reason for a zone: the kind (`signals.levels.KINDS`), its price, the swing's day."""

    kind: str
    price: float
    day: date | None = None


@dataclass(frozen=True, slots=True)
class Zone:
    """A support or resistance zone: its span, family (`kind`), distance from the price, and reasons."""

    price: float
    low: float
    high: float
    kind: str = ""
    distance: float | None = None
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class CostRung:
    """A major cost basis and the price's distance to it (listed however far it is)."""

    kind: str
    metric: str
    price: float
    distance: float
    side: str


@dataclass(frozen=True, slots=True)
class AssetMap:
    """One asset's levels: price, zones nearest first, every major cost basis with its distance."""

    asset: str
    price: float | None
    support: list[Zone]
    resistance: list[Zone]
    cost_bases: list[CostRung]


@dataclass(frozen=True, slots=True)
class Step:
    """A conditional action of the strategy (`Assessment.actions`), worded from i18n `[levels.action]`."""

    id: str
    asset: str
    price: float | None
    support: Zone | None
    resistance: Zone | None


@dataclass(frozen=True, slots=True)
class Strategy:
    """Section 9: stance, BTC direction and zones, conditions, ETH vs BTC, altcoins.

    `direction` is the band (`bearish`/`neutral`/`bullish`); `near` is `support` or
    `resistance` when the price is within the rulebook's `near_level` of the nearest zone, else "".
    `eth_relative` is the `eth_vs_btc` rule's class (weaker, inline, stronger);
    `alt_regime` the `altseason` rule's (btc_season, mixed, altseason).
    """

    stance: str
    direction: str
    near: str
    price: Cell
    support: list[Zone]
    resistance: list[Zone]
    maps: dict[str, AssetMap]
    steps: list[Step]
    eth_price: Cell
    eth_btc: Cell
    eth_btc_change_30d: float | None
    eth_relative: str
    eth_change_7d: Cell
    btc_change_7d: Cell
    dominance: Cell
    altseason: Cell
    alt_regime: str


@dataclass(frozen=True, slots=True)
class Summary:
    """Section 10: which facts carry the two bullets (kinds the templates know how to say)."""

    ai_points: list[str]
    crypto_points: list[str]


@dataclass(frozen=True, slots=True)
class Watch:
    """Section 11: a structured watch-list item from the engine (`models.WatchItem`), worded by the
    template from i18n `[watch_item]`: which metric, which side of which threshold, over which window."""

    id: str
    metric: str
    entity: str
    trigger: float
    direction: str
    mode: str
    window: str
    current: float | None
    rule: str = ""
    reference: float | None = None
    zone: Zone | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Section 12: one provider's status, data time and, when it failed, the class of why."""

    provider: str
    status: str
    latest: datetime | None
    reason: str
    note: str
    observations: int | None
    why: str = ""


@dataclass(frozen=True, slots=True)
class Narrative:
    """Where the lead, summary and commentary came from: `template` or `llm` (and why)."""

    source: str = "template"
    model: str = ""
    reason: str = ""


@dataclass(slots=True)
class ReportModel:
    """Everything the twelve sections show, for one day."""

    as_of: date
    published: datetime
    demo: bool
    score: float | None
    band: str
    phase_id: str
    stance: str
    lead: Lead
    ai: AISide
    crypto: CryptoSide
    onchain: OnChain
    options: Options
    liquidity: Liquidity
    indicators: list[Row]
    missing: list[Gap]
    stale: list[Gap]
    phase: Phase
    strategy: Strategy
    summary: Summary
    watchlist: list[Watch]
    sources: list[Source]
    narrative: Narrative = field(default_factory=Narrative)
    charts: dict[str, dict[str, str]] = field(default_factory=dict)
    """chart name → {lang: file name in the bundle}; filled by the renderer."""
    claims: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """lang → every (metric, class id) a sentence of that page classified, recorded at render time
    (templates word a judgement only through `judged`), so a test can hold one class per metric.
    Not part of `signals.json` (the classes are there already, as the rules' and sections' ids)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, NewsItem):
        return _plain(dataclasses.asdict(value))
    return value


def to_dict(model: ReportModel) -> dict[str, Any]:
    """The model as JSON-ready data (dates as ISO strings), for `signals.json["report"]`."""
    raw = {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.name != "claims"}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        elif isinstance(value, list):
            value = [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]
        out[name] = _plain(value)
    return out
