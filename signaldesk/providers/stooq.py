"""Stooq daily CSV: the fallback source of US equity closes when Yahoo refuses a ticker.

Not a provider of its own (it defines no `Provider`): `signaldesk.providers.yahoo` calls
`fetch_closes` for each ticker Yahoo did not answer, so the AI basket survives a Yahoo block.

Endpoint: `GET https://stooq.com/q/d/l/?s=nvda.us&i=d&d1=YYYYMMDD&d2=YYYYMMDD[&apikey=…]`
(US listings carry the `.us` suffix; `i=d` daily; `d1`/`d2` bound the range). The answer is CSV:

    Date,Open,High,Low,Close,Volume
    2024-06-13,129.39,129.80,127.16,129.61,260704000

oldest first, one row per session, `Date` the exchange's local day. Failures come back as
HTTP 200 with another body: `No data` (unknown symbol or empty range), `Exceeded the daily hits
limit` (a per-IP/key daily quota), or an HTML page — since early 2026 Stooq asks for an `apikey`
(obtained on its site behind a CAPTCHA) and shows non-browser clients a proof-of-work page. So
requests go out with a browser's fingerprint, the key is sent when `STOOQ_API_KEY` is set, and
every non-CSV body is a typed error naming what to do — never a price.

Quirks: during the US session the last row is the live price, not a close — it is dropped until
16:00 New York time. Stooq's closes are split-adjusted; its dividend adjustment is not documented,
so a ticker served from here may sit a past dividend apart from Yahoo's `adjclose` on days before
its last ex-date (the next dividend makes Yahoo re-fetch the ticker's whole window on its basis).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from signaldesk import settings
from signaldesk.clock import now_utc
from signaldesk.errors import MalformedError, RateLimitedError
from signaldesk.providers._checks import as_float
from signaldesk.providers.base import Session

NAME = "stooq"
"""The `source` stamped on closes that came from here."""
HOST = "stooq.com"
URL = f"https://{HOST}/q/d/l/"
KEY_ENV = "STOOQ_API_KEY"
KEY_PARAM = "apikey"
REQUESTS_PER_SECOND = 1.0
"""Stooq bans impatient IPs; the fallback asks for a few tickers at most, one a second."""
HEADER = ("Date", "Open", "High", "Low", "Close")
NEW_YORK = ZoneInfo("America/New_York")
SESSION_CLOSE = time(16, 0)


def symbol(ticker: str) -> str:
    """Yahoo's ticker → Stooq's US symbol (`BRK.B` → `brk-b.us`); an index (`^TNX`) has none."""
    if ticker.startswith("^"):
        raise ValueError(f"{ticker} is an index: Stooq has no US listing for it")
    return ticker.lower().replace(".", "-") + ".us"


def parse_csv(text: str, ticker: str, *, now: datetime | None = None) -> dict[date, float]:
    """Stooq's CSV → close per local trading day; a row of today's still-open session is dropped."""
    body = text.strip()
    head = body[:200].lower()
    if "exceeded the daily hits limit" in head:
        raise RateLimitedError(f"stooq: daily hits limit exceeded for this IP{_key_hint()}")
    if head.startswith("<"):
        raise MalformedError(
            f"stooq sent an HTML page instead of CSV for {ticker} (a key prompt or bot check){_key_hint()}"
        )
    if not body or head.startswith("no data"):
        raise MalformedError(f"stooq has no data for {ticker}")
    rows = list(csv.reader(io.StringIO(body)))
    if tuple(cell.strip() for cell in rows[0][: len(HEADER)]) != HEADER:
        raise MalformedError(f"stooq CSV for {ticker} starts {body[:60]!r}, not {','.join(HEADER)}")
    local_now = (now or now_utc()).astimezone(NEW_YORK)
    live_day = local_now.date() if local_now.time() < SESSION_CLOSE else None
    closes: dict[date, float] = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) < len(HEADER):
            raise MalformedError(f"stooq CSV for {ticker}: line {number} has {len(row)} fields")
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise MalformedError(f"stooq CSV for {ticker}: line {number} date {row[0][:20]!r}") from None
        if day != live_day:
            closes[day] = as_float(row[4], field=f"stooq {ticker} close on {day}")
    if not closes:
        raise MalformedError(f"stooq CSV for {ticker} holds no finished session")
    return closes


def _key_hint() -> str:
    return "" if settings.secret(KEY_ENV) else f"; Stooq now hands out API keys on its site: set {KEY_ENV}"


async def fetch_closes(http: Session, ticker: str, start: date) -> dict[date, float]:
    """Closes of `ticker` from `start` to today, asked for by the provider `http` is bound to (it declares
    the key: `STOOQ_API_KEY` in the `apikey` parameter, on Stooq's host only)."""
    try:
        stooq_symbol = symbol(ticker)
    except ValueError as exc:
        raise MalformedError(str(exc)) from None
    params = {"s": stooq_symbol, "i": "d", "d1": f"{start:%Y%m%d}", "d2": f"{now_utc():%Y%m%d}"}
    text = await http.get_text(URL, params=params, headers={"Accept": "text/csv,*/*;q=0.8"}, browser=True)
    return parse_csv(text, ticker)
