"""The DuckDB store: migrations, idempotent and versioned writes, the as-of and known-at cuts, atomic
runs, and the bookkeeping of runs, outcomes, news, assessments and alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from signaldesk.clock import end_of_day, pinned_now
from signaldesk.errors import StoreError
from signaldesk.models import NewsItem, Observation, ProviderOutcome
from signaldesk.store import Store
from signaldesk.store.schema import MIGRATIONS

DAY = date(2026, 2, 25)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def obs(
    day: date, value: float, *, metric: str = "price_usd", entity: str = "btc", source: str = "s", hour: int = 0
) -> Observation:
    return Observation(metric, entity, at(day, hour), value, source)


def _values(store: Store, **kwargs: object) -> dict[date, float]:
    series = store.series("price_usd", "btc", **kwargs)  # type: ignore[arg-type]
    return {ts.date(): float(v) for ts, v in series.items()}


def _rows(store: Store, table: str) -> int:
    return int(store.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- migrations ---------------------------------------------------------------------------------------
def test_reopening_migrates_nothing_and_keeps_the_data(tmp_path: Path) -> None:
    """Every migration is applied once, recorded by name; opening the file again is a no-op."""
    path = tmp_path / "s.duckdb"
    with pinned_now(at(DAY, 8)), Store.open(path) as store:
        store.write_observations([obs(DAY, 1.0)], run_id="r")
        applied = store.connection.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall()
    assert [name for name, _ in applied] == sorted(name for name, _ in MIGRATIONS)
    with pinned_now(at(DAY, 20)), Store.open(path) as again:  # a re-applied migration would carry 20:00
        assert again.connection.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall() == applied
        assert _values(again) == {DAY: 1.0}


def test_a_failed_migration_leaves_no_half_made_schema(tmp_path: Path) -> None:
    """0001 creates `observations` then `runs`; if `runs` already exists, neither it nor the record stays."""
    path = tmp_path / "s.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE runs (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="migration 0001_observations_runs failed"):
        Store.open(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        recorded = con.execute("SELECT count(*) FROM _migrations").fetchone()[0]
    finally:
        con.close()
    assert "observations" not in tables and recorded == 0


def test_opening_a_missing_file_read_only_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open store"):
        Store.open(tmp_path / "absent.duckdb", read_only=True)


# -- idempotent, versioned writes ------------------------------------------------------------------------
def test_writing_the_same_values_again_adds_nothing(store: Store) -> None:
    batch = [obs(DAY - timedelta(days=i), 100.0 + i) for i in range(3)]
    first = store.write_observations(batch, run_id="r1", fetched_at=at(DAY, 1))
    second = store.write_observations(batch, run_id="r2", fetched_at=at(DAY, 2))
    assert (first.offered, first.inserted) == (3, 3)
    assert (second.offered, second.inserted) == (3, 0)
    assert store.count() == 3


def test_within_one_batch_the_last_value_offered_wins(store: Store) -> None:
    """Providers list oldest first, so a later duplicate in the same answer is the fresher value."""
    stats = store.write_observations([obs(DAY, 1.0), obs(DAY, 2.0)], run_id="r", fetched_at=at(DAY, 1))
    assert (stats.offered, stats.inserted) == (1, 1)
    assert _values(store) == {DAY: 2.0}


def test_a_revision_is_a_new_version_and_the_old_one_stays_readable(store: Store) -> None:
    """t1: 100. t2: revised to 105 (new row). t3: 105 again (nothing). t4: back to 100 (new row)."""
    t1, t2, t3, t4 = (at(DAY + timedelta(days=1), h) for h in (1, 2, 3, 4))
    inserted = [
        store.write_observations([obs(DAY, v)], run_id=f"r{i}", fetched_at=t).inserted
        for i, (v, t) in enumerate([(100.0, t1), (105.0, t2), (105.0, t3), (100.0, t4)])
    ]
    assert inserted == [1, 1, 0, 1]
    assert store.count() == 3
    assert _values(store) == {DAY: 100.0}
    assert _values(store, known_at=t1) == {DAY: 100.0}
    assert _values(store, known_at=t2 + timedelta(minutes=30)) == {DAY: 105.0}
    assert _values(store, known_at=t3) == {DAY: 105.0}
    assert _values(store, known_at=t1 - timedelta(seconds=1)) == {}


def test_entity_and_source_are_part_of_the_key(store: Store) -> None:
    """The same day and value under another entity or source is another observation, not a duplicate."""
    stats = store.write_observations(
        [obs(DAY, 1.0), obs(DAY, 1.0, entity="eth"), obs(DAY, 1.0, source="other")], run_id="r", fetched_at=at(DAY, 1)
    )
    assert stats.inserted == 3


def test_naive_timestamps_are_refused(store: Store) -> None:
    naive = Observation("price_usd", "btc", datetime(2026, 2, 25), 1.0, "s")
    with pytest.raises(StoreError, match="naive datetime"):
        store.write_observations([obs(DAY, 5.0), naive], run_id="r")
    assert store.count() == 0


# -- as-of and known-at cuts --------------------------------------------------------------------------------
def test_as_of_never_sees_a_value_dated_after_the_day(store: Store) -> None:
    """The cut is the last instant of the UTC day: 23:00 on D is in, 00:00 on D+1 is out."""
    store.write_observations(
        [obs(DAY - timedelta(days=1), 1.0), obs(DAY, 2.0, hour=23), obs(DAY + timedelta(days=1), 3.0)],
        run_id="r",
        fetched_at=at(DAY + timedelta(days=2)),
    )
    assert _values(store, as_of=DAY) == {DAY - timedelta(days=1): 1.0, DAY: 2.0}
    assert _values(store, as_of=DAY + timedelta(days=1))[DAY + timedelta(days=1)] == 3.0
    assert _values(store, as_of=DAY - timedelta(days=2)) == {}
    history = store.history(as_of=DAY)
    assert max(history[("price_usd", "btc")].index).date() == DAY


def test_known_at_the_end_of_day_d_hides_what_was_learnt_later(store: Store) -> None:
    """What a report of day D could have known: a value fetched on D, not a later revision or backfill."""
    d = DAY
    store.write_observations([obs(d, 10.0)], run_id="day", fetched_at=at(d, 22))
    store.write_observations(
        [obs(d, 11.0), obs(d - timedelta(days=1), 9.0)], run_id="later", fetched_at=at(d + timedelta(days=1), 6)
    )
    assert _values(store, as_of=d, known_at=end_of_day(d)) == {d: 10.0}
    assert _values(store, as_of=d) == {d - timedelta(days=1): 9.0, d: 11.0}


def test_daily_frame_takes_the_days_last_point_and_one_source_per_series(store: Store) -> None:
    """Two points on one day: the later one. Two sources: the one with more rows, for every day."""
    d1, d2, d3 = (DAY - timedelta(days=2 - i) for i in range(3))
    store.write_observations(
        [
            obs(d1, 1.0, source="big"),
            obs(d2, 2.0, source="big"),
            obs(d3, 3.0, source="big", hour=1),
            obs(d3, 3.5, source="big", hour=18),
            obs(d3, 99.0, source="small"),
            obs(d1, 7.0, metric="fear_greed", entity="", source="zz"),
            obs(d1, 8.0, metric="fear_greed", entity="", source="aa"),
        ],
        run_id="r",
        fetched_at=at(DAY, 23),
    )
    assert _values(store) == {d1: 1.0, d2: 2.0, d3: 3.5}
    assert store.history_and_sources()[1] == {
        ("price_usd", "btc"): "big",
        ("fear_greed", ""): "aa",
    }  # a tie goes by name


def test_history_and_sources_come_from_one_read_and_respect_known_at(store: Store) -> None:
    """The history equals `history()`; the sources follow `known_at` too: a source whose rows were
    all fetched later is not the one that day's run knew."""
    d1, d2 = DAY - timedelta(days=1), DAY
    store.write_observations(
        [obs(d1, 1.0, source="early"), obs(d2, 2.0, source="early")], run_id="a", fetched_at=at(d2, 1)
    )
    store.write_observations(
        [obs(d1, 5.0, source="late"), obs(d2, 6.0, source="late"), obs(d2 - timedelta(days=2), 4.0, source="late")],
        run_id="b",
        fetched_at=at(d2, 20),
    )
    history, sources = store.history_and_sources(as_of=DAY)
    assert sources == {("price_usd", "btc"): "late"}  # three rows beat two
    assert history.keys() == store.history(as_of=DAY).keys()
    assert history[("price_usd", "btc")].equals(store.history(as_of=DAY)[("price_usd", "btc")])
    then, then_sources = store.history_and_sources(as_of=DAY, known_at=at(d2, 2))
    assert then_sources == {("price_usd", "btc"): "early"}
    assert list(then[("price_usd", "btc")]) == [1.0, 2.0]
    assert str(then[("price_usd", "btc")].index.dtype) == "datetime64[ns]"


