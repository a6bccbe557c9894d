"""Build the `ReportModel` from the engine's `Assessment`, the `Snapshot` and provider outcomes.

Only presentation choices live here: which fact heads the report, which funds and chains get a
row, the price's place on the cost-basis ladder. Every judgement the text states (extreme fear, a
chain's TVL moving, MVRV near cost, funding neutral) is a class id from the rulebook — a rule's
band or a `[classes.*]` table — so one threshold decides it everywhere; the words are in i18n.
A missing number keeps its raw reason for `signals.json` and gets a class (`report.gaps`) for the
page. Nothing here judges the market: score, band, phase, stance, levels and the watch list are
the engine's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from signaldesk.clock import day_start, end_of_day
from signaldesk.models import (
    Assessment,
    Indicator,
    Level,
    MetricKey,
    NewsItem,
    ProviderOutcome,
    Snapshot,
)
from signaldesk.report import gaps, themes
from signaldesk.report.model import (
    AISide,
    AssetMap,
    Basket,
    Cell,
    Chain,
    CompanyCapex,
    CostRung,
    CryptoSide,
    Dated,
    Equity,
    Flow,
    Gap,
    Lead,
    Liquidity,
    Move,
    News,
    OnChain,
    Options,
    Outlook,
    Phase,
    Reason,
    Reasons,
    ReportModel,
    Row,
    Rung,
    Source,
    Step,
    Strategy,
    Summary,
    Tenor,
    Watch,
    Zone,
)

if TYPE_CHECKING:
    import pandas as pd

    from signaldesk.signals.rulebook import Rulebook

HYPERSCALERS = ("MSFT", "GOOGL", "AMZN", "META", "ORCL")
SEMIS = ("SMH", "NVDA", "AMD", "AVGO", "TSM")
AI_THEMES = frozenset(
    {
        "ai",
        "ai_launch",
        "chips_compute",
        "ai_deal",
        "launch",
        "deal",
        "chips",
        "semis",
        "semiconductors",
        "capex",
        "datacenter",
        "data_center",
        "compute",
        "models",
        "hyperscalers",
        "ai_compute",
        "miners_ai",
    }
)
MAX_FUNDS, MAX_CHAINS, MAX_NEWS = 5, 6, 6
ETH_FUNDS = frozenset({"ETHA", "FETH", "ETHW", "CETH", "ETHV", "QETH", "EZET", "ETHE", "ETH"})
"""US spot ether ETFs: Farside's pages give BTC and ETH funds the same metric and ticker entities,
so the BTC fund list leaves these out (upper-case `BTC` is Grayscale's mini trust, not a total)."""
ONCHAIN_IDS = (
    "realized_price_usd",
    "sth_cost_basis_usd",
    "lth_cost_basis_usd",
    "true_market_mean_usd",
    "mvrv",
    "realized_loss_usd_7d_sma",
    "relative_unrealized_loss",
    "supply_in_profit",
    "sopr_7d_sma",
    "supply_btc",
)
LADDER_IDS = ("realized_price_usd", "sth_cost_basis_usd", "lth_cost_basis_usd", "true_market_mean_usd")
TENORS = ("7d", "30d", "90d")


class _Facts:
    """Look-ups over the snapshot and assessment: a value, or the reason it is missing."""

    def __init__(self, assessment: Assessment, snapshot: Snapshot, outcomes: Sequence[ProviderOutcome] = ()) -> None:
        from signaldesk.signals.rulebook import default_rulebook

        self.snapshot = snapshot
        self.missing = {(m.id, m.entity): m.reason for m in assessment.missing}
        self.stale_flags = {(i.id, i.entity) for i in assessment.indicators if i.stale}
        self.failed = _failed_metrics(snapshot, outcomes)
        self.outcomes = _known_outcomes(assessment, outcomes)
        self.rulebook: Rulebook = default_rulebook()
        self.rows = {i.rule: i for i in assessment.indicators if i.rule}

    def cls(self, rule_id: str) -> str:
        """The class the day's judgement of rule `rule_id` gave (its band's text key), or ""."""
        row = self.rows.get(rule_id)
        if row is not None and row.cls:
            return row.cls
        try:
            rule = self.rulebook.rule(rule_id)
        except KeyError:
            return ""
        # Without the engine's row, only a rule that reads its metric as it is can be re-applied here.
        plain = rule.over is None and rule.transform == "level"
        return self.rulebook.class_of(rule_id, self.value(rule.metric, rule.entity)) if plain else ""

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
            why = gaps.classify(reason, self.outcomes)
            return Cell(
                metric, entity, None, missing=reason, stale=stale, why=why.cls, source=why.source, since=why.since
            )
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


def _known_outcomes(a: Assessment, outcomes: Sequence[ProviderOutcome]) -> dict[str, ProviderOutcome]:
    """Every provider's outcome: this run's, else the status the assessment recorded (a stored day)."""
    recorded = [ProviderOutcome(s.provider, s.status, s.reason) for s in a.sources]
    return gaps.by_provider([*recorded, *outcomes])


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


def _day(stamp: object) -> date:
    """A daily series' index label (a `pd.Timestamp`, which is a datetime) as a date."""
    if isinstance(stamp, datetime):
        return stamp.date()
    if isinstance(stamp, date):
        return stamp
    raise TypeError(f"not a day: {stamp!r}")


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
    divergence, fear_greed, flows = f.cls("ai_crypto_divergence"), f.cls("fear_greed"), f.cls("etf_streak")
    if divergence in ("ai_leads", "crypto_leads"):
        theme, direction = "divergence", divergence
    elif f.cls("ai_crypto_correlation") == "coupled" and divergence == "no_divergence":
        theme = "coupling"
    elif fear_greed == "extreme_fear":
        theme = "fear"
    elif fear_greed == "extreme_greed":
        theme = "greed"
    elif flows in ("outflows", "inflows"):
        theme = flows
    return Lead(theme, direction, z, corr, ai30, btc30, fg, streak, f.cell("drawdown_from_ath", "btc"), _moves(f))


def _moves(f: _Facts) -> list[Move]:
    """The opening's "what moved and why", one line per fact family the day has data for: BTC's
    price and its week, the ETF money, sentiment, and the AI basket against its own history."""
    price, week, drawdown = (
        f.cell("price_usd", "btc"),
        f.cell("price_change_7d", "btc"),
        f.cell("drawdown_from_ath", "btc"),
    )
    flow7, streak = f.cell("etf_net_flow_usd_7d", "btc"), f.cell("etf_flow_streak_weeks", "btc")
    fg, ai30 = f.cell("fear_greed"), f.cell("basket_return_30d", "ai")
    moves = []
    if price.ok:
        moves.append(Move("btc", (price, week, drawdown), f.cls("btc_momentum_7d") if week.ok else ""))
    if flow7.ok or streak.ok:
        moves.append(Move("etf", (flow7, streak), f.cls("etf_flow_7d") if flow7.ok else ""))
    if fg.ok:
        moves.append(Move("fear_greed", (fg,), f.cls("fear_greed")))
    if ai30.ok:
        moves.append(Move("ai", (ai30, f.cell("basket_return_30d", "btc")), f.cls("ai_basket_30d")))
    return moves


def _ai(f: _Facts, news: Sequence[NewsItem]) -> AISide:
    companies = [
        _company(f, t)
        for t in f.entities("capex_ttm_usd")
        if t != "hyperscalers" and f.value("capex_ttm_usd", t) is not None
    ]
    companies.sort(key=lambda c: (-(c.ttm.value or 0.0), c.ticker))
    quarters = [c.quarter.value for c in companies if c.quarter.value is not None]
    quarter_total = float(sum(quarters)) if quarters and len(quarters) == len(companies) else None
    baskets = [
        Basket(e, f.cell("basket_return_7d", e), f.cell("basket_return_30d", e), f.cell("basket_return_90d", e))
        for e in ("ai", "miners", "btc")
        if any(f.value(m, e) is not None for m in ("basket_return_7d", "basket_return_30d", "basket_return_90d"))
    ]
    equities = [
        Equity(t, f.cell("equity_close_usd", t), _change(f.series("equity_close_usd", t), 30))
        for t in SEMIS
        if f.value("equity_close_usd", t) is not None
    ]
    picked = [n for n in news if AI_THEMES.intersection(n.themes)]
    picked.sort(key=lambda n: (-n.ts.timestamp(), n.id))
    items = [
        News(n.title, n.source, n.link, n.ts.astimezone(UTC).date(), tuple(n.themes), themes.theme_of(n.title))
        for n in picked[:MAX_NEWS]
    ]
    revenue, hosting = f.cell("miner_revenue_usd_per_mw_day"), f.cell("ai_hosting_usd_per_mw_day")
    multiple = hosting.value / revenue.value if hosting.value is not None and revenue.value else None
    return AISide(
        f.cell("capex_ttm_usd", "hyperscalers"),
        f.cell("capex_yoy", "hyperscalers"),
        companies,
        baskets,
        equities,
        f.cell("ai_crypto_correlation_90d"),
        f.cell("ai_crypto_divergence_z"),
        items,
        f.cell("miners_vs_btc_30d"),
        revenue,
        hosting,
        multiple,
        *_assumptions(revenue.ok or hosting.ok),
        news_why=_news_why(f) if not items else "",
        themes=themes.ranked(n.theme for n in items),
        quarter_total=quarter_total,
        ai_basket_class=f.cls("ai_basket_30d"),
        nvda_shown=any(e.ticker == "NVDA" for e in equities),
    )


def _company(f: _Facts, ticker: str) -> CompanyCapex:
    """A hyperscaler's TTM CapEx and growth, with its latest reported quarter (filings, not guidance)."""
    quarters = f.series("capex_usd", ticker)
    last = Cell("capex_usd", ticker, float(quarters.iloc[-1])) if quarters is not None else Cell("capex_usd", ticker)
    end = _day(quarters.index[-1]) if quarters is not None else None
    return CompanyCapex(ticker, f.cell("capex_ttm_usd", ticker), f.cell("capex_yoy", ticker), last, end)


def _news_why(f: _Facts) -> str:
    """Why there is no AI news: the news provider's failure class, "" when it answered."""
    outcome = f.outcomes.get("news")
    return gaps.outcome_class(outcome) if outcome is not None else ""


def _assumptions(used: bool) -> tuple[float | None, float | None]:
    """Efficiency (J/TH) and hosting price ($/kWh) when the revenues they produce are shown."""
    if not used:
        return None, None
    from signaldesk.metrics.crossmarket import miner_assumptions

    assumed = miner_assumptions()
    return assumed.efficiency_j_per_th, assumed.hosting_usd_per_kwh


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
        record = fg.value is not None and fg.value <= fg_low.value
    ath_series = f.series("price_usd", "btc")
    ath_day = _day(ath_series.idxmax()) if ath_series is not None else None
    aum = f.cell("etf_aum_usd", "btc")
    if not aum.ok and total_series is not None and not aum.missing:
        # Derivable from flows × price only with prices back to the funds' launch (metrics.flows).
        aum = Cell("etf_aum_usd", "btc", None, why="no_history")
    flow_day_class = f.rulebook.classify("etf_day_flow", total.value)
    return CryptoSide(
        flow_day,
        total,
        funds,
        f.cell("etf_net_flow_usd_7d", "btc"),
        f.cell("etf_flow_streak_weeks", "btc"),
        aum,
        aum_peak,
        fg,
        f.cls("fear_greed"),
        fg_low,
        bool(record),
        f.cell("price_usd", "btc"),
        f.cell("ath_usd", "btc"),
        ath_day,
        f.cell("drawdown_from_ath", "btc"),
        f.cell("price_change_7d", "btc"),
        f.cell("crypto_market_cap_usd"),
        _market_cap_lost(f),
        f.cell("funding_rate_8h", "btc"),
        f.cell("open_interest_usd", "btc"),
        f.cell("open_interest_change_7d", "btc"),
        f.cell("long_liquidations_usd_24h", "btc"),
        f.cell("short_liquidations_usd_24h", "btc"),
        f.cell("coinbase_premium"),
        f.cell("exchange_whale_ratio"),
        f.cls("funding_btc"),
        f.cls("coinbase_premium"),
        f.cls("etf_streak"),
        f.cls("etf_flow_7d"),
        flow_day_class,
    )


def _market_cap_lost(f: _Facts) -> Cell:
    """Market value lost since the peak: the whole market's when the stored cap history reaches back
    past its peak, else BTC's (circulating supply × (ATH − price)). A cap history that starts today
    has its peak today, and "0 lost" would be a false fact, not a number."""
    lost = f.value("market_cap_change_from_ath_usd")
    cap = f.series("crypto_market_cap_usd")
    if lost is not None and lost < 0 and cap is not None and len(cap) > 1:
        return Cell("market_cap_change_from_ath_usd", "", lost)
    supply, ath, price = f.value("supply_btc"), f.value("ath_usd", "btc"), f.value("price_usd", "btc")
    if supply is not None and ath is not None and price is not None and ath > price:
        return Cell("market_cap_change_from_ath_usd", "btc", -supply * (ath - price))
    return Cell("market_cap_change_from_ath_usd", "", None, why="no_history")


def _onchain(f: _Facts) -> OnChain:
    cells = {i: f.cell(i) for i in ONCHAIN_IDS}
    ladder = [Rung(i, value) for i in LADDER_IDS if (value := cells[i].value) is not None]
    below = above = ""
    price = f.value("price_usd", "btc")
    if ladder and price is not None:
        ladder.append(Rung("price_usd", price))
        ladder.sort(key=lambda r: (-r.value, r.id))
        at = next(i for i, r in enumerate(ladder) if r.id == "price_usd")
        above = ladder[at - 1].id if at > 0 else ""
        below = ladder[at + 1].id if at + 1 < len(ladder) else ""
    return OnChain(cells, ladder, below, above, f.cls("mvrv"))


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
    ivs = [(t.tenor, iv) for t in tenors if (iv := t.atm_iv.value) is not None]
    shape = ""
    if len(ivs) >= 2:
        front, back = ivs[0][1], ivs[-1][1]
        flat = f.rulebook.thresholds.iv_term_flat
        shape = "flat" if abs(back - front) < flat else "contango" if back > front else "backwardation"
    first = next((t.atm_iv for t in tenors if not t.atm_iv.ok), f.cell("atm_iv", "30d"))
    return Options(
        [t for t in tenors if t.atm_iv.ok or t.skew.ok or t.vrp.ok], f.cell("dvol"), shape, f.cls("skew_30d"), first
    )


_MOVE = {"up": 1, "flat": 0, "down": -1}


def _trend(f: _Facts, tvl: Cell, stable: Cell, dex: Cell) -> str:
    """A chain's trend word from how its TVL, stablecoins and DEX volume moved over 7 days."""
    moves = []
    for cell, name in ((tvl, "chain_tvl_move"), (stable, "chain_stable_move"), (dex, "chain_dex_move")):
        if cell.ok:
            moves.append(_MOVE[f.rulebook.classify(name, cell.value)])
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
        rows.append(Chain(chain, tvl, tvl_c, stable, stable_c, dex, dex_c, _trend(f, tvl_c, stable_c, dex_c)))
    rows.sort(key=lambda c: (-(c.tvl.value or 0.0), c.chain))
    rows = rows[:MAX_CHAINS]
    gas = f.cell("gas_price_gwei", "ethereum")
    level = f.cls("eth_gas_low") if gas.ok else ""
    dex_rows = [c for c in rows if c.dex.ok]
    leader = max(dex_rows, key=lambda c: (c.dex.value, c.chain)).chain if dex_rows else ""
    return Liquidity(
        rows,
        gas,
        level,
        f.cell("stablecoin_supply_usd"),
        f.cell("stablecoin_supply_delta_usd_7d"),
        f.cell("stablecoin_supply_change_7d"),
        leader,
        f.cell("chain_tvl_usd", "ethereum"),
    )


def _row(i: Indicator) -> Row:
    value = None if i.value is None or not math.isfinite(i.value) else float(i.value)
    return Row(
        i.id,
        i.entity,
        value,
        i.state,
        float(i.strength),
        i.percentile,
        float(i.contribution),
        i.group,
        dict(sorted(i.reasons.items())),
        i.reason,
        bool(i.stale),
        dict(i.label),
        i.display,
        i.cls,
        f"{i.id}:{i.entity}" if i.entity else i.id,
    )


def _rulebook() -> Rulebook:
    """The engine's default rulebook (bands, group names, classes)."""
    from signaldesk.signals.rulebook import default_rulebook

    return default_rulebook()


def _phase(a: Assessment, rows: list[Row]) -> Phase:
    from signaldesk.signals.phase import held_clauses
    from signaldesk.signals.score import band_edges

    def strongest(state: str) -> list[Row]:
        picked = [r for r in rows if r.state == state]
        return sorted(picked, key=lambda r: (-abs(r.contribution), -r.strength, r.id, r.entity))

    bullish, bearish = strongest("bullish"), strongest("bearish")
    rulebook = _rulebook()
    low, high = band_edges(a.outlook, rulebook)
    labels = {name: dict(spec.label) for name, spec in rulebook.groups.items()}
    also = [p for p in a.phase_reasons.get("also", "").split(",") if p]
    groups = {k: v for k, v in a.group_scores.items() if v is not None and math.isfinite(v)}
    state = {k: float(v) for k, v in a.market_state.items() if isinstance(v, int | float) and math.isfinite(v)}
    held = held_clauses(state, a.phase, rulebook) if state else []
    # A secondary phase's clauses, less those the main phase's sentence already states.
    also_held = {p: [c for c in held_clauses(state, p, rulebook) if c not in held] for p in also} if state else {}
    return Phase(
        a.score,
        a.band,
        a.phase,
        a.coverage,
        float(low),
        float(high),
        bullish,
        bearish,
        len(bullish),
        len(bearish),
        groups,
        also,
        {k: labels[k] for k in groups if k in labels},
        held=held,
        state=state,
        outlook=_outlook(a.outlook),
        bullish_groups=_by_group(bullish),
        bearish_groups=_by_group(bearish),
        also_held=also_held,
        clause_keys=_clause_keys([held, *also_held.values()], rulebook),
    )


def _clause_keys(lists: list[list[str]], rulebook: Rulebook) -> dict[str, str]:
    """`rule:class` clause → the metric key its rule reads (a clause that names a class is a claim)."""
    out = {}
    for clause in (c for held in lists for c in held if ":" in c):
        rule = rulebook.rule(clause.split(":")[0])
        out[clause] = f"{rule.metric}:{rule.entity}" if rule.entity else rule.metric
    return out


def _by_group(rows: list[Row]) -> list[Reasons]:
    """One line per group: the strongest row's reason, the group's other rows as evidence (each reason once)."""
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row.group, []).append(row)
    return [Reasons(g, members[0], members[1:]) for g, members in out.items()]


