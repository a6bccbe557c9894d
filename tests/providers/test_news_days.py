"""News counted per completed day over several runs (loopback): a feed shorter than a day loses nothing.

The feed holds only its three newest items, fewer than an outlet publishes in a day. Each run fetches
it over a real socket and stores its items; a day is counted by the first run after it has ended,
over the items every run of that day stored plus the ones fetched then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import format_datetime

from werkzeug import Response

from signaldesk.clock import pinned_now
from signaldesk.pipeline import collect_into
from signaldesk.providers.news import News
from tests.providers.test_contract import loopback_client

FEED = "https://wire.example/rss"
WINDOW = 3
"""Items the feed holds: fewer than a day's."""
PUBLISHED = [datetime(2026, 3, 1, h, tzinfo=UTC) for h in (2, 6, 10, 14, 18, 22)] + [
    datetime(2026, 3, 2, h, tzinfo=UTC) for h in (3, 9, 15, 21)
]


def feed_at(now: datetime) -> str:
    """The feed as it reads at `now`: its three newest items published by then."""
    items = [t for t in PUBLISHED if t <= now][-WINDOW:]
    body = "".join(
        f"<item><title>Story of {t:%d %H}h</title><link>https://wire.example/s/{t:%d-%H}</link>"
        f"<pubDate>{format_datetime(t)}</pubDate></item>"
        for t in reversed(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{body}</channel></rss>'


def run_at(now: datetime, store, httpserver, number: int):
    httpserver.clear()
    httpserver.expect_request("/wire.example/rss").respond_with_handler(
        lambda request: Response(feed_at(now), content_type="application/rss+xml")
    )
    with pinned_now(now):
        result, _ = collect_into(
            store,
            lambda: loopback_client(httpserver),
            providers=[News()],
            as_of=now.date(),
            run_id=f"run-{number}",
            mode="collect",
        )
    return result


def counts(store) -> dict[date, float]:
    rows = store.connection.execute(
        "SELECT ts, value FROM observations WHERE metric = 'news_count' AND entity = 'all' ORDER BY ts"
    ).fetchall()
    return {ts.date(): value for ts, value in rows}


def test_runs_across_a_day_boundary_count_each_completed_day_once_and_fully(store, httpserver, write_config):
    write_config(f'[news]\nfeeds = [{{name = "Wire", url = "{FEED}"}}]\n')
    runs = [
        datetime(2026, 3, 1, 11),
        datetime(2026, 3, 1, 19),
        datetime(2026, 3, 2, 4),
        datetime(2026, 3, 2, 12),
        datetime(2026, 3, 2, 22),
        datetime(2026, 3, 3, 1),
    ]
    for number, moment in enumerate(runs):
        result = run_at(moment.replace(tzinfo=UTC), store, httpserver, number)
        assert [o.status for o in result.outcomes] == ["ok"], result.outcomes
        if moment.day < 3:
            # 1 March is only partly seen (the first fetch began at its 02:00 item), and 2 March is not over:
            # no run before 3 March writes a count, least of all the first run of 2 March (04:00)
            assert counts(store) == {}
    # By hand: 2 March's items were published at 03, 09, 15 and 21h; no single fetch held more than three of
    # them, and the 04:00 run saw only one.
    assert counts(store) == {date(2026, 3, 2): 4.0}


def test_a_window_that_no_longer_reaches_the_stored_items_is_a_failed_part(store, httpserver, write_config):
    write_config(f'[news]\nfeeds = [{{name = "Wire", url = "{FEED}"}}]\n')
    run_at(datetime(2026, 3, 1, 11, tzinfo=UTC), store, httpserver, 0)  # stores the 02, 06 and 10h items
    result = run_at(datetime(2026, 3, 2, 12, tzinfo=UTC), store, httpserver, 1)  # holds 22h, 03h, 09h: 14h, 18h unseen
    (outcome,) = result.outcomes
    assert outcome.status == "partial"
    assert (
        "Wire: its window no longer reaches the stored items: items published between 2026-03-01 10:00 and "
        "2026-03-01 22:00 UTC may be missing" in outcome.reason
    )
