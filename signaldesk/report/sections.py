"""Build the `ReportModel` from the engine's `Assessment`, the `Snapshot` and provider outcomes.

Only presentation choices live here: which fact heads the report, which funds and chains get a
row, a chain's trend word, the price's place on the cost-basis ladder. Thresholds for those
choices are named constants below, so a reader can see why a headline was chosen. Nothing here
judges the market: score, band, phase, stance, levels and the watch list are the engine's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from signaldesk.clock import day_start, end_of_day
from signaldesk.models import (
    Assessment,
    Indicator,
    Level,
    MetricKey,
    ProviderOutcome,
    Snapshot,
)
from signaldesk.report.model import (
    BEARISH_BELOW,
    BULLISH_ABOVE,
    AISide,
    Basket,
    Cell,
    Chain,
    CompanyCapex,
    CryptoSide,
    Dated,
    Equity,
    Flow,
    Gap,
    Lead,
    Liquidity,
    News,
    OnChain,
    Options,
    Phase,
    ReportModel,
    Row,
    Rung,
    Source,
    Strategy,
    Summary,
    Tenor,
    Watch,
    Zone,
)

if TYPE_CHECKING:
    import pandas as pd

DIVERGENCE_Z = 2.0
"""|z| of (AI 30 d − BTC 30 d return) at or above which the title calls the markets divergent."""
COUPLING_CORRELATION = 0.5
"""90-day correlation at or above which (with |z| < 1) the title calls them coupled."""
EXTREME_FEAR, EXTREME_GREED = 20.0, 80.0
FEAR_GREED_BANDS = ((25.0, "extreme_fear"), (50.0, "fear"), (51.0, "neutral"), (75.0, "greed"))
"""Upper bounds (exclusive) of the index's usual classes: 0–24, 25–49, 50, 51–74, 75–100."""
STREAK_HEADLINE = 3
"""ETF streak (weeks) long enough to head the report when nothing bigger happens."""
TREND_TVL, TREND_STABLE, TREND_DEX = 0.02, 0.005, 0.05
"""7-day changes that count as a move for a chain's trend word (TVL, stablecoins, DEX volume)."""
GAS_LOW, GAS_HIGH = 2.0, 30.0
"""Ethereum gas (Gwei) below which the chain is called quiet, above which busy."""
NEAR_LEVEL = 0.05
"""Price within 5 % of a zone counts as 'near' it."""
ETH_RELATIVE = 0.02
ALTSEASON, BTC_SEASON = 75.0, 25.0
HYPERSCALERS = ("MSFT", "GOOGL", "AMZN", "META", "ORCL")
SEMIS = ("SMH", "NVDA", "AMD", "AVGO", "TSM")
AI_THEMES = frozenset({"ai", "ai_launch", "chips_compute", "ai_deal", "launch", "deal", "chips", "semis", "semiconductors", "capex",
                       "datacenter", "data_center", "compute", "models", "hyperscalers", "ai_compute", "miners_ai"})
MAX_FUNDS, MAX_CHAINS, MAX_NEWS = 5, 6, 6
ETH_FUNDS = frozenset({"ETHA", "FETH", "ETHW", "CETH", "ETHV", "QETH", "EZET", "ETHE", "ETH"})
"""US spot ether ETFs: Farside's pages give BTC and ETH funds the same metric and ticker entities,
so the BTC fund list leaves these out (upper-case `BTC` is Grayscale's mini trust, not a total)."""
ONCHAIN_IDS = ("realized_price_usd", "sth_cost_basis_usd", "lth_cost_basis_usd", "true_market_mean_usd", "mvrv",
               "realized_loss_usd_7d_sma", "relative_unrealized_loss", "supply_in_profit", "sopr_7d_sma", "supply_btc")
LADDER_IDS = ("realized_price_usd", "sth_cost_basis_usd", "lth_cost_basis_usd", "true_market_mean_usd")
TENORS = ("7d", "30d", "90d")


