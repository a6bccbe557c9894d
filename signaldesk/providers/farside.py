"""Farside Investors: daily net flows of the US spot BTC and ETH ETFs, per fund, from HTML tables.

Pages: `https://farside.co.uk/bitcoin-etf-flow-all-data/` and
`https://farside.co.uk/ethereum-etf-flow-all-data/` (docs: https://farside.co.uk/btc/ — there is no
API and no key; the "all data" pages hold the full history in one table).

Table shape and quirks, all handled here:
- one row per US trading day; the first cell is the date (`11 Jan 2024`); one column per fund
  and a last `Total` column. The header row names the funds and the column set *grows* when a
  fund launches, so columns are mapped from the header row, never from fixed positions;
- values are **US$ millions** (stored as USD); negatives are in parentheses `(52.7)`; thousands
  are separated `1,175.6`; `-` or a blank cell means *not reported* (a fund not yet launched,
  or today's figure not yet in) — that is missing data, never zero;
- the table ends with summary rows `Total`, `Average`, `Maximum`, `Minimum`, and the header
  block carries a `Fee` row: anything whose first cell is not a date is skipped;
- the latest day is partial and gets revised, so an incremental fetch re-reads the last week;
- the site sits behind Cloudflare, which refuses httpx's TLS fingerprint whatever its
  User-Agent says: pages are fetched with a browser's TLS and headers (`browser=True`,
  `signaldesk.impersonate`). Data-centre IPs can still get a 403 (raised by the shared client as
  `UnavailableError`) or a 200 "Just a moment..." JavaScript challenge (raised here as
  `MalformedError`); no challenge is solved — refused flows are reported missing, never guessed;
- a row shorter than the header, a duplicated date or a non-numeric cell fails the page rather
  than misattribute flows to the wrong fund or day;
- the BTC page failing fails the provider; the ETH page failing alone keeps the BTC flows but is
  never silent: it is listed in `Farside.failures`, so the run's outcome is `partial` with the ETH
  reason.

Terms: Farside's site terms; no API, so it is read politely, once a day.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime

from signaldesk.clock import day_start
from signaldesk.errors import MalformedError, ProviderError
from signaldesk.models import Observation
from signaldesk.providers._checks import check_observations
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "farside"
METRIC = "etf_net_flow_usd"
URLS: dict[str, str] = {
    "btc": "https://farside.co.uk/bitcoin-etf-flow-all-data/",
    "eth": "https://farside.co.uk/ethereum-etf-flow-all-data/",
}

_NOT_REPORTED = frozenset({"", "-", "–", "—", "n/a", "na"})
_TICKER = re.compile(r"^[A-Z][A-Z0-9.]{1,7}$")
_NUMBER = re.compile(r"^\(?-?[0-9][0-9,]*(?:\.[0-9]+)?\)?$")
_CHALLENGE_MARKERS = (
    "just a moment...",
    "cf-browser-verification",
    "challenge-platform",
    "attention required! | cloudflare",
    "cf-chl-",
    "enable javascript and cookies to continue",
)


def _clean(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def parse_date(text: str) -> date | None:
    """`11 Jan 2024` (or `11 January 2024`) → date; anything else → None (not a data row)."""
    cleaned = _clean(text)
    for fmt in ("%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_millions(text: str, *, where: str) -> float | None:
    """A Farside cell in US$ millions → USD; `(52.7)` is negative; `-`/blank → None (not reported)."""
    cleaned = _clean(text).replace("$", "").replace(" ", "")
    if cleaned.lower() in _NOT_REPORTED:
        return None
    if not _NUMBER.match(cleaned):
        raise MalformedError(f"cell {where} is not a number in US$m: {cleaned[:30]!r}")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if cleaned.startswith("(") != cleaned.endswith(")"):
        raise MalformedError(f"cell {where} has unbalanced parentheses: {cleaned!r}")
    number = float(cleaned.strip("()").replace(",", ""))
    return (-number if negative else number) * 1e6


def _is_challenge(html: str) -> bool:
    head = html[:20000].lower()
    return any(marker in head for marker in _CHALLENGE_MARKERS)


def _header_index(rows: list[list[str]]) -> tuple[int, list[str]] | None:
    """The row naming the funds: it ends in `Total` and holds ticker-like cells before it."""
    for i, cells in enumerate(rows):
        names = [c.strip() for c in cells]
        while names and not names[-1]:
            names.pop()
        if len(names) >= 3 and names[-1].lower() == "total" and sum(bool(_TICKER.match(n)) for n in names[1:-1]) >= 1:
            return i, names
    return None


def _table_rows(html: str) -> list[list[list[str]]]:
    """The `table.etf` tables of the page (else every table) as rows of cell texts.

    lxml directly rather than BeautifulSoup: the full-history page has ~7,000 cells and
    BeautifulSoup took seconds of CPU, stalling every other provider sharing the event loop.
    """
    from lxml import etree
    from lxml import html as lxml_html

    try:
        # Bytes with an explicit parser encoding: lxml refuses str input that carries an XML
        # encoding declaration, and the text was already decoded by the HTTP client.
        document = lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as exc:
        raise MalformedError(f"farside.co.uk sent a page lxml cannot parse: {exc}") from None
    tables = document.xpath('//table[contains(concat(" ", normalize-space(@class), " "), " etf ")]')
    out = []
    for table in tables or document.xpath("//table"):
        rows = []
        for tr in table.iter("tr"):
            cells = [_clean(cell.text_content()) for cell in tr if cell.tag in ("td", "th")]
            if cells:
                rows.append(cells)
        out.append(rows)
    return out


def parse_flows(html: str, asset: str) -> list[Observation]:
    """A Farside "all data" page → `etf_net_flow_usd` per fund (entity = ticker) and in total
    (entity = `asset`, from the page's own `Total` column), oldest first, in USD per day.

    Entities are case-sensitive: the lower-case `btc`/`eth` is the total of all funds, while the
    upper-case `BTC`/`ETH` are Grayscale's mini-trust tickers, as Farside names them.
    """
    if not html or not html.strip():
        raise MalformedError("farside.co.uk sent an empty page")
    best: list[Observation] = []
    found_header = False
    for rows in _table_rows(html):
        header = _header_index(rows)
        if header is None:
            continue
        found_header = True
        start, names = header
        observations = _parse_table(rows[start + 1 :], names, asset)
        if len(observations) > len(best):
            best = observations
    if not found_header:
        # Only now look for a challenge: Cloudflare also injects its `challenge-platform` script
        # into ordinary pages, so the markers prove nothing when the table is there.
        if _is_challenge(html):
            raise MalformedError(
                "farside.co.uk sent a Cloudflare challenge page instead of the flow table (bot check); "
                "flows are missing for this run",
            )
        raise MalformedError("no flow table with a fund header row ending in 'Total' on the page")
    if not best:
        raise MalformedError("the flow table has a header but no dated rows")
    best.sort(key=lambda o: (o.ts, o.entity))
    return check_observations(best)


def _parse_table(rows: list[list[str]], names: list[str], asset: str) -> list[Observation]:
    observations: list[Observation] = []
    seen: set[date] = set()
    for cells in rows:
        first = cells[0] if cells else ""
        day = parse_date(first)
        if day is None:
            # Summary rows (`Total`, `Average`, `Maximum`, `Minimum`), the `Fee` row, blank
            # spacer rows and repeated header rows are not days: skip them all.
            continue
        if day in seen:
            raise MalformedError(f"date {day} appears twice in the flow table")
        seen.add(day)
        values = cells[1 : len(names)]
        if len(cells) < len(names):
            raise MalformedError(f"row {first!r} has {len(cells)} cells but the header names {len(names)} columns")
        ts = day_start(day)
        for name, text in zip(names[1:], values, strict=True):
            value = parse_millions(text, where=f"{first}/{name}")
            if value is None:
                continue
            entity = asset if name.lower() == "total" else name.upper()
            observations.append(Observation(METRIC, entity, ts, value, NAME))
    return observations


class Farside(Provider):
    """Spot-ETF flows for BTC and ETH: the whole table every time (it is one page), filtered to
    the days since the last run minus a week of possible revisions."""

    name = NAME
    metrics = (METRIC,)
    capabilities = Capabilities(
        hosts={"farside.co.uk": 0.5},
        history="full (BTC since 2024-01-11, ETH since 2024-07-23)",
        docs="https://farside.co.uk/btc/",
        revision_days=7,  # Farside revises the latest days after publishing them
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        """BTC first: its failure fails the provider. An ETH failure alone keeps the BTC flows — the
        headline number should not be lost to the secondary page — and is kept in `failures`, so the
        outcome says `partial` with the ETH reason instead of letting ETH flows go stale unnoticed."""
        # Parsing ~0.5 MB of HTML is CPU work: off the event loop, so other providers keep going.
        html = await http.get_text(URLS["btc"], browser=True)
        observations = await asyncio.to_thread(parse_flows, html, "btc")
        try:
            html = await http.get_text(URLS["eth"], browser=True)
            observations.extend(await asyncio.to_thread(parse_flows, html, "eth"))
        except ProviderError as exc:
            self.part_failed("eth", f"ETH flows not fetched: {exc}")
        return observations
