"""RSS/Atom news for the AI and crypto sides: deduplicated, theme-tagged items, and daily counts.

Feeds (PROVIDERS.md §14; `[news] feeds` in the config replaces the list, each entry a URL or a
`{name = "…", url = "…"}` table) are fetched as text through the shared client and parsed with
feedparser (namespace-aware: `dc:creator`, `media:`, CDATA links, RFC 822 dates with named or
numeric zones, Atom `type="html"` titles). Anthropic publishes no official feed; its launches
arrive through the outlets' feeds.

Untrusted text. Feed titles and summaries are third-party input:
- titles are kept as *text* (an RSS title `<script>` stays the literal characters; Atom
  `type="html"` titles are reduced to their text), never as markup; control characters,
  zero-width and bidi controls are stripped from titles and summaries (`signaldesk.text`);
- summaries are reduced to plain text (tags dropped, `<script>`/`<style>` with their content),
  entities decoded, whitespace collapsed, cut at `SUMMARY_CHARS`;
- only `http(s)` links are kept (a `javascript:` link drops the item);
- whoever renders them escapes them (the report: `signaldesk.report.render.md_escape`, `safe_url`).

Identity and deduplication: an item's id is a hash of its canonical link (scheme and host lower
case, `utm_*`/`fbclid`/`gclid` parameters and the fragment dropped, trailing slash trimmed);
across feeds an item is a duplicate when its canonical link *or* its normalised title (NFKC,
case-folded, punctuation dropped; within two days) was already seen; the earliest copy is kept.

Themes (`THEMES`): rule-based and explainable. A theme is a list of keyword groups; an item has
the theme when *every* group has a match in its title or summary (case-insensitive, whole words):
`ai_launch` = an AI product/model/agent word + a launch verb; `chips_compute` = a chip/compute
word + a deal word; `etf_flows` = a fund/institution word + a flow word; `regulation` = a
regulator/law word; `miners_ai` = a miner word + an AI/HPC/hosting word.

Counts: `news_count` (items/day) per theme and for `all`, for each *completed* UTC day from the
collect cursor (or, on a fresh store, the first day every feed covers fully: after its oldest
known item's day) through yesterday, and never past the newest item's day. A day is counted over
the union of the items stored by earlier runs (`remember_news`: the collector hands over the
store's reader) and those fetched now, so the runs of a day together count a busy outlet whose
feed holds less than a day, and today is never counted while it is still going. A feed whose
window shares no item with its stored ones is a failed part naming the span that may be missing.
A feed cut short, or with no usable item, fails alone.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.entities import name2codepoint
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from signaldesk import settings
from signaldesk.clock import day_start, now_utc, utc_day
from signaldesk.errors import MalformedError
from signaldesk.models import NewsItem, Observation
from signaldesk.providers._checks import check_observations
from signaldesk.providers.base import Capabilities, NewsReader, Provider, Session, Window, flat
from signaldesk.text import strip_invisible

NAME = "news"
METRIC = "news_count"
ALL = "all"
SUMMARY_CHARS = 300
TITLE_CHARS = 300
FEED_RPS = 0.5
TITLE_REPEAT_WINDOW = timedelta(days=2)
LOOKBACK_DAYS = 7
"""Days of stored items read before the cursor, to know where each feed's coverage began."""
ACCEPT = "application/rss+xml, application/atom+xml, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: a display name (the item's `source`) and its URL."""

    name: str
    url: str


DEFAULT_FEEDS: tuple[Feed, ...] = (
    Feed("CoinDesk", "https://www.coindesk.com/arc/outboundfeeds/rss/"),
    Feed("Cointelegraph", "https://cointelegraph.com/rss"),
    Feed("The Block", "https://www.theblock.co/rss.xml"),
    Feed("Decrypt", "https://decrypt.co/feed"),
    Feed("OpenAI", "https://openai.com/news/rss.xml"),
    Feed("NVIDIA Blog", "https://blogs.nvidia.com/feed/"),
    Feed("NVIDIA Newsroom", "https://nvidianews.nvidia.com/rss.xml"),
    Feed("The Verge AI", "https://www.theverge.com/rss/ai-artificial-intelligence/index.xml"),
)

