"""Orchestration: each provider's incremental window, one failure never stopping the others, the
run's status and exit code, the lock, and the helpers the report and CLI read.

Providers here are tiny fakes that never touch the network; `registry` is swapped for a dict of
them (the way `select_providers` and `missing_reasons` find providers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from signaldesk import pipeline
from signaldesk.clock import pinned_now
from signaldesk.errors import EXIT_OK, EXIT_PARTIAL, MalformedError, StoreLockedError
from signaldesk.http import HttpClient
from signaldesk.models import Observation, ProviderOutcome
from signaldesk.pipeline import (
    OVERLAP_DAYS,
    RunSummary,
    collect_into,
    incremental_since,
    locked_store,
    missing_reasons,
    run_collect,
    run_daily,
    select_providers,
    source_statuses,
)
from signaldesk.providers.base import Capabilities, Provider
from signaldesk.store import Store

DAY = date(2026, 2, 25)
SEEN: dict[str, list[date | None]] = {}
"""provider name → the `since` it was given on each fetch (reset per test)."""


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def obs(metric: str, day: date, value: float = 1.0, *, source: str, entity: str = "", hour: int = 0) -> Observation:
    return Observation(metric, entity, at(day, hour), value, source)


class Fake(Provider):
    """A provider that records the `since` it is given and returns a fixed answer (or raises)."""

    name: ClassVar[str] = "fake"
    metrics: ClassVar[tuple[str, ...]] = ("fear_greed",)
    capabilities = Capabilities(hosts={"fake.test": 100.0})
    days: ClassVar[tuple[date, ...]] = (DAY - timedelta(days=1), DAY)
    error: ClassVar[Exception | None] = None

    async def fetch(self, client: HttpClient, since: date | None) -> list[Observation]:
        SEEN.setdefault(self.name, []).append(since)
        if self.error is not None:
            raise self.error
        return [
            obs(m, d, 10.0, source=self.name) for m in self.metrics for d in self.days if since is None or d >= since
        ]


def fake(
    name: str,
    metrics: tuple[str, ...] = ("fear_greed",),
    *,
    error: Exception | None = None,
    days: tuple[date, ...] | None = None,
) -> type[Fake]:
    """A `Fake` subclass (the registry holds classes and `select_providers` calls them without arguments)."""
    attrs: dict[str, object] = {"name": name, "metrics": metrics, "error": error}
    if days is not None:
        attrs["days"] = days
    return type(f"Fake_{name}", (Fake,), attrs)


@pytest.fixture(autouse=True)
def _fresh_seen() -> None:
    SEEN.clear()


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make the pipeline's registry exactly these fake provider classes."""

    def install(*classes: type[Provider]) -> None:
        table = {cls.name: cls for cls in sorted(classes, key=lambda c: c.name)}  # the registry is in name order
        monkeypatch.setattr(pipeline, "registry", lambda: dict(table))

    return install


def offline() -> HttpClient:
    """A client no fake uses; anything that did reach it would get a 599."""
    return HttpClient(transport=httpx.MockTransport(lambda request: httpx.Response(599)))


def _seed(store: Store, observations: Sequence[Observation]) -> None:
    store.write_observations(observations, run_id="seed", fetched_at=at(DAY, 12))


# -- incremental windows -----------------------------------------------------------------------------
FG_PRICE = ("fear_greed", "price_usd")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param([], None, id="empty-store-backfills"),
        pytest.param(
            [
                obs("fear_greed", date(2026, 2, 20), source="p"),
                obs("price_usd", date(2026, 2, 24), source="p", entity="btc"),
            ],
            date(2026, 2, 17),
            id="oldest-newest-day-minus-overlap",
        ),
        pytest.param(
            [obs("fear_greed", date(2026, 2, 24), source="p")],
            None,
            id="one-metric-never-stored-backfills",
        ),
        pytest.param(
            [obs("fear_greed", date(2026, 2, 24), source="other"), obs("price_usd", date(2026, 2, 24), source="other")],
            None,
            id="another-sources-rows-do-not-count",
        ),
        pytest.param(
            [
                obs("fear_greed", date(2026, 2, 24), source="p"),
                obs("price_usd", date(2026, 2, 24), source="p", entity="btc"),
                obs("price_usd", date(2026, 2, 10), source="p", entity="eth"),
            ],
            date(2026, 2, 7),
            id="the-laggard-entity-sets-the-window",
        ),
        pytest.param(
            [
                obs("fear_greed", date(2026, 2, 20), source="p", hour=23),
                obs("price_usd", date(2026, 2, 22), source="p"),
            ],
            date(2026, 2, 17),
            id="late-in-a-utc-day-is-still-that-day",
        ),
    ],
)
def test_incremental_since(store: Store, stored: list[Observation], expected: date | None) -> None:
    """A provider continues from the oldest of its metrics' newest days, 3 days back; else it backfills."""
    assert OVERLAP_DAYS == 3  # the expected days above are computed with a 3-day overlap
    if stored:
        _seed(store, stored)
    provider = fake("p", FG_PRICE)()
    assert incremental_since(store, [provider]) == {"p": expected}


