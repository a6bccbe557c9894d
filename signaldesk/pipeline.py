"""The daily job and the offline demo: collect → store → derive → judge → report.

This is one of the two places (with cli.py) that imports several stages; everything here is
orchestration, not business logic. A run holds the store's file lock from its first write to the
saved assessment, so two runs never interleave; the report and the alerts come after the lock.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from signaldesk.alerts import Alert, Channel, Delivery
from signaldesk.clock import now_utc, pinned_now, utc_day
from signaldesk.collect import DEFAULT_TIMEOUT_S, CollectResult, OnDone, collect
from signaldesk.errors import EXIT_OK, EXIT_PARTIAL, StoreLockedError, UsageError
from signaldesk.http import HttpClient
from signaldesk.langs import LANGS
from signaldesk.models import Assessment, ProviderOutcome, Snapshot, SourceStatus
from signaldesk.providers import registry
from signaldesk.providers.base import Provider
from signaldesk.store import Store

HTTP_CACHE_DIR = "http-cache"
"""Under the data dir: hishel's response cache for the live runs (`live_client`)."""
OVERLAP_DAYS = 3
"""Re-fetch this many recent days on incremental runs: free sources revise their last points."""


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the CLI to print and to choose its exit code."""

    run_id: str
    as_of: date
    db: str
    outcomes: list[ProviderOutcome]
    inserted: int
    assessment: Assessment | None = None
    bundle: Path | None = None
    dashboard: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all good; 3 when any source failed, is stale or answered only in part, or an alert could
        not be delivered (skipped optional keys do not count: the user chose not to set them)."""
        partial = any(o.status in {"failed", "stale", "partial"} for o in self.outcomes)
        return EXIT_PARTIAL if partial or any(d.status == "failed" for d in self.deliveries) else EXIT_OK


@contextmanager
def locked_store(db: Path | str, *, wait_s: float | None = None) -> Iterator[Store]:
    """Open the store under an exclusive file lock (`<db>.lock`); a second run waits, then gives up.

    The wait (`settings.lock_wait_s`) bounds both the lock and DuckDB's own file lock, which a
    read-only reader (a notebook, `signals --as-of`) holds without taking ours.
    """
    from filelock import FileLock, Timeout

    from signaldesk.settings import lock_wait_s

    if wait_s is None:
        wait_s = lock_wait_s()
    path = Path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=wait_s)
    except Timeout:
        raise StoreLockedError(
            f"another signaldesk run is using {path} (waited {wait_s:g} s); try again later"
        ) from None
    try:
        with Store.open(path, wait_s=wait_s) as store:
            yield store
    finally:
        lock.release()


def live_client(**kwargs: Any) -> HttpClient:
    """The live runs' client: responses cached under the data dir, so a rerun of the day revalidates or
    reuses what each API's own cache headers allow instead of downloading everything again."""
    from signaldesk.settings import data_dir

    return HttpClient(cache_dir=data_dir() / HTTP_CACHE_DIR, **kwargs)


