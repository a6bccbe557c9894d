"""CapEx from filings: true fiscal quarters out of year-to-date XBRL facts, then TTM and YoY.

Why this is not a one-liner: in 10-Qs the cash-flow statement is *year-to-date* (a Q3 10-Q
reports nine months), and the 10-K reports only the full year. So:

- every fact is a period `(start, end)` with a value; the same period is re-filed as a comparative
  in later filings and sometimes *restated* — per period the latest `filed` wins;
- facts sharing a `start` are one fiscal year's YTD ladder (3, 6, 9, 12 months); quarter k is
  `YTD_k − YTD_(k−1)` and ends on `YTD_k`'s end (Q4 = 10-K year − nine-month YTD);
- a fact that already spans one quarter is that quarter;
- grouping by `start` (not by the filing's `fy`/`fp`) follows each company's own fiscal calendar —
  Microsoft's year ends in June, Oracle's in May — and `fiscal_year_end_month`, when given, guards
  against odd ladders (a trailing-twelve-month disclosure does not start a fiscal year).

Units: USD per quarter for `capex_usd`; USD for `capex_ttm_usd`; a fraction for `capex_yoy`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from signaldesk.metrics.derive import Derivation, History, entities
from signaldesk.models import MetricKey

#: The hyperscalers whose CapEx the report totals (entity `hyperscalers`).
HYPERSCALERS: tuple[str, ...] = ("MSFT", "GOOGL", "AMZN", "META", "ORCL")
TOTAL_ENTITY = "hyperscalers"

_QUARTER_DAYS = 365.25 / 4
_TOLERANCE_DAYS = 12  # 52/53-week years and 13/14-week quarters stay inside it
_QUARTER_GAP = (75, 105)  # days between consecutive quarter ends

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fact:
    """One reported duration value (USD) from one filing."""

    start: date
    end: date
    value: float
    filed: date
    form: str = ""
    accn: str = ""

    @property
    def quarters(self) -> int | None:
        """How many quarters the period spans (1–4), or None for any other length."""
        days = (self.end - self.start).days + 1
        n = round(days / _QUARTER_DAYS)
        return n if 1 <= n <= 4 and abs(days - n * _QUARTER_DAYS) <= _TOLERANCE_DAYS else None


@dataclass(frozen=True, slots=True)
class Quarter:
    """One fiscal quarter's value; `derived` when it came from differencing YTD facts."""

    start: date
    end: date
    value: float
    filed: date
    derived: bool


def facts_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Fact]:
    """XBRL `units.USD` rows → duration facts (instant rows, without `start`, are skipped).

    Raises KeyError/ValueError on a row without `end`, `val` or `filed`, or with a bad date:
    the provider turns those into `MalformedError`.
    """
    facts = []
    for row in rows:
        if not row.get("start"):
            continue
        facts.append(
            Fact(
                start=date.fromisoformat(row["start"]),
                end=date.fromisoformat(row["end"]),
                value=float(row["val"]),
                filed=date.fromisoformat(row["filed"]),
                form=str(row.get("form", "")),
                accn=str(row.get("accn", "")),
            )
        )
    return facts


def latest_filed(facts: Iterable[Fact]) -> dict[tuple[date, date], Fact]:
    """One fact per period `(start, end)`: the latest filed (a restatement beats the original).

    Ties on the filing day go to the later accession number, then to the later value seen.
    """
    best: dict[tuple[date, date], Fact] = {}
    for fact in facts:
        key = (fact.start, fact.end)
        current = best.get(key)
        if current is None or (fact.filed, fact.accn) >= (current.filed, current.accn):
            best[key] = fact
    return best


def merge_tags(tag_facts: Iterable[Iterable[Fact]]) -> list[Fact]:
    """Facts of several tags for one company, earlier tags preferred period by period.

    Filers switch tags over the years (`PaymentsToAcquireProductiveAssets` at Amazon): a period
    reported under the preferred tag uses it; a period only the fallback reports uses that.
    """
    chosen: dict[tuple[date, date], list[Fact]] = {}
    for facts in tag_facts:
        per_period: dict[tuple[date, date], list[Fact]] = defaultdict(list)
        for fact in facts:
            per_period[(fact.start, fact.end)].append(fact)
        for period, group in per_period.items():
            chosen.setdefault(period, group)
    return [fact for group in chosen.values() for fact in group]


def _starts_fiscal_year(start: date, fiscal_year_end_month: int | None) -> bool:
    if fiscal_year_end_month is None:
        return True
    first_month = fiscal_year_end_month % 12 + 1
    if start.month == first_month and start.day <= 7:
        return True
    # 52/53-week years start in the last week of the fiscal-year-end month
    return start.month == fiscal_year_end_month and (start + timedelta(days=7)).month == first_month


