"""CapEx quarter arithmetic on a hand-made companyfacts document, checked by hand.

The document (tests/fixtures/sec_edgar/companyfacts__fy_may_restated.json) is a company whose
fiscal year ends on 31 May, like Oracle. Its cash-flow CapEx, $ millions, year to date:

    FY2024 (from 2023-06-01): Q1 1,000 | 6M 2,200 | 9M 3,700 | FY  6,000
    FY2025 (from 2024-06-01): Q1 2,500 | 6M 5,300 → restated 5,500 a year later | 9M 9,000 | FY 13,000
    FY2026 (from 2025-06-01): Q1 3,600 | 6M 8,000

plus comparatives re-filed unchanged, one instant fact, and an 8-K with a 9-month and a 12-month
figure starting 2023-09-01 (not a fiscal-year start) that would invent a wrong quarter if trusted.
"""

import json
from datetime import date

import pandas as pd
import pytest

from signaldesk.metrics.capex import (
    HYPERSCALERS,
    Fact,
    facts_from_rows,
    fiscal_quarters,
    latest_filed,
    merge_tags,
    total_ttm,
    ttm,
    yoy,
)
from signaldesk.metrics.derive import derive_all

M = 1_000_000


@pytest.fixture
def facts(fixtures):
    doc = json.loads((fixtures / "sec_edgar" / "companyfacts__fy_may_restated.json").read_text())
    rows = doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]["units"]["USD"]
    return facts_from_rows(rows)


def _q(quarters):
    return [(q.end.isoformat(), round(q.value / M)) for q in quarters]


def test_quarters_by_hand(facts):
    quarters = fiscal_quarters(facts, fiscal_year_end_month=5)
    assert _q(quarters) == [
        ("2023-08-31", 1000),  # Q1 FY24 as filed
        ("2023-11-30", 2200 - 1000),  # 6M − Q1
        ("2024-02-29", 3700 - 2200),  # 9M − 6M (leap-year February)
        ("2024-05-31", 6000 - 3700),  # Q4 = 10-K year − 9M
        ("2024-08-31", 2500),  # not the 8-K's 9,999 − 5,000
        ("2024-11-30", 5500 - 2500),  # restated 6M wins over the first-filed 5,300
        ("2025-02-28", 9000 - 5500),
        ("2025-05-31", 13000 - 9000),
        ("2025-08-31", 3600),
        ("2025-11-30", 8000 - 3600),
    ]
    q2 = quarters[5]
    assert (q2.start, q2.derived, q2.filed) == (date(2024, 9, 1), True, date(2025, 12, 10))


def test_as_first_filed_the_quarters_are_those_known_then(facts):
    known = [f for f in facts if f.filed <= date(2025, 6, 30)]
    quarters = dict(_q(fiscal_quarters(known, fiscal_year_end_month=5)))
    assert quarters["2024-11-30"] == 5300 - 2500
    assert quarters["2025-02-28"] == 9000 - 5300


def test_without_the_fiscal_calendar_the_odd_ladder_would_win(facts):
    quarters = dict(_q(fiscal_quarters(facts)))
    assert quarters["2024-08-31"] == 9999 - 5000  # why `fiscal_year_end_month` is declared per company


def test_latest_filed_keeps_one_fact_per_period(facts):
    periods = latest_filed(facts)
    assert len(periods) == 12  # 18 duration rows, 6 re-filed comparatives
    assert periods[(date(2024, 6, 1), date(2024, 11, 30))].value == 5500 * M


def test_merge_tags_prefers_the_first_tag_per_period():
    a = [Fact(date(2024, 1, 1), date(2024, 3, 31), 10.0, date(2024, 4, 30))]
    b = [
        Fact(date(2024, 1, 1), date(2024, 3, 31), 99.0, date(2024, 5, 30)),
        Fact(date(2024, 4, 1), date(2024, 6, 30), 20.0, date(2024, 7, 30)),
    ]
    merged = fiscal_quarters(merge_tags([a, b]))
    assert [(q.end, q.value) for q in merged] == [(date(2024, 3, 31), 10.0), (date(2024, 6, 30), 20.0)]


@pytest.mark.parametrize(
    ("start", "end", "quarters"),
    [
        ("2024-01-01", "2024-03-31", 1),
        ("2023-07-01", "2023-12-31", 2),
        ("2023-06-26", "2024-06-30", 4),
        ("2024-01-01", "2024-04-07", 1),
        ("2024-01-01", "2024-07-15", None),
        ("2024-01-01", "2024-01-31", None),
    ],
)
def test_period_length_in_quarters(start, end, quarters):
    fact = Fact(date.fromisoformat(start), date.fromisoformat(end), 1.0, date(2025, 1, 1))
    assert fact.quarters == quarters