class _Facts:
    """Look-ups over the snapshot and assessment: a value, or the reason it is missing."""

    def __init__(self, assessment: Assessment, snapshot: Snapshot, outcomes: Sequence[ProviderOutcome] = ()) -> None:
        self.snapshot = snapshot
        self.missing = {(m.id, m.entity): m.reason for m in assessment.missing}
        self.stale_flags = {(i.id, i.entity) for i in assessment.indicators if i.stale}
        self.failed = _failed_metrics(snapshot, outcomes)

    def value(self, metric: str, entity: str = "") -> float | None:
        value = self.snapshot.values.get((metric, entity))
        if value is None or not math.isfinite(float(value)):
            return None
        return float(value)

    def cell(self, metric: str, entity: str = "") -> Cell:
        key = (metric, entity)
        value = self.value(metric, entity)
        stale = self.snapshot.stale.get(key, "") or ("stale" if key in self.stale_flags else "")
        if value is None:
            reason = self.snapshot.missing.get(key) or self.missing.get(key) or self.failed.get(metric) or ""
            return Cell(metric, entity, None, missing=reason, stale=stale)
        return Cell(metric, entity, value, stale=stale)

    def series(self, metric: str, entity: str = "") -> pd.Series | None:
        series = self.snapshot.history.get((metric, entity))
        if series is None:
            return None
        series = series.dropna()
        cut = series[series.index <= _stamp(self.snapshot.as_of)]
        return cut if len(cut) else None

    def entities(self, metric: str) -> list[str]:
        keys: Iterable[MetricKey] = list(self.snapshot.values) + list(self.snapshot.history)
        return sorted({e for m, e in keys if m == metric})


def _failed_metrics(snapshot: Snapshot, outcomes: Sequence[ProviderOutcome]) -> dict[str, str]:
    """metric id → a reason it may be missing: its provider's failure, or why another entity of
    the same metric is missing (the report may not import the provider registry, so the link
    from metric to provider comes from the snapshot's sources)."""
    bad = {o.provider: o for o in outcomes if o.status in ("failed", "skipped", "partial")}
    out: dict[str, str] = {}
    for (metric, _entity), source in sorted(snapshot.sources.items()):
        if source in bad:
            out.setdefault(metric, f"{source}: {bad[source].reason or bad[source].status}")
    for (metric, _entity), reason in sorted(snapshot.missing.items()):
        out.setdefault(metric, reason)
    return out


def _stamp(day: date) -> pd.Timestamp:
    import pandas as pd

    return pd.Timestamp(day)


def _day(index_value: object) -> date:
    return index_value.date() if hasattr(index_value, "date") else index_value  # type: ignore[return-value]


def _change(series: pd.Series | None, days: int) -> float | None:
    """value on the last day / value `days` calendar days earlier − 1 (None without both)."""
    if series is None or series.empty:
        return None
    last_day = series.index[-1]
    earlier = series[series.index <= last_day - _offset(days)]
    if earlier.empty or earlier.iloc[-1] == 0:
        return None
    return float(series.iloc[-1] / earlier.iloc[-1] - 1.0)


def _offset(days: int) -> pd.Timedelta:
    import pandas as pd

    return pd.Timedelta(days=days)


# -- sections --------------------------------------------------------------------------------
def _lead(f: _Facts) -> Lead:
    z, corr = f.cell("ai_crypto_divergence_z"), f.cell("ai_crypto_correlation_90d")
    ai30, btc30 = f.cell("basket_return_30d", "ai"), f.cell("basket_return_30d", "btc")
    fg, streak = f.cell("fear_greed"), f.cell("etf_flow_streak_weeks", "btc")
    theme, direction = "band", ""
    if z.ok and abs(z.value) >= DIVERGENCE_Z:  # type: ignore[arg-type]
        theme, direction = "divergence", "ai_leads" if z.value > 0 else "crypto_leads"  # type: ignore[operator]
    elif corr.ok and corr.value >= COUPLING_CORRELATION and (not z.ok or abs(z.value) < 1.0):  # type: ignore[operator, arg-type]
        theme = "coupling"
    elif fg.ok and fg.value <= EXTREME_FEAR:  # type: ignore[operator]
        theme = "fear"
    elif fg.ok and fg.value >= EXTREME_GREED:  # type: ignore[operator]
        theme = "greed"
    elif streak.ok and streak.value <= -STREAK_HEADLINE:  # type: ignore[operator]
        theme = "outflows"
    elif streak.ok and streak.value >= STREAK_HEADLINE:  # type: ignore[operator]
        theme = "inflows"
    return Lead(theme, direction, z, corr, ai30, btc30, fg, streak, f.cell("drawdown_from_ath", "btc"))


