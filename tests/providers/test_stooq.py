from datetime import UTC, date, datetime

import pytest

from signaldesk.errors import MalformedError, RateLimitedError
from signaldesk.providers.stooq import parse_csv, symbol

AFTER_CLOSE = datetime(2024, 6, 14, 21, 0, tzinfo=UTC)  # 17:00 in New York
IN_SESSION = datetime(2024, 6, 14, 15, 0, tzinfo=UTC)  # 11:00 in New York


@pytest.fixture
def csv_text(fixtures):
    return (fixtures / "yahoo" / "stooq__nvda_us.csv").read_text()


def test_close_column_per_session_day(csv_text):
    closes = parse_csv(csv_text, "NVDA", now=AFTER_CLOSE)
    assert closes == {
        date(2024, 6, 10): 121.79,
        date(2024, 6, 11): 120.91,
        date(2024, 6, 12): 125.2,
        date(2024, 6, 13): 129.61,
        date(2024, 6, 14): 131.88,
    }


def test_todays_row_is_a_live_price_until_the_new_york_close(csv_text):
    closes = parse_csv(csv_text, "NVDA", now=IN_SESSION)
    assert max(closes) == date(2024, 6, 13)


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        ("No data", MalformedError, "no data for NVDA"),
        ("Exceeded the daily hits limit", RateLimitedError, "STOOQ_API_KEY"),
        ("<!DOCTYPE html><html><body>Verifying you are human…</body></html>", MalformedError, "HTML page"),
        ("Data,Otwarcie,Najwyzszy\n2024-06-14,1,2", MalformedError, "not Date,Open"),
        ("Date,Open,High,Low,Close,Volume\n14/06/2024,1,2,0.5,1.5,10", MalformedError, "line 2 date"),
        ("Date,Open,High,Low,Close,Volume\n2024-06-14,1,2,0.5,n/a,10", MalformedError, "not a number"),
        ("Date,Open,High,Low,Close,Volume\n2024-06-14,1,2", MalformedError, "3 fields"),
    ],
)
def test_non_csv_answers_are_typed_errors(body, error, words, monkeypatch):
    monkeypatch.delenv("STOOQ_API_KEY", raising=False)
    with pytest.raises(error, match=words):
        parse_csv(body, "NVDA", now=AFTER_CLOSE)


def test_symbols():
    assert symbol("NVDA") == "nvda.us"
    assert symbol("BRK.B") == "brk-b.us"
    with pytest.raises(ValueError, match="index"):
        symbol("^TNX")
