"""Benchmark the on-chain engine against its two baselines in the same run: a raw DuckDB scan and pandas.

    python benchmarks/bench_onchain.py --small       # CI: 200k outputs, scan + duckdb + pandas, once each
    python benchmarks/bench_onchain.py               # 1M, 10M, 100M outputs; scan, duckdb, pandas; median of 3
    python benchmarks/bench_onchain.py --sizes 1e7 1e8 --engines duckdb spark --repeat 1

Every measurement runs in a fresh subprocess, so its peak resident memory (with the Spark JVM's,
when one runs) is its own. Chains are generated once per size and seed and reused from
`--data-dir`. The baselines, per size:
- `scan`: DuckDB reading the three columns the engine reads (value_sat, created_time,
  spent_time) and reducing them trivially — the floor for anything that reads this Parquet file.
  Like the engine, it opens and closes its own in-memory DuckDB inside its time (the ratio
  compares like with like); the read alone is printed below it ("read only");
- `pandas`: `tests/onchain/reference.py`, the plain pandas/numpy implementation of the same metrics.
Engine runs also print a digest of their exact integers, so a Spark run is checked against the
DuckDB run of the same size (to the satoshi and cent) in the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the pandas reference lives in tests/

SEED = 1


def _peak_gb(spark: object | None = None) -> float:
    """This process's peak RSS, plus the Spark JVM's (VmHWM) when one runs, in GB."""
    import resource

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if spark is not None:
        pid = spark.sparkContext._gateway.proc.pid  # type: ignore[attr-defined]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak_kb += int(line.split()[1])
    return peak_kb / 1024 / 1024


def _digest(result: object) -> str:
    """A short hash of the engine's exact integers and URPD: equal digests, equal results."""
    import hashlib

    text = result.exact.to_csv() + result.urpd.to_csv()  # type: ignore[attr-defined]
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _child(engine: str, data: Path, memory_limit: str, temp_dir: str) -> dict[str, object]:
    """Run one measurement in this (child) process and return its time and peak memory."""
    if engine == "generate":
        from signaldesk.onchain.synthetic import generate

        size = int(data.name.split("_")[1])
        start = time.perf_counter()
        generate(size, data, seed=SEED)
        return {"seconds": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}

    # The libraries every contender uses are imported first: timings are the work, not first imports.
    import duckdb
    import pyarrow.parquet  # noqa: F401

    from signaldesk.onchain.backends import DuckDBOptions, spark_session
    from signaldesk.onchain.prices import read_csv

    prices = read_csv(data / "prices.csv")
    outputs = data / "outputs.parquet"
    if engine == "scan":
        start = time.perf_counter()
        con = duckdb.connect(config={"memory_limit": memory_limit})
        opened = time.perf_counter()
        con.execute(
            f"SELECT sum(value_sat), max(created_time), max(spent_time) FROM read_parquet('{outputs}')"
        ).fetchall()
        read = time.perf_counter() - opened
        con.close()
        return {"seconds": time.perf_counter() - start, "read_seconds": read, "peak_rss_gb": _peak_gb()}
    if engine == "pandas":
        from tests.onchain.reference import compute_reference

        start = time.perf_counter()
        compute_reference(outputs, prices)
        return {"seconds": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}
    from signaldesk.onchain.engine import compute

    spark = spark_session(driver_memory="6g", shuffle_partitions=4) if engine == "spark" else None
    start = time.perf_counter()
    result = compute(
        outputs,
        prices,
        engine=engine,
        spark=spark,
        duckdb_options=DuckDBOptions(memory_limit=memory_limit, temp_directory=temp_dir),
    )
    seconds = time.perf_counter() - start
    peak = _peak_gb(spark)
    if spark is not None:
        spark.stop()
    return {"seconds": seconds, "peak_rss_gb": peak, "digest": _digest(result)}