def select_providers(only: Sequence[str] | None = None) -> list[Provider]:
    """Instantiate the registered providers, or just those named in `only` (unknown names fail)."""
    known = registry()
    if only:
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise UsageError(f"unknown provider(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return [known[name]() for name in only]
    return [cls() for cls in known.values()]


def incremental_since(store: Store, providers: Sequence[Provider]) -> dict[str, date | None]:
    """Per provider, the day to fetch from: None (backfill) unless every metric it must yield is stored
    (its `optional_metrics` do not count)."""
    since: dict[str, date | None] = {}
    for provider in providers:
        days = []
        for metric_id in (m for m in provider.metrics if m not in provider.optional_metrics):
            latest = store.latest_ts(metric_id, entity=None, source=provider.name)
            if latest is None:
                days = []
                break
            days.append(utc_day(latest))
        since[provider.name] = (min(days) - timedelta(days=OVERLAP_DAYS)) if days else None
    return since


def missing_reasons(outcomes: Sequence[ProviderOutcome]) -> dict[str, str]:
    """metric id → why it may be missing or stale, from the providers that yield it."""
    known = registry()
    reasons: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.status == "ok" or outcome.provider not in known:
            continue
        for metric_id in known[outcome.provider].metrics:
            reasons.setdefault(metric_id, f"{outcome.provider} {outcome.status}: {outcome.reason}")
    return reasons


def source_statuses(outcomes: Sequence[ProviderOutcome]) -> list[SourceStatus]:
    """The report's 'data sources and freshness' lines, one per provider, in name order."""
    return [
        SourceStatus(o.provider, o.status, o.latest_ts, o.reason) for o in sorted(outcomes, key=lambda o: o.provider)
    ]


def collect_into(
    store: Store,
    client_factory: Callable[[], HttpClient] | None,
    *,
    providers: Sequence[Provider],
    as_of: date,
    run_id: str,
    mode: str,
    since: date | None = None,
    on_done: OnDone | None = None,
    provider_timeout: float = DEFAULT_TIMEOUT_S,
    full_history: bool = False,
) -> tuple[CollectResult, int]:
    """Collect from `providers` on one client and write the whole run in one transaction.

    `since` forces a re-fetch from that day; `full_history` asks every provider for all it has
    (the demo's recordings are of a first run); otherwise each provider continues from its cursor.
    """
    started = now_utc()
    if full_history or since:
        cursors: dict[str, date | None] = {p.name: since for p in providers}
    else:
        cursors = incremental_since(store, providers)

    async def go() -> CollectResult:
        async with (client_factory or live_client)() as client:
            return await collect(
                providers,
                client,
                as_of=as_of,
                since=cursors,
                on_done=on_done,
                timeout=provider_timeout,
                news_reader=lambda first, last: store.news(as_of=last, days=(last - first).days + 1),
            )

    result = asyncio.run(go())
    stats = store.write_run(
        run_id,
        mode=mode,
        as_of=as_of,
        outcomes=result.outcomes,
        observations=result.observations,
        news=result.news,
        started_at=started,
        status="partial" if result.failed else "ok",
    )
    return result, stats.inserted


@dataclass(slots=True)
class Judged:
    """A day judged: what the report, the dashboard and the alerts are made from."""

    assessment: Assessment
    snapshot: Snapshot
    scores: Any  # the causal score history both the report's chart and the dashboard plot


def judge(
    store: Store, *, as_of: date, outcomes: Sequence[ProviderOutcome], known_at: datetime | None = None
) -> Judged:
    """Build the snapshot as of the day (as known at `known_at`, if given) and judge it; reads the
    store once, writes nothing. The score history is computed once: the day's evidence-weighted
    score is its last row, and its last year is the report's chart and the dashboard's."""
    from signaldesk.report.scores import recent
    from signaldesk.signals.engine import assess, resolve_rulebook
    from signaldesk.signals.history import score_history
    from signaldesk.signals.snapshot import snapshot_from_history
    from signaldesk.web.dashboard import HISTORY_DAYS

    history, sources = store.history_and_sources(as_of=as_of, known_at=known_at)
    snapshot = snapshot_from_history(history, as_of, reasons=missing_reasons(outcomes), sources=sources)
    if not snapshot.news:
        snapshot.news = store.news(as_of=as_of, days=2)
    rulebook = resolve_rulebook()  # the user's [signals] rulebook, if any
    scored = score_history(history, rulebook=rulebook, end=as_of)
    assessment = assess(snapshot, rulebook=rulebook, scored=scored)
    assessment.sources = source_statuses(outcomes)
    return Judged(assessment, snapshot, recent(scored, as_of, days=max(HISTORY_DAYS, 365)))


def write_outputs(
    judged: Judged,
    *,
    outcomes: Sequence[ProviderOutcome],
    out: Path | None,
    site: Path | None,
    langs: Sequence[str],
    demo: bool,
) -> tuple[Path | None, Path | None]:
    """Write the report bundle (and the dashboard beside it, under `out`); needs no store."""
    if out is None and site is None:
        return None, None
    from signaldesk import settings
    from signaldesk.report.render import write_report
    from signaldesk.report.signals_json import assessment_dict, gap_words
    from signaldesk.web.dashboard import HISTORY_DAYS, write_dashboard

    dashboard: Path | None = None

    def write_the_dashboard() -> None:  # while the report's charts are drawn
        nonlocal dashboard
        dashboard = write_dashboard(
            out,
            gap_words(assessment_dict(judged.assessment), outcomes),
            judged.snapshot.history,
            judged.scores,
            days=HISTORY_DAYS,
            demo=demo,
        )

    # SVG only: text stays text in every language; PNG copies would double the charts' cost.
    bundle = write_report(
        judged.assessment,
        judged.snapshot,
        out_dir=out or site,
        langs=tuple(langs),
        demo=demo,
        site_dir=site,
        outcomes=tuple(outcomes),
        score_history=judged.scores,
        png=False,
        author=settings.byline(),
        meanwhile=write_the_dashboard if out is not None else None,
    )
    return bundle, dashboard


def remember(
    store: Store, assessment: Assessment, *, run_id: str, send: bool
) -> tuple[list[tuple[Alert, Channel]], list[Delivery]]:
    """Save the day's signals.json in the store; return the alerts still to send (and those already
    sent today) for what changed since the last saved day."""
    import json

    from signaldesk import settings
    from signaldesk.alerts import channels_from_config, detect, pending
    from signaldesk.report.signals_json import assessment_dict

    current = assessment_dict(assessment)  # with the watch items' words, which tomorrow's alerts quote
    store.save_assessment(assessment.as_of, run_id, json.dumps(current, ensure_ascii=False, sort_keys=True))
    channels = channels_from_config() if send else []
    previous = store.assessment_before(assessment.as_of)
    if not channels or previous is None:
        return [], []
    threshold = float(settings.section("alerts").get("score_change", 10))
    alerts = detect(json.loads(previous[1]), current, score_change=threshold)
    return pending(alerts, channels, store, assessment.as_of)


def deliver(
    pairs: Sequence[tuple[Alert, Channel]], client_factory: Callable[[], HttpClient] | None, day: date
) -> list[Delivery]:
    """Send the alerts under the alerts stage's one deadline (`[alerts] deadline_s`)."""
    if not pairs:
        return []
    from signaldesk import settings
    from signaldesk.alerts import DEADLINE_S, send_alerts

    deadline = float(settings.section("alerts").get("deadline_s", DEADLINE_S))

    async def go() -> list[Delivery]:
        async with (client_factory or HttpClient)() as client:
            return await send_alerts(pairs, client, day, deadline_s=deadline)

    return asyncio.run(go())


def run_daily(
    *,
    db: Path | str,
    as_of: date | None = None,
    out: Path | None = None,
    site: Path | None = None,
    langs: Sequence[str] = LANGS,
    only: Sequence[str] | None = None,
    client_factory: Callable[[], HttpClient] | None = None,
    on_done: OnDone | None = None,
    mode: str = "daily",
    demo: bool = False,
    provider_timeout: float = DEFAULT_TIMEOUT_S,
) -> RunSummary:
    """The daily job: collect live (or from `client_factory`), store, judge, write the report.

    The store's lock is held for collecting, judging and remembering the day, then released
    before the slow optional steps — the report (an LLM narrative may take minutes) and the
    webhooks — so a reader or the next run never waits on them; deliveries are recorded after.
    """
    from signaldesk.alerts import record

    day = as_of or now_utc().date()
    providers = select_providers(only)
    run_id = f"{mode}:{day.isoformat()}"
    if out is not None or site is not None:
        from signaldesk.report.charts import prepare_drawing

        prepare_drawing()  # the chart processes import matplotlib while the day is collected and judged
    with locked_store(db) as store:
        result, inserted = collect_into(
            store,
            client_factory,
            providers=providers,
            as_of=day,
            run_id=run_id,
            mode=mode,
            on_done=on_done,
            provider_timeout=provider_timeout,
            full_history=demo,
        )
        judged = judge(store, as_of=day, outcomes=result.outcomes)
        to_send, duplicates = remember(store, judged.assessment, run_id=run_id, send=not demo)
    bundle, dashboard = write_outputs(judged, outcomes=result.outcomes, out=out, site=site, langs=langs, demo=demo)
    sent = deliver(to_send, client_factory, day)
    if sent:
        with locked_store(db) as store:
            record(store, day, sent)
    summary = RunSummary(run_id, day, str(db), result.outcomes, inserted, judged.assessment, bundle, dashboard)
    summary.deliveries = duplicates + sent
    return summary


def run_report(
    *,
    db: Path | str,
    as_of: date,
    out: Path | None = None,
    site: Path | None = None,
    langs: Sequence[str] = LANGS,
    as_known: bool = False,
) -> RunSummary:
    """The report of a past day from what the store holds: no network, nothing written to the store.

    Sources are described by each provider's last stored outcome up to that day. `as_known`
    reproduces the report as that day's run could write it: values fetched after the run finished
    (revisions, later backfills) are not read — the store keeps every version for this."""
    with Store.open(db, read_only=True) as store:
        known_at = store.run_finished(as_of) if as_known else None
        if as_known and known_at is None:
            raise UsageError(f"no run was recorded for {as_of}: there is no 'as known then' to reproduce")
        outcomes = [outcome for outcome, _ in store.last_outcomes(as_of=as_of).values()]
        judged = judge(store, as_of=as_of, outcomes=outcomes, known_at=known_at)
    bundle, dashboard = write_outputs(judged, outcomes=outcomes, out=out, site=site, langs=langs, demo=False)
    return RunSummary(f"report:{as_of.isoformat()}", as_of, str(db), outcomes, 0, judged.assessment, bundle, dashboard)


def run_collect(
    *,
    db: Path | str,
    only: Sequence[str] | None = None,
    since: date | None = None,
    client_factory: Callable[[], HttpClient] | None = None,
    on_done: OnDone | None = None,
) -> RunSummary:
    """Fill the store without judging: backfill on the first run, then only what is new.

    `since` forces a re-fetch from that day for every selected provider.
    """
    started = now_utc()
    run_id = f"collect:{started:%Y-%m-%dT%H:%M:%S}"
    with locked_store(db) as store:
        result, inserted = collect_into(
            store,
            client_factory,
            providers=select_providers(only),
            as_of=started.date(),
            run_id=run_id,
            mode="collect",
            since=since,
            on_done=on_done,
        )
    return RunSummary(run_id, started.date(), str(db), result.outcomes, inserted)


def run_demo(
    *,
    out: Path,
    site: Path | None = None,
    langs: Sequence[str] = LANGS,
    db: Path | str | None = None,
    on_done: OnDone | None = None,
) -> RunSummary:
    """The offline demo: the real pipeline on the recorded responses shipped in the package.

    It runs with the clock pinned to the demo day, into a fresh store (a temporary file unless
    `db` is given), so it needs no network and gives byte-identical output every time.
    """
    from signaldesk.demo import DEMO_DIR, DEMO_NOW

    with pinned_now(DEMO_NOW), tempfile.TemporaryDirectory(prefix="signaldesk-demo-") as tmp:
        return run_daily(
            db=db or Path(tmp) / "demo.duckdb",
            as_of=DEMO_NOW.date(),
            out=out,
            site=site,
            langs=langs,
            client_factory=lambda: HttpClient.replay(DEMO_DIR),
            on_done=on_done,
            mode="demo",
            demo=True,
        )
