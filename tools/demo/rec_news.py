"""Demo recordings for the news feeds: one body per default feed, in each outlet's real shape.

Seven RSS 2.0 feeds (Arc-style CoinDesk with `media:content`; Cointelegraph with CDATA links that
carry `utm_*` parameters; WordPress-style Decrypt and NVIDIA Blog with `content:encoded`; plain
RSS for The Block, OpenAI and NVIDIA Newsroom) and one Atom 1.0 feed (The Verge). Items date from
2026-02-19 to 2026-02-25 and carry seed 000/002/003's stories: the AMD–Meta 6 GW and NVIDIA–Meta
supply deals, Claude Opus 4.6's enterprise agent platform, OpenAI's Codex, Claude Cowork, miners
signing AI-hosting deals, six weeks of ETF outflows. Two duplicates are planted the way they
occur: the NVIDIA blog links the newsroom's release (other `utm_*`), and The Verge repeats
Decrypt's headline. Links use the reserved `.example` domains: the stories are demo data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from signaldesk.providers.news import DEFAULT_FEEDS
from signaldesk.recordings import write_recording
from tools.demo.build import demo_request
from tools.demo.scenario import Scenario

EST = timezone(timedelta(hours=-5))

#: feed name → items (UTC time, title, link, summary HTML, author, category)
ITEMS: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "CoinDesk": [
        (
            "2026-02-25T21:10",
            "Bitcoin Slides Below $63,000 as Fear & Greed Index Hits Record Low of 8",
            "https://www.coindesk.example/markets/2026/02/25/bitcoin-slides-below-63000-as-fear-greed-index-hits-record-low",
            "<p>BTC is down about 50% from its October record as sentiment gauges sink to their lowest readings.</p>",
            "Omkar Godbole",
            "Markets",
        ),
        (
            "2026-02-24T22:30",
            "Bitcoin ETFs Bleed for a Sixth Straight Week as IBIT Leads $203.8M Daily Outflow",
            "https://www.coindesk.example/markets/2026/02/24/bitcoin-etfs-bleed-for-a-sixth-straight-week",
            "<p>U.S. spot bitcoin ETFs lost $203.8 million on Monday, led by BlackRock's IBIT at $116.4 million.</p>",
            "Helene Braun",
            "Markets",
        ),
        (
            "2026-02-24T15:00",
            "Bitcoin Miner Cipher Mining Signs 10-Year AI Hosting Lease With Hyperscaler",
            "https://www.coindesk.example/business/2026/02/24/cipher-mining-signs-10-year-ai-hosting-lease",
            "<p>The deal converts a Texas site to high-performance computing as hashprice sits near record lows.</p>",
            "Aoyon Ashraf",
            "Business",
        ),
        (
            "2026-02-23T13:00",
            "Crypto Funding Rates Flip Negative as Open Interest Shrinks",
            "https://www.coindesk.example/markets/2026/02/23/crypto-funding-rates-flip-negative",
            "<p>Perpetual futures traders now pay to stay short, a sign bears are in control of leverage.</p>",
            "Omkar Godbole",
            "Markets",
        ),
        (
            "2026-02-22T10:00",
            "SEC Delays Decision on Staked Ether ETF Options",
            "https://www.coindesk.example/policy/2026/02/22/sec-delays-decision-on-staked-ether-etf-options",
            "<p>The agency extended its review window by 45 days.</p>",
            "Jesse Hamilton",
            "Policy",
        ),
        (
            "2026-02-19T12:00",
            "Ether Slips Toward $1,900 as DeFi TVL Shrinks",
            "https://www.coindesk.example/markets/2026/02/19/ether-slips-toward-1900-as-defi-tvl-shrinks",
            "<p>Ethereum's total value locked fell below $56 billion.</p>",
            "Krisztian Sandor",
            "Markets",
        ),
    ],
    "Cointelegraph": [
        (
            "2026-02-25T18:42",
            "Here's what happened in crypto today",
            "https://cointelegraph.example/news/what-happened-in-crypto-today",
            '<p style="float:right;"><img src="https://images.cointelegraph.example/x.jpg"></p><p>Need to know what '
            "happened in crypto today? Here is the latest news on daily trends and events.</p>",
            "Cointelegraph by Zoltan Vardai",
            "Latest News",
        ),
        (
            "2026-02-25T14:05",
            "Whale ratio hits 10-year high as large holders send BTC to exchanges",
            "https://cointelegraph.example/news/whale-ratio-hits-10-year-high",
            "<p>Large deposits dominate exchange inflows, a pattern seen near past local bottoms and tops alike.</p>",
            "Cointelegraph by Ciaran Lyons",
            "Latest News",
        ),
        (
            "2026-02-24T17:20",
            "IREN, TeraWulf shares climb as bitcoin miners pivot to AI data centers",
            "https://cointelegraph.example/news/iren-terawulf-shares-climb-bitcoin-miners-pivot-ai-data-centers",
            "<p>AI hosting revenue per megawatt now exceeds what the same power earns mining bitcoin.</p>",
            "Cointelegraph by Vince Quill",
            "Latest News",
        ),
        (
            "2026-02-24T09:15",
            "Senate committee advances crypto market structure bill",
            "https://cointelegraph.example/news/senate-committee-advances-crypto-market-structure-bill",
            "<p>The bill now heads to a floor vote.</p>",
            "Cointelegraph by Martin Young",
            "Latest News",
        ),
        (
            "2026-02-23T19:00",
            "Bitcoin ETFs extend outflow streak to six weeks",
            "https://cointelegraph.example/news/bitcoin-etfs-extend-outflow-streak-six-weeks",
            "<p>Assets under management fell to $84.3 billion from a peak near $170 billion.</p>",
            "Cointelegraph by Helen Partz",
            "Latest News",
        ),
        (
            "2026-02-19T08:00",
            "Solana DEX volume tops $2.7B, outpacing Ethereum",
            "https://cointelegraph.example/news/solana-dex-volume-tops-2-7b",
            "<p>Memecoin trading keeps Solana's decentralized exchanges busy.</p>",
            "Cointelegraph by Amin Haqshanas",
            "Latest News",
        ),
    ],
    "The Block": [
        (
            "2026-02-25T20:00",
            "AMD and Meta sign 6-gigawatt AI chip supply agreement",
            "https://www.theblock.example/post/390101/amd-meta-6-gigawatt-ai-chip-supply-agreement",
            "<p>The multi-year deal follows AMD's agreement with OpenAI and is worth tens of billions of dollars.</p>",
            "Danny Park",
            "AI",
        ),
        (
            "2026-02-24T13:30",
            "Bitcoin spot ETFs see $203.8 million in net outflows on Monday",
            "https://www.theblock.example/post/390002/bitcoin-spot-etfs-net-outflows-monday",
            "<p>IBIT, BITB and FBTC led the redemptions.</p>",
            "Timmy Shen",
            "Markets",
        ),
        (
            "2026-02-23T11:00",
            "Core Scientific expands CoreWeave colocation contract by 200 MW",
            "https://www.theblock.example/post/389950/core-scientific-expands-coreweave-colocation-contract",
            "<p>The miner now leases most of its capacity to AI workloads.</p>",
            "Danny Park",
            "Mining",
        ),
        (
            "2026-02-20T15:00",
            "BTC dominance climbs to 58% as altcoins lag",
            "https://www.theblock.example/post/389800/btc-dominance-climbs-to-58",
            "<p>Altcoin season looks distant.</p>",
            "Timmy Shen",
            "Markets",
        ),
        (
            "2026-02-19T10:00",
            "CFTC opens comment period on perpetual futures for US traders",
            "https://www.theblock.example/post/389700/cftc-comment-period-perpetual-futures",
            "<p>The regulator asks how perpetual swaps could be listed onshore.</p>",
            "Sarah Wynn",
            "Policy",
        ),
    ],
    "Decrypt": [
        (
            "2026-02-25T16:00",
            "Anthropic Launches Claude Opus 4.6 With Enterprise Agent Platform",
            "https://decrypt.example/350101/anthropic-launches-claude-opus-4-6-enterprise-agent-platform",
            "<p>The agent platform targets finance, engineering and design teams with custom workflows.</p>",
            "Jose Antonio Lanz",
            "AI",
        ),
        (
            "2026-02-25T12:00",
            "OpenAI Releases Codex Agentic Coding Tool for Developers",
            "https://decrypt.example/350077/openai-releases-codex-agentic-coding-tool",
            "<p>Codex writes, tests and ships code from a task description.</p>",
            "Jason Nelson",
            "AI",
        ),
        (
            "2026-02-22T09:00",
            "Bitcoin Fear and Greed Index Plunges to Extreme Fear",
            "https://decrypt.example/349900/bitcoin-fear-and-greed-index-extreme-fear",
            "<p>Readings this low have preceded rebounds before, but not always soon.</p>",
            "Mathew Di Salvo",
            "Markets",
        ),
        (
            "2026-02-19T14:00",
            "Ethereum Gas Fees Sink to Multi-Year Lows as On-Chain Activity Cools",
            "https://decrypt.example/349700/ethereum-gas-fees-sink-multi-year-lows",
            "<p>Base fees near one gwei make transactions cheap and signal a quiet chain.</p>",
            "Mathew Di Salvo",
            "Technology",
        ),
    ],
    "OpenAI": [
        (
            "2026-02-23T18:00",
            "Introducing Codex: an agentic coding partner for every developer",
            "https://openai.example/index/introducing-codex-agentic-coding-partner",
            "<p>Codex is now available to developers in the API and in ChatGPT.</p>",
            "OpenAI",
            "Product",
        ),
        (
            "2026-02-20T17:00",
            "Scaling our compute partnership",
            "https://openai.example/index/scaling-our-compute-partnership",
            "<p>New data center capacity comes online through multi-year agreements.</p>",
            "OpenAI",
            "Company",
        ),
        (
            "2026-02-12T17:00",
            "OpenAI for Countries: an update",
            "https://openai.example/index/openai-for-countries-update",
            "<p>Progress on national AI infrastructure partnerships.</p>",
            "OpenAI",
            "Global Affairs",
        ),
    ],
    "NVIDIA Blog": [
        (
            "2026-02-24T16:00",
            "NVIDIA, Meta Expand Partnership to Build AI Infrastructure at Gigawatt Scale",
            "https://nvidianews.nvidia.example/news/nvidia-meta-multiyear-partnership?utm_source=blog&utm_medium=feed",
            "<p>Meta will deploy millions of NVIDIA GPUs across its data centers.</p>",
            "Rick Merritt",
            "Data Center",
        ),
        (
            "2026-02-21T16:00",
            "GeForce RTX 50 Series Update: Supply Focus Shifts to AI Data Centers",
            "https://blogs.nvidia.example/blog/geforce-rtx-50-series-update",
            "<p>No new consumer GPUs are planned for 2026.</p>",
            "GeForce Team",
            "Gaming",
        ),
        (
            "2026-02-19T15:00",
            "How AI Agents Are Transforming Financial Services",
            "https://blogs.nvidia.example/blog/ai-agents-financial-services",
            "<p>Banks put agentic AI to work on research and compliance.</p>",
            "Kevin Levitt",
            "Financial Services",
        ),
    ],
    "NVIDIA Newsroom": [
        (
            "2026-02-24T15:30",
            "NVIDIA and Meta Announce Multiyear Partnership for Millions of NVIDIA GPUs",
            "https://nvidianews.nvidia.example/news/nvidia-meta-multiyear-partnership?utm_source=rss",
            "<p>The supply agreement spans Blackwell and Rubin generation systems.</p>",
            "NVIDIA Newsroom",
            "Press Release",
        ),
        (
            "2026-02-19T13:00",
            "NVIDIA to Present at Upcoming Investor Conferences",
            "https://nvidianews.nvidia.example/news/nvidia-to-present-at-upcoming-investor-conferences",
            "<p>Executives will speak at three conferences in March.</p>",
            "NVIDIA Newsroom",
            "Corporate",
        ),
    ],
    "The Verge AI": [
        (
            "2026-02-25T19:00",
            "Anthropic upgrades Claude Cowork for everyday office work",
            "https://www.theverge.example/ai-artificial-intelligence/880102/anthropic-claude-cowork-upgrade",
            "<p>Cowork now reaches a wider group of office users.</p>",
            "Hayden Field",
            "AI",
        ),
        (
            "2026-02-25T17:30",
            "anthropic launches Claude Opus 4.6 with enterprise agent platform",
            "https://www.theverge.example/ai-artificial-intelligence/880055/anthropic-claude-opus-4-6",
            "<p>Anthropic's newest model comes with tools to build and run agents.</p>",
            "Hayden Field",
            "AI",
        ),
        (
            "2026-02-23T14:00",
            "Meta's AI chip deals with AMD and NVIDIA, explained",
            "https://www.theverge.example/ai-artificial-intelligence/879900/meta-ai-chip-deals-amd-nvidia-explained",
            "<p>Why Meta is buying from both, and what it means for its capex.</p>",
            "Richard Lawler",
            "AI",
        ),
        (
            "2026-02-18T15:00",
            "EU regulators publish guidance for general-purpose AI models",
            "https://www.theverge.example/ai-artificial-intelligence/879500/eu-ai-guidance-general-purpose-models",
            "<p>Providers of large models get a compliance checklist.</p>",
            "Emma Roth",
            "Policy",
        ),
    ],
}

CHANNELS = {
    "CoinDesk": ("CoinDesk: Bitcoin, Ethereum, Crypto News and Price Data", "https://www.coindesk.example"),
    "Cointelegraph": ("Cointelegraph.com News", "https://cointelegraph.example"),
    "The Block": ("The Block", "https://www.theblock.example"),
    "Decrypt": ("Decrypt", "https://decrypt.example"),
    "OpenAI": ("OpenAI News", "https://openai.example/news"),
    "NVIDIA Blog": ("NVIDIA Blog", "https://blogs.nvidia.example"),
    "NVIDIA Newsroom": ("NVIDIA Newsroom", "https://nvidianews.nvidia.example"),
    "The Verge AI": ("AI | The Verge", "https://www.theverge.example/ai-artificial-intelligence"),
}
#: WordPress feeds send named-zone dates in US Eastern time; the others send +0000 or GMT.
EASTERN = frozenset({"Decrypt", "NVIDIA Blog"})


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _pub_date(feed: str, when: datetime) -> str:
    if feed in EASTERN:
        return format_datetime(when.astimezone(EST))
    return format_datetime(when, usegmt=feed in ("The Block", "OpenAI"))


def rss(feed: str) -> str:
    """An RSS 2.0 body in the outlet's style."""
    title, home = CHANNELS[feed]
    items = ITEMS[feed]
    built = format_datetime(max(_when(i[0]) for i in items) + timedelta(minutes=5))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:media="http://search.yahoo.com/mrss/">',
        "<channel>",
        f"    <title><![CDATA[{title}]]></title>",
        f"    <link>{home}</link>",
        f"    <description>{escape(title)}</description>",
        "    <language>en</language>",
        f"    <lastBuildDate>{built}</lastBuildDate>",
    ]
    for n, (when, item_title, link, summary, author, category) in enumerate(items):
        out.append("    <item>")
        out.append(f"      <title><![CDATA[{item_title}]]></title>")
        if feed == "Cointelegraph":
            tracked = f"{link}?utm_source=rss_feed&utm_medium=rss&utm_campaign=rss_partner_inbound"
            out.append(f'      <guid isPermaLink="true">{link}</guid>')
            out.append(f"      <link><![CDATA[{tracked}]]></link>")
        else:
            out.append(f"      <link>{escape(link)}</link>")
            out.append(f'      <guid isPermaLink="false">{feed.lower().replace(" ", "-")}-{20260200 + n}</guid>')
        out.append(f"      <dc:creator><![CDATA[{author}]]></dc:creator>")
        out.append(f"      <pubDate>{_pub_date(feed, _when(when))}</pubDate>")
        out.append(f"      <category><![CDATA[{category}]]></category>")
        out.append(f"      <description><![CDATA[{summary}]]></description>")
        if feed in EASTERN:
            out.append(
                f"      <content:encoded><![CDATA[{summary}<p>Read more on {escape(title)}.</p>]]></content:encoded>"
            )
        if feed == "CoinDesk":
            out.append(
                f'      <media:content url="https://cdn.coindesk.example/{n}.jpg" type="image/jpeg" '
                'height="630" width="1200"/>'
            )
        out.append("    </item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def atom(feed: str) -> str:
    """An Atom 1.0 body (The Verge's shape: `type="html"` content, author names, ISO dates with offset)."""
    title, home = CHANNELS[feed]
    items = ITEMS[feed]
    updated = max(_when(i[0]) for i in items).astimezone(EST).isoformat()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">',
        f'  <title type="text">{escape(title)}</title>',
        f'  <link rel="alternate" type="text/html" href="{home}"/>',
        f"  <id>{home}</id>",
        f"  <updated>{updated}</updated>",
    ]
    for when, item_title, link, summary, author, category in items:
        stamp = _when(when).astimezone(EST).isoformat()
        out += [
            "  <entry>",
            f'    <title type="html">{escape(item_title)}</title>',
            f'    <link rel="alternate" type="text/html" href="{escape(link)}"/>',
            f"    <id>{escape(link)}</id>",
            f"    <published>{stamp}</published>",
            f"    <updated>{stamp}</updated>",
            f"    <author><name>{escape(author)}</name></author>",
            f'    <category term="{escape(category)}"/>',
            f'    <summary type="html">{escape(summary)}</summary>',
            "  </entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def record(directory: Path, scenario: Scenario) -> None:
    del scenario  # the stories are fixed text
    for feed in DEFAULT_FEEDS:
        if feed.name == "The Verge AI":
            body, kind = atom(feed.name), "application/atom+xml"
        else:
            body, kind = rss(feed.name), "application/rss+xml"
        write_recording(directory, demo_request("GET", feed.url), body.encode(), content_type=kind)
