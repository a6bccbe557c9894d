from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.models import NewsItem
from signaldesk.providers.news import (
    DEFAULT_FEEDS,
    THEMES,
    News,
    canonical_link,
    count_observations,
    deduplicate,
    feeds,
    html_to_text,
    item_id,
    parse_feed,
    site_name,
    themes_of,
)
from tests.conftest import shared_file

NOW = datetime(2026, 2, 25, 23, 0, tzinfo=UTC)


@pytest.fixture
def rss(fixtures):
    return (fixtures / "news" / "rss__mixed.xml").read_text()


@pytest.fixture
def atom(fixtures):
    return (fixtures / "news" / "atom__verge_like.xml").read_text()


@pytest.fixture
def config(write_config):
    return write_config


def test_parse_rss_items_newest_first_with_clean_links_and_utc_times(rss):
    items = parse_feed(rss, "Wire", now=NOW)
    assert [i.link for i in items] == [
        "https://wire.example/news/injection?id=7",  # utm_* and the #fragment dropped, other parameters kept
        "https://wire.example/news/amd-meta-6gw",  # CDATA link, utm_* stripped
        "https://wire.example/news/etf-outflows",  # trailing slash trimmed
    ]
    amd = items[1]
    assert amd.ts == datetime(2026, 2, 24, 18, 5, tzinfo=UTC)  # 13:05 -0500
    assert amd.title == "AMD and Meta sign 6-gigawatt AI chip supply agreement"
    assert amd.summary == "The multi-year deal is worth tens of billions & more."
    assert amd.themes == ("chips_compute",)
    assert items[2].themes == ("etf_flows",) and items[2].ts == datetime(2026, 2, 23, 22, 0, tzinfo=UTC)
    assert {i.source for i in items} == {"Wire"}
    # dropped: a javascript: link, an undated item, an item dated three days ahead


def test_parse_atom_html_title_becomes_text(atom):
    items = parse_feed(atom, "Verge", now=NOW)
    assert [(i.ts, i.title) for i in items] == [
        (
            datetime(2026, 2, 25, 16, 0, tzinfo=UTC),
            "Anthropic launches Claude Opus 4.6 with an enterprise agent platform",
        ),
        (datetime(2026, 2, 24, 9, 0, tzinfo=UTC), "Bitcoin miners turn to AI hosting as hashprice slumps"),
    ]
    assert items[0].summary == "Agents for finance & engineering."
    assert items[0].themes == ("ai_launch",) and items[1].themes == ("miners_ai",)