def test_latest_ts_is_the_incremental_cursor(store: Store) -> None:
    """Per key by default; with entity=None the oldest of each entity's newest, so no entity is skipped."""
    store.write_observations(
        [
            obs(DAY, 1.0, entity="btc"),
            obs(DAY - timedelta(days=5), 1.0, entity="eth"),
            obs(DAY - timedelta(days=1), 1.0, entity="btc", source="other"),
        ],
        run_id="r",
        fetched_at=at(DAY, 23),
    )
    assert store.latest_ts("price_usd", "btc") == at(DAY)
    assert store.latest_ts("price_usd", None) == at(DAY - timedelta(days=5))
    assert store.latest_ts("price_usd", "btc", source="other") == at(DAY - timedelta(days=1))
    assert store.latest_ts("price_usd", "") is None and store.latest_ts("hashrate_ehs", None) is None


# -- one transaction per run -----------------------------------------------------------------------------------
def _run(store: Store, run_id: str, outcomes: list[ProviderOutcome], observations: list[Observation]) -> None:
    store.write_run(
        run_id,
        mode="daily",
        as_of=DAY,
        outcomes=outcomes,
        observations=observations,
        started_at=at(DAY, 7),
        status="ok",
        fetched_at=at(DAY, 8),
    )


def test_a_failed_run_write_leaves_nothing_half_written(store: Store) -> None:
    """The outcomes insert fails after the observations went in: the whole run is rolled back, earlier
    runs are untouched, and the store takes the next write as usual."""
    _run(store, "r1", [ProviderOutcome("a", "ok")], [obs(DAY - timedelta(days=1), 1.0)])
    before = {t: _rows(store, t) for t in ("observations", "runs", "provider_outcomes")}
    duplicate = [ProviderOutcome("a", "ok"), ProviderOutcome("a", "failed")]  # (run_id, provider) is the key
    with pytest.raises(StoreError, match="writing run r2 failed, nothing was stored"):
        _run(store, "r2", duplicate, [obs(DAY, 2.0), obs(DAY, 3.0, entity="eth")])
    assert {t: _rows(store, t) for t in before} == before
    assert _values(store) == {DAY - timedelta(days=1): 1.0}
    _run(store, "r2", [ProviderOutcome("a", "ok")], [obs(DAY, 2.0)])
    assert _values(store) == {DAY - timedelta(days=1): 1.0, DAY: 2.0}


