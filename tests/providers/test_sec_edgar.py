import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk import __version__
from signaldesk.clock import pinned_now
from signaldesk.collect import collect
from signaldesk.demo import DEMO_DIR, DEMO_NOW
from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.metrics.capex import latest_filed
from signaldesk.providers.sec_edgar import (
    COMPANIES,
    CONTACT_ENV,
    PPE,
    PRODUCTIVE,
    SecEdgar,
    concept_url,
    parse_concept,
    quarterly_observations,
)
from tests.conftest import shared_file

B = 1_000_000
CONTACT = "Ops Desk ops@desk-analytics.dev"


@pytest.fixture(autouse=True)
def _contact(monkeypatch):
    """Every live fetch below runs as a user who has given SEC a contact (the skip is tested apart)."""
    monkeypatch.setenv(CONTACT_ENV, CONTACT)


@pytest.fixture
def june_concept(fixtures):
    return json.loads((fixtures / "sec_edgar" / "companyconcept__fy_june.json").read_text())


def test_concept_url_pads_the_cik_to_ten_digits():
    assert concept_url(789019, PPE) == (
        "https://data.sec.gov/api/xbrl/companyconcept/CIK0000789019/us-gaap/PaymentsToAcquirePropertyPlantAndEquipment.json"
    )


def test_quarters_of_a_june_fiscal_year_from_ytd_filings(june_concept):
    obs = quarterly_observations("MSFT", [parse_concept(june_concept, PPE)], fiscal_year_end_month=6)
    # Q1 as filed; Q2..Q4 by differencing the YTD ladder that starts 1 July (Q4 = 10-K year − 9 months)
    assert [(o.ts, o.value) for o in obs] == [
        (datetime(2023, 9, 30, tzinfo=UTC), 9917 * B),
        (datetime(2023, 12, 31, tzinfo=UTC), (19629 - 9917) * B),
        (datetime(2024, 3, 31, tzinfo=UTC), (30592 - 19629) * B),
        (datetime(2024, 6, 30, tzinfo=UTC), (44477 - 30592) * B),
        (datetime(2024, 9, 30, tzinfo=UTC), 14923 * B),
        (datetime(2024, 12, 31, tzinfo=UTC), (30720 - 14923) * B),
    ]
    assert {(o.metric, o.entity, o.source) for o in obs} == {("capex_usd", "MSFT", "sec_edgar")}


def test_companyfacts_shape_is_accepted_too(fixtures):
    doc = json.loads((fixtures / "sec_edgar" / "companyfacts__fy_may_restated.json").read_text())
    facts = parse_concept(doc, PPE)
    assert len(facts) == 18  # 19 rows, one an instant (no start)
    with pytest.raises(MalformedError, match="no us-gaap:PaymentsToAcquireProductiveAssets"):
        parse_concept(doc, PRODUCTIVE)


def test_real_sample_annual_facts_dedupe_to_the_latest_filing():
    sample = shared_file("api-samples", "sec-edgar", "companyfacts_CIK0000789019_capex-only.RECONSTRUCTED.json")
    doc = json.loads(sample.read_text())
    facts = parse_concept(doc, PPE)
    periods = latest_filed(facts)
    assert len(facts) == 4 and len(periods) == 3
    fy2022 = next(f for (start, _), f in periods.items() if start.isoformat() == "2021-07-01")
    assert (fy2022.value, fy2022.filed.isoformat()) == (23886 * B, "2023-07-27")
    # ten-Ks alone hold no quarter: nothing to difference
    assert quarterly_observations("MSFT", [facts], fiscal_year_end_month=6) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"cik": 1, "tag": PPE, "units": {}},
        {"cik": 1, "tag": PPE, "units": {"USD": []}},
        {"cik": 1, "tag": PPE, "units": {"USD": [{"start": "2024-01-01", "end": "2024-03-31", "filed": "2024-04-30"}]}},
        {
            "cik": 1,
            "tag": PPE,
            "units": {"USD": [{"start": "2024-01-01", "end": "31/03/2024", "val": 1, "filed": "2024-04-30"}]},
        },
        {
            "cik": 1,
            "tag": PPE,
            "units": {"USD": [{"start": "2024-01-01", "end": "2024-03-31", "val": "n/a", "filed": "x"}]},
        },
        ["not", "an", "object"],
    ],
)
def test_renamed_or_garbled_fields_are_malformed(payload):
    with pytest.raises(MalformedError):
        parse_concept(payload, PPE)


def test_an_absurd_quarter_is_implausible():
    rows = [{"start": "2024-01-01", "end": "2024-03-31", "val": 5e12, "filed": "2024-04-30", "form": "10-Q"}]
    with pytest.raises(ImplausibleError):
        quarterly_observations("META", [parse_concept({"units": {"USD": rows}}, PPE)], fiscal_year_end_month=12)


