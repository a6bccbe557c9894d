"""The fault matrix: every provider × every fault, through the real pipeline over loopback.

For every cell: the run completes; the affected providers are marked failed (or stale) with the
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
from signaldesk.demo.build import DEMO_DIR, DEMO_NOW
from signaldesk.http import HttpClient
from signaldesk.metrics.derive import derivations
from signaldesk.pipeline import EXIT_PARTIAL, run_daily
from signaldesk.providers import registry
from signaldesk.signals.serialize import assessment_to_dict
from signaldesk.store import Store
from tests.reliability.faults import FAULTS, FaultServer, RedirectTransport

AS_OF: date = DEMO_NOW.date()
PROVIDERS = sorted(name for name, cls in registry().items() if not cls.capabilities.key_required)
RESULTS: dict[tuple[str, str], str] = {}


def _run(tmp: Path, faults: dict[str, str]) -> tuple[object, Store, dict]:
    refused = frozenset(h for h, f in faults.items() if f == "refused")
    with FaultServer(DEMO_DIR, delay_s=2.5) as server:
        server.faults = {h: f for h, f in faults.items() if f != "refused"}

        def client() -> HttpClient:
            return HttpClient(transport=RedirectTransport(server.port, refused), timeout=1.0, attempts=2,
                              backoff_initial=0.0, max_retry_wait=0.0)

        with pinned_now(DEMO_NOW):
            summary = run_daily(db=tmp / "store.duckdb", as_of=AS_OF, client_factory=client, provider_timeout=6.0)
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
        o.provider: o.status for o in summary.outcomes if o.provider not in PROVIDERS}
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


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_cell(provider: str, fault: str, clean, tmp_path: Path) -> None:
    clean_summary, clean_obs, clean_signals = clean
    known = registry()
    hosts = set(known[provider].capabilities.hosts)
    affected = sorted(p for p in PROVIDERS if set(known[p].capabilities.hosts) & hosts)
    summary, store, signals = _run(tmp_path, {h: fault for h in hosts})
    try:
        outcomes = {o.provider: o for o in summary.outcomes}
        clean_outcomes = {o.provider: o for o in clean_summary.outcomes}
        if all(outcomes[p].status == clean_outcomes[p].status == "ok" for p in affected) and \
                _observations_by_source(store) == clean_obs:
            RESULTS[(provider, fault)] = "n/a"
            pytest.skip(f"{fault} does not apply to {provider}'s responses (nothing to spoil)")
        # 1. the run completed, and says it is partial
        assert summary.exit_code == EXIT_PARTIAL
        # 2. the affected providers are marked, with a reason, in the runs table too
        expected = "stale" if fault == "stale" else "failed"
        stored = {o.provider: o for o in store.outcomes(summary.run_id)}
        for p in affected:
            assert outcomes[p].status == expected, (p, outcomes[p])
            assert outcomes[p].reason and stored[p].reason == outcomes[p].reason
        # 3. everyone else is exactly as in a clean run, in the store and in signals.json
        observed = _observations_by_source(store)
        for p in PROVIDERS:
            if p not in affected:
                assert outcomes[p].status == clean_outcomes[p].status
                assert observed.get(p) == clean_obs.get(p), f"{p}'s observations changed"
        # 4. nothing from a failed provider reached the store
        if expected == "failed":
            for p in affected:
                assert p not in observed, f"{p} failed but left observations"
        touched = _dependent_ids({m for p in affected for m in known[p].metrics})
        clean_rows = {(r["id"], r["entity"]): r for r in clean_signals["indicators"]}
        rows = {(r["id"], r["entity"]): r for r in signals["indicators"]}
        for key, row in clean_rows.items():
            if key[0] not in touched:
                assert rows.get(key, {}).get("value") == row["value"], f"unaffected indicator {key} changed"
        # 5. the affected metrics say why, in signals.json
        missing = {(m["id"], m.get("entity", "")): m for m in signals["missing"]}
        for key in clean_rows:
            if key[0] in {m for p in affected for m in known[p].metrics}:
                row = rows.get(key)
                if expected == "failed":
                    assert key in missing or row is None or row.get("value") is None, f"{key} not marked missing"
                    if key in missing:
                        assert missing[key]["reason"]
                else:
                    assert key in missing or (row is not None and row.get("stale")), f"{key} not marked stale"
        RESULTS[(provider, fault)] = expected
    finally:
        store.close()


def teardown_module() -> None:
    target = os.environ.get("SIGNALDESK_FAULT_REPORT")
    if target and RESULTS:
        Path(target).write_text(json.dumps({f"{p}|{f}": r for (p, f), r in sorted(RESULTS.items())}, indent=1))
