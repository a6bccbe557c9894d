"""SEC EDGAR XBRL: hyperscaler capital expenditure per fiscal quarter, from their filings.

Endpoint: `GET https://data.sec.gov/api/xbrl/companyconcept/CIK##########/us-gaap/{Tag}.json`
(docs: https://www.sec.gov/search-filings/edgar-application-programming-interfaces). One small
document per company and tag, rather than `companyfacts`, which is several MB for these filers.

Access rules (https://www.sec.gov/os/accessing-edgar-data): no key, but a `User-Agent` naming the
requester and a *real* contact is required — without one SEC answers 403 "Undeclared Automated
Tool", and a placeholder address breaks the policy even when it gets through. So the contact is
the user's: `SIGNALDESK_SEC_CONTACT="Your Name you@yourdomain"` or `[sec_edgar] contact = "…"` in
the config file. Until it is set (or while it is a placeholder such as `admin@example.org`) the
provider is skipped with that reason, like a keyed provider without its key; a replaying client
(the demo) sends nothing to SEC and needs none. At most 10 requests per second.

Shape: `{cik, taxonomy, tag, label, entityName, units: {"USD": [{start, end, val, accn, fy, fp,
form, filed, frame?}]}}` (the same rows as `companyfacts` → `facts.us-gaap.{Tag}.units`, which
`parse_concept` also accepts). `val` is in USD, not thousands.

Quirks: 10-Q cash-flow values are year-to-date and comparatives are re-filed (and sometimes
restated) in later filings — the quarter arithmetic lives in `signaldesk.metrics.capex`; fiscal
years end in June (MSFT) and May (ORCL); filers use different tags for the same line, so each
company has an ordered tag list, and a tag a company never used answers 404 (tolerated as long
as another tag answered). All history comes back on every call (a few hundred rows), so `since`
is not needed and restatements of old quarters are picked up.

Timestamps: a quarter's value is stamped 00:00 UTC of the quarter's last day (the day it is
*about*); it becomes known only when filed, some 4–6 weeks later.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from signaldesk import __version__, settings
from signaldesk.clock import day_start
from signaldesk.errors import MalformedError, MissingKeyError, ProviderError, UnavailableError
from signaldesk.metrics.capex import Fact, facts_from_rows, fiscal_quarters, merge_tags
from signaldesk.models import Observation
from signaldesk.providers._checks import as_list, as_mapping, check_observations
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NAME = "sec_edgar"
HOST = "data.sec.gov"
URL = f"https://{HOST}/api/xbrl/companyconcept/CIK{{cik:010d}}/us-gaap/{{tag}}.json"
METRIC = "capex_usd"
CONTACT_ENV = "SIGNALDESK_SEC_CONTACT"
CONTACT_HOW = (
    f"SEC requires a real contact in the User-Agent of automated tools: set {CONTACT_ENV}="
    f"'Your Name you@yourdomain' (or contact = \"…\" under [sec_edgar] in the config file)"
)
OFFLINE_USER_AGENT = f"signaldesk/{__version__} (replay: nothing is sent to SEC)"
_EMAIL = re.compile(r"[\w.+-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
_PLACEHOLDER = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|example|invalid|test|localhost)$", re.IGNORECASE)
"""RFC 2606 names that documentation uses and no mailbox answers (`admin@example.org`)."""

PPE = "PaymentsToAcquirePropertyPlantAndEquipment"
PRODUCTIVE = "PaymentsToAcquireProductiveAssets"


@dataclass(frozen=True, slots=True)
class Company:
    """A filer: its CIK, the month its fiscal year ends, and its CapEx tags in order of preference."""

    cik: int
    fiscal_year_end_month: int
    tags: tuple[str, ...]


#: The hyperscalers (PROVIDERS.md §11). Amazon labels the line "purchases of property and
#: equipment" but tags it `PaymentsToAcquireProductiveAssets`; the others use the standard tag.
COMPANIES: dict[str, Company] = {
    "MSFT": Company(789019, 6, (PPE,)),
    "GOOGL": Company(1652044, 12, (PPE,)),
    "AMZN": Company(1018724, 12, (PRODUCTIVE, PPE)),
    "META": Company(1326801, 12, (PPE,)),
    "ORCL": Company(1341439, 5, (PPE,)),
}


def contact() -> str:
    """The user's contact for SEC (`SIGNALDESK_SEC_CONTACT`, else `[sec_edgar] contact`), or
    `MissingKeyError` saying how to set it — the provider is then skipped, not failed."""
    value = os.environ.get(CONTACT_ENV, "").strip() or str(settings.section(NAME).get("contact", "")).strip()
    if not value:
        raise MissingKeyError(f"{NAME} is skipped until you give SEC a contact: {CONTACT_HOW}")
    email = _EMAIL.search(value)
    if email is None:
        raise MissingKeyError(f"{NAME}: the SEC contact {value!r} holds no e-mail address; {CONTACT_HOW}")
    if _PLACEHOLDER.search(email.group("domain")):
        raise MissingKeyError(f"{NAME}: {email.group(0)} is a placeholder, not a contact; {CONTACT_HOW}")
    return value


def user_agent() -> str:
    """The declared User-Agent SEC asks for: who we are and the user's contact."""
    return f"signaldesk/{__version__} {contact()}"


