"""CoinGecko: BTC/ETH/SOL daily prices and spot volume, total market cap, BTC dominance, altseason.

Docs: https://docs.coingecko.com/v3.0.1/reference/introduction (Demo/public API, base
`https://api.coingecko.com/api/v3`). An optional free Demo key is read from
`COINGECKO_DEMO_API_KEY` and sent as the `x-cg-demo-api-key` header (never as a query parameter,
so it cannot leak into a recording or a log). A Pro key would need another host; not supported.

Endpoints and why each is used the way it is:

- `GET /coins/{id}/market_chart?vs_currency=usd&days=365&interval=daily` → `price_usd` and
  `spot_volume_usd_30d_avg` (entity `btc`/`eth`/`sol`). Timestamps are **milliseconds**. With
  `interval=daily` the points sit at 00:00 UTC; a point at 00:00 of day D+1 is the price at that
  instant — the *close of day D* — and its `total_volumes` is the 24 h volume ending then, i.e.
  day D's volume, so it is stamped on day D. The **last point is "now"**, not a close: it is
  stamped on its own UTC day as that day's provisional latest value; the next run's 00:00 point
  carries the same stamp and replaces it in the store (same key, later fetch wins). Free-tier
  history is about 365 days.
- `GET /global` → `crypto_market_cap_usd` (`total_market_cap.usd`) and `btc_dominance`
  (`market_cap_percentage.btc` is **percent**: 58.0 → 0.58), stamped on the UTC day of
  `updated_at`. Only today's value exists on the free tier (the chart endpoint is Pro).
- `GET /coins/markets?vs_currency=usd&order=market_cap_desc&per_page=100&page=1` → the universe
  of the **altcoin season index**. The markets endpoint offers no 90-day change
  (`price_change_percentage` only knows 1h, 24h, 7d, 14d, 30d, 200d, 1y), so each member's 90-day
  return comes from its own `market_chart?days=90&interval=daily` (BTC, ETH and SOL reuse the
  365-day charts already fetched). Return over 90 days = the latest point / the point nearest to
  (latest − 90 days) − 1. Index = 100 × (members whose 90-day return is strictly above BTC's) /
  (members evaluated), Blockchaincenter's definition on CoinGecko's data.

  Universe rule (see `exclusion_reason`): rank by market cap, drop BTC itself (the benchmark),
  stablecoins and other pegged tokens (a documented id/symbol list, any symbol containing `usd`,
  and any coin whose price and 24 h range stay within ±1.5 % of $1), and receipts of another coin
  (wrapped, staked, bridged, restaked: a documented list, those words in the name, and symbols
  ending in `btc`/`eth` other than BTC and ETH themselves). The first `top` (50) remaining coins
  with a full 90-day history are the members; a coin younger than 90 days is skipped for the next
  one. A member whose chart fails is replaced by the next coin, at most max(1, top // 10) times; beyond
  that, or on a 429, the index is not computed today (the other metrics still are). Known bias:
  membership is today's top 50, not the top 50 of 90 days ago (free data has no point-in-time
  ranking), which favours coins that rose into the list. The index is one point per day, from the
  day the desk starts collecting; it has no back history.

Limits: keyless access is limited per IP to about 5 calls a minute (CoinGecko's docs: "5 to 15",
varying with load; a 429 comes without `Retry-After`); a free Demo key allows 30 a minute. The
client is paced to 5/min keyless and 30/min with a key (`KEYLESS_CALLS_PER_MINUTE`,
`DEMO_CALLS_PER_MINUTE`), so the four core calls (3 charts, `/global`) take under a minute keyless.
The altseason index needs ~55 more calls (11 minutes keyless, under 2 minutes with a key): it is
attempted only when its planned calls fit its own budget `ALTSEASON_BUDGET_S` at the client's pace —
live, only with a Demo key — and runs under that budget, so a slow index is given up while the prices
already fetched are kept. It is an *optional* metric: a run without it is not a failure and does not
hold the collect cursor back. `[coingecko] altseason = false` skips it, `altseason_top` shrinks it.
Overrides: `[coingecko] assets = {btc = "bitcoin", …}`.

Failure policy: every request is a part; a failing part is logged and listed in
`CoinGecko.failures`, the others are still returned. `fetch` raises only when no part produced an
observation, with the first failure's typed error naming every failed part.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from signaldesk import settings
from signaldesk.clock import day_start, epoch_ms_to_utc, epoch_s_to_utc, utc_day
from signaldesk.errors import ImplausibleError, MalformedError, ProviderError, RateLimitedError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NAME = "coingecko"
HOST = "api.coingecko.com"
BASE = f"https://{HOST}/api/v3"
GLOBAL_URL = f"{BASE}/global"
MARKETS_URL = f"{BASE}/coins/markets"
KEY_ENV = "COINGECKO_DEMO_API_KEY"

#: entity → CoinGecko coin id.
ASSETS: dict[str, str] = {"btc": "bitcoin", "eth": "ethereum", "sol": "solana"}
HISTORY_DAYS = 365
"""Free/Demo tier serves about a year of daily history."""
VOLUME_WINDOW = 30
ALTSEASON_TOP = 50
ALTSEASON_DAYS = 90
MARKETS_PAGE = 100
"""Top 100 by market cap leaves ≥ 50 coins once stablecoins and receipts are dropped."""

#: Stablecoins and other pegged tokens (USD, EUR, gold, tokenised funds), by CoinGecko id.
STABLECOIN_IDS = frozenset(
    {
        "tether",
        "usd-coin",
        "dai",
        "ethena-usde",
        "usds",
        "first-digital-usd",
        "paypal-usd",
        "true-usd",
        "usdd",
        "frax",
        "ripple-usd",
        "usd1-wlfi",
        "global-dollar",
        "falcon-finance",
        "gho",
        "crvusd",
        "liquity-usd",
        "binance-usd",
        "ethena-staked-usde",
        "blackrock-usd-institutional-digital-liquidity-fund",
        "ondo-us-dollar-yield",
        "usual-usd",
        "resolv-usr",
        "euro-coin",
        "stasis-eurs",
        "pax-gold",
        "tether-gold",
        "paxos-standard",
        "gemini-dollar",
        "susds",
        "syrupusdc",
        "agora-dollar",
        "usdtb",
    }
)
STABLE_SYMBOLS = frozenset(
    {
        "usdt",
        "usdc",
        "dai",
        "usde",
        "usds",
        "fdusd",
        "pyusd",
        "tusd",
        "usdd",
        "frax",
        "rlusd",
        "usd1",
        "usdg",
        "usdf",
        "gho",
        "crvusd",
        "lusd",
        "busd",
        "susde",
        "buidl",
        "usdy",
        "usd0",
        "usr",
        "eurc",
        "eurs",
        "paxg",
        "xaut",
        "usdp",
        "gusd",
        "susds",
        "ausd",
        "usdtb",
        "bfusd",
        "usdx",
    }
)
#: Receipts of another coin (wrapped, staked, bridged, liquid-staking), by symbol.
RECEIPT_SYMBOLS = frozenset(
    {
        "wbtc",
        "cbbtc",
        "lbtc",
        "tbtc",
        "btcb",
        "solvbtc",
        "weth",
        "steth",
        "wsteth",
        "weeth",
        "eeth",
        "reth",
        "cbeth",
        "meth",
        "wbeth",
        "ezeth",
        "rseth",
        "oseth",
        "sweth",
        "beth",
        "jitosol",
        "msol",
        "bnsol",
        "jupsol",
        "bbsol",
        "stsol",
        "wbnb",
        "wtrx",
        "stx.b",
    }
)
_RECEIPT_WORDS = re.compile(r"\b(wrapped|staked|bridged|restaked|liquid staking)\b", re.IGNORECASE)
KEYLESS_CALLS_PER_MINUTE = 5
DEMO_CALLS_PER_MINUTE = 30
ALTSEASON_BUDGET_S = 150.0
"""The index's own budget, inside the collector's 300 s for the whole provider (the core calls come first)."""
PEG_BAND = 0.015
"""A coin whose price, 24 h high and 24 h low all stay within ±1.5 % of $1 is treated as pegged."""

log = logging.getLogger(__name__)


# -- pure parsing ------------------------------------------------------------------------------
def _api_error(payload: Any) -> str | None:
    """CoinGecko's error bodies: `{"status": {"error_code", "error_message"}}` or `{"error": "…"}`."""
    if isinstance(payload, Mapping):
        status = payload.get("status")
        if isinstance(status, Mapping) and status.get("error_code"):
            return f"{status.get('error_code')}: {status.get('error_message', '')}".strip()
        if isinstance(payload.get("error"), str):
            return payload["error"]
    return None


