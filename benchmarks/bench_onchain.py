"""Benchmark the on-chain engine: DuckDB vs the pandas reference vs Spark local, rows/s and peak RSS.

    python benchmarks/bench_onchain.py --small            # CI: 200k outputs, DuckDB + pandas, ~1 min
    python benchmarks/bench_onchain.py --sizes 1e6 1e7 1e8 --engines duckdb pandas spark

Each measurement runs in a fresh subprocess, so its peak resident memory (including a Spark JVM
it starts and waits for) is its own. Chains are generated once per size and seed and reused from
`--data-dir`. Alongside, it measures two floors: a DuckDB scan that only reads the three columns
the engine needs, and the time to stream those bytes at this machine's memory bandwidth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SEED = 1
PANDAS_MAX_ROWS = 20_000_000  # the reference holds the table in RAM; past this it is not run
SPARK_MAX_ROWS = 10_000_000  # Spark local on 2 cores: larger sizes exceed a 10-minute budget


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


def _child(engine: str, data: Path, memory_limit: str, temp_dir: str) -> dict[str, float]:
    """Run one measurement in this (child) process and return its time and peak memory."""
    if engine == "bandwidth":
        return {"gbs": _bandwidth_gbs()}
    if engine == "generate":
        from signaldesk.onchain.synthetic import generate

        size = int(data.name.split("_")[1])
        start = time.perf_counter()
        generate(size, data, seed=SEED)
        return {"seconds": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}

    from signaldesk.onchain.backends import DuckDBOptions, spark_session
    from signaldesk.onchain.prices import read_csv

    prices = read_csv(data / "prices.csv")
    outputs = data / "outputs.parquet"
    if engine == "scan":
        import duckdb

        con = duckdb.connect(config={"memory_limit": memory_limit})
        start = time.perf_counter()
        con.execute(
            f"SELECT sum(value_sat), max(created_time), max(spent_time) FROM read_parquet('{outputs}')"
        ).fetchall()
        return {"seconds": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}
    if engine == "pandas":
        from signaldesk.onchain.reference import compute_reference

        start = time.perf_counter()
        compute_reference(outputs, prices)
        return {"seconds": time.perf_counter() - start, "peak_rss_gb": _peak_gb()}
    from signaldesk.onchain.engine import compute

    spark = spark_session(driver_memory="8g", shuffle_partitions=4) if engine == "spark" else None
    start = time.perf_counter()
    compute(outputs, prices, engine=engine, spark=spark,
            duckdb_options=DuckDBOptions(memory_limit=memory_limit, temp_directory=temp_dir))
    seconds = time.perf_counter() - start
    peak = _peak_gb(spark)
    if spark is not None:
        spark.stop()
    return {"seconds": seconds, "peak_rss_gb": peak}


def _measure(engine: str, data: Path, memory_limit: str = "8GB", temp_dir: str = "") -> dict[str, float]:
    """Run `_child` in a fresh subprocess (the parent stays small) and return what it reports."""
    cmd = [sys.executable, __file__, "--child", engine, str(data), memory_limit, temp_dir]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": float("nan"), "peak_rss_gb": float("nan"), "error": tail}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _bandwidth_gbs() -> float:
    """Single-thread streaming read bandwidth (GB/s): summing a 2 GB array."""
    import numpy as np

    block = np.ones(256 * 1024 * 1024, dtype=np.int64)
    block.sum()
    start = time.perf_counter()
    block.sum()
    return block.nbytes / (time.perf_counter() - start) / 1e9


def _chain(size: int, data_dir: Path) -> Path:
    """The chain of this size, generated (in a subprocess) the first time it is asked for."""
    target = data_dir / f"chain_{size}_{SEED}"
    if not (target / "prices.csv").exists():
        got = _measure("generate", target)
        print(f"generated {size:,} outputs in {got['seconds']:.0f} s (peak {got['peak_rss_gb']:.2f} GB) -> {target}",
              flush=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="one quick run: 200k outputs, duckdb and pandas")
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7, 1e8])
    parser.add_argument("--engines", nargs="*", default=["scan", "duckdb", "pandas", "spark"])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "signaldesk-bench")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    sizes = [200_000] if args.small else [int(s) for s in args.sizes]
    engines = ["scan", "duckdb", "pandas"] if args.small else args.engines
    temp_dir = str(args.data_dir / "duckdb_tmp")
    bandwidth = _measure("bandwidth", args.data_dir)["gbs"]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"memory read bandwidth ~{bandwidth:.1f} GB/s (one thread)")
    print("| outputs | engine | seconds | rows/s | peak RSS (GB) |")
    print("|---:|---|---:|---:|---:|")
    rows = []
    for size in sizes:
        data = _chain(size, args.data_dir)
        floor = size * 24 / (bandwidth * 1e9)  # three 8-byte columns streamed once
        print(f"| {size:,} | memory-bandwidth floor (24 B/row) | {floor:.2f} | {size / floor:,.0f} | – |", flush=True)
        for engine in engines:
            if (engine == "pandas" and size > PANDAS_MAX_ROWS) or (engine == "spark" and size > SPARK_MAX_ROWS):
                print(f"| {size:,} | {engine} | not run (size limit) | | |", flush=True)
                continue
            got = _measure(engine, data, args.memory_limit, temp_dir)
            label = "duckdb raw scan (3 columns)" if engine == "scan" else engine
            print(f"| {size:,} | {label} | {got['seconds']:.2f} | {size / got['seconds']:,.0f} | "
                  f"{got['peak_rss_gb']:.2f} |", flush=True)
            rows.append({"outputs": size, "engine": engine, **got})
    if args.json:
        args.json.write_text(json.dumps({"bandwidth_gbs": bandwidth, "rows": rows}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        engine, data, memory_limit, temp_dir = sys.argv[2:6]
        print(json.dumps(_child(engine, Path(data), memory_limit, temp_dir)))
    else:
        main()