#: theme → keyword groups; every group must match (any of its patterns, whole words, any case).
THEMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "ai_launch": (
        (
            "openai",
            "anthropic",
            "claude",
            r"gpt-?[\w.]*",
            "gemini",
            "llama",
            "grok",
            "codex",
            "copilot",
            "deepseek",
            "mistral",
            "llms?",
            r"ai models?",
            r"ai agents?",
            "agentic",
            r"agent platforms?",
            "chatbots?",
            r"(?:reasoning|foundation|frontier|language) models?",
            "cowork",
        ),
        (
            r"launch(?:es|ed|ing)?",
            r"releas(?:es|ed|ing)",
            "release",
            r"unveil(?:s|ed|ing)?",
            r"introduc(?:es|ed|ing)",
            r"debut(?:s|ed)?",
            r"rolls? out",
            "rolled out",
            r"now available",
            r"upgrad(?:es|ed|ing)",
            r"ships?",
        ),
    ),
    "chips_compute": (
        (
            "chips?",
            "gpus?",
            "semiconductors?",
            "accelerators?",
            "nvidia",
            "amd",
            "tsmc",
            "broadcom",
            r"data ?cent(?:er|re)s?",
            "compute",
            "gigawatts?",
            r"\d+(?:\.\d+)? ?gw",
            r"ai infrastructure",
            "supercomputers?",
        ),
        (
            "deals?",
            "agreements?",
            "contracts?",
            "supply",
            "orders?",
            "partnerships?",
            r"multi-?year",
            r"invest(?:s|ed|ment|ments)?",
            "capex",
            r"capital (?:expenditure|spending)",
            r"buy(?:s|ing)?",
            r"purchas(?:e|es|ed|ing)",
            r"leases?",
        ),
    ),
    "etf_flows": (
        (
            "etfs?",
            "etps?",
            "ibit",
            "fbtc",
            "gbtc",
            r"spot (?:bitcoin|ether|btc|eth) funds?",
            "institutional",
            "institutions",
            "blackrock",
            "fidelity",
            "grayscale",
        ),
        (
            "flows?",
            "inflows?",
            "outflows?",
            "redemptions?",
            "aum",
            r"assets under management",
            "holdings",
            r"allocat(?:e|es|ed|ion|ions)",
            "bought",
            "buys",
            "sold",
            "sells",
            r"pull(?:s|ed)?",
            "bleed(?:s|ing)?",
            r"shed(?:s|ding)?",
        ),
    ),
    "regulation": (
        (
            "sec",
            "cftc",
            r"regulat(?:or|ors|ory|ion|ions|e|es|ed)",
            r"legislat(?:ion|ive|ors?)",
            "lawmakers?",
            "congress",
            "senate",
            r"stablecoin bills?",
            r"(?:genius|clarity) act",
            "lawsuits?",
            "sued",
            "court",
            "judge",
            "mica",
            r"licen[cs](?:e|es|ed|ing)",
            r"sanction(?:s|ed)?",
            "enforcement",
            "ban(?:s|ned)?",
        ),
    ),
    "miners_ai": (
        (
            "miners?",
            r"bitcoin mining",
            r"mining (?:firm|firms|company|companies)",
            "hashrate",
            "marathon",
            "riot",
            "cleanspark",
            "iren",
            r"core scientific",
            r"hut ?8",
            "bitfarms",
            r"hive digital",
            "cipher",
            "terawulf",
        ),
        (
            "ai",
            "hpc",
            r"high-performance computing",
            "gpus?",
            r"data ?cent(?:er|re)s?",
            "hosting",
            "colocation",
            "coreweave",
            "compute",
            r"cloud",
        ),
    ),
}
_COMPILED: dict[str, tuple[re.Pattern[str], ...]] = {
    theme: tuple(re.compile(r"(?<![\w-])(?:" + "|".join(group) + r")(?![\w-])", re.IGNORECASE) for group in groups)
    for theme, groups in THEMES.items()
}
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid)$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