def test_injection_is_stored_as_text_and_tags_are_stripped_from_summaries(rss, store):
    item = next(i for i in parse_feed(rss, "Wire", now=NOW) if "injection" in i.link)
    # the title is the literal text the feed sent (entities decoded once), never markup
    assert item.title == (
        "<script>alert(1)</script> **BUY NOW** [free BTC](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    # script/style bodies and every tag gone from the summary; an escaped "<b>" stays as text
    assert item.summary == "Hello world click <b>"
    assert "document.cookie" not in item.summary and "onerror" not in item.summary
    # stored as text: the store gives back exactly the same string
    store.write_run(
        "r1",
        mode="test",
        as_of=date(2026, 2, 25),
        outcomes=[],
        observations=[],
        started_at=NOW,
        status="ok",
        news=[item],
    )
    assert store.connection.execute("SELECT title, summary FROM news").fetchall() == [(item.title, item.summary)]
    # rendered by the report's escaping, nothing is live
    from signaldesk.report.render import md_escape, safe_url

    rendered = str(md_escape(item.title))
    assert "<" not in rendered and ">" not in rendered
    assert "\\*\\*BUY NOW\\*\\*" in rendered and "\\[free BTC\\]" in rendered
    assert safe_url("javascript:alert(2)") == "" and safe_url(item.link) == item.link


def test_html_to_text_drops_scripts_styles_and_decodes_entities():
    assert html_to_text("<p>A&nbsp;<b>B</b></p><script>x()</script><style>p{}</style><br>C &lt;D&gt;") == "A B C <D>"


def test_canonical_link_and_stable_id():
    a = "HTTPS://Wire.Example/news/x/?utm_source=rss&utm_medium=feed&page=2#comments"
    b = "https://wire.example/news/x?page=2&fbclid=abc"
    assert canonical_link(a) == canonical_link(b) == "https://wire.example/news/x?page=2"
    assert item_id(a) == item_id(b) and len(item_id(a)) == 16
    assert item_id("https://wire.example/news/y") != item_id(a)
    assert canonical_link("javascript:alert(1)") == canonical_link("/relative") == ""


def _item(ts: str, source: str, title: str, link: str, themes=()) -> NewsItem:
    return NewsItem(item_id(link), datetime.fromisoformat(ts).replace(tzinfo=UTC), source, title, link, themes)


def test_deduplicate_by_link_and_by_normalised_title_keeping_the_earliest():
    items = [
        _item("2026-02-24T16:00", "Blog", "NVIDIA, Meta expand partnership", "https://n.example/meta"),
        _item("2026-02-24T15:30", "Newsroom", "NVIDIA and Meta announce partnership", "https://n.example/meta"),
        _item("2026-02-25T17:30", "Verge", "anthropic launches Claude Opus 4.6!", "https://v.example/opus"),
        _item("2026-02-25T16:00", "Decrypt", "Anthropic Launches Claude Opus 4.6", "https://d.example/opus"),
        _item("2026-02-25T12:00", "Decrypt", "OpenAI releases Codex", "https://d.example/codex"),
        _item("2026-02-21T18:00", "CT", "Here's what happened in crypto today", "https://c.example/today-21"),
        _item("2026-02-25T18:00", "CT", "Here's what happened in crypto today", "https://c.example/today-25"),
        _item("2026-02-22T18:00", "CT", "Heres what happened in crypto today", "https://c.example/today-21b"),
    ]
    kept = deduplicate(items)
    assert [(i.source, i.link) for i in kept] == [
        ("CT", "https://c.example/today-25"),  # a recurring headline four days later is a new story
        ("Decrypt", "https://d.example/opus"),
        ("Decrypt", "https://d.example/codex"),
        ("Newsroom", "https://n.example/meta"),
        ("CT", "https://c.example/today-21"),
    ]


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("Anthropic launches Claude Opus 4.6 with enterprise agent platform", ("ai_launch",)),
        ("OpenAI releases Codex agentic coding tool", ("ai_launch",)),
        ("Anthropic raises $30B at a $380B valuation", ()),
        ("AMD and Meta sign 6-gigawatt AI chip supply agreement", ("chips_compute",)),
        ("NVIDIA and Meta announce multiyear partnership for millions of GPUs", ("chips_compute",)),
        ("Bitcoin ETFs bleed for a sixth week as IBIT sheds $116M", ("etf_flows",)),
        ("SEC delays decision on staked ether ETF options", ("regulation",)),
        ("Senate passes stablecoin bill", ("regulation",)),
        ("IREN shares climb as bitcoin miners pivot to AI data centers", ("miners_ai",)),
        ("IREN signs $9.7B GPU cloud contract as miners pivot to AI", ("chips_compute", "miners_ai")),
        ("Core Scientific expands CoreWeave colocation contract", ("miners_ai",)),
        ("Bitcoin miners capitulate as hashprice slumps", ()),
        ("Bitcoin slides below $63,000", ()),
        ("Data mining firm releases report", ()),
    ],
)
def test_theme_rules(text, themes):
    assert themes_of(text) == themes


def test_every_theme_is_documented_in_the_module():
    import signaldesk.providers.news as module

    assert all(f"`{theme}`" in module.__doc__ for theme in THEMES)


def test_counts_per_theme_per_day_with_zeros():
    items = [
        _item("2026-02-24T10:00", "W", "x", "https://w.example/1", ("chips_compute",)),
        _item("2026-02-24T11:00", "W", "y", "https://w.example/2", ("chips_compute", "miners_ai")),
        _item("2026-02-25T09:00", "W", "z", "https://w.example/3", ("ai_launch",)),
    ]
    obs = count_observations(items, date(2026, 2, 23), date(2026, 2, 25))
    table = {(o.entity, o.ts.date().isoformat()): o.value for o in obs}
    assert len(obs) == 3 * (len(THEMES) + 1)
    assert table[("all", "2026-02-23")] == 0 and table[("all", "2026-02-24")] == 2 and table[("all", "2026-02-25")] == 1
    assert table[("chips_compute", "2026-02-24")] == 2 and table[("miners_ai", "2026-02-24")] == 1
    assert table[("ai_launch", "2026-02-25")] == 1 and table[("regulation", "2026-02-25")] == 0
    assert {o.metric for o in obs} == {"news_count"}