def _check_error(payload: Any) -> None:
    error = _api_error(payload)
    if error:
        raise MalformedError(f"CoinGecko answered with an error: {error}")


def _pairs(payload: Any, field: str) -> list[tuple[datetime, float]]:
    """`[[ms, value], …]` → [(aware UTC time, value)], in the order sent."""
    rows = as_list(get_path(payload, [field]), field=field)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) < 2:
            raise MalformedError(f"{field}[{i}] is not a [timestamp, value] pair")
        ts = epoch_ms_to_utc(as_float(row[0], field=f"{field}[{i}][0]"))
        out.append((ts, as_float(row[1], field=f"{field}[{i}][1]")))
    return out


def _close_day(ts: datetime) -> date:
    """The UTC day a market_chart point belongs to.

    A point within ten minutes after 00:00 UTC is the previous day's close; any other point (the
    trailing "now") belongs to its own day as that day's provisional latest value.
    """
    midnight = day_start(utc_day(ts))
    if ts - midnight <= timedelta(minutes=10):
        return utc_day(midnight - timedelta(days=1))
    return utc_day(ts)


def daily_closes(pairs: Sequence[tuple[datetime, float]]) -> dict[date, float]:
    """Market-chart points → {UTC day: value}, the later point winning within a day."""
    out: dict[date, float] = {}
    for ts, value in sorted(pairs):
        out[_close_day(ts)] = value
    return dict(sorted(out.items()))


