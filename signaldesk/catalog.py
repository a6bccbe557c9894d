"""The metric vocabulary (docs/metrics.md is generated from it; the spec is METRICS.md).

Every observation, rule and report number uses one of these ids. Each entry carries its unit,
the range a sane value must fall in (providers reject values outside it as implausible), and the
maximum age after which a value is shown as stale instead of driving a signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric id: its unit, plausible range, freshness limit and what it means."""

    id: str
    unit: str
    description: str
    lo: float = -INF
    hi: float = INF
    max_age_days: float = 3.0
    family: str = "crypto"

    def plausible(self, value: float) -> bool:
        """True when `value` is finite and inside the metric's sane range."""
        return math.isfinite(value) and self.lo <= value <= self.hi


_SPECS: tuple[MetricSpec, ...] = (
    # Crypto market
    MetricSpec("price_usd", "USD", "spot price, daily close / latest", 0.0 + 1e-12, 1e8, 2),
    MetricSpec("ath_usd", "USD", "all-time high close up to the day", 1e-12, 1e8, 2),
    MetricSpec("drawdown_from_ath", "fraction", "price / ATH - 1", -1.0, 0.0, 2),
    MetricSpec("price_change_7d", "fraction", "7-day price change", -1.0, 100.0, 2),
    MetricSpec("price_vs_ma200", "fraction", "price / 200-day mean - 1", -1.0, 100.0, 2),
    MetricSpec("crypto_market_cap_usd", "USD", "total crypto market cap", 1e9, 1e15, 3),
    MetricSpec("market_cap_change_from_ath_usd", "USD", "market cap lost since the ATH", -1e15, 0.0, 3),
    MetricSpec("btc_dominance", "fraction", "BTC share of total market cap", 0.0, 1.0, 3),
    MetricSpec("eth_btc_ratio", "BTC", "ETH price in BTC", 0.0, 10.0, 2),
    MetricSpec(
        "altcoin_season_index", "0-100", "share of top-50 non-stable coins beating BTC over 90 d x 100", 0, 100, 3
    ),
    MetricSpec("spot_volume_usd_30d_avg", "USD", "30-day mean daily spot volume", 0, 1e13, 3),
    MetricSpec("spot_volume_usd", "USD/day", "daily spot volume (entity asset); volume-by-price levels", 0, 1e13, 3),
    # Sentiment
    MetricSpec("fear_greed", "0-100", "Crypto Fear & Greed index", 0, 100, 2, "sentiment"),
    # ETF flows
    MetricSpec("etf_net_flow_usd", "USD/day", "daily net creation/redemption", -2e10, 2e10, 5, "flows"),
    MetricSpec("etf_net_flow_usd_7d", "USD/week", "sum of the last 7 days' net flows", -1e11, 1e11, 5, "flows"),
    MetricSpec(
        "etf_flow_streak_weeks", "weeks", "consecutive ISO weeks of net inflow (+) / outflow (-)", -520, 520, 8, "flows"
    ),
    MetricSpec("etf_aum_usd", "USD", "total assets of US spot funds", 0, 1e13, 8, "flows"),
    # Derivatives
    MetricSpec(
        "funding_rate_8h", "fraction/8h", "perpetual funding, OI-weighted across venues", -0.05, 0.05, 2, "derivatives"
    ),
    MetricSpec("open_interest_usd", "USD", "futures open interest", 0, 1e13, 2, "derivatives"),
    MetricSpec("open_interest_change_7d", "fraction", "7-day change of open interest", -1.0, 100.0, 2, "derivatives"),
    MetricSpec(
        "venue_funding_rate_8h",
        "fraction/8h",
        "one venue's perpetual funding (entity asset.venue)",
        -0.05,
        0.05,
        2,
        "derivatives",
    ),
    MetricSpec(
        "venue_open_interest_usd", "USD", "one venue's open interest (entity asset.venue)", 0, 1e13, 2, "derivatives"
    ),
    MetricSpec("long_liquidations_usd_24h", "USD", "long liquidations in 24 h", 0, 1e12, 2, "derivatives"),
    MetricSpec("short_liquidations_usd_24h", "USD", "short liquidations in 24 h", 0, 1e12, 2, "derivatives"),
    MetricSpec(
        "coinbase_premium",
        "fraction",
        "(Coinbase BTC-USD - USDT venue BTC, USDT/USD adjusted) / venue",
        -0.2,
        0.2,
        2,
        "derivatives",
    ),
    MetricSpec("atm_iv", "annualised fraction", "at-the-money implied vol (entity tenor)", 0.0, 10.0, 2, "options"),
    MetricSpec("skew_25d", "fraction", "IV(25d put) - IV(25d call); positive = puts richer", -5.0, 5.0, 2, "options"),
    MetricSpec(
        "realized_vol", "annualised fraction", "stdev of daily log returns x sqrt(365)", 0.0, 20.0, 2, "options"
    ),
    MetricSpec("vol_risk_premium", "fraction", "ATM IV - realised vol of the same window", -20.0, 10.0, 2, "options"),
    MetricSpec("dvol", "index", "Deribit volatility index", 0.0, 1000.0, 2, "options"),
    # On-chain
    MetricSpec("mvrv", "ratio", "market cap / realised cap", 0.01, 100.0, 4, "onchain"),
    MetricSpec("realized_cap_usd", "USD", "sum of UTXO value x price when last moved", 0, 1e15, 4, "onchain"),
    MetricSpec("realized_price_usd", "USD", "realised cap / supply", 0, 1e8, 4, "onchain"),
    MetricSpec("supply_btc", "BTC", "circulating supply", 0, 21e6, 4, "onchain"),
    MetricSpec("sth_supply_btc", "BTC", "supply younger than 155 days", 0, 21e6, 4, "onchain"),
    MetricSpec("lth_supply_btc", "BTC", "supply 155 days and older", 0, 21e6, 4, "onchain"),
    MetricSpec("sth_cost_basis_usd", "USD", "realised price of coins younger than 155 days", 0, 1e8, 4, "onchain"),
    MetricSpec("lth_cost_basis_usd", "USD", "realised price of coins 155 days and older", 0, 1e8, 4, "onchain"),
    MetricSpec("true_market_mean_usd", "USD", "active investor cap / active supply (cointime)", 0, 1e8, 4, "onchain"),
    MetricSpec(
        "realized_profit_usd",
        "USD/day",
        "value x (spend - creation price) of coins spent at a profit",
        0,
        1e13,
        4,
        "onchain",
    ),
    MetricSpec(
        "realized_loss_usd",
        "USD/day",
        "value x (creation - spend price) of coins spent at a loss",
        0,
        1e13,
        4,
        "onchain",
    ),
    MetricSpec("realized_profit_usd_7d_sma", "USD/day", "7-day mean of realised profit", 0, 1e13, 4, "onchain"),
    MetricSpec("realized_loss_usd_7d_sma", "USD/day", "7-day mean of realised loss", 0, 1e13, 4, "onchain"),
    MetricSpec("sopr", "ratio", "spend value / creation value of spent outputs", 0.0, 100.0, 4, "onchain"),
    MetricSpec("sopr_7d_sma", "ratio", "7-day mean SOPR", 0.0, 100.0, 4, "onchain"),
    MetricSpec(
        "relative_unrealized_loss",
        "fraction",
        "unrealised loss of UTXOs below water / market cap",
        0.0,
        1.0,
        4,
        "onchain",
    ),
    MetricSpec(
        "supply_in_profit", "fraction", "share of supply whose creation price is below today's", 0.0, 1.0, 4, "onchain"
    ),
    MetricSpec("coin_days_destroyed", "coin-days/day", "sum of spent value x age in days", 0, 1e12, 4, "onchain"),
    MetricSpec("liveliness", "fraction", "cumulative CDD / cumulative coin-days created", 0.0, 1.0, 4, "onchain"),
    MetricSpec("active_supply_btc", "BTC", "supply x liveliness (cointime)", 0, 21e6, 4, "onchain"),
    MetricSpec(
        "urpd_supply_btc",
        "BTC",
        "supply whose last move was in a price bucket (entity = bucket low)",
        0,
        21e6,
        4,
        "onchain",
    ),
    MetricSpec("exchange_whale_ratio", "ratio", "top-10 inflows / total exchange inflows", 0.0, 1.0, 3, "onchain"),
    MetricSpec("hashrate_ehs", "EH/s", "network hash rate", 0.0, 1e5, 4, "onchain"),
    MetricSpec("hashprice_usd_per_ph_day", "USD/PH/day", "miner revenue per unit hash", 0.0, 1e6, 4, "onchain"),
    MetricSpec("btc_fee_sat_vb", "sat/vB", "recommended next-block fee", 0.0, 1e5, 2, "onchain"),
    MetricSpec(
        "btc_fee_per_block_btc",
        "BTC/block",
        "mean transaction fees per block over the UTC day",
        0.0,
        100.0,
        4,
        "onchain",
    ),
    # Chains and DeFi
    MetricSpec("chain_tvl_usd", "USD", "total value locked", 0, 1e13, 3, "liquidity"),
    MetricSpec("chain_tvl_change_7d", "fraction", "7-day TVL change", -1.0, 100.0, 3, "liquidity"),
    MetricSpec(
        "stablecoin_supply_usd", "USD", "stablecoins circulating on the chain ('' = all)", 0, 1e13, 3, "liquidity"
    ),
    MetricSpec(
        "stablecoin_supply_change_7d", "fraction", "7-day change of stablecoin supply", -1.0, 10.0, 3, "liquidity"
    ),
    MetricSpec(
        "stablecoin_supply_delta_usd_7d",
        "USD",
        "7-day change of stablecoin supply in dollars",
        -1e13,
        1e13,
        3,
        "liquidity",
    ),
    MetricSpec("dex_volume_usd_24h", "USD", "DEX volume in 24 h", 0, 1e12, 3, "liquidity"),
    MetricSpec(
        "dex_volume_change_7d",
        "fraction",
        "change of 7-day mean DEX volume vs the week before",
        -1.0,
        100.0,
        3,
        "liquidity",
    ),
    MetricSpec("gas_price_gwei", "gwei", "base fee + median tip", 0.0, 1e5, 2, "liquidity"),
    # AI side
    MetricSpec("equity_close_usd", "USD", "daily close (split/dividend adjusted)", 1e-6, 1e7, 5, "ai"),
    MetricSpec("basket_return_7d", "fraction", "equal-weight 7-day return", -1.0, 100.0, 5, "ai"),
    MetricSpec("basket_return_30d", "fraction", "equal-weight 30-day return", -1.0, 100.0, 5, "ai"),
    MetricSpec("basket_return_90d", "fraction", "equal-weight 90-day return", -1.0, 100.0, 5, "ai"),
    MetricSpec(
        "ai_crypto_correlation_90d", "-1..1", "correlation of daily returns, AI basket vs BTC", -1.0, 1.0, 5, "ai"
    ),
    MetricSpec(
        "ai_crypto_divergence_z", "z", "z-score of (AI 30 d - BTC 30 d return) vs its history", -50.0, 50.0, 5, "ai"
    ),
    MetricSpec("miners_vs_btc_30d", "fraction", "miner basket 30 d return - BTC 30 d return", -10.0, 100.0, 5, "ai"),
    MetricSpec("miner_revenue_usd_per_mw_day", "USD/MW/day", "hashprice revenue per MW of miners", 0, 1e8, 5, "ai"),
    MetricSpec("ai_hosting_usd_per_mw_day", "USD/MW/day", "AI hosting revenue per MW", 0, 1e8, 5, "ai"),
    MetricSpec("capex_usd", "USD/quarter", "capital expenditure per quarter (entity ticker)", 0, 1e12, 200, "ai"),
    MetricSpec("capex_ttm_usd", "USD", "trailing-twelve-month CapEx", 0, 5e12, 200, "ai"),
    MetricSpec("capex_yoy", "fraction", "year-on-year growth of TTM CapEx", -1.0, 100.0, 200, "ai"),
    MetricSpec("news_count", "items/day", "feed items per UTC day (entity theme, or 'all')", 0, 1e5, 2, "ai"),
    MetricSpec(
        "ai_hosting_to_mining_ratio", "ratio", "AI hosting revenue per MW / mining revenue per MW", 0.0, 1e4, 5, "ai"
    ),
)

CATALOG: dict[str, MetricSpec] = {spec.id: spec for spec in _SPECS}


def metric(metric_id: str) -> MetricSpec:
    """Look up a metric id; an unknown id is a programming error, so it raises KeyError loudly."""
    try:
        return CATALOG[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric id {metric_id!r}: add it to signaldesk/catalog.py") from None
