"""AI × Crypto cross-market metrics: baskets, correlation, divergence, miners, miner economics.

The baskets (`[equities]` in the config replaces any group; `signaldesk.providers.yahoo` collects
their union):
- `ai`: NVDA AMD AVGO TSM MSFT GOOGL AMZN META ORCL CRWV; `miners`: MARA RIOT CLSK IREN CORZ HUT
  BITF HIVE CIFR WULF; `etfs`: SMH BOTZ AIQ, each reported on its own (SMH is "semiconductors").

Calendar. Crypto trades every day, equities on NYSE/Nasdaq sessions. Everything is put on a
7-day calendar: an equity's close is carried forward over non-trading days (at most
`FFILL_LIMIT_DAYS`, so a ticker that stopped answering drops out instead of flat-lining), so a
window of N days is N *calendar* days for equities and BTC alike; on a Saturday an equity
window ends at Friday's close. Every value on day D uses data up to D only.

- `basket_return_{7,30,90}d` (fraction; entity `ai`, `miners`, `btc`, and each ETF ticker): the
  equal-weight mean of the members' returns P(D)/P(D−N) − 1. A member without both prices is
  left out; the basket needs at least `MIN_MEMBER_SHARE` of its configured members.
- `ai_crypto_correlation_90d` (−1…1): Pearson correlation of daily returns, AI basket vs BTC,
  over the 90 calendar days ending on D, on the days equities trade: both returns run from the
  previous session's day to this one (Friday → Monday for both), BTC sampled at its daily close
  (00:00 UTC, three hours after the US close). Needs `CORR_MIN_PAIRS` pairs; carried over
  weekends like a close.
- `ai_crypto_divergence_z` (z): gap(D) = AI 30 d return − BTC 30 d return, standardised against the
  gap's own past: (gap(D) − mean) / sample std over the `Z_WINDOW_DAYS` days *before* D (at least
  `Z_MIN_DAYS` of them). Overlapping 30-day windows make the gap autocorrelated, so read it as
  "how unusual against the last year", not as a test statistic.
- `miners_vs_btc_30d` (fraction): miners' basket 30 d return − BTC's 30 d return.
- Miner economics, per MW of IT load (assumptions from `[miners]`, stated by `miner_assumptions`):
  `miner_revenue_usd_per_mw_day` = hashprice (USD/PH/day) × 1000 / efficiency (J/TH) — 1 MW at
  e J/TH runs 10⁶/e TH/s = 10³/e PH/s; `ai_hosting_usd_per_mw_day` = hosting $/kWh × 24,000 kWh;
  `ai_hosting_to_mining_ratio` = the second over the first. Power cost, pool fees and cooling
  overhead are left out of both sides alike.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import pandas as pd

from signaldesk import settings
from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.models import MetricKey

AI_TICKERS: tuple[str, ...] = ("NVDA", "AMD", "AVGO", "TSM", "MSFT", "GOOGL", "AMZN", "META", "ORCL", "CRWV")
MINER_TICKERS: tuple[str, ...] = ("MARA", "RIOT", "CLSK", "IREN", "CORZ", "HUT", "BITF", "HIVE", "CIFR", "WULF")
ETF_TICKERS: tuple[str, ...] = ("SMH", "BOTZ", "AIQ")
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {"ai": AI_TICKERS, "miners": MINER_TICKERS, "etfs": ETF_TICKERS}

WINDOWS_DAYS: tuple[int, ...] = (7, 30, 90)
FFILL_LIMIT_DAYS = 4  # a long weekend (Fri close → Tue) needs 3; more means the ticker went quiet
MIN_MEMBER_SHARE = 0.5
CORR_WINDOW_DAYS = 90
CORR_MIN_PAIRS = 40
Z_WINDOW_DAYS = 365
Z_MIN_DAYS = 180

#: 1 MW at 20 J/TH = 50 PH/s: a public-miner fleet mix of S19 XP / S21-class machines (2025–26).
DEFAULT_EFFICIENCY_J_PER_TH = 20.0
#: ≈ $1.4M per MW-year, the order of the miners' colocation leases to AI clouds (Core Scientific–CoreWeave).
DEFAULT_HOSTING_USD_PER_KWH = 0.16
KWH_PER_MW_DAY = 24_000.0

_TICKER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-^=")
log = logging.getLogger(__name__)


def universe() -> dict[str, tuple[str, ...]]:
    """Tickers by group (`ai`, `miners`, `etfs`): the defaults, each replaced by an `[equities]` list.

    A config entry that is not a plausible ticker is dropped with a warning (the collector pastes
    tickers into a URL path).
    """
    config = settings.section("equities")
    groups: dict[str, tuple[str, ...]] = {}
    for group, default in DEFAULT_GROUPS.items():
        raw = config.get(group, default)
        if not isinstance(raw, list | tuple):
            log.warning("[equities] %s must be a list of tickers; using the defaults", group)
            raw = default
        tickers = []
        for item in raw:
            ticker = str(item).strip().upper()
            if 0 < len(ticker) <= 15 and set(ticker) <= _TICKER_CHARS and ticker[0].isalnum():
                tickers.append(ticker)
            else:
                log.warning("[equities] %s: %r is not a ticker; ignored", group, item)
        groups[group] = tuple(dict.fromkeys(tickers))
    return groups


# -- baskets ------------------------------------------------------------------------------------


def calendar_closes(closes: Mapping[str, pd.Series], end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Closes on a 7-day calendar (columns = members), carried forward ≤ `FFILL_LIMIT_DAYS` days."""
    frame = pd.DataFrame({name: s.dropna() for name, s in closes.items()}).sort_index()
    if frame.empty:
        return frame
    last = max(frame.index.max(), end) if end is not None else frame.index.max()
    days = pd.date_range(frame.index.min(), last, freq="D")
    return frame.reindex(days).ffill(limit=FFILL_LIMIT_DAYS)