def _measure(engine: str, data: Path, memory_limit: str, temp_dir: str, timeout: float) -> dict[str, object]:
    """Run `_child` in a fresh subprocess (the parent stays small) and return what it reports."""
    cmd = [sys.executable, __file__, "--child", engine, str(data), memory_limit, temp_dir]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished in {timeout:.0f} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _chain(size: int, data_dir: Path, memory_limit: str, timeout: float) -> Path:
    """The chain of this size, generated (in a subprocess) the first time it is asked for."""
    target = data_dir / f"chain_{size}_{SEED}"
    if not (target / "prices.csv").exists():
        got = _measure("generate", target, memory_limit, "", timeout)
        if "error" in got:
            raise SystemExit(f"generating {size:,} outputs failed: {got['error']}")
        print(
            f"generated {size:,} outputs in {got['seconds']:.0f} s (peak {got['peak_rss_gb']:.2f} GB) -> {target}",
            flush=True,
        )
    return target


def _median_run(engine: str, data: Path, args: argparse.Namespace, temp_dir: str) -> dict[str, object]:
    """`args.repeat` runs: median seconds, highest peak RSS, the load average seen, the digest."""
    runs, loads = [], [os.getloadavg()[0]]
    for _ in range(args.repeat):
        got = _measure(engine, data, args.memory_limit, temp_dir, args.timeout)
        loads.append(os.getloadavg()[0])
        if "error" in got:
            return {**got, "load": max(loads)}
        runs.append(got)
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        **({"read_seconds": statistics.median(r["read_seconds"] for r in runs)} if "read_seconds" in runs[0] else {}),
        "runs": len(runs),
        "peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
        "digest": runs[0].get("digest"),
        "load": max(loads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="CI: 200k outputs, scan + duckdb + pandas, one run each")
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7, 1e8])
    parser.add_argument(
        "--engines", nargs="*", default=["scan", "duckdb", "pandas"], help="any of scan, duckdb, pandas, spark"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a run is given up")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "signaldesk-bench")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    if args.small:
        args.sizes, args.engines, args.repeat = [200_000], ["scan", "duckdb", "pandas"], 1
    temp_dir = str(args.data_dir / "duckdb_tmp")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.repeat} run(s) each"
    )
    print("| outputs | what | seconds | rows/s | peak RSS (GB) | × scan | pandas ÷ it | load avg |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    rows, problems = [], []
    for size in (int(s) for s in args.sizes):
        data = _chain(size, args.data_dir, args.memory_limit, args.timeout)
        got = {engine: _median_run(engine, data, args, temp_dir) for engine in args.engines}
        scan, pandas = got.get("scan", {}).get("seconds"), got.get("pandas", {}).get("seconds")
        for engine, row in got.items():
            rows.append({"outputs": size, "engine": engine, **row})
            if "error" in row:
                print(f"| {size:,} | {engine} | {row['error']} | | | | | {row['load']:.1f} |", flush=True)
                problems.append(f"{engine} at {size:,}: {row['error']}")
                continue
            seconds = row["seconds"]
            vs_scan = f"{seconds / scan:.1f}" if scan and engine != "scan" else ""
            vs_pandas = f"{pandas / seconds:.1f}" if pandas and engine in ("duckdb", "spark") else ""
            same = ""
            if engine == "spark" and "digest" in got.get("duckdb", {}):
                same = " (= DuckDB)" if row["digest"] == got["duckdb"]["digest"] else " (DIFFERS from DuckDB)"
                if "DIFFERS" in same:
                    problems.append(f"spark at {size:,}: results differ from DuckDB's")
            print(
                f"| {size:,} | {engine}{same} | {seconds:.3g} | {size / seconds:,.0f} | {row['peak_rss_gb']:.2f} | "
                f"{vs_scan} | {vs_pandas} | {row['load']:.1f} |",
                flush=True,
            )
            if "read_seconds" in row:
                read = row["read_seconds"]
                print(f"| {size:,} | scan, read only | {read:.3g} | {size / read:,.0f} | | | | |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if problems:
        raise SystemExit("; ".join(problems))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        engine, data, memory_limit, temp_dir = sys.argv[2:6]
        print(json.dumps(_child(engine, Path(data), memory_limit, temp_dir)))
    else:
        main()