# -- text hygiene --------------------------------------------------------------------------------


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment, dropping script/style bodies and every tag."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: no tags, no script/style content, entities decoded, one-line."""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return _SPACE.sub(" ", unescape("".join(parser.parts))).strip()


def _one_line(text: str) -> str:
    """Visible characters only (no control, zero-width or bidi characters), on one line."""
    return _SPACE.sub(" ", strip_invisible(text)).strip()


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def canonical_link(url: str) -> str:
    """The link without tracking parameters or fragment, scheme/host lower-cased; "" if not http(s)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") if len(parts.path) > 1 else parts.path
    return urlunsplit((scheme, parts.netloc.lower(), path, query, ""))


def item_id(link: str) -> str:
    """Stable id: the first 16 hex digits of SHA-256 of the canonical link."""
    return hashlib.sha256(canonical_link(link).encode()).hexdigest()[:16]


def normalised_title(title: str) -> str:
    text = re.sub(r"['’`]", "", unicodedata.normalize("NFKC", title).casefold())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def themes_of(text: str) -> tuple[str, ...]:
    """The themes whose every keyword group matches `text`, in `THEMES` order."""
    return tuple(theme for theme, groups in _COMPILED.items() if all(g.search(text) for g in groups))


# -- parsing ----------------------------------------------------------------------------------------


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def _entry_title(entry: Mapping[str, Any]) -> str:
    title = entry.get("title") or ""
    kind = (entry.get("title_detail") or {}).get("type", "text/plain")
    text = html_to_text(title) if "html" in kind else title
    return _clip(_one_line(text), TITLE_CHARS)


def _xml_entities(text: str) -> str:
    """HTML named entities (`&nbsp;`, common in feeds, undefined in XML) as numeric references.

    Without this, feedparser's strict XML parser stops at the first `&nbsp;` and its lenient fallback
    cannot tell a complete feed from one cut short, so `bozo` could not judge completeness.
    """

    def numeric(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES or name not in name2codepoint:
            return match.group(0)
        return f"&#{name2codepoint[name]};"

    return _NAMED_ENTITY.sub(numeric, text)


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})
"""Labels that sit under a country code (co.uk, com.au): the site's own name is the label before them."""


def site_name(url: str) -> str:
    """The site's own name in a URL's host — `cointelegraph` for www.cointelegraph.com, `nvidia` for
    nvidianews.nvidia.com, `farside` for farside.co.uk — the part a feed cannot fake for another
    outlet's article. "" when the URL has no host."""
    labels = [label for label in (urlsplit(url).hostname or "").split(".") if label]
    if len(labels) > 1:
        labels = labels[:-1]  # the top-level domain
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-1] if labels else ""


def parse_feed(text: str, source: str, *, now: datetime | None = None) -> list[NewsItem]:
    """One feed body → its items (newest first), untrusted text made safe to store.

    Items without a date, an http(s) link or a title are dropped, as are items dated more than a
    day ahead (a broken clock upstream). A body that is not a feed at all (an HTML challenge page,
    an error JSON) raises `MalformedError`, and so does a feed that is not well-formed XML — feedparser's
    `bozo` flag with an XML parse error, e.g. a body cut short, which its lenient fallback would read
    as half the items. A comment or whitespace after the root element is well-formed and fine. A
    valid feed with no items returns [].
    """
    from xml.sax import SAXParseException

    import feedparser

    parsed = feedparser.parse(_xml_entities(text))
    if not parsed.get("version") and not parsed.entries:
        head = text.lstrip()[:200].lower()
        kind = "an HTML page" if head.startswith(("<!doctype html", "<html")) else "something that is not RSS/Atom"
        raise MalformedError(f"{source} sent {kind} where a feed was expected")
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and isinstance(problem, SAXParseException):
        raise MalformedError(
            f"{source}'s feed is not well-formed XML, e.g. cut short ({problem.getMessage()} at line "
            f"{problem.getLineNumber()}, column {problem.getColumnNumber()})"
        )
    limit = (now or now_utc()) + timedelta(days=1)
    items = []
    for entry in parsed.entries:
        ts = _entry_time(entry)
        raw_link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else "")
        link = canonical_link(raw_link or "")
        title = _entry_title(entry)
        if ts is None or ts > limit or not link or not title:
            continue
        summary = _clip(_one_line(html_to_text(entry.get("summary") or "")), SUMMARY_CHARS)
        items.append(NewsItem(item_id(link), ts, source, title, link, themes_of(f"{title} {summary}"), summary))
    items.sort(key=lambda i: (i.ts, i.id), reverse=True)
    return items