def _ai(f: _Facts, news: Sequence[object]) -> AISide:
    companies = [
        CompanyCapex(t, f.cell("capex_ttm_usd", t), f.cell("capex_yoy", t))
        for t in f.entities("capex_ttm_usd") if t != "hyperscalers" and f.value("capex_ttm_usd", t) is not None
    ]
    companies.sort(key=lambda c: (-(c.ttm.value or 0.0), c.ticker))
    baskets = [
        Basket(e, f.cell("basket_return_7d", e), f.cell("basket_return_30d", e), f.cell("basket_return_90d", e))
        for e in ("ai", "miners", "btc")
        if any(f.value(m, e) is not None for m in ("basket_return_7d", "basket_return_30d", "basket_return_90d"))
    ]
    equities = [
        Equity(t, f.cell("equity_close_usd", t), _change(f.series("equity_close_usd", t), 30))
        for t in SEMIS if f.value("equity_close_usd", t) is not None
    ]
    picked = [n for n in news if AI_THEMES.intersection(getattr(n, "themes", ()))]
    picked.sort(key=lambda n: (-n.ts.timestamp(), n.id))  # type: ignore[attr-defined]
    items = [News(n.title, n.source, n.link, n.ts.astimezone(UTC).date(), tuple(n.themes))  # type: ignore[attr-defined]
             for n in picked[:MAX_NEWS]]
    revenue, hosting = f.cell("miner_revenue_usd_per_mw_day"), f.cell("ai_hosting_usd_per_mw_day")
    multiple = hosting.value / revenue.value if hosting.ok and revenue.ok and revenue.value else None  # type: ignore[operator]
    return AISide(
        f.cell("capex_ttm_usd", "hyperscalers"), f.cell("capex_yoy", "hyperscalers"), companies, baskets, equities,
        f.cell("ai_crypto_correlation_90d"), f.cell("ai_crypto_divergence_z"), items,
        f.cell("miners_vs_btc_30d"), revenue, hosting, multiple,
        *_assumptions(revenue.ok or hosting.ok),
    )


def _assumptions(used: bool) -> tuple[float | None, float | None]:
    """Efficiency (J/TH) and hosting price ($/kWh) when the revenues they produce are shown."""
    if not used:
        return None, None
    from signaldesk.metrics.crossmarket import miner_assumptions

    assumed = miner_assumptions()
    return assumed.efficiency_j_per_th, assumed.hosting_usd_per_kwh


def fear_greed_class(value: float | None) -> str:
    """The index's class name for a value ("" when unknown)."""
    if value is None:
        return ""
    return next((name for bound, name in FEAR_GREED_BANDS if value < bound), "extreme_greed")


def _crypto(f: _Facts) -> CryptoSide:
    flow_day, total, funds = None, f.cell("etf_net_flow_usd", "btc"), []
    total_series = f.series("etf_net_flow_usd", "btc")
    if total_series is not None:
        flow_day = _day(total_series.index[-1])
        total = Cell("etf_net_flow_usd", "btc", float(total_series.iloc[-1]), stale=total.stale)
        for fund in f.entities("etf_net_flow_usd"):
            if fund in ("btc", "eth") or fund in ETH_FUNDS:
                continue
            series = f.series("etf_net_flow_usd", fund)
            if series is not None and _day(series.index[-1]) == flow_day and float(series.iloc[-1]) != 0.0:
                funds.append(Flow(fund, float(series.iloc[-1])))
        funds.sort(key=lambda fl: (-abs(fl.value), fl.fund))
        funds = funds[:MAX_FUNDS]
    aum_series = f.series("etf_aum_usd", "btc")
    aum_peak = Dated(_day(aum_series.idxmax()), float(aum_series.max())) if aum_series is not None else None
    fg_series = f.series("fear_greed")
    fg, fg_low, record = f.cell("fear_greed"), None, False
    if fg_series is not None:
        fg_low = Dated(_day(fg_series.idxmin()), float(fg_series.min()))
        record = fg.ok and fg.value <= fg_low.value  # type: ignore[operator]
    ath_series = f.series("price_usd", "btc")
    ath_day = _day(ath_series.idxmax()) if ath_series is not None else None
    return CryptoSide(
        flow_day, total, funds, f.cell("etf_net_flow_usd_7d", "btc"), f.cell("etf_flow_streak_weeks", "btc"),
        f.cell("etf_aum_usd", "btc"), aum_peak, fg, fear_greed_class(fg.value), fg_low, bool(record),
        f.cell("price_usd", "btc"), f.cell("ath_usd", "btc"), ath_day, f.cell("drawdown_from_ath", "btc"),
        f.cell("price_change_7d", "btc"), f.cell("crypto_market_cap_usd"), f.cell("market_cap_change_from_ath_usd"),
        f.cell("funding_rate_8h", "btc"), f.cell("open_interest_usd", "btc"), f.cell("open_interest_change_7d", "btc"),
        f.cell("long_liquidations_usd_24h", "btc"), f.cell("short_liquidations_usd_24h", "btc"),
        f.cell("coinbase_premium"), f.cell("exchange_whale_ratio"),
    )