def _serve(june_concept, *, failing: dict[int, int] | None = None, seen: list | None = None):
    """A fake data.sec.gov: every company answers the June fixture for PPE; Amazon's PPE tag is a 404."""
    failing = failing or {}

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        cik = int(request.url.path.split("/CIK")[1].split("/")[0])
        tag = request.url.path.rsplit("/", 1)[-1].removesuffix(".json")
        if cik in failing:
            return httpx.Response(failing[cik], text="<html><body>Undeclared Automated Tool</body></html>")
        if cik == COMPANIES["AMZN"].cik and tag == PPE:
            return httpx.Response(404, text="<Error><Code>NoSuchKey</Code></Error>")
        return httpx.Response(200, json=june_concept)

    return httpx.MockTransport(handler)


async def test_fetch_declares_the_user_agent_and_tolerates_an_unused_fallback_tag(june_concept):
    seen: list[httpx.Request] = []
    provider = SecEdgar()
    async with HttpClient(transport=_serve(june_concept, seen=seen)) as client:
        obs = await provider.fetch(client, None)
    assert provider.failures == {}
    assert {o.entity for o in obs} == set(COMPANIES)
    # every company got the June-FY document: only Microsoft's fiscal year starts on 1 July, so the
    # others keep just the one-quarter facts (a ladder that does not start their fiscal year is ignored)
    per_company = {t: len([o for o in obs if o.entity == t]) for t in COMPANIES}
    assert per_company == {"MSFT": 6, "GOOGL": 2, "AMZN": 2, "META": 2, "ORCL": 2}
    assert {r.headers["User-Agent"] for r in seen} == {f"signaldesk/{__version__} {CONTACT}"}
    assert len(seen) == 6  # five companies, Amazon with two tags


async def test_the_contact_can_come_from_the_config_file(june_concept, monkeypatch, write_config):
    monkeypatch.delenv(CONTACT_ENV)
    write_config('[sec_edgar]\ncontact = "Research Desk research@quant-desk.dev"\n')
    seen: list[httpx.Request] = []
    async with HttpClient(transport=_serve(june_concept, seen=seen)) as client:
        await SecEdgar().fetch(client, None)
    assert {r.headers["User-Agent"] for r in seen} == {
        f"signaldesk/{__version__} Research Desk research@quant-desk.dev"
    }


@pytest.mark.parametrize(
    ("contact", "words"),
    [
        ("", "skipped until you give SEC a contact"),
        ("admin@example.org", "admin@example.org is a placeholder"),
        ("Me me@desk.example", "placeholder"),
        ("Just A Name", "holds no e-mail address"),
    ],
)
async def test_without_a_real_contact_the_provider_is_skipped_before_any_request(
    june_concept, monkeypatch, contact, words
):
    monkeypatch.setenv(CONTACT_ENV, contact)
    seen: list[httpx.Request] = []
    async with HttpClient(transport=_serve(june_concept, seen=seen)) as client:
        result = await collect([SecEdgar()], client, as_of=date(2025, 1, 31))
    [outcome] = result.outcomes
    assert outcome.status == "skipped" and words in outcome.reason and CONTACT_ENV in outcome.reason
    assert seen == [] and result.observations == []


async def test_a_replaying_client_needs_no_contact(june_concept, monkeypatch, tmp_path):
    """The demo replays recordings: nothing reaches SEC, so no contact is asked for."""
    monkeypatch.delenv(CONTACT_ENV)
    async with HttpClient.replay(DEMO_DIR) as client:
        with pinned_now(DEMO_NOW):
            observations = await SecEdgar().fetch(client, None)
    assert {o.entity for o in observations} == set(COMPANIES)


async def test_one_company_failing_does_not_lose_the_others(june_concept):
    provider = SecEdgar()
    async with HttpClient(transport=_serve(june_concept, failing={COMPANIES["ORCL"].cik: 403})) as client:
        obs = await provider.fetch(client, None)
    assert {o.entity for o in obs} == {"MSFT", "GOOGL", "AMZN", "META"}
    assert set(provider.failures) == {"ORCL"}
    assert CONTACT_ENV in provider.failures["ORCL"]


async def test_raises_when_no_company_answered(june_concept):
    blocked = {c.cik: 403 for c in COMPANIES.values()}
    async with HttpClient(transport=_serve(june_concept, failing=blocked)) as client:
        with pytest.raises(UnavailableError, match="User-Agent"):
            await SecEdgar().fetch(client, None)


async def test_html_where_json_was_expected_is_malformed(june_concept):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<!DOCTYPE html><html><body>Request Rate Threshold Exceeded</body></html>")

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(MalformedError):
            await SecEdgar().fetch(client, None)


async def test_a_fallback_tag_sending_garbage_does_not_lose_the_company(june_concept):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"{PPE}.json") and f"CIK{COMPANIES['AMZN'].cik:010d}" in request.url.path:
            return httpx.Response(200, text="<html><body>Request Rate Threshold Exceeded</body></html>")
        return httpx.Response(200, json=june_concept)

    provider = SecEdgar()
    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        obs = await provider.fetch(client, None)
    assert provider.failures == {} and len([o for o in obs if o.entity == "AMZN"]) == 2
