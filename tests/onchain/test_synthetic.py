"""The synthetic chain: seeded, exactly N rows, valid schema, value conserved like Bitcoin's."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from signaldesk.errors import OnchainError
from signaldesk.onchain.schema import arrow_schema, check_outputs_file
from signaldesk.onchain.synthetic import GENESIS, SynthSummary, default_days, generate


def test_shape_and_schema(small_chain: SynthSummary) -> None:
    assert small_chain.rows == 3_000 and small_chain.days == 200
    assert check_outputs_file(small_chain.outputs_path) == 3_000
    assert pq.read_schema(small_chain.outputs_path).equals(arrow_schema(), check_metadata=False)
    lines = small_chain.prices_path.read_text().splitlines()
    assert lines[0] == "date,price" and len(lines) == 201
    assert lines[1].startswith(f"{GENESIS.isoformat()},")


def test_value_is_conserved_and_times_are_ordered(small_chain: SynthSummary) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # CAST(timestamptz AS DATE) then means the UTC day, whatever TZ says
    path = str(small_chain.outputs_path)
    unspent, bad, same_day, txids, dup = con.execute(
        f"""
        SELECT sum(value_sat) FILTER (WHERE spent_time IS NULL),
               count(*) FILTER (WHERE spent_time < created_time OR spent_height < created_height),
               count(*) FILTER (WHERE CAST(spent_time AS DATE) = CAST(created_time AS DATE)),
               count(DISTINCT txid),
               count(*) - count(DISTINCT (txid, vout))
        FROM read_parquet('{path}')
        """
    ).fetchone()
    # Supply = everything ever issued: 200 days × 144 blocks × 50 BTC (no halving before block 210,000).
    assert unspent == 200 * 144 * 50 * 100_000_000
    assert bad == 0 and dup == 0
    assert 0 < same_day < 3_000 and 1_000 < txids < 3_000  # some same-day spends; 1–3 outputs per tx
    # Every day has at least two outputs and the last day has spends (the chain is active throughout).
    per_day = con.execute(f"SELECT count(*) FROM read_parquet('{path}') GROUP BY CAST(created_time AS DATE)").fetchall()
    assert len(per_day) == 200 and min(n for (n,) in per_day) >= 2


def test_same_seed_same_chain_other_seed_other_chain(tmp_path: Path) -> None:
    a = generate(500, tmp_path / "a", seed=1, days=60)
    b = generate(500, tmp_path / "b", seed=1, days=60)
    c = generate(500, tmp_path / "c", seed=2, days=60)
    assert pq.read_table(a.outputs_path).equals(pq.read_table(b.outputs_path))
    assert a.prices_path.read_text() == b.prices_path.read_text()
    assert not pq.read_table(a.outputs_path).equals(pq.read_table(c.outputs_path))


def test_sizes() -> None:
    assert default_days(1_000) == 60 and default_days(10_000) == 500 and default_days(10**8) == 1461


def test_too_few_outputs_for_the_span(tmp_path: Path) -> None:
    with pytest.raises(OnchainError, match="at least 120"):
        generate(100, tmp_path, days=60)
