"""Bad inputs fail with one clear OnchainError: schema, values, prices, as-of day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from signaldesk.errors import OnchainError
from signaldesk.onchain.engine import compute
from signaldesk.onchain.prices import daily_cents, read_csv
from tests.onchain.chains import BTC, START, price_series, write_outputs

PRICES = price_series(30, lambda d: 100.0)


def test_missing_file_and_missing_column(tmp_path: Path) -> None:
    with pytest.raises(OnchainError, match="not found"):
        compute(tmp_path / "nope.parquet", PRICES)
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"txid": ["a"], "value_sat": [1]}), path)
    with pytest.raises(OnchainError, match="missing column"):
        compute(path, PRICES)


def test_negative_value_and_spend_before_creation(tmp_path: Path) -> None:
    with pytest.raises(OnchainError, match="negative"):
        compute(write_outputs(tmp_path / "neg.parquet", [(-5, 0, None)]), PRICES)
    with pytest.raises(OnchainError, match="spent on a day before"):
        compute(write_outputs(tmp_path / "order.parquet", [(BTC, 5, 3)]), PRICES)


def test_prices_must_cover_the_first_day(tmp_path: Path) -> None:
    path = write_outputs(tmp_path / "o.parquet", [(BTC, 0, None), (BTC, 3, None)])
    late = PRICES.iloc[2:]
    with pytest.raises(OnchainError, match="no BTC price on or before 2020-01-01"):
        compute(path, late)
    with pytest.raises(OnchainError, match="before the chain's first day"):
        compute(path, PRICES, as_of=date(2019, 12, 1))


def test_gaps_are_forward_filled_and_rounded_to_cents() -> None:
    sparse = PRICES.iloc[[0, 5]].copy()
    sparse.iloc[:] = [100.004, 250.0]
    table = daily_cents(sparse, 18262, 18268)  # 2020-01-01 .. 2020-01-07
    assert table["price_cents"].tolist() == [10000] * 5 + [25000] * 2


def test_csv_header_and_values(tmp_path: Path) -> None:
    good = tmp_path / "p.csv"
    good.write_text(f"date,price\n{START},100.5\n2020-01-02,101\n")
    assert read_csv(good).tolist() == [100.5, 101.0]
    bad = tmp_path / "q.csv"
    bad.write_text("day,close\n2020-01-01,1\n")
    with pytest.raises(OnchainError, match="date,price"):
        read_csv(bad)
    with pytest.raises(OnchainError, match="positive"):
        daily_cents(PRICES * -1, 18262, 18263)


def test_zone_less_timestamps_are_read_as_utc(tmp_path: Path) -> None:
    chain = [(BTC, 0, 3), (2 * BTC, 1, None)]
    aware = write_outputs(tmp_path / "aware.parquet", chain)
    table = pq.read_table(aware)
    naive_schema = pa.schema(
        [f.with_type(pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in table.schema]
    )
    naive = tmp_path / "naive.parquet"
    pq.write_table(table.cast(naive_schema), naive)
    prices = price_series(5, lambda d: 10.0 + d)
    assert compute(aware, prices).exact.equals(compute(naive, prices).exact)


def test_object_storage_needs_spark() -> None:
    with pytest.raises(OnchainError, match="a URI input needs --engine spark"):
        compute("s3a://bucket/outputs.parquet", PRICES)


def test_empty_table_and_null_times_or_values_are_refused_with_counts(tmp_path: Path) -> None:
    valid = pq.read_table(write_outputs(tmp_path / "ok.parquet", [(BTC, 0, None), (BTC, 1, 2), (BTC, 1, 2)]))
    loose = pa.schema([field.with_nullable(True) for field in valid.schema])  # a writer that allowed nulls

    def with_nulls(name: str, column: str, rows: list[int]) -> Path:
        values = [None if i in rows else v for i, v in enumerate(valid.column(column).to_pylist())]
        table = valid.cast(loose).set_column(
            valid.schema.get_field_index(column), column, pa.array(values, loose.field(column).type)
        )
        pq.write_table(table, tmp_path / name)
        return tmp_path / name

    with pytest.raises(OnchainError, match="is empty"):
        pq.write_table(valid.slice(0, 0), tmp_path / "empty.parquet")
        compute(tmp_path / "empty.parquet", PRICES)
    with pytest.raises(OnchainError, match=r"^2 output\(s\) have no created_time"):
        compute(with_nulls("no_created.parquet", "created_time", [1, 2]), PRICES)
    with pytest.raises(OnchainError, match=r"^1 output\(s\) have no value_sat"):
        compute(with_nulls("no_value.parquet", "value_sat", [2]), PRICES)