def test_runs_and_outcomes_are_kept_per_run(store: Store) -> None:
    """Outcomes round-trip; the latest run is the default; each provider's last outcome carries its run's time;
    re-writing a run id replaces its row and outcomes."""
    latest = at(DAY, 6)
    ok = ProviderOutcome("a", "ok", "", 2, latest, "", 0.25)
    failed = ProviderOutcome("b", "failed", "HTTP 503", 0, None, "UnavailableError", 1.5)
    with pinned_now(at(DAY, 9)):
        _run(store, "r1", [ok, failed], [obs(DAY, 1.0)])
    with pinned_now(at(DAY, 10)):
        _run(store, "r2", [ProviderOutcome("a", "stale", "old")], [])
    assert store.outcomes("r1") == [ok, failed]
    assert [(o.provider, o.status) for o in store.outcomes()] == [("a", "stale")]
    last = store.last_outcomes()
    assert (last["a"][0].status, last["a"][1]) == ("stale", at(DAY, 10))
    assert (last["b"][0], last["b"][1]) == (failed, at(DAY, 9))
    with pinned_now(at(DAY, 11)):
        _run(store, "r1", [ok], [])
    assert store.outcomes("r1") == [ok]
    assert store.connection.execute("SELECT run_id, finished_at FROM runs ORDER BY run_id").fetchall() == [
        ("r1", datetime(2026, 2, 25, 11)),
        ("r2", datetime(2026, 2, 25, 10)),
    ]
    assert store.outcomes("no-such-run") == []