def test_a_feed_cut_short_is_malformed(rss):
    with pytest.raises(MalformedError, match=r"not well-formed XML, e\.g\. cut short") as caught:
        parse_feed(rss[: len(rss) // 2], "Wire", now=NOW)
    assert "line" in str(caught.value)  # where the parser stopped


def test_a_comment_after_the_closing_tag_is_a_valid_feed(rss):
    """WordPress caches append `<!-- generated in 0.2 s -->` after `</rss>`: legal XML, every item kept."""
    assert parse_feed(rss + "\n<!-- Dynamic page generated in 0.212 seconds. -->\n", "Wire", now=NOW) == parse_feed(
        rss, "Wire", now=NOW
    )


def test_an_html_entity_neither_breaks_a_feed_nor_hides_a_cut(rss):
    """`&nbsp;` is undefined in XML; it must not fail a whole outlet, nor mask a body cut short after it."""
    item = rss.index("<item>")
    with_entity = (
        rss[:item] + "<item><title>Chips&nbsp;deal</title><link>https://w.example/nbsp</link>"
        "<pubDate>Wed, 25 Feb 2026 06:00:00 GMT</pubDate></item>" + rss[item:]
    )
    titles = [i.title for i in parse_feed(with_entity, "Wire", now=NOW)]
    assert "Chips deal" in titles and len(titles) == len(parse_feed(rss, "Wire", now=NOW)) + 1
    with pytest.raises(MalformedError, match="cut short"):
        parse_feed(with_entity[: len(with_entity) - 40], "Wire", now=NOW)


def test_not_a_feed_is_malformed_and_an_empty_feed_is_empty(fixtures):
    challenge = (fixtures / "yahoo" / "challenge__cloudflare.html").read_text()
    with pytest.raises(MalformedError, match="HTML page"):
        parse_feed(challenge, "CoinDesk")
    with pytest.raises(MalformedError):
        parse_feed('{"error": "rate limited"}', "CoinDesk")
    assert parse_feed((fixtures / "news" / "rss__empty.xml").read_text(), "Quiet") == []


def test_parse_real_cointelegraph_sample():
    text = shared_file("api-samples", "rss-feeds", "cointelegraph_rss.trimmed.RECONSTRUCTED.xml").read_text()
    items = parse_feed(text, "Cointelegraph", now=datetime(2026, 8, 29, tzinfo=UTC))
    assert [i.link for i in items] == [
        "https://cointelegraph.com/news/what-happened-in-crypto-today",
        "https://cointelegraph.com/news/solana-validators-approve-proposal-to-accelerate-sol-disinflation",
    ]
    assert items[0].ts == datetime(2026, 8, 28, 20, 42, 54, tzinfo=UTC)
    assert items[0].summary.startswith("Need to know what happened in crypto today?")


def test_feeds_from_config(config):
    assert feeds() == DEFAULT_FEEDS
    config(
        '[news]\nfeeds = ["https://a.example/rss", {name = "B", url = "https://b.example/feed"}, "ftp://c.example/x"]\n'
    )
    assert [(f.name, f.url) for f in feeds()] == [
        ("a.example", "https://a.example/rss"),
        ("B", "https://b.example/feed"),
    ]


async def test_fetch_counts_fully_covered_days_and_returns_deduplicated_items(rss, atom, config):
    config(
        '[news]\nfeeds = [{name = "Wire", url = "https://wire.example/rss"}, '
        '{name = "Verge", url = "https://verge.example/atom"}, {name = "Down", url = "https://down.example/rss"}]\n'
    )
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host == "down.example":
            return httpx.Response(403, text="Forbidden")
        return httpx.Response(200, text=rss if request.url.host == "wire.example" else atom)

    provider = News()
    with pinned_now(NOW + timedelta(hours=8)):  # the 25th has ended
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await provider.fetch(client, None)
            items = await provider.fetch_news(client, None)
    assert sorted(seen) == ["down.example", "verge.example", "wire.example"]  # fetch_news reused the fetch
    assert set(provider.failures) == {"Down"}
    assert len(items) == 5 and items[0].source == "Verge"
    # Wire's oldest item is on the 23rd, Verge's on the 24th: only the 25th is fully covered by both
    assert {o.ts.date() for o in obs} == {date(2026, 2, 25)}
    counts = {o.entity: o.value for o in obs}
    assert counts["all"] == 2 and counts["ai_launch"] == 1


async def test_fetch_since_counts_from_the_cursor(rss, config):
    config('[news]\nfeeds = ["https://wire.example/rss"]\n')

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=rss)

    provider = News()
    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await provider.fetch(client, date(2026, 2, 24))
            items = await provider.fetch_news(client, date(2026, 2, 24))
    assert sorted({o.ts.date() for o in obs}) == [date(2026, 2, 24)]  # the 25th is today: counted once it has ended
    assert [i.ts.date() for i in items] == [date(2026, 2, 25), date(2026, 2, 24)]


async def test_raises_when_no_feed_answered(config):
    config('[news]\nfeeds = ["https://a.example/rss", "https://b.example/rss"]\n')

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<html>Attention Required! | Cloudflare</html>")

    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(UnavailableError):
                await News().fetch(client, None)


async def test_an_empty_feed_fails_alone_and_counts_stop_at_the_newest_item(rss, fixtures, config):
    config('[news]\nfeeds = ["https://wire.example/rss", "https://quiet.example/rss"]\n')
    empty = (fixtures / "news" / "rss__empty.xml").read_text()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=rss if request.url.host == "wire.example" else empty)

    provider = News()
    with pinned_now(datetime(2026, 3, 3, 12, 0, tzinfo=UTC)):  # a week after the feed's newest item
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await provider.fetch(client, None)
    assert set(provider.failures) == {"quiet.example"} and "no usable item" in provider.failures["quiet.example"]
    # counted from the first fully covered day (24th) to the newest item's day (28th, no longer in the
    # future on 3 March), not up to 3 March: no zeros are claimed for days no feed reached
    assert sorted({o.ts.date() for o in obs}) == [date(2026, 2, d) for d in range(24, 29)]


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.cointelegraph.com/rss", "cointelegraph"),
        ("https://nvidianews.nvidia.com/rss.xml", "nvidia"),
        ("https://blogs.nvidia.com/feed/", "nvidia"),
        ("https://farside.co.uk/x", "farside"),
        ("https://decrypt.co/feed", "decrypt"),
        ("https://localhost/feed", "localhost"),
        ("not a url", ""),
    ],
)
def test_site_name(url, site):
    assert site_name(url) == site