def _onchain(f: _Facts) -> OnChain:
    cells = {i: f.cell(i) for i in ONCHAIN_IDS}
    ladder = [Rung(i, cells[i].value) for i in LADDER_IDS if cells[i].ok]  # type: ignore[arg-type]
    below = above = ""
    price = f.value("price_usd", "btc")
    if ladder and price is not None:
        ladder.append(Rung("price_usd", price))
        ladder.sort(key=lambda r: (-r.value, r.id))
        at = next(i for i, r in enumerate(ladder) if r.id == "price_usd")
        above = ladder[at - 1].id if at > 0 else ""
        below = ladder[at + 1].id if at + 1 < len(ladder) else ""
    return OnChain(cells, ladder, below, above)


def _tenor_days(tenor: str) -> float:
    try:
        return float(tenor.rstrip("d"))
    except ValueError:
        return math.inf


def _options(f: _Facts) -> Options:
    names = set(TENORS) | set(f.entities("atm_iv")) | set(f.entities("skew_25d"))
    tenors = [
        Tenor(t, f.cell("atm_iv", t), f.cell("skew_25d", t), f.cell("vol_risk_premium", t), f.cell("realized_vol", t))
        for t in sorted(names, key=lambda t: (_tenor_days(t), t))
    ]
    ivs = [(t.tenor, t.atm_iv.value) for t in tenors if t.atm_iv.ok]
    shape = ""
    if len(ivs) >= 2:
        front, back = ivs[0][1], ivs[-1][1]
        shape = "flat" if abs(back - front) < 0.01 else "contango" if back > front else "backwardation"  # type: ignore[operator]
    skew = next((t.skew.value for t in tenors if t.tenor == "30d" and t.skew.ok), None)
    skew = skew if skew is not None else next((t.skew.value for t in tenors if t.skew.ok), None)
    side = "" if skew is None else "puts" if skew > 0 else "calls"
    reasons = sorted({t.atm_iv.missing for t in tenors if t.atm_iv.missing})
    return Options([t for t in tenors if t.atm_iv.ok or t.skew.ok or t.vrp.ok], f.cell("dvol"), shape, side,
                   "; ".join(reasons))


def _trend(tvl: Cell, stable: Cell, dex: Cell) -> str:
    moves = []
    for cell, limit in ((tvl, TREND_TVL), (stable, TREND_STABLE), (dex, TREND_DEX)):
        if cell.ok:
            moves.append(1 if cell.value >= limit else -1 if cell.value <= -limit else 0)  # type: ignore[operator]
    if not moves:
        return ""
    ups, downs = moves.count(1), moves.count(-1)
    if ups >= 2 or (ups == 1 and downs == 0 and len(moves) == 1):
        return "expanding"
    if downs >= 2 or (downs == 1 and ups == 0 and len(moves) == 1):
        return "contracting"
    if ups and not downs:
        return "expanding_stable"
    if downs and not ups:
        return "neutral_contracting"
    return "stable" if not ups and not downs else "mixed"