def deduplicate(items: Iterable[NewsItem], sites: Mapping[str, str] | None = None) -> list[NewsItem]:
    """Drop repeats by canonical link or normalised title, keeping the earliest copy; newest first.

    A title repeats only within `TITLE_REPEAT_WINDOW` of the kept copy: recurring headlines
    ("Here's what happened in crypto today") are new stories on another day. `sites` (feed name →
    `site_name` of its URL) lets an outlet's own copy of its article win over any other feed's: a
    feed reusing a real outlet's link under its own title cannot take that outlet's credit by being
    fetched first (aggregators keep the links they carry alone).
    """
    items = list(items)
    if sites:
        owned = {i.link for i in items if sites.get(i.source) == site_name(i.link)}
        items = [i for i in items if i.link not in owned or sites.get(i.source) == site_name(i.link)]
    kept: list[NewsItem] = []
    seen_links: set[str] = set()
    seen_titles: dict[str, datetime] = {}
    for item in sorted(items, key=lambda i: (i.ts, i.source, i.id)):
        title_key = normalised_title(item.title)
        first = seen_titles.get(title_key)
        if item.link in seen_links or (first is not None and item.ts - first <= TITLE_REPEAT_WINDOW):
            continue
        seen_links.add(item.link)
        seen_titles[title_key] = item.ts
        kept.append(item)
    kept.sort(key=lambda i: (i.ts, i.id), reverse=True)
    return kept


def count_observations(items: Iterable[NewsItem], first_day: date, last_day: date) -> list[Observation]:
    """`news_count` per theme (and `all`) for every UTC day in [first_day, last_day], zeros included."""
    items = list(items)
    observations = []
    day = first_day
    while day <= last_day:
        todays = [i for i in items if utc_day(i.ts) == day]
        observations.append(Observation(METRIC, ALL, day_start(day), float(len(todays)), NAME))
        for theme in THEMES:
            observations.append(
                Observation(METRIC, theme, day_start(day), float(sum(theme in i.themes for i in todays)), NAME)
            )
        day += timedelta(days=1)
    return check_observations(observations)


def feeds() -> tuple[Feed, ...]:
    """The configured feeds (`[news] feeds`), else `DEFAULT_FEEDS`; entries without an http(s) URL are ignored."""
    raw = settings.section("news").get("feeds")
    if not raw:
        return DEFAULT_FEEDS
    out = []
    for entry in raw:
        url, name = (entry.get("url", ""), entry.get("name", "")) if isinstance(entry, Mapping) else (str(entry), "")
        if canonical_link(str(url)):
            out.append(Feed(str(name) or urlsplit(str(url)).netloc, str(url)))
    return tuple(out) or DEFAULT_FEEDS


def coverage_start(feed_items: dict[str, list[NewsItem]], stored: Iterable[NewsItem]) -> date | None:
    """The first day every feed covers fully: the day after each feed's oldest known item (fetched or
    stored), the latest of those over the feeds; None when no feed has an item.

    A feed is a rolling window of its newest items, so the day of its oldest item is only partly seen.
    """
    oldest: dict[str, date] = {}
    for item in stored:
        if item.source in feed_items:
            oldest[item.source] = min(oldest.get(item.source, utc_day(item.ts)), utc_day(item.ts))
    for source, items in feed_items.items():
        for item in items:
            oldest[source] = min(oldest.get(source, utc_day(item.ts)), utc_day(item.ts))
    return max(oldest.values()) + timedelta(days=1) if oldest else None


