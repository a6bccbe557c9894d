"""Time `signaldesk --help` from a cold start and `signaldesk demo` end to end.

Each figure is compared with a baseline measured in the same run: `python -c pass` (the
interpreter's own start-up, which no CLI can beat) for `--help`; for the demo, its own stages
(collect, judge, report) so a regression shows where it came from, and the charts drawn inline,
which the report no longer waits for (forked processes draw them beside the text). The first demo
run is shown on its own: it compiles the report's templates, which later runs load from Jinja's
bytecode cache.

    python benchmarks/bench_cli.py            # 7 --help runs, 5 demo runs
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


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def _median(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Median, best and first of `runs` runs."""
    times = [_time(cmd, env) for _ in range(runs)]
    return statistics.median(times), min(times), times[0]


def _demo_stages(out: Path) -> dict[str, float]:
    """The demo once in-process, timed per stage as `run_daily` runs them (imports included in the
    first stage that needs them), and the charts drawn inline — the time the report would wait for
    them without the drawing process that runs beside the text."""
    from signaldesk.clock import pinned_now
    from signaldesk.demo import DEMO_DIR, DEMO_NOW
    from signaldesk.http import HttpClient
    from signaldesk.pipeline import collect_into, judge, locked_store, select_providers, write_outputs
    from signaldesk.report import charts
    from signaldesk.report.sections import build_model

    langs = ("zh-CN", "zh-TW", "en")
    with pinned_now(DEMO_NOW), tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        charts.prepare_drawing()
        with locked_store(Path(tmp) / "s.duckdb") as store:
            result, _ = collect_into(
                store,
                lambda: HttpClient.replay(DEMO_DIR),
                providers=select_providers(),
                as_of=DEMO_NOW.date(),
                run_id="bench",
                mode="demo",
                full_history=True,
            )
            t1 = time.perf_counter()
            judged = judge(store, as_of=DEMO_NOW.date(), outcomes=result.outcomes)
            t2 = time.perf_counter()
        write_outputs(judged, outcomes=result.outcomes, out=out, site=None, langs=langs, demo=True)
        t3 = time.perf_counter()
        model = build_model(judged.assessment, judged.snapshot, outcomes=result.outcomes, demo=True)
        inline = out / "charts-inline"
        inline.mkdir(parents=True)
        t4 = time.perf_counter()
        charts.write_charts(inline, model, judged.snapshot, langs=langs, score_history=judged.scores, png=False)
        t5 = time.perf_counter()
    return {
        "collect + store": t1 - t0,
        "snapshot + judge + score history": t2 - t1,
        "report (charts drawn in other processes meanwhile) + dashboard": t3 - t2,
        "baseline: the 21 chart files drawn inline": t5 - t4,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="few repetitions (CI smoke run)")
    args = parser.parse_args()
    help_runs, demo_runs = (3, 1) if args.small else (7, 5)
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as home:
        env["SIGNALDESK_HOME"] = home
        env["TMPDIR"] = home  # an empty Jinja bytecode cache: the first demo run compiles the templates
        base_med, base_min, _ = _median([sys.executable, "-c", "pass"], help_runs, env)
        help_med, help_min, _ = _median([sys.executable, "-m", "signaldesk", "--help"], help_runs, env)
        demo_med, demo_min, demo_first = _median(
            [sys.executable, "-m", "signaldesk", "demo", "--out", str(Path(home) / "demo")], demo_runs, env
        )
        stages = _demo_stages(Path(home) / "stages")
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print("| what | median | best | runs |")
    print("|---|---|---|---|")
    print(f"| `python -c pass` (baseline: interpreter start) | {base_med:.3f} s | {base_min:.3f} s | {help_runs} |")
    print(f"| `signaldesk --help` | {help_med:.3f} s | {help_min:.3f} s | {help_runs} |")
    print(f"| `signaldesk --help` minus baseline | {help_med - base_med:.3f} s | {help_min - base_min:.3f} s | |")
    print(
        f"| `signaldesk demo` end to end (3 languages, charts, dashboard) | {demo_med:.2f} s | {demo_min:.2f} s | {demo_runs} |"
    )
    print(f"| `signaldesk demo`, first run (templates compiled, then cached) | {demo_first:.2f} s | | 1 |")
    for stage, seconds in stages.items():
        print(f"| demo stage: {stage} (in-process) | {seconds:.2f} s | | 1 |")


if __name__ == "__main__":
    main()