def _liquidity(f: _Facts) -> Liquidity:
    names = {e for m in ("chain_tvl_usd", "stablecoin_supply_usd", "dex_volume_usd_24h") for e in f.entities(m) if e}
    rows = []
    for chain in names:
        tvl, dex = f.cell("chain_tvl_usd", chain), f.cell("dex_volume_usd_24h", chain)
        stable = f.cell("stablecoin_supply_usd", chain)
        if not (tvl.ok or dex.ok or stable.ok):
            continue
        tvl_c, stable_c = f.cell("chain_tvl_change_7d", chain), f.cell("stablecoin_supply_change_7d", chain)
        dex_c = f.cell("dex_volume_change_7d", chain)
        rows.append(Chain(chain, tvl, tvl_c, stable, stable_c, dex, dex_c, _trend(tvl_c, stable_c, dex_c)))
    rows.sort(key=lambda c: (-(c.tvl.value or 0.0), c.chain))
    rows = rows[:MAX_CHAINS]
    gas = f.cell("gas_price_gwei", "ethereum")
    level = "" if not gas.ok else "low" if gas.value < GAS_LOW else "high" if gas.value > GAS_HIGH else "normal"  # type: ignore[operator]
    dex_rows = [c for c in rows if c.dex.ok]
    leader = max(dex_rows, key=lambda c: (c.dex.value, c.chain)).chain if dex_rows else ""
    reasons = sorted({f.cell("chain_tvl_usd", c).missing for c in ("ethereum", "solana")} - {""})
    return Liquidity(rows, gas, level, f.cell("stablecoin_supply_usd"), f.cell("stablecoin_supply_delta_usd_7d"),
                     f.cell("stablecoin_supply_change_7d"), leader, "; ".join(reasons))


def _row(i: Indicator) -> Row:
    value = None if i.value is None or not math.isfinite(i.value) else float(i.value)
    label = getattr(i, "label", None)
    return Row(i.id, i.entity, value, i.state, float(i.strength), i.percentile, float(i.contribution), i.group,
               dict(sorted(i.reasons.items())), i.reason, bool(i.stale),
               dict(label) if isinstance(label, dict) else {}, str(getattr(i, "display", "") or ""))


def _rulebook() -> object | None:
    """The engine's default rulebook (bands, group names), or None when it cannot be loaded."""
    try:
        from signaldesk.signals.rulebook import default_rulebook

        return default_rulebook()
    except Exception:  # noqa: BLE001 - the report must still render from a bare Assessment
        return None


def _phase(a: Assessment, rows: list[Row]) -> Phase:
    def strongest(state: str) -> list[Row]:
        picked = [r for r in rows if r.state == state]
        return sorted(picked, key=lambda r: (-abs(r.contribution), -r.strength, r.id, r.entity))

    bullish, bearish = strongest("bullish"), strongest("bearish")
    rulebook = _rulebook()
    low, high, labels = BEARISH_BELOW, BULLISH_ABOVE, {}
    if rulebook is not None:
        low, high = rulebook.score.bearish_below, rulebook.score.bullish_above  # type: ignore[attr-defined]
        labels = {name: dict(spec.label) for name, spec in rulebook.groups.items()}  # type: ignore[attr-defined]
    groups = {k: v for k, v in a.group_scores.items() if v is not None and math.isfinite(v)}
    return Phase(a.score, a.band, a.phase, a.coverage, float(low), float(high), bullish, bearish,
                 len(bullish), len(bearish), groups, dict(sorted(a.phase_reasons.items())),
                 {k: labels[k] for k in groups if k in labels})


def _zone(level: Level) -> Zone:
    try:
        from signaldesk.signals.levels import why_texts

        whys = {lang: list(texts) for lang, texts in why_texts(level).items()}
    except Exception:  # noqa: BLE001 - unknown reason codes: show them as they are
        whys = {}
    return Zone(level.price, level.low, level.high, tuple(level.why), float(level.strength), whys)


def _strategy(a: Assessment, f: _Facts) -> Strategy:
    price = f.cell("price_usd", "btc")
    support = sorted((_zone(z) for z in a.support), key=lambda z: -z.price)
    resistance = sorted((_zone(z) for z in a.resistance), key=lambda z: z.price)
    near = ""
    if price.ok and support and price.value <= support[0].high * (1 + NEAR_LEVEL):  # type: ignore[operator]
        near = "support"
    elif price.ok and resistance and price.value >= resistance[0].low * (1 - NEAR_LEVEL):  # type: ignore[operator]
        near = "resistance"
    ratio_change = _change(f.series("eth_btc_ratio"), 30)
    relative = "" if ratio_change is None else (
        "weaker" if ratio_change <= -ETH_RELATIVE else "stronger" if ratio_change >= ETH_RELATIVE else "inline")
    alt = f.cell("altcoin_season_index")
    regime = "" if not alt.ok else "altseason" if alt.value >= ALTSEASON else "btc_season" if alt.value <= BTC_SEASON else "mixed"  # type: ignore[operator]
    return Strategy(
        a.stance, dict(sorted(a.stance_guidance.items())), a.band, near, price, support, resistance,
        f.cell("price_usd", "eth"), f.cell("eth_btc_ratio"), ratio_change, relative, f.cell("price_change_7d", "eth"),
        f.cell("price_change_7d", "btc"), f.cell("btc_dominance"), alt, regime,
    )