def _need(members: int) -> int:
    return max(1, math.ceil(MIN_MEMBER_SHARE * members))


def basket_return(calendar: pd.DataFrame, days: int, *, members: int | None = None) -> pd.Series:
    """Equal-weight mean of the members' `days`-calendar-day returns (fraction), per day.

    `members` is the basket's configured size (default: the columns); fewer than half of them
    with both prices gives NaN.
    """
    returns = calendar / calendar.shift(days) - 1.0
    counted = returns.notna().sum(axis=1)
    mean = returns.mean(axis=1, skipna=True)
    return mean.where(counted >= _need(members or calendar.shape[1])).dropna()


def session_returns(closes: Mapping[str, pd.Series], *, members: int | None = None) -> pd.Series:
    """Equal-weight daily basket return on every session day (any member traded), previous session → this.

    Session days without enough members keep their place as NaN, so that a return paired with it
    (BTC's, in `correlation`) still spans exactly one session.
    """
    frame = pd.DataFrame({name: s.dropna() for name, s in closes.items()}).sort_index()
    returns = frame.pct_change(fill_method=None)
    counted = returns.notna().sum(axis=1)
    return returns.mean(axis=1, skipna=True).where(counted >= _need(members or frame.shape[1]))


def correlation(
    basket_daily: pd.Series,
    btc_close: pd.Series,
    *,
    window_days: int = CORR_WINDOW_DAYS,
    min_pairs: int = CORR_MIN_PAIRS,
) -> pd.Series:
    """Rolling correlation of the basket's session returns with BTC's over the same intervals.

    `basket_daily` is indexed by every session day (NaN where the basket had too few members);
    BTC is sampled on those days, so both returns of a pair span the same calendar interval.
    The window is the `window_days` calendar days ending on each session day.
    """
    btc_returns = btc_close.reindex(basket_daily.index).pct_change(fill_method=None)
    pairs = pd.DataFrame({"basket": basket_daily, "btc": btc_returns}).dropna()
    if pairs.empty:
        return pd.Series(dtype=float)
    return pairs["basket"].rolling(f"{window_days}D", min_periods=min_pairs).corr(pairs["btc"]).dropna()


def divergence_z(gap: pd.Series, *, window_days: int = Z_WINDOW_DAYS, min_days: int = Z_MIN_DAYS) -> pd.Series:
    """(gap − mean of the previous `window_days` days) / their sample std; NaN where std is 0."""
    daily = gap.asfreq("D")
    past = daily.shift(1).rolling(window_days, min_periods=min_days)
    std = past.std()
    z = (daily - past.mean()) / std.where(std > 0)
    return z.dropna()


def _on_calendar(series: pd.Series, end: pd.Timestamp) -> pd.Series:
    """A session-day series carried over non-trading days (≤ `FFILL_LIMIT_DAYS`) up to `end`."""
    if series.empty:
        return series
    days = pd.date_range(series.index.min(), max(series.index.max(), end), freq="D")
    return series.reindex(days).ffill(limit=FFILL_LIMIT_DAYS).dropna()


