"""UTXO-level on-chain metrics: written once as SQL, run on DuckDB (default) or Spark.

The input is one table of transaction outputs (`schema.py`); the engine (`engine.py`) reduces it
in one scan to value per (created day, spent day) and derives every daily series from that with
event deltas and cumulative sums (`queries.py`, `derive.py`) and, for the two metrics that compare
every cohort's price with each day's, a cohort × day grid in NumPy (`cohorts.py`). `synthetic.py`
makes seeded test chains and `cli.py` is the `signaldesk onchain` Typer sub-app; the plain pandas
implementation the engine is cross-checked and benchmarked against is `tests/onchain/reference.py`.
Heavy libraries are imported lazily.
"""

from __future__ import annotations

SOURCE = "onchain_engine"
"""The `source` of every observation the engine writes into the store."""
