"""The fault matrix: every provider × every fault, through the real pipeline over loopback.

Providers are grouped by shared hosts; each run spoils every other group with one fault, so two
runs per fault cover every (provider, fault) cell and each run also proves that the untouched half
is exactly as in a clean run. For every cell: the run completes; the affected providers are marked failed (or stale) with the
reason in the runs table and in signals.json; every other provider's observations — and every
indicator that does not depend on the affected metrics — are exactly as in a clean run; and
nothing from a failed provider reaches the store. `SIGNALDESK_FAULT_REPORT=path` makes the session
write the matrix as JSON (docs/reliability.md is built from it).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from signaldesk.clock import pinned_now
from signaldesk.demo import DEMO_DIR, DEMO_NOW
from signaldesk.errors import EXIT_PARTIAL
from signaldesk.http import HttpClient
from signaldesk.metrics.derive import derivations
from signaldesk.pipeline import run_daily
from signaldesk.providers import registry
from signaldesk.signals.serialize import assessment_to_dict
from signaldesk.store import Store
from tests.reliability.faults import FAULTS, FaultServer, RedirectTransport

AS_OF: date = DEMO_NOW.date()
PROVIDERS = sorted(name for name, cls in registry().items() if not cls.capabilities.key_required)
RESULTS: dict[tuple[str, str], str] = {}
NOT_APPLICABLE: frozenset[tuple[str, str]] = frozenset(
    {
        ("ethgas", "stale"),  # eth_feeHistory answers carry block numbers, no timestamp to move back
        ("news", "absurd_values"),  # headlines have no numbers to make absurd
    }
)
"""The only (provider, fault) cells a provider may come through unmarked; any other must fail or go stale."""


def _run(tmp: Path, faults: dict[str, str]) -> tuple[object, Store, dict]:
    refused = frozenset(h for h, f in faults.items() if f == "refused")
    with FaultServer(DEMO_DIR, delay_s=4.0) as server:
        server.faults = {h: f for h, f in faults.items() if f != "refused"}

        def client() -> HttpClient:
            return HttpClient(
                transport=RedirectTransport(server.port, refused),
                timeout=3.0,
                attempts=2,
                backoff_initial=0.0,
                max_retry_wait=0.0,
                polite=False,
            )

        with pinned_now(DEMO_NOW):
            summary = run_daily(db=tmp / "store.duckdb", as_of=AS_OF, client_factory=client, provider_timeout=30.0)
    store = Store.open(tmp / "store.duckdb", read_only=True)
    return summary, store, assessment_to_dict(summary.assessment)


def _observations_by_source(store: Store) -> dict[str, set[tuple]]:
    rows = store.connection.execute("SELECT source, metric, entity, ts, value FROM observations").fetchall()
    out: dict[str, set[tuple]] = defaultdict(set)
    for source, *rest in rows:
        out[source].add(tuple(rest))
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    summary, store, signals = _run(tmp_path_factory.mktemp("clean"), {})
    observed = _observations_by_source(store)
    store.close()
    assert {o.provider: o.status for o in summary.outcomes} == {p: "ok" for p in PROVIDERS} | {
        o.provider: o.status for o in summary.outcomes if o.provider not in PROVIDERS
    }
    return summary, observed, signals


def _dependent_ids(metric_ids: set[str]) -> set[str]:
    """Metric ids that are, or are derived (transitively) from, `metric_ids`."""
    affected = set(metric_ids)
    changed = True
    while changed:
        changed = False
        for d in derivations():
            if affected & set(d.inputs) and not set(d.outputs) <= affected:
                affected |= set(d.outputs)
                changed = True
    return affected


def _groups() -> list[tuple[str, ...]]:
    """Providers that share a host fail together (Coinbase's premium reads OKX/Bybit tickers too)."""
    known = registry()
    groups: list[set[str]] = []
    for name in PROVIDERS:
        hosts = set(known[name].capabilities.hosts)
        joined = [g for g in groups if any(hosts & set(known[m].capabilities.hosts) for m in g)]
        merged = {name}.union(*joined) if joined else {name}
        groups = [g for g in groups if g not in joined] + [merged]
    return sorted(tuple(sorted(g)) for g in groups)


GROUPS = _groups()
HALVES = (0, 1)


def _faulted(half: int) -> list[tuple[str, ...]]:
    """Every other group: one run spoils half the groups and proves the other half untouched."""
    return [g for i, g in enumerate(GROUPS) if i % 2 == half]


@pytest.mark.parametrize("half", HALVES)
@pytest.mark.parametrize("fault", FAULTS)
def test_cells(fault: str, half: int, clean, tmp_path: Path) -> None:
    clean_summary, clean_obs, clean_signals = clean
    known = registry()
    faulted = _faulted(half)
    affected = sorted(p for g in faulted for p in g)
    hosts = {h for p in affected for h in known[p].capabilities.hosts}
    summary, store, signals = _run(tmp_path, {h: fault for h in hosts})
    try:
        outcomes = {o.provider: o for o in summary.outcomes}
        clean_outcomes = {o.provider: o for o in clean_summary.outcomes}
        observed = _observations_by_source(store)
        stored = {o.provider: o for o in store.outcomes(summary.run_id)}
        # 1. the run completed, and says it is partial
        assert summary.exit_code == EXIT_PARTIAL
        # 2. every other provider is exactly as in a clean run, outcome and stored observations
        for p in PROVIDERS:
            if p not in affected:
                assert outcomes[p].status == clean_outcomes[p].status, (p, outcomes[p])
                assert observed.get(p) == clean_obs.get(p), f"{p}'s observations changed"
        # 3. each faulted provider is marked, with its reason also in the runs table, and a
        #    failed one left nothing in the store; only the pinned cells may pass through untouched
        marked = []
        for p in affected:
            if (p, fault) in NOT_APPLICABLE:
                assert outcomes[p].status == "ok" and observed.get(p) == clean_obs.get(p), (p, outcomes[p])
                RESULTS[(p, fault)] = "n/a"
                continue
            # Old timestamps make a provider stale — or failed, when they also move a paging cursor
            # (Deribit's DVOL `continuation`) or trip a provider's own date check.
            allowed = {"stale", "failed"} if fault == "stale" else {"failed"}
            assert outcomes[p].status in allowed, (p, outcomes[p])
            assert outcomes[p].reason and stored[p].reason == outcomes[p].reason
            if outcomes[p].status == "failed":
                assert p not in observed, f"{p} failed but left observations"
            RESULTS[(p, fault)] = outcomes[p].status
            marked.append(p)
        # 4. indicators that depend on no faulted metric are unchanged in signals.json
        touched = _dependent_ids({m for p in affected for m in known[p].metrics})
        clean_rows = {(r["id"], r["entity"]): r for r in clean_signals["indicators"]}
        rows = {(r["id"], r["entity"]): r for r in signals["indicators"]}
        for key, row in clean_rows.items():
            if key[0] not in touched:
                assert rows.get(key, {}).get("value") == row["value"], f"unaffected indicator {key} changed"
        # 5. the marked providers' metrics say why, in signals.json
        missing = {(m["id"], m.get("entity", "")): m for m in signals["missing"]}
        own = {m for p in marked for m in known[p].metrics}
        failed_own = {m for p in marked if outcomes[p].status == "failed" for m in known[p].metrics}
        for key in clean_rows:
            if key[0] in own:
                row = rows.get(key)
                if key[0] in failed_own:
                    assert key in missing or row is None or row.get("value") is None, f"{key} not marked missing"
                    if key in missing:
                        assert missing[key]["reason"]
                else:
                    assert key in missing or (row is not None and row.get("stale")), f"{key} not marked stale"
    finally:
        store.close()


def teardown_module() -> None:
    target = os.environ.get("SIGNALDESK_FAULT_REPORT")
    if target and RESULTS:
        Path(target).write_text(json.dumps({f"{p}|{f}": r for (p, f), r in sorted(RESULTS.items())}, indent=1))
