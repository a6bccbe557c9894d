"""Time `signaldesk --help` from a cold start and `signaldesk demo` end to end.

Each figure is compared with a baseline measured in the same run: `python -c pass` (the
interpreter's own start-up, which no CLI can beat) for `--help`; the demo's own stages (collect,
judge, report) so a regression shows where it came from; and the demo's charts drawn once per
chart against drawing them anew per language.

    python benchmarks/bench_cli.py            # 7 --help runs, 3 demo runs
    python benchmarks/bench_cli.py --small    # 3 and 1: proves the benchmark works (CI)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def _median(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    times = [_time(cmd, env) for _ in range(runs)]
    return statistics.median(times), min(times)


def _demo_stages(out: Path) -> dict[str, float]:
    """The demo once in-process, timed per stage (imports included in the first stage that needs them)."""
    from signaldesk.clock import pinned_now
    from signaldesk.demo.build import DEMO_DIR, DEMO_NOW
    from signaldesk.http import HttpClient
    from signaldesk.pipeline import collect_into, judge_and_write, locked_store, select_providers

    stages: dict[str, float] = {}
    with pinned_now(DEMO_NOW), tempfile.TemporaryDirectory() as tmp, locked_store(Path(tmp) / "s.duckdb") as store:
        t0 = time.perf_counter()
        result, _ = collect_into(store, lambda: HttpClient.replay(DEMO_DIR), providers=select_providers(),
                                 as_of=DEMO_NOW.date(), run_id="bench", mode="demo", full_history=True)
        t1 = time.perf_counter()
        judge_and_write(store, as_of=DEMO_NOW.date(), outcomes=result.outcomes, out=None, site=None,
                        langs=(), demo=True)
        t2 = time.perf_counter()
        judge_and_write(store, as_of=DEMO_NOW.date(), outcomes=result.outcomes, out=out, site=None,
                        langs=("zh-CN", "zh-TW", "en"), demo=True)
        t3 = time.perf_counter()
        stages["collect + store"] = t1 - t0
        stages["snapshot + judge"] = t2 - t1
        stages["judge + report + dashboard"] = t3 - t2
        stages.update(_chart_stages(store, DEMO_NOW.date(), out))
    return stages


def _chart_stages(store: Any, as_of: Any, out: Path) -> dict[str, float]:
    """The demo's 21 charts drawn once and relabelled per language, against the same-run baseline
    of drawing each chart anew for every language (what the report did before)."""
    from signaldesk.report import charts
    from signaldesk.report.scores import recent_scores
    from signaldesk.report.sections import build_model
    from signaldesk.signals.engine import assess
    from signaldesk.signals.snapshot import snapshot_from_store

    snapshot = snapshot_from_store(store, as_of)
    model = build_model(assess(snapshot), snapshot)
    scores = recent_scores(store.history(as_of=as_of), as_of)
    state = {name: charts._data(name, model, snapshot, scores) for name in charts.DRAW}
    langs = ("zh-CN", "zh-TW", "en")
    bundle = out / "charts"
    bundle.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for name, data in state.items():
        if data is not None:
            charts.draw_all(name, data, langs, bundle, png=False)
    t1 = time.perf_counter()
    for name, data in state.items():
        if data is not None:
            for lang in langs:
                charts.draw_all(name, data, (lang,), bundle, png=False)
    t2 = time.perf_counter()
    return {"charts: each drawn once, saved in 3 languages": t1 - t0,
            "charts: baseline, each drawn anew per language": t2 - t1}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="few repetitions (CI smoke run)")
    args = parser.parse_args()
    help_runs, demo_runs = (3, 1) if args.small else (7, 3)
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as home:
        env["SIGNALDESK_HOME"] = home
        base_med, base_min = _median([sys.executable, "-c", "pass"], help_runs, env)
        help_med, help_min = _median([sys.executable, "-m", "signaldesk", "--help"], help_runs, env)
        demo_med, demo_min = _median(
            [sys.executable, "-m", "signaldesk", "demo", "--out", str(Path(home) / "demo")], demo_runs, env)
        stages = _demo_stages(Path(home) / "stages")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| what | median | best | runs |")
    print("|---|---|---|---|")
    print(f"| `python -c pass` (baseline: interpreter start) | {base_med:.3f} s | {base_min:.3f} s | {help_runs} |")
    print(f"| `signaldesk --help` | {help_med:.3f} s | {help_min:.3f} s | {help_runs} |")
    print(f"| `signaldesk --help` minus baseline | {help_med - base_med:.3f} s | {help_min - base_min:.3f} s | |")
    print(f"| `signaldesk demo` end to end (3 languages, charts, dashboard) | {demo_med:.2f} s | {demo_min:.2f} s | {demo_runs} |")
    for stage, seconds in stages.items():
        print(f"| demo stage: {stage} (in-process) | {seconds:.2f} s | | 1 |")


if __name__ == "__main__":
    main()