def test_a_feed_cannot_take_another_outlets_article_under_its_own_title():
    """A configured feed reuses Cointelegraph's link with its own title and is read first: the
    outlet's own copy still wins the link (with its title and credit); a link only the other feed
    carries (an aggregator's) is kept."""
    hostile = """<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title>
<item><title>Cointelegraph: BTC to $1M, says insider</title><link>https://cointelegraph.com/news/real-story</link>
<pubDate>Wed, 25 Feb 2026 08:00:00 GMT</pubDate></item>
<item><title>Elsewhere: a story only we carry</title><link>https://www.decrypt.co/post/9</link>
<pubDate>Wed, 25 Feb 2026 07:00:00 GMT</pubDate></item></channel></rss>"""
    real = """<?xml version="1.0"?><rss version="2.0"><channel><title>Cointelegraph</title>
<item><title>ETF flows turn</title><link>https://cointelegraph.com/news/real-story</link>
<pubDate>Wed, 25 Feb 2026 09:00:00 GMT</pubDate></item></channel></rss>"""
    items = [*parse_feed(hostile, "Evil", now=NOW), *parse_feed(real, "Cointelegraph", now=NOW)]
    sites = {
        "Evil": site_name("https://evil-desk.example/rss"),
        "Cointelegraph": site_name("https://cointelegraph.com/rss"),
    }
    kept = {i.link: (i.source, i.title) for i in deduplicate(items, sites)}
    assert kept["https://cointelegraph.com/news/real-story"] == ("Cointelegraph", "ETF flows turn")
    assert kept["https://www.decrypt.co/post/9"] == ("Evil", "Elsewhere: a story only we carry")
    # without knowing the feeds' sites the earliest copy would have won: the theft this prevents
    assert {i.link: i.source for i in deduplicate(items)}["https://cointelegraph.com/news/real-story"] == "Evil"
