"""`signaldesk store import FILE.csv --metric ID`: bring daily history from anywhere into the store.

The file is a plain `date,value` CSV (header required, UTF-8, a BOM is tolerated), one row per
UTC day, dates as `YYYY-MM-DD`, values in the metric's own unit (METRICS.md: USD not millions,
fractions not percent). Everything is checked before anything is written — the metric id against
the catalog, every date, every number, the metric's plausible range, duplicates, days in the
future — and all problems are reported together with their line numbers, so a user fixes the
file once instead of once per error. The write is one transaction and idempotent: importing the
same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from signaldesk.backtest import CsvImportError
from signaldesk.catalog import CATALOG
from signaldesk.clock import day_start, today_utc
from signaldesk.models import Observation

if TYPE_CHECKING:
    from signaldesk.store import Store

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_REPORTED = 5


def _check_metric(metric: str) -> None:
    if metric in CATALOG:
        return
    near = difflib.get_close_matches(metric, list(CATALOG), n=3)
    hint = (
        f" (did you mean {', '.join(near)}?)"
        if near
        else " (ids are listed in docs/metrics.md and signaldesk/catalog.py)"
    )
    raise CsvImportError(f"unknown metric id {metric!r}{hint}")


def parse_csv(
    text: str, metric: str, entity: str = "", source: str = "csv", *, name: str = "<csv>"
) -> list[Observation]:
    """Validate a `date,value` CSV text and turn it into observations stamped 00:00 UTC, oldest first.

    Raises:
        CsvImportError: naming the file, the first problems with their line numbers, and how many.
    """
    _check_metric(metric)
    if not source.strip():
        raise CsvImportError("the source name must not be empty")
    spec = CATALOG[metric]
    rows = csv.reader(io.StringIO(text))
    _check_header(next(rows, None), name)
    today = today_utc()
    problems: list[str] = []
    seen: dict[date, int] = {}
    observations: list[Observation] = []
    for line_no, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            problems.append(f"line {line_no}: expected 2 fields (date,value), got {len(row)}")
            continue
        raw_day, raw_value = row[0].strip(), row[1].strip()
        day = _parse_day(raw_day)
        if day is None:
            problems.append(f"line {line_no}: not a date (want YYYY-MM-DD): {raw_day!r}")
            continue
        if day > today:
            problems.append(f"line {line_no}: {raw_day} is in the future")
            continue
        if day in seen:
            problems.append(f"line {line_no}: {raw_day} already given on line {seen[day]}")
            continue
        seen[day] = line_no
        try:
            value = float(raw_value)
        except ValueError:
            problems.append(f"line {line_no}: not a number: {raw_value!r}")
            continue
        if not math.isfinite(value):
            problems.append(f"line {line_no}: not a finite number: {raw_value!r}")
            continue
        if not spec.plausible(value):
            problems.append(
                f"line {line_no}: {value:g} is outside the plausible range of {metric} "
                f"[{spec.lo:g}, {spec.hi:g}] ({spec.unit})"
            )
            continue
        observations.append(Observation(metric, entity, day_start(day), value, source))
    _reject_if_any(problems, name)
    if not observations:
        raise CsvImportError(f"{name}: no data rows after the header")
    observations.sort(key=lambda o: o.ts)
    return observations


def _check_header(header: list[str] | None, name: str) -> None:
    """Refuse a file without the `date,value` header: without it the columns could mean anything."""
    if header is None or [h.strip().lower() for h in header] != ["date", "value"]:
        got = ",".join(header) if header else "an empty file"
        raise CsvImportError(f"{name}: expected the header 'date,value', got {got!r}")


def _reject_if_any(problems: list[str], name: str) -> None:
    """Raise once for all bad rows (the first few shown, the rest counted), so the file is fixed in one go."""
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED])
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise CsvImportError(f"{name}: {len(problems)} bad row(s), nothing imported: {shown}{more}")


def _parse_day(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def import_csv(store: Store, path: str | Path, metric: str, entity: str = "", source: str = "csv") -> int:
    """Validate `path` and write it to `store` in one transaction; the number of rows added.

    Rows whose value is already stored for the same day and source are not added again, so the
    count of a repeated import is 0. Nothing is written when any row is invalid.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CsvImportError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvImportError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    observations = parse_csv(text, metric, entity.strip(), source.strip(), name=str(file))
    digest = hashlib.sha256(raw).hexdigest()[:12]
    stats = store.write_observations(observations, run_id=f"import:{source.strip()}:{digest}")
    return stats.inserted