def test_an_empty_store_has_no_latest_outcomes(store: Store) -> None:
    assert store.outcomes() == [] and store.last_outcomes() == {}


# -- news, assessments, alerts ----------------------------------------------------------------------------------
def test_news_keeps_the_first_copy_and_reads_a_window_of_days(store: Store) -> None:
    def item(ident: str, day: date, title: str, hour: int = 12) -> NewsItem:
        return NewsItem(ident, at(day, hour), "feed", title, f"https://n.test/{ident}", ("etf",), "")

    first = [
        item("a", DAY, "first"),
        item("b", DAY - timedelta(days=1), "yesterday"),
        item("c", DAY - timedelta(days=2), "too old"),
        item("d", DAY + timedelta(days=1), "tomorrow"),
    ]
    run = {"mode": "collect", "as_of": DAY, "outcomes": [], "observations": [], "started_at": at(DAY), "status": "ok"}
    store.write_run("r1", news=first, **run)  # type: ignore[arg-type]
    store.write_run("r2", news=[item("a", DAY, "second copy")], **run)  # type: ignore[arg-type]
    assert [(n.id, n.title) for n in store.news(as_of=DAY, days=2)] == [("a", "first"), ("b", "yesterday")]
    assert [n.id for n in store.news(as_of=DAY)] == ["a"]
    assert store.news(as_of=DAY)[0].themes == ("etf",)


def test_rows_are_inserted_in_chunks_and_a_repeated_id_keeps_its_first_row(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One multi-row INSERT per chunk: every item lands whatever the chunk size, and an id offered
    twice in one run keeps its first copy, as one statement per row did."""
    from signaldesk.store import base

    monkeypatch.setattr(base, "INSERT_CHUNK_ROWS", 2)
    items = [NewsItem(f"n{i}", at(DAY, i), "feed", f"title {i}", f"https://n.test/{i}", (), "") for i in range(5)]
    again = NewsItem("n1", at(DAY, 1), "feed", "a later copy", "https://n.test/1", (), "")
    outcomes = [ProviderOutcome(f"p{i}", "ok") for i in range(3)]
    run = {"mode": "collect", "as_of": DAY, "observations": [], "started_at": at(DAY), "status": "ok"}
    store.write_run("r", news=[*items[:2], again, *items[2:]], outcomes=outcomes, **run)  # type: ignore[arg-type]
    assert [(n.id, n.title) for n in store.news(as_of=DAY)] == [(f"n{i}", f"title {i}") for i in range(4, -1, -1)]
    assert [o.provider for o in store.outcomes("r")] == ["p0", "p1", "p2"]


def test_assessments_one_per_day_and_the_previous_one(store: Store) -> None:
    store.save_assessment(DAY - timedelta(days=2), "r0", '{"v": 0}')
    store.save_assessment(DAY - timedelta(days=1), "r1", '{"v": 1}')
    store.save_assessment(DAY - timedelta(days=1), "r1b", '{"v": 2}')  # a rerun of the day replaces it
    store.save_assessment(DAY, "r2", '{"v": 3}')
    assert _rows(store, "assessments") == 3
    assert store.assessment_before(DAY) == (DAY - timedelta(days=1), '{"v": 2}')
    assert store.assessment_before(DAY - timedelta(days=2)) is None


def test_an_alert_is_marked_once_per_day_key_and_channel(store: Store) -> None:
    assert not store.alert_sent(DAY, "watch:x", "slack")
    store.mark_alert_sent(DAY, "watch:x", "slack")
    store.mark_alert_sent(DAY, "watch:x", "slack")  # idempotent, no error
    assert store.alert_sent(DAY, "watch:x", "slack")
    assert not store.alert_sent(DAY, "watch:x", "telegram") and not store.alert_sent(
        DAY + timedelta(days=1), "watch:x", "slack"
    )
    assert _rows(store, "alerts_sent") == 1