def rolling_mean(daily: Mapping[date, float], window: int) -> dict[date, float]:
    """Trailing calendar-day mean over `window` days, only where all `window` days are present."""
    out: dict[date, float] = {}
    for day in daily:
        span = [daily.get(day - timedelta(days=k)) for k in range(window)]
        if all(v is not None for v in span):
            out[day] = sum(span) / window  # type: ignore[arg-type]
    return out


def parse_market_chart(payload: Any, asset: str) -> list[Observation]:
    """`/coins/{id}/market_chart` (daily) → `price_usd`, `spot_volume_usd` and its 30-day mean for `asset`.

    The daily volume feeds the volume-by-price support/resistance levels. Volume average: mean of the last 30 UTC days' 24 h volumes (USD), emitted only where the
    30 days are all present (the first 29 days of the history have none).
    """
    _check_error(payload)
    body = as_mapping(payload, field="body")
    prices = daily_closes(_pairs(body, "prices"))
    volumes = daily_closes(_pairs(body, "total_volumes")) if "total_volumes" in body else {}
    observations = [Observation("price_usd", asset, day_start(d), v, NAME) for d, v in prices.items()]
    observations += [Observation("spot_volume_usd", asset, day_start(d), v, NAME) for d, v in volumes.items()]
    observations += [
        Observation("spot_volume_usd_30d_avg", asset, day_start(d), v, NAME)
        for d, v in rolling_mean(volumes, VOLUME_WINDOW).items()
    ]
    return check_observations(observations)


def parse_global(payload: Any) -> list[Observation]:
    """`/global` → total crypto market cap (USD) and BTC dominance (fraction), on `updated_at`'s day."""
    _check_error(payload)
    data = as_mapping(get_path(payload, ["data"]), field="data")
    cap = as_float(get_path(data, ["total_market_cap", "usd"]), field="data.total_market_cap.usd")
    pct = as_float(get_path(data, ["market_cap_percentage", "btc"]), field="data.market_cap_percentage.btc")
    updated = epoch_s_to_utc(as_float(get_path(data, ["updated_at"]), field="data.updated_at"))
    ts = day_start(utc_day(updated))
    return check_observations(
        [
            Observation("crypto_market_cap_usd", "", ts, cap, NAME),
            Observation("btc_dominance", "", ts, pct / 100.0, NAME),
        ],
    )


@dataclass(frozen=True, slots=True)
class Coin:
    """One `/coins/markets` row, reduced to what the altseason universe needs."""

    id: str
    symbol: str
    name: str
    market_cap: float
    price: float
    high_24h: float | None = None
    low_24h: float | None = None


def parse_markets(payload: Any) -> list[Coin]:
    """`/coins/markets` → coins by market cap, largest first; rows without price or cap are skipped.

    Skipping (rather than failing on) a null price is deliberate: CoinGecko lists freshly added or
    halted coins with nulls, and a coin without a price cannot be ranked or judged.
    """
    _check_error(payload)
    rows = as_list(payload, field="markets")
    coins = []
    for i, row in enumerate(rows):
        row = as_mapping(row, field=f"markets[{i}]")
        coin_id = get_path(row, ["id"])
        symbol = get_path(row, ["symbol"])
        if row.get("current_price") is None or row.get("market_cap") in (None, 0):
            continue
        price = as_float(row["current_price"], field=f"markets[{i}].current_price")
        cap = as_float(row["market_cap"], field=f"markets[{i}].market_cap")
        if price <= 0 or cap < 0:
            raise ImplausibleError(f"{coin_id}: price {price:g} / market cap {cap:g} is not positive")
        high = row.get("high_24h")
        low = row.get("low_24h")
        coins.append(
            Coin(
                str(coin_id),
                str(symbol).lower(),
                str(row.get("name") or coin_id),
                cap,
                price,
                None if high is None else as_float(high, field=f"markets[{i}].high_24h"),
                None if low is None else as_float(low, field=f"markets[{i}].low_24h"),
            )
        )
    if not coins:
        raise MalformedError("coins/markets has no coin with a price and a market cap")
    return sorted(coins, key=lambda c: -c.market_cap)