def _num_or_none(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _table(raw: Mapping[str, object], key: str) -> dict[str, Any]:
    """A nested table of the outlook (JSON-shaped, from `signals.calibration.day_summary`), or {}."""
    found = raw.get(key)
    return dict(found) if isinstance(found, dict) else {}


def _outlook(raw: Mapping[str, object]) -> Outlook | None:
    """The score's evidence (docs/evidence.md): status, horizon, out-of-sample record in today's band."""
    if not raw:
        return None
    record = _table(raw, "track_record")
    return Outlook(
        str(raw.get("status", "prior")),
        int(_num_or_none(raw.get("horizon_days")) or 30),
        _num_or_none(record.get("ic")),
        _num_or_none(record.get("ci_low")),
        _num_or_none(record.get("ci_high")),
        _num_or_none(record.get("hit_rate")),
        _num_or_none(record.get("calls")),
        _num_or_none(_table(record, "baselines").get("momentum_28d")),
        _num_or_none(_table(record, "baselines").get("momentum_90d")),
        calibrated=bool(_table(raw, "bands").get("calibrated")),
        band_returns=_table(record, "band_returns"),
    )


def zone(level: Level) -> Zone:
    """A level as the report words it: span, family, distance and its structured reasons."""
    reasons = tuple(Reason(src.kind, float(src.price), src.day) for src in level.sources)
    return Zone(float(level.price), float(level.low), float(level.high), level.kind, level.distance, reasons)


def _maps(a: Assessment) -> dict[str, AssetMap]:
    """Each asset's zones (nearest first) and every major cost basis with its distance."""
    out = {}
    for asset in sorted(a.asset_levels, key=lambda x: (x != "btc", x)):
        lv = a.asset_levels[asset]
        rungs = sorted(
            (CostRung(c.kind, c.metric, float(c.price), float(c.distance), c.side) for c in lv.cost_bases),
            key=lambda c: -c.price,
        )
        out[asset] = AssetMap(asset, lv.price, [zone(z) for z in lv.support], [zone(z) for z in lv.resistance], rungs)
    return out


def _strategy(a: Assessment, f: _Facts) -> Strategy:
    near_level = f.rulebook.thresholds.near_level
    price = f.cell("price_usd", "btc")
    maps = _maps(a)
    btc = maps.get("btc")
    support = btc.support if btc else sorted((zone(z) for z in a.support), key=lambda z: -z.price)
    resistance = btc.resistance if btc else sorted((zone(z) for z in a.resistance), key=lambda z: z.price)
    near = ""
    if price.value is not None and support and price.value <= support[0].high * (1 + near_level):
        near = "support"
    elif price.value is not None and resistance and price.value >= resistance[0].low * (1 - near_level):
        near = "resistance"
    steps = [
        Step(
            x.id,
            x.asset,
            x.price,
            None if x.support is None else zone(x.support),
            None if x.resistance is None else zone(x.resistance),
        )
        for x in a.actions
    ]
    ratio_change = _change(f.series("eth_btc_ratio"), 30)
    relative = f.cls("eth_vs_btc") if ratio_change is not None else ""
    alt = f.cell("altcoin_season_index")
    regime = f.cls("altseason") if alt.ok else ""
    return Strategy(
        a.stance,
        a.band,
        near,
        price,
        support,
        resistance,
        maps,
        steps,
        f.cell("price_usd", "eth"),
        f.cell("eth_btc_ratio"),
        ratio_change,
        relative,
        f.cell("price_change_7d", "eth"),
        f.cell("price_change_7d", "btc"),
        f.cell("btc_dominance"),
        alt,
        regime,
    )


def watch_items(a: Assessment) -> list[Watch]:
    """The engine's watch items with their zones, as the report words them (page and terminal)."""
    return [
        Watch(
            w.id,
            w.metric,
            w.entity,
            float(w.trigger),
            w.direction,
            w.mode,
            w.window,
            None if w.current is None or not math.isfinite(w.current) else float(w.current),
            w.rule,
            w.reference,
            None if w.level is None else zone(w.level),
        )
        for w in a.watchlist
    ]


def _summary(ai: AISide, crypto: CryptoSide) -> Summary:
    ai_points = [
        k
        for k, ok in (
            ("capex", ai.capex_ttm.ok),
            ("basket", any(b.entity == "ai" and b.r30.ok for b in ai.baskets)),
            ("news", bool(ai.news)),
            ("miners", ai.miners_vs_btc.ok),
        )
        if ok
    ]
    crypto_points = [
        k
        for k, ok in (
            ("etf", crypto.streak.ok),
            ("fear_greed", crypto.fear_greed.ok),
            ("drawdown", crypto.drawdown.ok),
            ("funding", crypto.funding.ok),
        )
        if ok
    ]
    return Summary(ai_points[:3], crypto_points[:3])


def _sources(a: Assessment, outcomes: Sequence[ProviderOutcome]) -> list[Source]:
    by_name: dict[str, Source] = {}
    for s in a.sources:
        why = gaps.outcome_class(ProviderOutcome(s.provider, s.status, s.reason))
        by_name[s.provider] = Source(s.provider, s.status, s.latest, s.reason, s.note, None, why)
    for o in outcomes:
        known = by_name.get(o.provider)
        by_name[o.provider] = Source(
            o.provider,
            o.status,
            o.latest_ts or (known.latest if known else None),
            o.reason or (known.reason if known else ""),
            known.note if known else "",
            o.observations,
            gaps.outcome_class(o),
        )
    return [by_name[k] for k in sorted(by_name)]


def _gap(key: tuple[str, str], reason: str, outcomes: dict[str, ProviderOutcome]) -> Gap:
    why = gaps.classify(reason, outcomes)
    return Gap(key[0], key[1], reason, why.cls, why.source, why.since)


def _gaps(a: Assessment, snapshot: Snapshot, outcomes: Sequence[ProviderOutcome]) -> tuple[list[Gap], list[Gap]]:
    known = _known_outcomes(a, outcomes)
    missing = {(m.id, m.entity): m.reason for m in a.missing}
    for key, reason in snapshot.missing.items():
        missing.setdefault(key, reason)
    stale = dict(snapshot.stale)
    for i in a.indicators:
        if i.stale:
            stale.setdefault((i.id, i.entity), "stale")
    return (
        [_gap(k, v, known) for k, v in sorted(missing.items())],
        [Gap(k[0], k[1], v, "stale", snapshot.sources.get(k, "")) for k, v in sorted(stale.items())],
    )


def published_at(a: Assessment, snapshot: Snapshot, outcomes: Sequence[ProviderOutcome]) -> datetime:
    """The newest data time on or before the as-of day's end (deterministic: from the data only)."""
    limit = end_of_day(snapshot.as_of)
    times = [s.latest for s in a.sources] + [o.latest_ts for o in outcomes] + list(snapshot.observed_at.values())
    usable = [t.astimezone(UTC) for t in times if t is not None and t.astimezone(UTC) <= limit]
    return max(usable) if usable else day_start(snapshot.as_of)


def build_model(
    assessment: Assessment,
    snapshot: Snapshot,
    *,
    outcomes: Sequence[ProviderOutcome] = (),
    demo: bool = False,
    published: datetime | None = None,
) -> ReportModel:
    """The twelve sections' data for `assessment.as_of`."""
    f = _Facts(assessment, snapshot, outcomes)
    rows = [_row(i) for i in assessment.indicators]
    ai, crypto = _ai(f, snapshot.news), _crypto(f)
    missing, stale = _gaps(assessment, snapshot, outcomes)
    watch = watch_items(assessment)
    return ReportModel(
        as_of=assessment.as_of,
        published=(published or published_at(assessment, snapshot, outcomes)).astimezone(UTC),
        demo=demo,
        score=assessment.score,
        band=assessment.band,
        phase_id=assessment.phase,
        stance=assessment.stance,
        lead=_lead(f),
        ai=ai,
        crypto=crypto,
        onchain=_onchain(f),
        options=_options(f),
        liquidity=_liquidity(f),
        indicators=rows,
        missing=missing,
        stale=stale,
        phase=_phase(assessment, rows),
        strategy=_strategy(assessment, f),
        summary=_summary(ai, crypto),
        watchlist=watch,
        sources=_sources(assessment, outcomes),
    )