def gaps(feed_items: dict[str, list[NewsItem]], stored: Iterable[NewsItem]) -> dict[str, str]:
    """Feed → the span that may be missing, for each feed whose current window shares no item with
    the stored ones although it had stored items: the runs between did not overlap, so items
    published between its newest stored item and its oldest fetched one may never have been seen."""
    stored = list(stored)
    stored_ids = {i.id for i in stored}
    out: dict[str, str] = {}
    for source, items in feed_items.items():
        own = [i.ts for i in stored if i.source == source]
        if own and items and not stored_ids.intersection(i.id for i in items):
            newest, oldest = max(own), min(i.ts for i in items)
            if oldest > newest:
                out[source] = (
                    f"its window no longer reaches the stored items: items published between "
                    f"{newest:%Y-%m-%d %H:%M} and {oldest:%Y-%m-%d %H:%M} UTC may be missing from the counts"
                )
    return out


class News(Provider):
    """Feeds → `NewsItem`s for the report, and `news_count` per theme per *completed* day for the store.

    A day is counted only after it has ended, over the union of the items stored by earlier runs
    and the ones fetched now (`remember_news` hands over the store's reader): a busy outlet's feed
    holds less than a day, so one fetch cannot count a day, but the runs of a day together can.
    """

    name = NAME
    metrics = (METRIC,)
    yields_news = True
    capabilities = Capabilities(
        hosts={urlsplit(f.url).netloc: FEED_RPS for f in DEFAULT_FEEDS},
        history="the feed's window (typically the last 20–50 items); counts build up run by run",
        docs="https://feedparser.readthedocs.io/en/latest/",
    )

    def __init__(self) -> None:
        super().__init__()
        self._read: NewsReader = lambda first, last: []
        self._last: tuple[tuple[int, date | None], list[NewsItem], list[Observation]] | None = None

    def remember_news(self, read: NewsReader) -> None:
        self._read = read

    async def _feed(self, http: Session, feed: Feed) -> list[NewsItem]:
        """One feed's items; a feed with no usable item is a failure of that feed (an outlet's feed
        always holds its latest stories, so an empty one means a broken or changed feed)."""
        text = await http.get_text(feed.url, headers={"Accept": ACCEPT})
        items = parse_feed(text, feed.name)
        if not items:
            raise MalformedError(f"{feed.name}'s feed has no usable item")
        return items

    async def _collect(self, http: Session, window: Window) -> tuple[list[NewsItem], list[Observation]]:
        """The fetched items (deduplicated, from the cursor on) and the counts of the completed days
        not yet counted: from the cursor (or the first fully covered day) through yesterday."""
        key = (id(http.client), window.since)
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        chosen = feeds()
        for feed in chosen:
            http.limit_host(httpx.URL(feed.url).host, FEED_RPS)
        answered = await self.gather_parts({f.name: self._feed(http, f) for f in chosen})
        stored = self._read((window.since or window.today) - timedelta(days=LOOKBACK_DAYS), window.today)
        for feed, why in gaps(answered, stored).items():
            self.part_failed(feed, why)
        fetched = deduplicate(flat(answered), {feed.name: site_name(feed.url) for feed in chosen})
        union = {i.id: i for i in [*stored, *fetched]}.values()
        covered = coverage_start(answered, stored)
        yesterday = window.today - timedelta(days=1)
        last_day = min(yesterday, max(utc_day(i.ts) for i in union))
        first_day = covered if window.since is None or covered is None else max(window.since, covered)
        counts = count_observations(union, first_day, last_day) if first_day and first_day <= last_day else []
        items = [i for i in fetched if window.since is None or utc_day(i.ts) >= window.since]
        self._last = (key, items, counts)
        return items, counts

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        return (await self._collect(http, window))[1]

    async def observe_news(self, http: Session, window: Window) -> list[NewsItem]:
        return (await self._collect(http, window))[0]