def _pegged_to_dollar(coin: Coin) -> bool:
    values = [coin.price] + [v for v in (coin.high_24h, coin.low_24h) if v is not None]
    return all(abs(v - 1.0) <= PEG_BAND for v in values)


def exclusion_reason(coin: Coin) -> str:
    """Why `coin` is not in the altseason universe ("" when it is)."""
    symbol = coin.symbol.lower()
    if coin.id == "bitcoin":
        return "benchmark"
    if coin.id in STABLECOIN_IDS or symbol in STABLE_SYMBOLS or "usd" in symbol:
        return "stablecoin"
    if _pegged_to_dollar(coin):
        return "pegged to $1"
    if symbol in RECEIPT_SYMBOLS or _RECEIPT_WORDS.search(coin.name):
        return "receipt of another coin"
    if (symbol.endswith("btc") and symbol != "btc") or (symbol.endswith("eth") and symbol != "eth"):
        return "receipt of another coin"
    return ""


def altseason_candidates(coins: Sequence[Coin]) -> list[Coin]:
    """The coins eligible for the index, largest market cap first."""
    return [c for c in coins if not exclusion_reason(c)]


def return_over(payload_or_prices: Any, days: int = ALTSEASON_DAYS) -> float | None:
    """Price return over `days`: latest point / point nearest to (latest − days) − 1.

    None when the history does not reach back that far (within 36 hours), e.g. a coin listed less
    than `days` ago; such a coin is not a member of the index.
    """
    if isinstance(payload_or_prices, Mapping):
        _check_error(payload_or_prices)
        pairs = sorted(_pairs(payload_or_prices, "prices"))
    else:
        pairs = sorted(payload_or_prices)
    if len(pairs) < 2:
        return None
    last_ts, last = pairs[-1]
    target = last_ts - timedelta(days=days)
    ts, first = min(pairs, key=lambda p: abs(p[0] - target))
    if abs(ts - target) > timedelta(hours=36) or first <= 0:
        return None
    return last / first - 1.0


def altseason_index(returns: Mapping[str, float], btc_return: float) -> float:
    """100 × share of coins whose return is strictly above BTC's (0–100)."""
    if not returns:
        raise ValueError("no coin returns to compare with BTC")
    beat = sum(1 for r in returns.values() if r > btc_return)
    return 100.0 * beat / len(returns)


# -- the provider ------------------------------------------------------------------------------
def chart_url(coin_id: str) -> str:
    return f"{BASE}/coins/{coin_id}/market_chart"


def chart_params(days: int) -> dict[str, Any]:
    return {"vs_currency": "usd", "days": days, "interval": "daily"}


MARKETS_PARAMS: dict[str, Any] = {
    "vs_currency": "usd",
    "order": "market_cap_desc",
    "per_page": MARKETS_PAGE,
    "page": 1,
    "sparkline": "false",
}


def history_days(since: date | None, today: date) -> int:
    """Days of chart to ask for: a year on a fresh store, else enough for the gap + the 30-day mean.

    Never under 92, so the BTC chart also serves the 90-day altseason benchmark.
    """
    if since is None:
        return HISTORY_DAYS
    return min(HISTORY_DAYS, max(ALTSEASON_DAYS + 2, (today - since).days + VOLUME_WINDOW + 1))


