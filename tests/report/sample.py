"""A fixed, hand-made day for the report tests: seed 000's numbers (2026-02-25) as engine output.

Histories are smooth deterministic curves (no random numbers), so the golden files depend on
nothing but this module. Values the seed states are used as stated; the rest are plausible.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd

from signaldesk.models import (
    Action,
    Assessment,
    AssetLevels,
    CostBasis,
    Indicator,
    Level,
    LevelSource,
    Missing,
    NewsItem,
    ProviderOutcome,
    Snapshot,
    SourceStatus,
    WatchItem,
)

AS_OF = date(2026, 2, 25)
DAYS = pd.date_range(end="2026-02-25", periods=420, freq="D")


def _curve(start: float, end: float, wiggle: float, period: float = 37.0, days: pd.DatetimeIndex = DAYS) -> pd.Series:
    n = len(days)
    values = [
        start + (end - start) * i / (n - 1) + wiggle * math.sin(i / period * 2 * math.pi) * (1 - i / n)
        for i in range(n)
    ]
    values[-1] = end
    return pd.Series(values, index=days)


def _btc() -> pd.Series:
    # Up to the 126,200 ATH on 2025-10-06, then down to 62,900.
    peak = pd.Timestamp("2025-10-06")
    up = DAYS[DAYS <= peak]
    down = DAYS[DAYS > peak]
    rise = _curve(95_000, 126_200, 4_000, days=up)
    fall = pd.Series(
        [126_200 + (62_900 - 126_200) * (i + 1) / len(down) - 1_500 * math.sin(i / 9) for i in range(len(down))],
        index=down,
    )
    fall.iloc[-1] = 62_900
    series = pd.concat([rise, fall])
    return series.clip(upper=126_200)


def history() -> dict[tuple[str, str], pd.Series]:
    btc = _btc()
    eth = _curve(3_300, 1_840, 250)
    flows_days = pd.bdate_range(end="2026-02-23", periods=60)
    flows = pd.Series([(-1) ** i * 40e6 - 60e6 * (i / 60) for i in range(60)], index=flows_days)
    flows.iloc[-1] = -203.8e6
    fg = _curve(55, 8, 18).round().clip(9, 99)
    fg.iloc[-1] = 8
    h = {
        ("price_usd", "btc"): btc,
        ("price_usd", "eth"): eth,
        ("eth_btc_ratio", ""): eth / btc,
        ("fear_greed", ""): fg,
        ("etf_net_flow_usd", "btc"): flows,
        ("etf_aum_usd", "btc"): _curve(150e9, 84.3e9, 20e9).clip(upper=170e9),
        ("realized_price_usd", ""): _curve(50_000, 55_800, 500),
        ("sth_cost_basis_usd", ""): _curve(80_000, 88_400, 3_000),
        ("ai_crypto_correlation_90d", ""): _curve(0.45, 0.18, 0.1),
    }
    for fund, value in (("IBIT", -116.4e6), ("BITB", -43.6e6), ("FBTC", -27.9e6), ("ARKB", -15.9e6), ("GBTC", 0.0)):
        h[("etf_net_flow_usd", fund)] = pd.Series([value], index=[pd.Timestamp("2026-02-23")])
    h[("etf_aum_usd", "btc")].loc[pd.Timestamp("2025-10-07")] = 170e9
    for ticker, last, end in (
        ("AMZN", 35.0e9, "2025-12-31"),
        ("GOOGL", 25.0e9, "2025-12-31"),
        ("MSFT", 24.0e9, "2025-12-31"),
        ("META", 21.0e9, "2025-12-31"),
        ("ORCL", 8.5e9, "2025-11-30"),
    ):
        ends = pd.date_range(end=end, periods=4, freq="3ME")
        h[("capex_usd", ticker)] = pd.Series([last * 0.7, last * 0.8, last * 0.9, last], index=ends)
    for ticker, start, end in (
        ("SMH", 250, 287.4),
        ("NVDA", 160, 181.2),
        ("AMD", 170, 212.6),
        ("AVGO", 300, 341.1),
        ("TSM", 210, 238.9),
        ("MSFT", 420, 455.0),
        ("META", 610, 702.5),
    ):
        h[("equity_close_usd", ticker)] = _curve(start, end, start * 0.04, period=23)
    return h


VALUES: dict[tuple[str, str], float] = {
    ("fear_greed", ""): 8,
    ("price_usd", "btc"): 62_900,
    ("ath_usd", "btc"): 126_200,
    ("drawdown_from_ath", "btc"): 62_900 / 126_200 - 1,
    ("price_change_7d", "btc"): -0.0723,
    ("price_usd", "eth"): 1_840,
    ("price_change_7d", "eth"): -0.112,
    ("eth_btc_ratio", ""): 1_840 / 62_900,
    ("crypto_market_cap_usd", ""): 2.21e12,
    ("market_cap_change_from_ath_usd", ""): -1.16e12,
    ("etf_net_flow_usd", "btc"): -203.8e6,
    ("etf_flow_streak_weeks", "btc"): -6,
    ("etf_aum_usd", "btc"): 84.3e9,
    ("etf_net_flow_usd_7d", "btc"): -612.5e6,
    ("funding_rate_8h", "btc"): -0.00002,
    ("open_interest_usd", "btc"): 356e9,
    ("open_interest_change_7d", "btc"): -0.083,
    ("coinbase_premium", ""): -0.0012,
    ("exchange_whale_ratio", ""): 0.64,
    ("btc_dominance", ""): 0.58,
    ("altcoin_season_index", ""): 18,
    ("chain_tvl_usd", "ethereum"): 55.0e9,
    ("stablecoin_supply_usd", "ethereum"): 308.8e9,
    ("stablecoin_supply_change_7d", "ethereum"): 0.0026,
    ("dex_volume_usd_24h", "ethereum"): 2.0e9,
    ("chain_tvl_change_7d", "ethereum"): -0.031,
    ("dex_volume_change_7d", "ethereum"): -0.062,
    ("chain_tvl_usd", "solana"): 12.0e9,
    ("stablecoin_supply_usd", "solana"): 9.0e9,
    ("stablecoin_supply_change_7d", "solana"): 0.004,
    ("dex_volume_usd_24h", "solana"): 2.72e9,
    ("chain_tvl_change_7d", "solana"): 0.012,
    ("dex_volume_change_7d", "solana"): 0.081,
    ("stablecoin_supply_usd", ""): 312.4e9,
    ("stablecoin_supply_delta_usd_7d", ""): 0.8e9,
    ("stablecoin_supply_change_7d", ""): 0.0026,
    ("gas_price_gwei", "ethereum"): 1.41,
    ("capex_ttm_usd", "hyperscalers"): 405e9,
    ("capex_yoy", "hyperscalers"): 0.67,
    ("capex_ttm_usd", "MSFT"): 88e9,
    ("capex_yoy", "MSFT"): 0.58,
    ("capex_ttm_usd", "GOOGL"): 91e9,
    ("capex_yoy", "GOOGL"): 0.74,
    ("capex_ttm_usd", "AMZN"): 128e9,
    ("capex_yoy", "AMZN"): 0.62,
    ("capex_ttm_usd", "META"): 72e9,
    ("capex_yoy", "META"): 0.84,
    ("capex_ttm_usd", "ORCL"): 26e9,
    ("capex_yoy", "ORCL"): 1.1,
    ("basket_return_7d", "ai"): 0.011,
    ("basket_return_30d", "ai"): 0.042,
    ("basket_return_90d", "ai"): 0.093,
    ("basket_return_7d", "btc"): -0.0723,
    ("basket_return_30d", "btc"): -0.236,
    ("basket_return_90d", "btc"): -0.31,
    ("basket_return_7d", "miners"): -0.05,
    ("basket_return_30d", "miners"): -0.12,
    ("basket_return_90d", "miners"): -0.18,
    ("ai_crypto_correlation_90d", ""): 0.18,
    ("ai_crypto_divergence_z", ""): 2.6,
    ("equity_close_usd", "SMH"): 287.4,
    ("equity_close_usd", "NVDA"): 181.2,
    ("equity_close_usd", "AMD"): 212.6,
    ("equity_close_usd", "AVGO"): 341.1,
    ("equity_close_usd", "TSM"): 238.9,
    ("equity_close_usd", "MSFT"): 455.0,
    ("equity_close_usd", "META"): 702.5,
    ("miners_vs_btc_30d", ""): 0.116,
    ("miner_revenue_usd_per_mw_day", ""): 1_450,
    ("ai_hosting_usd_per_mw_day", ""): 6_800,
    ("realized_price_usd", ""): 55_800,
    ("sth_cost_basis_usd", ""): 88_400,
    ("lth_cost_basis_usd", ""): 39_100,
    ("true_market_mean_usd", ""): 71_200,
    ("mvrv", ""): 1.13,
    ("realized_loss_usd_7d_sma", ""): 1.9e9,
    ("relative_unrealized_loss", ""): 0.21,
    ("supply_in_profit", ""): 0.47,
    ("sopr_7d_sma", ""): 0.96,
    ("supply_btc", ""): 19_990_000,
    ("atm_iv", "7d"): 0.62,
    ("atm_iv", "30d"): 0.56,
    ("atm_iv", "90d"): 0.52,
    ("skew_25d", "7d"): 0.081,
    ("skew_25d", "30d"): 0.064,
    ("skew_25d", "90d"): 0.041,
    ("realized_vol", "7d"): 0.71,
    ("realized_vol", "30d"): 0.58,
    ("vol_risk_premium", "7d"): -0.09,
    ("vol_risk_premium", "30d"): -0.02,
    ("dvol", ""): 58.3,
}

NEWS = [
    NewsItem(
        "n1",
        datetime(2026, 2, 24, 16, 0, tzinfo=UTC),
        "Anthropic",
        "Anthropic releases Claude Opus 4.6 for enterprise agents",
        "https://www.anthropic.com/news/claude-opus-4-6",
        ("ai", "ai_launch"),
    ),
    NewsItem(
        "n2",
        datetime(2026, 2, 24, 9, 30, tzinfo=UTC),
        "Reuters",
        "AMD signs 6GW chip supply deal with Meta",
        "https://www.reuters.com/technology/amd-meta-6gw",
        ("ai", "ai_deal", "chips"),
    ),
    NewsItem(
        "n3",
        datetime(2026, 2, 23, 20, 0, tzinfo=UTC),
        "Feed <b>",
        "OpenAI ships *Codex* [agent] <script>alert(1)</script> {{< shortcode >}}",
        "javascript:alert(1)",
        ("ai", "ai_launch"),
    ),
    NewsItem(
        "n4",
        datetime(2026, 2, 23, 8, 0, tzinfo=UTC),
        "CoinDesk",
        "Bitcoin ETFs bleed for a sixth week",
        "https://www.coindesk.com/etf",
        ("crypto", "etf"),
    ),
]


def _reasons(zh: str, tw: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "zh-TW": tw, "en": en}


def _zone(side: str, low: float, high: float, kind: str, *sources: LevelSource) -> Level:
    price = (low + high) / 2
    return Level(
        price,
        low,
        high,
        tuple(f"{s.kind}:{s.day}:{s.price:g}" if s.day else f"{s.kind}:{s.price:g}" for s in sources),
        1.0,
        sources[0].entity or "btc",
        side,
        price / 62_900 - 1,
        kind,
        sources,
    )


def _src(kind: str, metric: str, price: float, day: date | None = None, entity: str = "") -> LevelSource:
    return LevelSource(kind, metric, entity, price, price, price, day)


BTC_LEVELS = AssetLevels(
    "btc",
    62_900,
    2_100.0,
    2_500.0,
    98_000.0,
    support=(
        _zone(
            "support",
            60_000,
            63_000,
            "swing",
            _src("swing_low", "price_usd", 63_000, date(2026, 2, 5), "btc"),
            _src("round_number", "price_usd", 60_000, None, "btc"),
        ),
        _zone("support", 55_800, 55_800, "cost_basis", _src("realized_price", "realized_price_usd", 55_800)),
    ),
    resistance=(
        _zone(
            "resistance",
            68_000,
            70_000,
            "swing",
            _src("swing_high", "price_usd", 70_000, date(2026, 2, 20), "btc"),
            _src("volume_cluster", "price_usd", 68_000, None, "btc"),
        ),
        _zone("resistance", 71_200, 71_200, "cost_basis", _src("true_market_mean", "true_market_mean_usd", 71_200)),
    ),
    cost_bases=(
        CostBasis("sth_cost_basis", "sth_cost_basis_usd", "", "btc", 88_400, 88_400 / 62_900 - 1, "resistance"),
        CostBasis("true_market_mean", "true_market_mean_usd", "", "btc", 71_200, 71_200 / 62_900 - 1, "resistance"),
        CostBasis("realized_price", "realized_price_usd", "", "btc", 55_800, 55_800 / 62_900 - 1, "support"),
        CostBasis("lth_cost_basis", "lth_cost_basis_usd", "", "btc", 39_100, 39_100 / 62_900 - 1, "support"),
    ),
)
ETH_LEVELS = AssetLevels(
    "eth",
    1_840,
    80.0,
    70.0,
    2_900.0,
    support=(
        replace(
            _zone("support", 1_800, 1_800, "round_number", _src("round_number", "price_usd", 1_800, None, "eth")),
            asset="eth",
            distance=1_800 / 1_840 - 1,
        ),
    ),
    resistance=(
        replace(
            _zone(
                "resistance",
                2_050,
                2_110,
                "swing",
                _src("swing_high", "price_usd", 2_110, date(2026, 2, 14), "eth"),
                _src("dwell_cluster", "price_usd", 2_050, None, "eth"),
            ),
            asset="eth",
            distance=2_080 / 1_840 - 1,
        ),
    ),
)


def assessment() -> Assessment:
    ind = [
        Indicator(
            "fear_greed",
            "",
            8,
            "bullish",
            0.9,
            0.01,
            "Extreme fear (8): extremes often precede rebounds",
            6.0,
            "sentiment",
            reasons=_reasons(
                "Fear & Greed极值(8) — 历史极值往往预示反弹",
                "Fear & Greed極值(8) — 歷史極值往往預示反彈",
                "Fear & Greed at an extreme (8): such extremes often precede rebounds",
            ),
        ),
        Indicator(
            "gas_price_gwei",
            "ethereum",
            1.41,
            "bullish",
            0.6,
            0.03,
            "Gas very low",
            2.0,
            "liquidity",
            reasons=_reasons(
                "ETH Gas极低 — 链上冷清，情绪底部信号",
                "ETH Gas極低 — 鏈上冷清，情緒底部訊號",
                "ETH gas very low: a quiet chain, a sentiment-bottom sign",
            ),
        ),
        Indicator(
            "etf_flow_streak_weeks",
            "btc",
            -6,
            "bearish",
            0.8,
            0.02,
            "Six weeks of ETF outflows",
            -5.0,
            "flows",
            reasons=_reasons("ETF连续6周流出", "ETF連續6週流出", "ETF outflows for 6 weeks running"),
        ),
        Indicator(
            "exchange_whale_ratio",
            "",
            0.64,
            "bearish",
            0.7,
            0.99,
            "Whale ratio at a ten-year high",
            -3.0,
            "onchain",
            reasons=_reasons("鲸鱼比率创十年新高", "鯨魚比率創十年新高", "Whale ratio at a ten-year high"),
        ),
        Indicator(
            "funding_rate_8h",
            "btc",
            -0.00002,
            "neutral",
            0.0,
            0.12,
            "Funding about 0: balanced",
            0.0,
            "derivatives",
            reasons=_reasons(
                "资金费率接近0：多空平衡", "資金費率接近0：多空平衡", "Funding about 0: longs and shorts balanced"
            ),
        ),
        Indicator(
            "open_interest_change_7d",
            "btc",
            -0.083,
            "bearish",
            0.5,
            0.15,
            "OI falling",
            -2.0,
            "derivatives",
            reasons=_reasons("OI下降", "未平倉量下降", "Open interest falling"),
        ),
        Indicator(
            "coinbase_premium",
            "",
            -0.0012,
            "bearish",
            0.5,
            0.2,
            "Coinbase premium negative",
            -2.0,
            "flows",
            reasons=_reasons("Coinbase溢价转负", "Coinbase溢價轉負", "Coinbase premium negative"),
        ),
        Indicator(
            "mvrv",
            "",
            1.13,
            "bullish",
            0.5,
            0.18,
            "MVRV near holders' cost",
            1.0,
            "onchain",
            reasons=_reasons("MVRV接近持币成本", "MVRV接近持幣成本", "MVRV close to holders' cost"),
            stale=True,
        ),
    ]
    return Assessment(
        as_of=AS_OF,
        score=42.0,
        band="neutral",
        phase="accelerating_decline",
        stance="defensive",
        coverage=0.82,
        indicators=ind,
        support=list(BTC_LEVELS.support),
        resistance=list(BTC_LEVELS.resistance),
        asset_levels={"btc": BTC_LEVELS, "eth": ETH_LEVELS},
        actions=[
            Action("wait_for_support", "btc", 60_000, support=BTC_LEVELS.support[0]),
            Action("reduce_on_breakdown", "btc", 60_000, support=BTC_LEVELS.support[0]),
            Action("no_chase", "btc", 68_000, resistance=BTC_LEVELS.resistance[0]),
            Action("reassess_above_resistance", "btc", 68_000, resistance=BTC_LEVELS.resistance[0]),
        ],
        watchlist=[
            WatchItem(
                "etf_flow",
                "etf_net_flow_usd_7d",
                "btc",
                0.0,
                "above",
                mode="cross",
                window="7d",
                current=-612.5e6,
                rule="etf_flow_7d",
                reference=-6,
            ),
            WatchItem("support", "price_usd", "btc", 60_000, "below", current=62_900, level=BTC_LEVELS.support[0]),
            WatchItem("cost_basis", "price_usd", "btc", 55_800, "below", current=62_900, level=BTC_LEVELS.support[1]),
            WatchItem("fear_greed", "fear_greed", "", 25, "below", mode="hold", current=8, rule="fear_greed"),
        ],
        market_state={
            "phase": "accelerating_decline",
            "trend": -0.37,
            "mom30": -0.249,
            "mom7": -0.0723,
            "drawdown": 62_900 / 126_200 - 1,
            "mvrv": 1.13,
            "fear_greed": 8.0,
        },
        outlook={
            "status": "evidence",
            "horizon_days": 30,
            "track_record": {
                "ic": 0.126,
                "ci_low": -0.02,
                "ci_high": 0.27,
                "hit_rate": 0.56,
                "calls": 412,
                "baselines": {"momentum_28d": 0.15, "momentum_90d": 0.11},
                "band_returns": {"neutral": {"days": 640, "mean": 0.031, "median": 0.012, "share_up": 0.54}},
            },
            "bands": {"bearish_below": 40.0, "bullish_above": 60.0, "calibrated": False},
        },
        missing=[
            Missing("long_liquidations_usd_24h", "btc", "coinglass: COINGLASS_API_KEY not set"),
            Missing("short_liquidations_usd_24h", "btc", "coinglass: COINGLASS_API_KEY not set"),
        ],
        sources=[
            SourceStatus("alternative_me", "ok", datetime(2026, 2, 25, tzinfo=UTC)),
            SourceStatus("farside", "ok", datetime(2026, 2, 23, tzinfo=UTC)),
            SourceStatus("coinglass", "skipped", None, "COINGLASS_API_KEY not set"),
            SourceStatus("coinmetrics", "stale", datetime(2026, 2, 20, tzinfo=UTC), "newest point is 5 days old"),
            SourceStatus("defillama", "ok", datetime(2026, 2, 25, tzinfo=UTC)),
            SourceStatus("deribit", "ok", datetime(2026, 2, 25, 22, 0, tzinfo=UTC)),
        ],
        group_scores={"sentiment": 88.0, "flows": 12.0, "derivatives": 30.0, "onchain": 41.0, "liquidity": 55.0},
        phase_reasons={"phase": "accelerating_decline", "also": "bottom_building"},
    )


def snapshot() -> Snapshot:
    return Snapshot(
        as_of=AS_OF,
        values=dict(VALUES),
        history=history(),
        observed_at={("fear_greed", ""): datetime(2026, 2, 25, tzinfo=UTC)},
        missing={
            ("long_liquidations_usd_24h", "btc"): "coinglass: COINGLASS_API_KEY not set",
            ("short_liquidations_usd_24h", "btc"): "coinglass: COINGLASS_API_KEY not set",
        },
        stale={("mvrv", ""): "coinmetrics: newest point is 5 days old"},
        news=list(NEWS),
    )


OUTCOMES = (
    ProviderOutcome("alternative_me", "ok", "", 2_947, datetime(2026, 2, 25, tzinfo=UTC)),
    ProviderOutcome(
        "okx", "failed", "www.okx.com answered HTTP 451: unavailable for legal reasons", 0, None, "UnavailableError"
    ),
)


def score_history() -> pd.Series:
    return _curve(58, 42, 9).round()