def test_an_optional_metric_never_stored_does_not_force_a_backfill(store: Store) -> None:
    """CoinGecko's altseason index needs more calls than the keyless tier allows: its absence must not
    make every run re-download a year of prices."""
    _seed(store, [obs("fear_greed", date(2026, 2, 24), source="p")])
    provider = fake("p", FG_PRICE)()
    provider.optional_metrics = ("price_usd",)
    assert incremental_since(store, [provider]) == {"p": date(2026, 2, 21)}


def test_incremental_since_is_per_provider(store: Store) -> None:
    """Each provider gets its own window from its own rows."""
    _seed(store, [obs("fear_greed", date(2026, 2, 24), source="a"), obs("fear_greed", date(2026, 1, 31), source="b")])
    providers = [fake("a")(), fake("b")(), fake("c")()]
    assert incremental_since(store, providers) == {"a": date(2026, 2, 21), "b": date(2026, 1, 28), "c": None}


def test_first_run_backfills_then_later_runs_continue_from_the_store(store: Store) -> None:
    """Run 1: every provider backfills. Run 2: those that stored data continue 3 days before their newest
    day; the one that failed (nothing stored) backfills again."""
    providers = [fake("a")(), fake("b", ("fear_greed", "price_usd"))(), fake("broken", error=MalformedError("x"))()]
    collect_into(store, offline, providers=providers, as_of=DAY, run_id="r1", mode="collect")
    assert SEEN == {"a": [None], "b": [None], "broken": [None]}
    collect_into(store, offline, providers=providers, as_of=DAY, run_id="r2", mode="collect")
    window = DAY - timedelta(days=OVERLAP_DAYS)
    assert {"a": [None, window], "b": [None, window], "broken": [None, None]} == SEEN


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"since": date(2026, 1, 1)}, date(2026, 1, 1)),
        ({"full_history": True}, None),
    ],
)
def test_forced_windows_override_the_cursor(store: Store, kwargs: dict[str, object], expected: date | None) -> None:
    """`--since D` re-fetches from D and the demo's full history asks for everything, whatever is stored."""
    _seed(store, [obs("fear_greed", DAY, source="a"), obs("fear_greed", DAY, source="b")])
    collect_into(store, offline, providers=[fake("a")(), fake("b")()], as_of=DAY, run_id="r", mode="x", **kwargs)
    assert {"a": [expected], "b": [expected]} == SEEN


def test_collect_into_counts_new_rows_and_records_the_run(store: Store) -> None:
    """Two days x two providers are 4 new rows; re-running the same answers stores nothing new.
    The run row says `partial` when a provider failed, `ok` otherwise."""
    good = [fake("a")(), fake("b")()]
    _, inserted = collect_into(store, offline, providers=good, as_of=DAY, run_id="r1", mode="collect")
    assert inserted == 4
    _, again = collect_into(store, offline, providers=good, as_of=DAY, run_id="r2", mode="collect", full_history=True)
    assert again == 0
    _, with_failure = collect_into(
        store,
        offline,
        providers=[*good, fake("broken", error=MalformedError("x"))()],
        as_of=DAY,
        run_id="r3",
        mode="collect",
    )
    assert with_failure == 0
    runs = dict(store.connection.execute("SELECT run_id, status FROM runs").fetchall())
    assert runs == {"r1": "ok", "r2": "ok", "r3": "partial"}
    assert {o.provider: o.status for o in store.outcomes("r3")} == {"a": "ok", "b": "ok", "broken": "failed"}