def concept_url(cik: int, tag: str) -> str:
    return URL.format(cik=cik, tag=tag)


def parse_concept(payload: Any, tag: str) -> list[Fact]:
    """A `companyconcept` (or `companyfacts`) body → the tag's USD duration facts."""
    body = as_mapping(payload, field="body")
    node: Any = body
    if "facts" in body:  # companyfacts: facts.us-gaap.<tag>
        node = ((body.get("facts") or {}).get("us-gaap") or {}).get(tag)
        if node is None:
            raise MalformedError(f"companyfacts has no us-gaap:{tag}")
    units = as_mapping(as_mapping(node, field=tag).get("units"), field=f"{tag}.units")
    rows = as_list(units.get("USD"), field=f"{tag}.units.USD")
    try:
        return facts_from_rows(as_mapping(row, field=f"{tag}.units.USD[]") for row in rows)
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedError(f"{tag}: a fact row lacks or garbles a field ({exc!s})") from None


def quarterly_observations(ticker: str, tag_facts: list[list[Fact]], fiscal_year_end_month: int) -> list[Observation]:
    """One company's facts (per tag, preferred first) → `capex_usd` per fiscal quarter, oldest first."""
    quarters = fiscal_quarters(merge_tags(tag_facts), fiscal_year_end_month=fiscal_year_end_month)
    observations = [Observation(METRIC, ticker, day_start(q.end), q.value, NAME) for q in quarters]
    return check_observations(observations)


def _with_hint(exc: ProviderError) -> ProviderError:
    if isinstance(exc, UnavailableError) and "HTTP 403" in str(exc):
        return UnavailableError(f"{exc} — SEC refused the declared User-Agent; check the contact in {CONTACT_ENV}")
    return exc


class SecEdgar(Provider):
    """Quarterly CapEx of the hyperscalers; one company failing does not lose the others."""

    name = NAME
    metrics = (METRIC,)
    capabilities = Capabilities(
        hosts={HOST: 10.0},
        history="full (XBRL since 2009)",
        docs="https://www.sec.gov/search-filings/edgar-application-programming-interfaces",
        revision_days=None,  # every run re-reads every filing: restatements of old quarters are picked up
    )

    async def _company(self, http: Session, ticker: str, company: Company, agent: str) -> list[Observation]:
        headers = {"User-Agent": agent, "Accept": "application/json"}
        tag_facts: list[list[Fact]] = []
        errors: list[ProviderError] = []
        for tag in company.tags:
            try:
                payload = await http.get_json(concept_url(company.cik, tag), headers=headers)
                tag_facts.append(parse_concept(payload, tag))
            except ProviderError as exc:  # 404: the company never used this tag; fine while another answers
                errors.append(_with_hint(exc))
        if not tag_facts:
            raise errors[0]
        return quarterly_observations(ticker, tag_facts, company.fiscal_year_end_month)

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """Every company's whole quarterly history (cheap; picks up restatements); the window is unused.
        Skipped (`MissingKeyError`) before any request while the user has not given a contact."""
        agent = user_agent() if http.live else OFFLINE_USER_AGENT
        return flat(await self.gather_parts({t: self._company(http, t, c, agent) for t, c in COMPANIES.items()}))