def test_a_negative_difference_is_dropped_not_stored():
    facts = [
        Fact(date(2024, 1, 1), date(2024, 3, 31), 10.0, date(2024, 4, 30)),
        Fact(date(2024, 1, 1), date(2024, 6, 30), 8.0, date(2024, 7, 30)),
    ]
    assert [q.end for q in fiscal_quarters(facts, fiscal_year_end_month=12)] == [date(2024, 3, 31)]


def test_ttm_and_yoy_by_hand(facts):
    quarters = fiscal_quarters(facts, fiscal_year_end_month=5)
    series = pd.Series({pd.Timestamp(q.end): q.value for q in quarters})
    trailing = ttm(series) / M
    assert trailing.round().to_dict() == {
        pd.Timestamp("2024-05-31"): 1000 + 1200 + 1500 + 2300,
        pd.Timestamp("2024-08-31"): 1200 + 1500 + 2300 + 2500,
        pd.Timestamp("2024-11-30"): 1500 + 2300 + 2500 + 3000,
        pd.Timestamp("2025-02-28"): 2300 + 2500 + 3000 + 3500,
        pd.Timestamp("2025-05-31"): 13000,
        pd.Timestamp("2025-08-31"): 3000 + 3500 + 4000 + 3600,
        pd.Timestamp("2025-11-30"): 3500 + 4000 + 3600 + 4400,
    }
    growth = yoy(ttm(series))
    assert growth.to_dict() == pytest.approx(
        {
            pd.Timestamp("2025-05-31"): 13000 / 6000 - 1,
            pd.Timestamp("2025-08-31"): 14100 / 7500 - 1,
            pd.Timestamp("2025-11-30"): 15500 / 9300 - 1,
        }
    )


def test_ttm_needs_four_consecutive_quarters():
    ends = ["2024-03-31", "2024-06-30", "2024-12-31", "2025-03-31", "2025-06-30", "2025-09-30"]  # Q3 2024 missing
    series = pd.Series([1.0, 2.0, 4.0, 5.0, 6.0, 7.0], index=pd.to_datetime(ends))
    assert ttm(series).to_dict() == {pd.Timestamp("2025-09-30"): 4.0 + 5.0 + 6.0 + 7.0}


def _quarterly(ends, start_value=10.0):
    return pd.Series([start_value + i for i in range(len(ends))], index=pd.to_datetime(ends))


def test_total_aligns_fiscal_quarters_on_calendar_quarters_and_needs_every_company():
    calendar = _quarterly(["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31"])
    may_fy = _quarterly(["2024-02-29", "2024-05-31", "2024-08-31", "2024-11-30", "2025-02-28"], 100.0)
    late = _quarterly(["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"], 1000.0)  # not yet filed Q1 2025
    total = total_ttm({"A": ttm(calendar), "B": ttm(may_fy), "C": ttm(late)}, ["A", "B", "C"])
    # Dec 2024: A 10+11+12+13, B (Nov) 100+101+102+103, C 1000..1003; Mar 2025: C has no TTM → no total
    assert total.to_dict() == {pd.Timestamp("2024-12-31"): 46.0 + 406.0 + 4006.0}
    assert total_ttm({"A": ttm(calendar)}, ["A", "B"]).empty


def test_derivation_totals_the_hyperscalers_only_when_all_five_are_there():
    ends = [
        "2024-03-31",
        "2024-06-30",
        "2024-09-30",
        "2024-12-31",
        "2025-03-31",
        "2025-06-30",
        "2025-09-30",
        "2025-12-31",
    ]
    history = {("capex_usd", t): _quarterly(ends, 10.0 * (i + 1)) for i, t in enumerate(HYPERSCALERS)}
    out = derive_all(history)
    per_company_2025 = [sum(10.0 * (i + 1) + k for k in range(4, 8)) for i in range(5)]
    per_company_2024 = [sum(10.0 * (i + 1) + k for k in range(4)) for i in range(5)]
    assert out[("capex_ttm_usd", "hyperscalers")].iloc[-1] == sum(per_company_2025)
    assert out[("capex_yoy", "hyperscalers")].iloc[-1] == pytest.approx(
        sum(per_company_2025) / sum(per_company_2024) - 1
    )
    assert out[("capex_ttm_usd", "MSFT")].iloc[-1] == per_company_2025[0]
    del history[("capex_usd", "ORCL")]
    assert ("capex_ttm_usd", "hyperscalers") not in derive_all(history)