# -- one failure never stops the others; status and exit code ----------------------------------------------
@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ((), EXIT_OK),
        (("ok", "ok"), EXIT_OK),
        (("ok", "skipped"), EXIT_OK),  # an optional key the user chose not to set
        (("ok", "failed"), EXIT_PARTIAL),
        (("ok", "stale"), EXIT_PARTIAL),
        (("ok", "partial"), EXIT_PARTIAL),
        (("skipped", "failed"), EXIT_PARTIAL),
        (("failed", "failed"), EXIT_PARTIAL),  # the run still finished: a report with everything missing
    ],
)
def test_exit_code_from_outcomes(statuses: tuple[str, ...], code: int) -> None:
    outcomes = [ProviderOutcome(f"p{i}", s) for i, s in enumerate(statuses)]  # type: ignore[arg-type]
    assert RunSummary("r", DAY, "db", outcomes, 0).exit_code == code
    assert (EXIT_OK, EXIT_PARTIAL) == (0, 3)


def test_an_undelivered_alert_makes_the_run_partial() -> None:
    from signaldesk.alerts import Delivery

    ok = [ProviderOutcome("p", "ok")]
    sent = RunSummary("r", DAY, "db", ok, 0, deliveries=[Delivery("k", "ops", "sent")])
    failed = RunSummary(
        "r", DAY, "db", ok, 0, deliveries=[Delivery("k", "ops", "sent"), Delivery("k", "me", "failed", "501")]
    )
    assert (sent.exit_code, failed.exit_code) == (EXIT_OK, EXIT_PARTIAL)


def test_run_collect_keeps_going_past_a_failing_provider(tmp_path: Path, register: Callable[..., None]) -> None:
    """One provider raising does not stop the others: their rows are stored, the run exits 3."""
    register(fake("a"), fake("broken", error=MalformedError("renamed field")), fake("c", days=(DAY,)))
    db = tmp_path / "s.duckdb"
    with pinned_now(at(DAY, 10, 30)):
        summary = run_collect(db=db, client_factory=offline)
    assert summary.run_id == "collect:2026-02-25T10:30:00" and summary.as_of == DAY
    assert [(o.provider, o.status, o.reason) for o in summary.outcomes] == [
        ("a", "ok", ""),
        ("broken", "failed", "renamed field"),
        ("c", "ok", ""),
    ]
    assert summary.inserted == 3 and summary.exit_code == EXIT_PARTIAL
    with Store.open(db, read_only=True) as store:
        sources = store.connection.execute("SELECT source, count(*) FROM observations GROUP BY 1 ORDER BY 1").fetchall()
    assert sources == [("a", 2), ("c", 1)]


def test_run_collect_only_runs_the_named_providers(tmp_path: Path, register: Callable[..., None]) -> None:
    register(fake("a"), fake("b"), fake("c"))
    with pinned_now(at(DAY, 10)):  # the fakes' data is fresh on DAY, stale on any later real day
        summary = run_collect(db=tmp_path / "s.duckdb", only=["c", "a"], client_factory=offline)
    assert sorted(SEEN) == ["a", "c"]
    assert [o.provider for o in summary.outcomes] == ["a", "c"] and summary.exit_code == EXIT_OK


def test_run_daily_judges_the_day_and_a_rerun_changes_nothing(tmp_path: Path, register: Callable[..., None]) -> None:
    """The daily run: id `daily:<day>`, an assessment for that day saved in the store, one run row per day."""
    register(fake("a"), fake("dead", error=MalformedError("gone")))
    db = tmp_path / "s.duckdb"
    first = run_daily(db=db, as_of=DAY, client_factory=offline)
    second = run_daily(db=db, as_of=DAY, client_factory=offline)
    assert first.run_id == second.run_id == "daily:2026-02-25"
    assert first.exit_code == second.exit_code == EXIT_PARTIAL
    assert (first.inserted, second.inserted) == (2, 0)
    assert first.bundle is None and first.dashboard is None  # no --out, no --site: nothing written
    assert first.assessment is not None and first.assessment.as_of == DAY
    assert [(s.provider, s.status) for s in first.assessment.sources] == [("a", "ok"), ("dead", "failed")]
    with Store.open(db, read_only=True) as store:
        assert store.connection.execute("SELECT run_id FROM runs").fetchall() == [("daily:2026-02-25",)]
        saved = store.assessment_before(DAY + timedelta(days=1))
    assert saved is not None and saved[0] == DAY


