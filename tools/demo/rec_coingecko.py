"""Demo recordings for CoinGecko: 365-day charts of BTC/ETH/SOL, `/global`, `/coins/markets`, altseason charts.

Prices are the scenario's closes: the chart point at 00:00 UTC of day D+1 carries day D's close
(that is what the instant means), and the trailing "now" point (22:58 UTC on 2026-02-25) carries
2026-02-25's close, $62,900 for BTC. `/global` says BTC dominance 58.0 % (seed 000: "BTC Dominance
升至58%"), with a total market cap consistent with BTC's own (price × scenario supply).

The market list is a plausible top 100 of February 2026 (real ids and symbols, made-up prices
and caps, largest first), including the stablecoins, gold tokens and wrapped/staked receipts the
altseason universe must drop. Each of the top-50 eligible coins gets a 90-day daily chart from
a seeded bridge between its price 90 days ago and today's; seven of them (TRX, HYPE, BCH, LEO,
XMR, BGB, OKB — exchange tokens and old majors that held up) beat BTC's −27 %, so the demo index
is 14: the seed's "山寨季概率极低" (altseason very unlikely). ETH and SOL are judged on their
365-day charts, as the provider does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.coingecko import (
    ALTSEASON_DAYS,
    ALTSEASON_TOP,
    ASSETS,
    GLOBAL_URL,
    HISTORY_DAYS,
    MARKETS_PARAMS,
    MARKETS_URL,
    Coin,
    altseason_candidates,
    chart_params,
    chart_url,
)
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, bridge, rng

NOW = DEMO_NOW - timedelta(minutes=1, seconds=48)
"""The trailing "now" point of every chart (CoinGecko's last point is the request time, roughly)."""
TODAY = pd.Timestamp(NOW.date())
DOMINANCE = 58.0
SUPPLY = {"eth": 120_690_000.0, "sol": 566_300_000.0}

#: (id, symbol, name, price USD, market cap $B) for coins other than BTC, ETH and SOL.
COINS: tuple[tuple[str, str, str, float, float], ...] = (
    ("tether", "usdt", "Tether", 1.0002, 184.2),
    ("ripple", "xrp", "XRP", 1.42, 85.9),
    ("binancecoin", "bnb", "BNB", 612.4, 84.3),
    ("usd-coin", "usdc", "USDC", 0.9999, 75.1),
    ("tron", "trx", "TRON", 0.2861, 27.1),
    ("staked-ether", "steth", "Lido Staked Ether", 1838.6, 16.2),
    ("dogecoin", "doge", "Dogecoin", 0.0982, 14.9),
    ("cardano", "ada", "Cardano", 0.281, 10.2),
    ("bitcoin-cash", "bch", "Bitcoin Cash", 498.3, 9.9),
    ("usds", "usds", "USDS", 1.0001, 8.6),
    ("hyperliquid", "hype", "Hyperliquid", 24.6, 8.3),
    ("leo-token", "leo", "LEO Token", 8.95, 8.25),
    ("wrapped-bitcoin", "wbtc", "Wrapped Bitcoin", 62880.0, 7.9),
    ("wrapped-steth", "wsteth", "Wrapped stETH", 2252.0, 7.4),
    ("ethena-usde", "usde", "Ethena USDe", 0.9996, 6.1),
    ("chainlink", "link", "Chainlink", 8.71, 5.9),
    ("monero", "xmr", "Monero", 312.5, 5.8),
    ("coinbase-wrapped-btc", "cbbtc", "Coinbase Wrapped BTC", 62910.0, 5.6),
    ("stellar", "xlm", "Stellar", 0.1683, 5.4),
    ("wrapped-eeth", "weeth", "Wrapped eETH", 1990.2, 5.1),
    ("dai", "dai", "Dai", 0.9998, 4.4),
    ("weth", "weth", "WETH", 1840.5, 4.3),
    ("litecoin", "ltc", "Litecoin", 54.3, 4.1),
    ("zcash", "zec", "Zcash", 241.0, 3.9),
    ("paypal-usd", "pyusd", "PayPal USD", 1.0, 3.8),
    ("avalanche-2", "avax", "Avalanche", 8.9, 3.8),
    ("hedera-hashgraph", "hbar", "Hedera", 0.0871, 3.7),
    ("shiba-inu", "shib", "Shiba Inu", 0.0000061, 3.6),
    ("ethena-staked-usde", "susde", "Ethena Staked USDe", 1.21, 3.6),
    ("the-open-network", "ton", "Toncoin", 1.38, 3.4),
    ("sui", "sui", "Sui", 0.92, 3.3),
    ("world-liberty-financial", "wlfi", "World Liberty Financial", 0.1102, 2.95),
    ("crypto-com-chain", "cro", "Cronos", 0.0774, 2.9),
    ("usd1-wlfi", "usd1", "USD1", 0.9997, 2.7),
    (
        "blackrock-usd-institutional-digital-liquidity-fund",
        "buidl",
        "BlackRock USD Institutional Digital Liquidity Fund",
        1.0,
        2.4,
    ),
    ("tether-gold", "xaut", "Tether Gold", 4975.0, 2.3),
    ("polkadot", "dot", "Polkadot", 1.31, 2.15),
    ("bitget-token", "bgb", "Bitget Token", 3.02, 2.1),
    ("uniswap", "uni", "Uniswap", 3.38, 2.05),
    ("mantle", "mnt", "Mantle", 0.62, 2.0),
    ("falcon-finance", "usdf", "Falcon USD", 0.9985, 1.9),
    ("aave", "aave", "Aave", 118.5, 1.8),
    ("okb", "okb", "OKB", 78.4, 1.65),
    ("pax-gold", "paxg", "PAX Gold", 4980.0, 1.6),
    ("ethena", "ena", "Ethena", 0.215, 1.55),
    ("bittensor", "tao", "Bittensor", 158.0, 1.5),
    ("pi-network", "pi", "Pi Network", 0.171, 1.4),
    ("near", "near", "NEAR Protocol", 1.06, 1.35),
    ("ripple-usd", "rlusd", "Ripple USD", 1.0, 1.3),
    ("pepe", "pepe", "Pepe", 0.0000031, 1.3),
    ("internet-computer", "icp", "Internet Computer", 2.41, 1.29),
    ("ethereum-classic", "etc", "Ethereum Classic", 8.1, 1.25),
    ("polygon-ecosystem-token", "pol", "POL (ex-MATIC)", 0.118, 1.24),
    ("kucoin-shares", "kcs", "KuCoin Token", 9.85, 1.23),
    ("sky", "sky", "Sky", 0.0552, 1.2),
    ("usdtb", "usdtb", "USDtb", 1.0, 1.2),
    ("first-digital-usd", "fdusd", "First Digital USD", 0.9991, 1.1),
    ("arbitrum", "arb", "Arbitrum", 0.201, 1.1),
    ("jito-staked-sol", "jitosol", "Jito Staked SOL", 97.4, 1.05),
    ("algorand", "algo", "Algorand", 0.112, 0.98),
    ("lombard-staked-btc", "lbtc", "Lombard Staked BTC", 62850.0, 0.98),
    ("cosmos", "atom", "Cosmos Hub", 2.05, 0.97),
    ("vechain", "vet", "VeChain", 0.0112, 0.96),
    ("ondo-finance", "ondo", "Ondo", 0.191, 0.95),
    ("rocket-pool-eth", "reth", "Rocket Pool ETH", 2110.8, 0.95),
    ("flare-networks", "flr", "Flare", 0.0131, 0.94),
    ("binance-staked-sol", "bnsol", "Binance Staked SOL", 84.9, 0.9),
    ("global-dollar", "usdg", "Global Dollar", 1.0, 0.9),
    ("gatechain-token", "gt", "GateToken", 7.2, 0.87),
    ("kaspa", "kas", "Kaspa", 0.0301, 0.8),
    ("aptos", "apt", "Aptos", 1.08, 0.8),
    ("render-token", "render", "Render", 1.48, 0.77),
    ("filecoin", "fil", "Filecoin", 1.09, 0.77),
    ("official-trump", "trump", "Official Trump", 3.71, 0.74),
    ("quant-network", "qnt", "Quant", 61.0, 0.74),
    ("solv-btc", "solvbtc", "Solv Protocol BTC", 62700.0, 0.7),
    ("sei-network", "sei", "Sei", 0.108, 0.66),
    ("mantle-staked-ether", "meth", "mETH", 1975.0, 0.6),
    ("bonk", "bonk", "Bonk", 0.0000069, 0.57),
    ("jupiter-exchange-solana", "jup", "Jupiter", 0.171, 0.55),
    ("optimism", "op", "Optimism", 0.251, 0.47),
    ("stacks", "stx", "Stacks", 0.262, 0.47),
    ("kaia", "kaia", "Kaia", 0.078, 0.46),
    ("fetch-ai", "fet", "Artificial Superintelligence Alliance", 0.171, 0.45),
    ("immutable-x", "imx", "Immutable", 0.221, 0.42),
    ("curve-dao-token", "crv", "Curve DAO", 0.29, 0.41),
    ("injective-protocol", "inj", "Injective", 3.9, 0.39),
    ("virtual-protocol", "virtual", "Virtuals Protocol", 0.58, 0.38),
    ("tezos", "xtz", "Tezos", 0.351, 0.37),
    ("pendle", "pendle", "Pendle", 2.21, 0.37),
    ("floki", "floki", "FLOKI", 0.0000361, 0.35),
    ("celestia", "tia", "Celestia", 0.41, 0.33),
    ("sonic-3", "s", "Sonic", 0.102, 0.33),
    ("raydium", "ray", "Raydium", 1.21, 0.32),
    ("theta-token", "theta", "Theta Network", 0.31, 0.31),
    ("lido-dao", "ldo", "Lido DAO", 0.334, 0.3),
)
#: Coins whose 90-day return beats BTC's in the demo.
BEATERS = frozenset({"tron", "hyperliquid", "bitcoin-cash", "leo-token", "monero", "bitget-token", "okb"})


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _midnight_ms(day: pd.Timestamp) -> int:
    return _ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _chart(closes: pd.Series, caps: pd.Series, volumes: pd.Series, days: int) -> dict:
    """A daily market_chart body for the `days` before NOW: 00:00 of D+1 carries day D, then "now"."""
    first = TODAY - pd.Timedelta(days=days)
    keep = closes.index[(closes.index >= first) & (closes.index < TODAY)]
    stamps = [_midnight_ms(d + pd.Timedelta(days=1)) for d in keep] + [_ms(NOW)]
    days_ = [*keep, TODAY]

    def series(values: pd.Series) -> list[list[float]]:
        return [[ts, float(values[d])] for ts, d in zip(stamps, days_, strict=True)]

    return {"prices": series(closes), "market_caps": series(caps), "total_volumes": series(volumes)}


def _supply(scenario: Scenario, asset: str) -> pd.Series:
    if asset == "btc":
        return scenario.btc_supply
    close = scenario.price(asset)
    return pd.Series(SUPPLY[asset], index=close.index)


def _market_row(
    coin_id: str,
    symbol: str,
    name: str,
    price: float,
    cap: float,
    change_24h: float,
    rank: int,
    ath: tuple[float, pd.Timestamp] | None = None,
) -> dict:
    gen = rng(f"cg-row-{coin_id}")
    pegged = abs(price - 1.0) < 0.01
    swing = 0.0008 if pegged else abs(change_24h) / 100 + gen.uniform(0.01, 0.04)
    supply = cap / price
    ath_price = round(ath[0], 2) if ath else price * (1.0005 if pegged else float(gen.uniform(1.6, 9.0)))
    ath_date = f"{ath[1].date()}T14:12:03.218Z" if ath else "2025-01-19T10:20:27.134Z"
    return {
        "id": coin_id,
        "symbol": symbol,
        "name": name,
        "image": f"https://coin-images.coingecko.com/coins/images/{1000 + rank}/large/{symbol}.png",
        "current_price": price,
        "market_cap": round(cap),
        "market_cap_rank": rank,
        "fully_diluted_valuation": round(cap * (1.0 if pegged else float(gen.uniform(1.0, 1.6)))),
        "total_volume": round(cap * float(gen.uniform(0.01, 0.12))),
        "high_24h": price * (1 + swing),
        "low_24h": price * (1 - swing),
        "price_change_24h": price * change_24h / 100,
        "price_change_percentage_24h": change_24h,
        "market_cap_change_24h": cap * change_24h / 100,
        "market_cap_change_percentage_24h": change_24h,
        "circulating_supply": supply,
        "total_supply": supply,
        "max_supply": None,
        "ath": ath_price,
        "ath_change_percentage": (price / ath_price - 1) * 100,
        "ath_date": ath_date,
        "atl": price * 0.05,
        "atl_change_percentage": 1900.0,
        "atl_date": "2020-03-13T02:22:55.044Z",
        "roi": None,
        "last_updated": (NOW - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.") + "512Z",
    }


def record(directory: Path, scenario: Scenario) -> None:
    # 365-day charts of the three tracked assets
    for asset, coin_id in ASSETS.items():
        close = scenario.price(asset)
        body = _chart(close, close * _supply(scenario, asset), scenario.volume(asset), HISTORY_DAYS)
        write_json(directory, demo_request("GET", chart_url(coin_id), params=chart_params(HISTORY_DAYS)), body)

    today = TODAY
    caps = {asset: float(scenario.price(asset)[today] * _supply(scenario, asset)[today]) for asset in ASSETS}
    total_cap = caps["btc"] / (DOMINANCE / 100)
    volume = sum(float(scenario.volume(a)[today]) for a in ASSETS) * 2.6
    global_body = {
        "data": {
            "active_cryptocurrencies": 17842,
            "upcoming_icos": 0,
            "ongoing_icos": 49,
            "ended_icos": 3376,
            "markets": 1389,
            "total_market_cap": {"btc": total_cap / 62_900.0, "eth": total_cap / 1_840.0, "usd": total_cap},
            "total_volume": {"btc": volume / 62_900.0, "eth": volume / 1_840.0, "usd": volume},
            "market_cap_percentage": {
                "btc": DOMINANCE,
                "eth": caps["eth"] / total_cap * 100,
                "usdt": 184.2e9 / total_cap * 100,
                "xrp": 85.9e9 / total_cap * 100,
                "bnb": 84.3e9 / total_cap * 100,
                "usdc": 75.1e9 / total_cap * 100,
                "sol": caps["sol"] / total_cap * 100,
            },
            "market_cap_change_percentage_24h_usd": -1.8342,
            "volume_change_percentage_24h_usd": 12.4518,
            "updated_at": int((DEMO_NOW - timedelta(minutes=4)).timestamp()),
        }
    }
    write_json(directory, demo_request("GET", GLOBAL_URL), global_body)

    # /coins/markets: BTC/ETH/SOL from the scenario, the rest from the table, largest first
    def change_24h(asset: str) -> float:
        close = scenario.price(asset)
        return float(close[today] / close[today - pd.Timedelta(days=1)] - 1) * 100

    rows = [
        (
            ASSETS[a],
            a,
            {"btc": "Bitcoin", "eth": "Ethereum", "sol": "Solana"}[a],
            float(scenario.price(a)[today]),
            caps[a],
            change_24h(a),
        )
        for a in ASSETS
    ]
    for coin_id, symbol, name, price, cap_b in COINS:
        rows.append(
            (coin_id, symbol, name, price, cap_b * 1e9, round(float(rng(f"cg-24h-{coin_id}").normal(-1.5, 2.5)), 4))
        )
    rows.sort(key=lambda r: -r[4])
    aths = {ASSETS[a]: (float(scenario.price(a).max()), scenario.price(a).idxmax()) for a in ASSETS}
    markets = [
        _market_row(cid, sym, name, price, cap, ch, rank, aths.get(cid))
        for rank, (cid, sym, name, price, cap, ch) in enumerate(rows, 1)
    ]
    write_json(directory, demo_request("GET", MARKETS_URL, params=MARKETS_PARAMS), markets)

    # 90-day charts of the top-50 eligible coins (ETH and SOL reuse their 365-day charts)
    btc = scenario.btc
    start = today - pd.Timedelta(days=ALTSEASON_DAYS)
    btc_return = btc[today] / btc[start] - 1
    coins = [
        Coin(r["id"], r["symbol"], r["name"], r["market_cap"], r["current_price"], r["high_24h"], r["low_24h"])
        for r in markets
    ]
    tracked = set(ASSETS.values())
    for coin in altseason_candidates(coins)[:ALTSEASON_TOP]:
        if coin.id in tracked:
            continue
        gen = rng(f"cg-r90-{coin.id}")
        r90 = btc_return + (gen.uniform(0.03, 0.25) if coin.id in BEATERS else -gen.uniform(0.02, 0.45))
        anchors = {str(start.date()): coin.price / (1 + max(r90, -0.85)), str(today.date()): coin.price}
        close = bridge(anchors, daily_vol=0.045, name=f"cg-{coin.id}")
        supply = coin.market_cap / coin.price
        volume_share = float(gen.uniform(0.02, 0.1))
        body = _chart(close, close * supply, close * supply * volume_share, ALTSEASON_DAYS)
        write_json(directory, demo_request("GET", chart_url(coin.id), params=chart_params(ALTSEASON_DAYS)), body)
