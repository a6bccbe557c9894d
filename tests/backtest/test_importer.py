from datetime import UTC, datetime

import pytest

from signaldesk.backtest import CsvImportError
from signaldesk.backtest.importer import import_csv, parse_csv
from signaldesk.clock import pinned_now


def _write(tmp_path, text, name="data.csv", bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


GOOD = "date,value\n2024-01-02,42000.5\n2024-01-01,41000\n\n2024-01-03,1e4\n"


def test_import_writes_daily_observations_and_is_idempotent(store, tmp_path):
    path = _write(tmp_path, GOOD)
    assert import_csv(store, path, "price_usd", "btc", "mycsv") == 3
    series = store.series("price_usd", "btc")
    assert series.tolist() == [41000.0, 42000.5, 10000.0]
    assert str(series.index[0].date()) == "2024-01-01"
    assert store.latest_ts("price_usd", "btc", source="mycsv") == datetime(2024, 1, 3, tzinfo=UTC)
    assert import_csv(store, path, "price_usd", "btc", "mycsv") == 0
    assert store.count() == 3


def test_bom_and_header_case_are_tolerated(store, tmp_path):
    path = _write(tmp_path, "Date , VALUE\n2024-01-01,25\n", bom=True)
    assert import_csv(store, path, "fear_greed") == 1
    assert store.series("fear_greed").tolist() == [25.0]


@pytest.mark.parametrize(
    ("text", "metric", "message"),
    [
        ("date,value\n2024-01-01,1\n2024/01/02,2\n", "fear_greed", "line 3: not a date"),
        ("date,value\n2024-02-30,1\n", "fear_greed", "line 2: not a date"),
        ("date,value\n2024-01-01,abc\n", "fear_greed", "line 2: not a number: 'abc'"),
        ('date,value\n2024-01-01,"1,000"\n', "price_usd", "not a number: '1,000'"),
        ("date,value\n2024-01-01,nan\n", "fear_greed", "not a finite number"),
        ("date,value\n2024-01-01,150\n", "fear_greed", "outside the plausible range of fear_greed [0, 100]"),
        ("date,value\n2024-01-01,-5\n", "price_usd", "outside the plausible range"),
        ("date,value\n2024-01-01,1\n2024-01-01,2\n", "fear_greed", "line 3: 2024-01-01 already given on line 2"),
        ("date,value\n2024-01-01,1,7\n", "fear_greed", "expected 2 fields"),
        ("Date,Close,High\n2024-01-01,1,2\n", "fear_greed", "expected the header 'date,value'"),
        ("", "fear_greed", "expected the header"),
        ("date,value\n\n", "fear_greed", "no data rows"),
        ("date,value\n2024-01-01,1\n", "fear_and_greed", "unknown metric id 'fear_and_greed' (did you mean fear_greed"),
    ],
)
def test_bad_files_raise_clear_errors_and_write_nothing(store, tmp_path, text, metric, message):
    path = _write(tmp_path, text)
    with pytest.raises(CsvImportError, match=None) as info:
        import_csv(store, path, metric, "btc" if metric == "price_usd" else "")
    assert message in str(info.value)
    assert store.count() == 0


def test_one_bad_row_among_good_ones_writes_nothing_and_all_problems_are_listed(store, tmp_path):
    rows = ["date,value"] + [f"2024-01-{d:02d},{d}" for d in range(1, 29)] + ["2024-01-29,x", "2024-01-30,500", "bad,1"]
    path = _write(tmp_path, "\n".join(rows))
    with pytest.raises(CsvImportError) as info:
        import_csv(store, path, "fear_greed")
    text = str(info.value)
    assert "3 bad row(s), nothing imported" in text
    assert "line 30: not a number" in text and "line 31:" in text and "line 32: not a date" in text
    assert store.count() == 0


def test_future_days_are_refused():
    with pinned_now(datetime(2024, 1, 1, 12, tzinfo=UTC)), pytest.raises(CsvImportError, match="in the future"):
        parse_csv("date,value\n2024-01-02,5\n", "fear_greed")


def test_unreadable_and_non_utf8_files(store, tmp_path):
    with pytest.raises(CsvImportError, match="cannot read"):
        import_csv(store, tmp_path / "absent.csv", "fear_greed")
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,value\n2024-01-01,5\xe9\n".encode("latin-1"))
    with pytest.raises(CsvImportError, match="not UTF-8"):
        import_csv(store, path, "fear_greed")
