"""Demo recordings for SEC EDGAR: `companyconcept` CapEx documents for the five hyperscalers.

The numbers follow seed 000's trajectory: hyperscaler CapEx of $381B over calendar 2025 (each
company's four fiscal quarters ending in 2025's last calendar quarter or before), up 70 % on
2024's $224.1B, so `capex_ttm_usd:hyperscalers` = $381.0B and `capex_yoy:hyperscalers` ≈ +70 %
on 2025-12-31. Quarters ramp geometrically between those totals (slower before), are rounded to
$1M as filers report them, and are filed the way SEC serves them: each 10-Q carries the
year-to-date figure and last year's comparative, each 10-K three fiscal years, each filing on its
company's usual delay, and only filings made by 2026-02-25 appear. One comparative is restated
(Alphabet's six months to June 2024, first filed $150M low), and Amazon's fallback tag answers
404, as a tag a company never used does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.sec_edgar import COMPANIES, PPE, concept_url
from signaldesk.recordings import write_recording
from tools.demo import exactmath
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario

LAST_FILED = DEMO_NOW.date()
FIRST_FISCAL_YEAR_START = 2019  # quarters are generated from here; filings start two years later
LABELS = {
    "PaymentsToAcquirePropertyPlantAndEquipment": (
        "Payments to Acquire Property, Plant, and Equipment",
        "The cash outflow associated with the acquisition of long-lived, physical assets that are used in the normal "
        "conduct of business to produce goods and services and not intended for resale; includes cash outflows to pay "
        "for construction of self-constructed assets.",
    ),
    "PaymentsToAcquireProductiveAssets": (
        "Payments to Acquire Productive Assets",
        "The cash outflow for purchases of and capital improvements on property, plant and equipment (capital "
        "expenditures), software, and other intangible assets.",
    ),
}
NOT_FOUND = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message></Error>"
)


@dataclass(frozen=True)
class Plan:
    """A company's demo CapEx: TTM (USD) over its four quarters aligned to calendar 2024 and 2025."""

    name: str
    ttm_2024: float
    ttm_2025: float
    filing_lag_days: int  # 10-Q/10-K delay after the period ends
    restate: tuple[int, float] | None = None  # (fiscal year, understatement of its 6-month YTD when first filed)


PLANS: dict[str, Plan] = {
    "MSFT": Plan("MICROSOFT CORPORATION", 44.5e9, 72.0e9, 28),
    "GOOGL": Plan("Alphabet Inc.", 52.5e9, 85.0e9, 33, restate=(2024, 150e6)),
    "AMZN": Plan("AMAZON.COM, INC.", 78.0e9, 120.0e9, 35),
    "META": Plan("Meta Platforms, Inc.", 37.2e9, 70.0e9, 30),
    "ORCL": Plan("ORACLE CORPORATION", 11.9e9, 34.0e9, 12),
}
OLDER_GROWTH = 1.03  # per quarter, before the 2024 window


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def fiscal_years(fy_end_month: int) -> list[tuple[date, list[date]]]:
    """(fiscal-year start, its four quarter ends), from FIRST_FISCAL_YEAR_START until after the demo day."""
    years = []
    year = FIRST_FISCAL_YEAR_START
    while True:
        start = _month_end(year, fy_end_month) + timedelta(days=1)
        ends = [
            _month_end(start.year + (start.month - 1 + 3 * k + 2) // 12, (start.month - 1 + 3 * k + 2) % 12 + 1)
            for k in range(4)
        ]
        if start > LAST_FILED:
            return years
        years.append((start, ends))
        year += 1


def _quarter_values(ends: list[date], plan: Plan) -> dict[date, int]:
    """USD per quarter end (whole millions): geometric between the two TTM targets, exact sums."""
    aligned = [e for e in ends if (e.year, (e.month - 1) // 3) <= (2025, 3)]
    last = len(aligned) - 1  # the quarter aligned with calendar 2025 Q4
    growth = exactmath.power(plan.ttm_2025 / plan.ttm_2024, 0.25)
    base = plan.ttm_2025 / sum(growth**k for k in range(-3, 1))
    values: dict[date, int] = {}
    for i, end in enumerate(ends):
        k = i - last
        value = base * growth**k if k >= -7 else base * growth**-7 / OLDER_GROWTH ** (-7 - k)
        values[end] = round(value / 1e6) * 1_000_000
    for window_end, target in ((last, plan.ttm_2025), (last - 4, plan.ttm_2024)):
        others = sum(values[ends[window_end - j]] for j in (1, 2, 3))
        values[ends[window_end]] = round(target) - others
    return values


def concept_rows(ticker: str) -> list[dict]:
    """The `units.USD` rows SEC would serve for the company's CapEx tag on the demo day."""
    company, plan = COMPANIES[ticker], PLANS[ticker]
    years = fiscal_years(company.fiscal_year_end_month)
    ends = [e for _, quarter_ends in years for e in quarter_ends]
    values = _quarter_values(ends, plan)
    ytd: dict[tuple[date, date], int] = {}
    for start, quarter_ends in years:
        running = 0
        for end in quarter_ends:
            running += values[end]
            ytd[(start, end)] = running
    rows = []
    seq = 0
    for index, (_, quarter_ends) in enumerate(years):
        if index < 2:
            continue  # the first two years exist only as comparatives
        fy = quarter_ends[-1].year
        for q, end in enumerate(quarter_ends, 1):
            filed = end + timedelta(days=plan.filing_lag_days + (7 if q == 4 else 0))
            if filed > LAST_FILED:
                break
            seq += 1
            accn = f"{company.cik:010d}-{filed:%y}-{seq:06d}"
            form, fp = ("10-K", "FY") if q == 4 else ("10-Q", f"Q{q}")
            reported = [years[index - back] for back in ((0, 1, 2) if q == 4 else (0, 1))]
            for back, (r_start, r_ends) in enumerate(reported):
                value = ytd[(r_start, r_ends[q - 1])]
                if plan.restate and back == 0 and q == 2 and r_ends[-1].year == plan.restate[0]:
                    value -= int(plan.restate[1])  # first filed low, corrected in the next year's comparative
                rows.append(
                    {
                        "start": r_start.isoformat(),
                        "end": r_ends[q - 1].isoformat(),
                        "val": value,
                        "accn": accn,
                        "fy": fy,
                        "fp": fp,
                        "form": form,
                        "filed": filed.isoformat(),
                    }
                )
    rows.sort(key=lambda r: (r["end"], r["start"], r["filed"]))
    return rows


def record(directory: Path, scenario: Scenario) -> None:
    del scenario  # filings do not depend on the market path
    for ticker, company in COMPANIES.items():
        tag, *fallbacks = company.tags
        label, description = LABELS[tag]
        body = {
            "cik": company.cik,
            "taxonomy": "us-gaap",
            "tag": tag,
            "label": label,
            "description": description,
            "entityName": PLANS[ticker].name,
            "units": {"USD": concept_rows(ticker)},
        }
        write_json(directory, demo_request("GET", concept_url(company.cik, tag)), body)
        for fallback in fallbacks:
            assert fallback == PPE
            write_recording(
                directory,
                demo_request("GET", concept_url(company.cik, fallback)),
                NOT_FOUND,
                status=404,
                content_type="application/xml",
            )