def _cross_market(history: History) -> dict[MetricKey, pd.Series]:
    groups = universe()
    closes = {t: history[("equity_close_usd", t)] for t in entities(history, "equity_close_usd")}
    btc = history.get(("price_usd", "btc"))
    ends = [s.index.max() for s in closes.values() if not s.empty]
    if btc is not None and not btc.empty:
        ends.append(btc.index.max())
    if not ends:
        return {}
    end = max(ends)
    out: dict[MetricKey, pd.Series] = {}
    baskets: dict[str, tuple[dict[str, pd.Series], int]] = {
        group: ({t: closes[t] for t in groups[group] if t in closes}, len(groups[group])) for group in ("ai", "miners")
    }
    baskets.update({t: ({t: closes[t]}, 1) for t in groups["etfs"] if t in closes})
    if btc is not None:
        baskets["btc"] = ({"btc": btc}, 1)
    thirty: dict[str, pd.Series] = {}
    for entity, (members, size) in baskets.items():
        if not members:
            continue
        calendar = calendar_closes(members, end)
        for days in WINDOWS_DAYS:
            series = basket_return(calendar, days, members=size)
            out[(f"basket_return_{days}d", entity)] = series
            if days == 30:
                thirty[entity] = series
    if "btc" in thirty and "ai" in thirty:
        gap = (thirty["ai"] - thirty["btc"]).dropna()
        if not gap.empty:
            out[("ai_crypto_divergence_z", "")] = divergence_z(gap)
        ai_members, ai_size = baskets["ai"]
        corr = correlation(session_returns(ai_members, members=ai_size), btc)
        out[("ai_crypto_correlation_90d", "")] = _on_calendar(corr, end)
    if "btc" in thirty and "miners" in thirty:
        out[("miners_vs_btc_30d", "")] = (thirty["miners"] - thirty["btc"]).dropna()
    return out


# -- miner economics ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinerAssumptions:
    """What the miner-economics numbers assume; the report states these next to them."""

    efficiency_j_per_th: float
    hosting_usd_per_kwh: float
    source: str  # "defaults" or "config"

    @property
    def ph_per_mw(self) -> float:
        """PH/s that 1 MW runs at this efficiency (10³ / e)."""
        return 1000.0 / self.efficiency_j_per_th

    @property
    def hosting_usd_per_mw_day(self) -> float:
        return self.hosting_usd_per_kwh * KWH_PER_MW_DAY

    def as_dict(self) -> dict[str, float | str]:
        return {**asdict(self), "ph_per_mw": self.ph_per_mw, "hosting_usd_per_mw_day": self.hosting_usd_per_mw_day}


def miner_assumptions() -> MinerAssumptions:
    """The assumptions in force: `[miners] efficiency_j_per_th` and `hosting_usd_per_kwh`, else defaults.

    A value that is not a positive number is ignored with a warning (the default is used).
    """
    config = settings.section("miners")
    values = {"efficiency_j_per_th": DEFAULT_EFFICIENCY_J_PER_TH, "hosting_usd_per_kwh": DEFAULT_HOSTING_USD_PER_KWH}
    from_config = False
    for key in values:
        if key not in config:
            continue
        raw = config[key]
        number = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else math.nan
        if math.isfinite(number) and number > 0:
            values[key] = number
            from_config = True
        else:
            log.warning("[miners] %s = %r is not a positive number; using %s", key, raw, values[key])
    return MinerAssumptions(
        values["efficiency_j_per_th"], values["hosting_usd_per_kwh"], "config" if from_config else "defaults"
    )


def miner_revenue_usd_per_mw_day(hashprice_usd_per_ph_day: pd.Series, efficiency_j_per_th: float) -> pd.Series:
    """Hashprice revenue of 1 MW of miners (USD/MW/day) = hashprice × 1000 / efficiency."""
    return hashprice_usd_per_ph_day * (1000.0 / efficiency_j_per_th)


def _miner_economics(history: History) -> dict[MetricKey, pd.Series]:
    hashprice = history.get(("hashprice_usd_per_ph_day", ""))
    if hashprice is None or hashprice.dropna().empty:
        return {}
    assumptions = miner_assumptions()
    mining = miner_revenue_usd_per_mw_day(hashprice.dropna(), assumptions.efficiency_j_per_th)
    hosting = pd.Series(assumptions.hosting_usd_per_mw_day, index=mining.index)
    return {
        ("miner_revenue_usd_per_mw_day", ""): mining,
        ("ai_hosting_usd_per_mw_day", ""): hosting,
        ("ai_hosting_to_mining_ratio", ""): (hosting / mining.where(mining > 0)).dropna(),
    }


DERIVATIONS = (
    Derivation(
        "cross_market",
        ("equity_close_usd", "price_usd"),
        (
            "basket_return_7d",
            "basket_return_30d",
            "basket_return_90d",
            "ai_crypto_correlation_90d",
            "ai_crypto_divergence_z",
            "miners_vs_btc_30d",
        ),
        _cross_market,
    ),
    Derivation(
        "miner_economics",
        ("hashprice_usd_per_ph_day",),
        ("miner_revenue_usd_per_mw_day", "ai_hosting_usd_per_mw_day", "ai_hosting_to_mining_ratio"),
        _miner_economics,
    ),
)