def _summary(ai: AISide, crypto: CryptoSide) -> Summary:
    ai_points = [k for k, ok in (("capex", ai.capex_ttm.ok), ("basket", any(b.entity == "ai" and b.r30.ok for b in ai.baskets)),
                                 ("news", bool(ai.news)), ("miners", ai.miners_vs_btc.ok)) if ok]
    crypto_points = [k for k, ok in (("etf", crypto.streak.ok), ("fear_greed", crypto.fear_greed.ok),
                                     ("drawdown", crypto.drawdown.ok), ("funding", crypto.funding.ok)) if ok]
    return Summary(ai_points[:3], crypto_points[:3])


def _sources(a: Assessment, outcomes: Sequence[ProviderOutcome]) -> list[Source]:
    by_name: dict[str, Source] = {}
    for s in a.sources:
        by_name[s.provider] = Source(s.provider, s.status, s.latest, s.reason, s.note, None)
    for o in outcomes:
        known = by_name.get(o.provider)
        by_name[o.provider] = Source(o.provider, o.status, o.latest_ts or (known.latest if known else None),
                                     o.reason or (known.reason if known else ""), known.note if known else "",
                                     o.observations)
    return [by_name[k] for k in sorted(by_name)]


def _gaps(a: Assessment, snapshot: Snapshot) -> tuple[list[Gap], list[Gap]]:
    missing = {(m.id, m.entity): m.reason for m in a.missing}
    for key, reason in snapshot.missing.items():
        missing.setdefault(key, reason)
    stale = dict(snapshot.stale)
    for i in a.indicators:
        if i.stale:
            stale.setdefault((i.id, i.entity), "stale")
    return ([Gap(k[0], k[1], v) for k, v in sorted(missing.items())],
            [Gap(k[0], k[1], v) for k, v in sorted(stale.items())])


def published_at(a: Assessment, snapshot: Snapshot, outcomes: Sequence[ProviderOutcome]) -> datetime:
    """The newest data time on or before the as-of day's end (deterministic: from the data only)."""
    limit = end_of_day(snapshot.as_of)
    times = [s.latest for s in a.sources] + [o.latest_ts for o in outcomes] + list(snapshot.observed_at.values())
    usable = [t.astimezone(UTC) for t in times if t is not None and t.astimezone(UTC) <= limit]
    return max(usable) if usable else day_start(snapshot.as_of)


def build_model(assessment: Assessment, snapshot: Snapshot, *, outcomes: Sequence[ProviderOutcome] = (),
                demo: bool = False, published: datetime | None = None) -> ReportModel:
    """The twelve sections' data for `assessment.as_of`."""
    f = _Facts(assessment, snapshot, outcomes)
    rows = [_row(i) for i in assessment.indicators]
    ai, crypto = _ai(f, snapshot.news), _crypto(f)
    missing, stale = _gaps(assessment, snapshot)
    watch = [Watch(w.id, w.metric, w.entity, float(w.trigger), w.direction, dict(sorted(w.text.items())),
                   f.value(w.metric, w.entity)) for w in assessment.watchlist]
    return ReportModel(
        as_of=assessment.as_of,
        published=(published or published_at(assessment, snapshot, outcomes)).astimezone(UTC),
        demo=demo, score=assessment.score, band=assessment.band, phase_id=assessment.phase, stance=assessment.stance,
        lead=_lead(f), ai=ai, crypto=crypto, onchain=_onchain(f), options=_options(f), liquidity=_liquidity(f),
        indicators=rows, missing=missing, stale=stale, phase=_phase(assessment, rows),
        strategy=_strategy(assessment, f), summary=_summary(ai, crypto), watchlist=watch,
        sources=_sources(assessment, outcomes),
    )