def altseason_calls(top: int) -> int:
    """Calls the index may need: `/coins/markets`, one chart per member, and the replacements allowed."""
    return 1 + top + max(1, top // 10)


def altseason_fits(top: int, seconds_per_call: float) -> bool:
    """True when the index's calls, spaced `seconds_per_call` apart, fit `ALTSEASON_BUDGET_S`."""
    return altseason_calls(top) * seconds_per_call <= ALTSEASON_BUDGET_S


class CoinGecko(Provider):
    """Prices, volume, market cap, dominance and the altseason index from CoinGecko's free API."""

    name = NAME
    metrics = (
        "price_usd",
        "spot_volume_usd",
        "spot_volume_usd_30d_avg",
        "crypto_market_cap_usd",
        "btc_dominance",
        "altcoin_season_index",
    )
    optional_metrics = ("altcoin_season_index",)
    capabilities = Capabilities(
        hosts={HOST: DEMO_CALLS_PER_MINUTE / 60},  # tightened to the keyless pace in `observe` without a key
        history="365 days (free tier)",
        key_env=KEY_ENV,
        key_header="x-cg-demo-api-key",
        docs="https://docs.coingecko.com/v3.0.1/reference/introduction",
        max_days=HISTORY_DAYS,
    )

    def _config(self) -> tuple[dict[str, str], bool, int]:
        conf = settings.section("coingecko")
        assets = conf.get("assets") or ASSETS
        if not isinstance(assets, Mapping) or not all(isinstance(v, str) for v in assets.values()):
            raise MalformedError("[coingecko] assets must map entity names to CoinGecko ids")
        top = int(conf.get("altseason_top", ALTSEASON_TOP))
        return {str(k).lower(): v for k, v in assets.items()}, bool(conf.get("altseason", True)), max(1, top)

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        assets, altseason_on, top = self._config()
        per_minute = DEMO_CALLS_PER_MINUTE if self.api_key() else KEYLESS_CALLS_PER_MINUTE
        http.limit_host(HOST, per_minute / 60)
        days = history_days(window.since, window.today)
        charts: dict[str, Any] = {}

        async def chart(asset: str, coin_id: str) -> list[Observation]:
            payload = await http.get_json(chart_url(coin_id), params=chart_params(days))
            observations = parse_market_chart(payload, asset)
            charts[coin_id] = payload
            return observations

        async def global_() -> list[Observation]:
            return parse_global(await http.get_json(GLOBAL_URL))

        parts = {f"market_chart {coin_id}": chart(asset, coin_id) for asset, coin_id in assets.items()}
        observations = flat(await self.gather_parts({**parts, "global": global_()}, one_by_one=True))
        if altseason_on and not altseason_fits(top, http.request_interval(HOST)):
            log.info(
                "coingecko: altseason index skipped: %d calls at %d/min exceed its %g s budget (a Demo key allows %d/min)",
                altseason_calls(top),
                per_minute,
                ALTSEASON_BUDGET_S,
                DEMO_CALLS_PER_MINUTE,
            )
        elif altseason_on:
            try:
                async with asyncio.timeout(ALTSEASON_BUDGET_S):
                    index = await self._altseason(http, charts, top)
                # The index is as of the day the benchmark's chart ends (today on a healthy answer):
                # an old chart must show up as an old index, not be stamped as today's.
                as_of = min(window.today, utc_day(epoch_ms_to_utc(charts["bitcoin"]["prices"][-1][0])))
                observations += check_observations(
                    [Observation("altcoin_season_index", "", day_start(as_of), index, NAME)]
                )
            except ProviderError as exc:
                self.part_failed("altseason", exc)
            except TimeoutError:
                self.part_failed(
                    "altseason",
                    f"not finished within its {ALTSEASON_BUDGET_S:g} s budget; prices, volume and /global are kept",
                )
        return observations

    async def _altseason(self, http: Session, charts: dict[str, Any], top: int) -> float:
        """The altseason index of today; raises a typed error when it cannot be computed honestly."""
        if "bitcoin" not in charts:
            raise MalformedError("no BTC chart to benchmark the altcoin season index against")
        btc_return = return_over(charts["bitcoin"])
        if btc_return is None:
            raise MalformedError("the BTC chart does not reach back 90 days")
        coins = parse_markets(await http.get_json(MARKETS_URL, params=MARKETS_PARAMS))
        returns: dict[str, float] = {}
        replaced = 0
        for coin in altseason_candidates(coins):
            if len(returns) == top:
                break
            try:
                payload = charts.get(coin.id)
                if payload is None:
                    payload = await http.get_json(chart_url(coin.id), params=chart_params(ALTSEASON_DAYS))
                ret = return_over(payload)
            except RateLimitedError:
                raise  # waiting out a 429 for ~50 more calls would blow the run's time budget
            except ProviderError as exc:
                replaced += 1
                log.warning("coingecko altseason: chart of %s failed (%s); taking the next coin", coin.id, exc)
                if replaced > max(1, top // 10):
                    raise type(exc)(f"too many member charts failed ({replaced}); last: {exc}") from exc
                continue
            if ret is not None:
                returns[coin.id] = ret
        if len(returns) < top:
            raise MalformedError(f"only {len(returns)} of {top} coins have a 90-day history")
        return altseason_index(returns, btc_return)
