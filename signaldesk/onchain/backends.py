"""The two places the SQL runs: an embedded DuckDB (default) and Apache Spark (`--engine spark`).

A backend only registers tables and runs text it is given; it knows nothing about metrics, so
the two engines cannot drift apart. Results come back column by column, as Python integers for
the exact columns (`fetch`) or int64 arrays for a large integer table (`fetch_arrays`), never
through floating point.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from signaldesk.errors import OnchainError

if TYPE_CHECKING:
    import numpy as np

ENGINES: tuple[str, ...] = ("duckdb", "spark")


Columns = dict[str, list[Any]]
"""A small query result by column: integers (exact, whatever their size) or None for SQL NULL."""
IntColumns = dict[str, "Sequence[int] | np.ndarray"]
"""A table to register, by column: 64-bit integers."""


def _exact(value: Any) -> int | None:
    """A decimal, integer or decimal text of scale 0 as a Python int (None stays None)."""
    return None if value is None else int(value)


class Backend(Protocol):
    """What the engine needs from a SQL runtime."""

    dialect: str

    def load_outputs(self, location: str) -> None: ...
    def load_table(self, name: str, columns: IntColumns) -> None: ...
    def fetch(self, sql: str) -> Columns: ...
    def fetch_arrays(self, sql: str) -> dict[str, np.ndarray]: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DuckDBOptions:
    """DuckDB resource limits; past `memory_limit` it spills to `temp_directory` (default: OS temp dir)."""

    memory_limit: str = "8GB"
    temp_directory: str | None = None
    threads: int | None = None


@contextmanager
def _duckdb_errors() -> Iterator[None]:
    """A failed DuckDB statement (bad input, overflow, out of memory) → one-line OnchainError."""
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        raise OnchainError(f"DuckDB failed: {str(exc).splitlines()[0]}") from exc


class DuckDBBackend:
    """An in-memory DuckDB connection of its own (the store's file is never locked by the scan)."""

    dialect = "duckdb"

    def __init__(self, options: DuckDBOptions | None = None) -> None:
        import duckdb

        opts = options or DuckDBOptions()
        spill = Path(opts.temp_directory or Path(tempfile.gettempdir()) / "signaldesk-duckdb")
        spill.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "memory_limit": opts.memory_limit,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
        if opts.threads:
            config["threads"] = opts.threads
        self._con = duckdb.connect(":memory:", config=config)
        self._con.execute("SET enable_progress_bar = false")

    def load_outputs(self, location: str) -> None:
        quoted = location.replace("'", "''")
        self._con.execute(f"CREATE OR REPLACE VIEW outputs AS SELECT * FROM read_parquet('{quoted}')")

    def load_table(self, name: str, columns: IntColumns) -> None:
        import pyarrow as pa

        table = pa.table({col: pa.array(values, pa.int64()) for col, values in columns.items()})
        self._con.register("_incoming", table)
        try:
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _incoming")
        finally:
            self._con.unregister("_incoming")

    def fetch(self, sql: str) -> Columns:
        """Wide integers (HUGEINT, DECIMAL) travel as text: DuckDB's `Decimal` objects cost 4× more."""
        with _duckdb_errors():
            bound = self._con.sql(sql)  # binds the query to learn its column types; runs nothing
            columns = list(zip(bound.columns, (str(kind) for kind in bound.types), strict=True))
        select = ", ".join(
            f'CAST("{name}" AS VARCHAR) AS "{name}"' if kind.startswith(("DECIMAL", "HUGEINT")) else f'"{name}"'
            for name, kind in columns
        )
        arrays = self._run(f"SELECT {select} FROM ({sql}) AS q").fetchnumpy()
        return {name: [_exact(v) for v in arrays[name].tolist()] for name, _ in columns}

    def fetch_arrays(self, sql: str) -> dict[str, np.ndarray]:
        """A relation (`sql()`), not a cursor (`execute()`): it hands columns to NumPy at half the cost."""
        import numpy as np

        with _duckdb_errors():
            arrays = self._con.sql(sql).fetchnumpy()
        return {name: np.asarray(values, dtype=np.int64) for name, values in arrays.items()}

    def _run(self, sql: str) -> Any:
        with _duckdb_errors():
            return self._con.execute(sql)

    def close(self) -> None:
        self._con.close()


SUBMITTED = "PYSPARK_GATEWAY_PORT"
"""Set by `spark-submit` for the Python driver it starts (PySpark then joins that JVM)."""


def spark_session(master: str = "local[*]", driver_memory: str = "4g", shuffle_partitions: int = 8) -> Any:
    """The active SparkSession or a new one set up for the engine (UTC days, no UI).

    Under `spark-submit` the session is the submitted application's: master, memory, partitions
    and UI come from spark-submit's options, and only the UTC session zone is set here. Otherwise
    a `local[...]` master keeps the driver on 127.0.0.1: without that Spark resolves the host name
    and binds on the first network interface, which a single-machine run has no use for.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise OnchainError("--engine spark needs PySpark: pip install 'signaldesk[spark]'") from exc
    builder = SparkSession.builder.appName("signaldesk-onchain").config("spark.sql.session.timeZone", "UTC")
    if SUBMITTED in os.environ:
        return builder.getOrCreate()
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise OnchainError(
            "--engine spark needs Java 17 or newer: install a JDK (Debian: apt-get install openjdk-17-jre-headless) "
            "or set JAVA_HOME"
        )
    builder = builder.master(master)
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .getOrCreate()
    )


@contextmanager
def _spark_errors() -> Iterator[None]:
    """A failed Spark query (analysis error, overflow, lost executor) → one-line OnchainError."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise OnchainError(f"Spark failed: {str(exc).strip().splitlines()[0]}") from exc


class SparkBackend:
    """Runs the transpiled SQL on a SparkSession (`local[*]` unless one is already active)."""

    dialect = "spark"

    def __init__(self, session: Any | None = None) -> None:
        self._spark = session or spark_session()
        # Zone-less Parquet timestamps are UTC by contract; Spark reads them in the session zone.
        self._spark.conf.set("spark.sql.session.timeZone", "UTC")
        # Tables in and out through Arrow (`load_table`, `fetch_arrays`): no Row objects.
        self._spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")

    def load_outputs(self, location: str) -> None:
        with _spark_errors():
            self._spark.read.parquet(location).createOrReplaceTempView("outputs")

    def load_table(self, name: str, columns: IntColumns) -> None:
        """Through Arrow (enabled above): a million pairs load in a second, not as a million Rows."""
        import numpy as np
        import pandas as pd

        frame = pd.DataFrame({col: np.asarray(values, dtype=np.int64) for col, values in columns.items()})
        with _spark_errors():
            self._spark.createDataFrame(frame).createOrReplaceTempView(name)

    def fetch(self, sql: str) -> Columns:
        with _spark_errors():
            frame = self._spark.sql(sql)
            rows = frame.collect()
        return {name: [_exact(row[i]) for row in rows] for i, name in enumerate(frame.columns)}

    def fetch_arrays(self, sql: str) -> dict[str, np.ndarray]:
        import numpy as np

        with _spark_errors():
            frame = self._spark.sql(sql).toPandas()
        return {name: frame[name].to_numpy(dtype=np.int64) for name in frame.columns}

    def close(self) -> None:
        """The session is the caller's (or the submitted application's) to stop; nothing is cached."""


def open_backend(engine: str, *, duckdb_options: DuckDBOptions | None = None, spark: Any | None = None) -> Backend:
    """A backend by name (`duckdb` or `spark`)."""
    if engine == "duckdb":
        return DuckDBBackend(duckdb_options)
    if engine == "spark":
        return SparkBackend(spark)
    raise OnchainError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