# -- provider selection and the report's helpers ----------------------------------------------------------
def test_select_providers(register: Callable[..., None]) -> None:
    """All providers by default, the named ones in the order given, and unknown names refused by name."""
    register(fake("a"), fake("b"), fake("c"))
    assert [p.name for p in select_providers()] == ["a", "b", "c"]
    assert [p.name for p in select_providers(["c", "a"])] == ["c", "a"]
    with pytest.raises(ValueError, match=r"unknown provider\(s\): x, y; known: a, b, c"):
        select_providers(["y", "a", "x"])


def test_missing_reasons_name_the_provider_and_why(register: Callable[..., None]) -> None:
    """Every metric of a provider that did not answer fully gets '<provider> <status>: <reason>'."""
    register(fake("a", ("fear_greed",)), fake("b", ("price_usd", "fear_greed")), fake("c", ("hashrate_ehs",)))
    outcomes = [
        ProviderOutcome("a", "ok"),
        ProviderOutcome("b", "failed", "HTTP 503"),
        ProviderOutcome("c", "stale", "hashrate_ehs is 9 days old (max 4)"),
        ProviderOutcome("gone", "failed", "no longer registered"),  # ignored: not a known provider
    ]
    assert missing_reasons(outcomes) == {
        "price_usd": "b failed: HTTP 503",
        "fear_greed": "b failed: HTTP 503",
        "hashrate_ehs": "c stale: hashrate_ehs is 9 days old (max 4)",
    }
    first_wins = missing_reasons([ProviderOutcome("a", "failed", "one"), ProviderOutcome("b", "failed", "two")])
    assert first_wins["fear_greed"] == "a failed: one"


def test_source_statuses_are_in_name_order() -> None:
    ts = at(DAY, 9)
    outcomes = [ProviderOutcome("zeta", "ok", "", 3, ts), ProviderOutcome("alpha", "failed", "HTTP 451")]
    assert [(s.provider, s.status, s.latest, s.reason) for s in source_statuses(outcomes)] == [
        ("alpha", "failed", None, "HTTP 451"),
        ("zeta", "ok", ts, ""),
    ]


# -- the lock -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("via_env", [False, True])
def test_a_held_lock_gives_up_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via_env: bool
) -> None:
    """A second run waits `wait_s` (or $SIGNALDESK_LOCK_WAIT_S), then says why instead of interleaving writes."""
    from filelock import FileLock

    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("SIGNALDESK_LOCK_WAIT_S", "0")
    with (
        FileLock(str(db) + ".lock"),
        pytest.raises(StoreLockedError) as caught,
        locked_store(db, wait_s=None if via_env else 0.0),
    ):
        pass
    assert str(caught.value) == f"another signaldesk run is using {db} (waited 0 s); try again later"


def test_the_lock_is_released_after_the_run_even_on_error(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"

    def write_then_fail() -> None:
        with locked_store(db, wait_s=0) as store:
            store.write_observations([obs("fear_greed", DAY, source="a")], run_id="x")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with locked_store(db, wait_s=0) as store:
        assert store.count() == 1


def test_the_score_chart_ends_on_the_headline_score_under_a_user_rulebook(tmp_path: Path, write_config) -> None:
    """The report's score history is judged with the day's own rulebook: with a user file that drops
    the Fear & Greed rule (which the phase also reads), the chart's last point is still the headline score."""
    from tests.backtest.helpers import fill_store, synthetic_history

    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nid = "fear_greed"\nenabled = false\n')
    with Store.open(tmp_path / "s.duckdb") as store:
        fill_store(store, synthetic_history(days=150))  # before the first refit: the rulebook's weights stand
        as_of = date(2019, 5, 30)
        default = pipeline.judge(store, as_of=as_of, outcomes=[])
        write_config(f'[signals]\nrulebook = "{rules}"\n')
        user = pipeline.judge(store, as_of=as_of, outcomes=[])
    assert user.assessment.score != pytest.approx(default.assessment.score)  # the user file matters
    assert user.scores.iloc[-1] == pytest.approx(user.assessment.score, abs=1e-9)
    assert default.scores.iloc[-1] == pytest.approx(default.assessment.score, abs=1e-9)