def fiscal_quarters(facts: Iterable[Fact], *, fiscal_year_end_month: int | None = None) -> list[Quarter]:
    """Quarter values from a company's duration facts, oldest first.

    Per period the latest filing wins; one-quarter facts are taken as they are; longer facts that
    start a fiscal year are differenced against the previous rung of the same ladder. When a
    quarter can be had both ways, the one resting on the later filing wins (direct on a tie). A
    negative difference means the ladder mixes inconsistent filings: it is dropped, not stored.
    """
    periods = latest_filed(facts)
    quarters: dict[date, Quarter] = {}

    def offer(candidate: Quarter) -> None:
        current = quarters.get(candidate.end)
        if current is None or (candidate.filed, not candidate.derived) > (current.filed, not current.derived):
            quarters[candidate.end] = candidate

    ladders: dict[date, dict[int, Fact]] = defaultdict(dict)
    for fact in periods.values():
        n = fact.quarters
        if n is None:
            continue
        if n == 1:
            offer(Quarter(fact.start, fact.end, fact.value, fact.filed, derived=False))
        ladder = ladders[fact.start]
        if n not in ladder or fact.filed > ladder[n].filed:
            ladder[n] = fact
    for start, ladder in ladders.items():
        if max(ladder) > 1 and not _starts_fiscal_year(start, fiscal_year_end_month):
            log.debug("ignoring YTD facts starting %s: not a fiscal-year start", start)
            continue
        for quarter in _differenced(ladder):
            offer(quarter)
    return [quarters[end] for end in sorted(quarters)]


def _differenced(ladder: Mapping[int, Fact]) -> Iterator[Quarter]:
    """The quarters one YTD ladder implies: rung n minus rung n-1, where the two end a quarter apart.

    Filers often report only 6/9/12-month totals; differencing recovers their single quarters. A negative
    difference means inconsistent filings, so it is logged and dropped rather than stored.
    """
    for n in (2, 3, 4):
        cur, prev = ladder.get(n), ladder.get(n - 1)
        if cur is None or prev is None:
            continue
        gap = (cur.end - prev.end).days
        if not _QUARTER_GAP[0] <= gap <= _QUARTER_GAP[1]:
            continue
        value = cur.value - prev.value
        if value < 0:
            log.warning("dropping quarter ending %s: YTD %s − %s is negative", cur.end, cur.value, prev.value)
            continue
        yield Quarter(prev.end + timedelta(days=1), cur.end, value, max(cur.filed, prev.filed), derived=True)


# -- TTM and YoY over quarter series ---------------------------------------------------------------


def _consecutive(ends: pd.DatetimeIndex) -> bool:
    gaps = (ends[1:] - ends[:-1]).days
    return bool(((gaps >= _QUARTER_GAP[0]) & (gaps <= _QUARTER_GAP[1])).all())


def ttm(quarterly: pd.Series) -> pd.Series:
    """Trailing-twelve-month sum (USD) at each quarter end, only where four consecutive quarters exist."""
    q = quarterly.dropna().sort_index()
    values = {}
    for i in range(3, len(q)):
        window = q.iloc[i - 3 : i + 1]
        if _consecutive(window.index):
            values[q.index[i]] = float(window.sum())
    return pd.Series(values, dtype=float, name="capex_ttm_usd")


def yoy(ttm_series: pd.Series) -> pd.Series:
    """TTM / TTM of the quarter a year earlier − 1 (fraction); only where that quarter exists."""
    s = ttm_series.dropna().sort_index()
    values = {}
    for end, value in s.items():
        earlier = s[(s.index >= end - pd.Timedelta(days=380)) & (s.index <= end - pd.Timedelta(days=350))]
        if len(earlier) == 1 and earlier.iloc[0] > 0:
            values[end] = value / float(earlier.iloc[0]) - 1.0
    return pd.Series(values, dtype=float, name="capex_yoy")


def total_ttm(ttms: Mapping[str, pd.Series], companies: Iterable[str] = HYPERSCALERS) -> pd.Series:
    """Sum of the companies' TTM CapEx per calendar quarter, only where *every* company has one.

    Fiscal quarters are aligned on the calendar quarter that contains their end (Oracle's
    quarter ending 30 Nov counts for calendar Q4) and the total is stamped at that calendar
    quarter's last day. A company without a TTM for a calendar quarter (not yet filed, or a gap)
    leaves that quarter without a total rather than a silently smaller one.
    """
    names = list(companies)
    if not names or any(name not in ttms or ttms[name].dropna().empty for name in names):
        return pd.Series(dtype=float, name="capex_ttm_usd")
    by_quarter: list[dict[pd.Period, float]] = []
    for name in names:
        s = ttms[name].dropna()
        by_quarter.append({pd.Timestamp(end).to_period("Q"): float(v) for end, v in s.items()})
    common = set(by_quarter[0]).intersection(*by_quarter[1:])
    values = {period.end_time.normalize(): sum(q[period] for q in by_quarter) for period in sorted(common)}
    return pd.Series(values, dtype=float, name="capex_ttm_usd")


def _capex_metrics(history: History) -> dict[MetricKey, pd.Series]:
    out: dict[MetricKey, pd.Series] = {}
    ttms: dict[str, pd.Series] = {}
    for ticker in entities(history, "capex_usd"):
        if ticker == TOTAL_ENTITY:
            continue
        ttms[ticker] = ttm(history[("capex_usd", ticker)])
        out[("capex_ttm_usd", ticker)] = ttms[ticker]
        out[("capex_yoy", ticker)] = yoy(ttms[ticker])
    total = total_ttm(ttms, HYPERSCALERS)
    out[("capex_ttm_usd", TOTAL_ENTITY)] = total
    out[("capex_yoy", TOTAL_ENTITY)] = yoy(total)
    return out


DERIVATIONS = (Derivation("capex", ("capex_usd",), ("capex_ttm_usd", "capex_yoy"), _capex_metrics),)
