"""Run the on-chain SQL on one engine and return exact daily totals plus the derived metrics.

Order of work: one SQL scan of the outputs into (created day, spent day) pairs, fetched as int64
arrays → checks and the as-of cut on the pairs → per-day totals and URPD (`totals.py`) beside
the cohort × day grid (`cohorts.py`), on two threads → `derive.py`. Only the scan touches N rows
and only it differs between engines; under `--lth logistic` the weighted sums also run in SQL, on
the pairs loaded back. Everything after the scan is O(pairs + days²), whatever N is.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from signaldesk.errors import OnchainError
from signaldesk.onchain import queries
from signaldesk.onchain.backends import Backend, Columns, DuckDBOptions, open_backend
from signaldesk.onchain.cohorts import price_conditioned
from signaldesk.onchain.prices import all_time_high_cents, daily_cents, day_date, day_number
from signaldesk.onchain.schema import check_outputs_file
from signaldesk.onchain.totals import DAY_COLUMNS, day_totals, urpd_supply

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

LthMode = Literal["sharp", "logistic"]
LTH_DAYS = 155
"""Age in days from which a coin counts as long-term held (Glassnode's threshold)."""
LOGISTIC_WIDTH_DAYS = 10.0
"""Glassnode's logistic transition width: 50 % LTH at 155 d, 90 % at about 177 d."""
WEIGHT_SCALE = 10**12
"""Logistic weights travel as integers in units of 10⁻¹²: sat × weight × cent stays < 10³⁸."""

EXACT_COLUMNS: tuple[str, ...] = (*DAY_COLUMNS, "unrealized_loss", "supply_in_profit")
"""Per-day exact integers: sat, sat×cent, sat-days."""
WEIGHTED_COLUMNS: tuple[str, ...] = ("lth_supply_w", "lth_cap_w")
"""Added under the logistic split only: sums carrying `WEIGHT_SCALE` × a logistic weight."""


@dataclass(slots=True)
class OnchainResult:
    """What one computation yields.

    `exact` (index: day number) holds the engine's integer totals (`EXACT_COLUMNS`, plus
    `WEIGHTED_COLUMNS` under the logistic split), the thing the two engines must agree on to the
    satoshi and cent; `daily` (index: dates) the metrics in BTC, USD and ratios;
    `urpd` the supply per price bucket on the as-of day.
    """

    as_of: date
    outputs: int
    exact: pd.DataFrame
    daily: pd.DataFrame
    urpd: pd.DataFrame
    lth_mode: LthMode


def logistic_weight(age_days: float) -> float:
    """Share of a coin of this age counted as long-term held under Glassnode's logistic split."""
    return 1.0 / (1.0 + math.exp(-(age_days - LTH_DAYS) / LOGISTIC_WIDTH_DAYS))


def _weights(max_age: int) -> dict[str, list[int]]:
    """Columns age, w (weight × `WEIGHT_SCALE`, an integer) for ages 0..max_age.

    Integer weights keep the weighted sums exact, hence identical on both engines; the rounding
    (at most 5 × 10⁻¹³ of a coin) is far below any displayed digit.
    """
    ages = list(range(max_age + 1))
    return {"age": ages, "w": [round(WEIGHT_SCALE * logistic_weight(age)) for age in ages]}


def _checked_range(pairs: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """Validate the scan's pairs; return (rows, first day, last day).

    The checks read the pairs, not the rows: a spend is only out of order if its day is (within
    a day the order changes no metric).
    """
    count = pairs["n"]
    rows = int(count.sum())
    if not rows:
        raise OnchainError("the outputs table is empty")
    if null_created := int(count[pairs["no_created"] != 0].sum()):
        raise OnchainError(f"{null_created} output(s) have no created_time")
    if null_values := int((count - pairs["n_values"]).sum()):
        raise OnchainError(f"{null_values} output(s) have no value_sat")
    if pairs["v_min"].min() < 0:
        raise OnchainError("value_sat must not be negative")
    created, spent, unspent = pairs["c"], pairs["s"], pairs["unspent"] != 0
    if bad_order := int(count[~unspent & (spent < created)].sum()):
        raise OnchainError(f"{bad_order} output(s) are spent on a day before the one they were created")
    return rows, int(created.min()), int(max(created.max(), spent[~unspent].max(initial=created.min())))


def _as_of(pairs: dict[str, np.ndarray], cut: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(created, spent, value) as seen at the end of day `cut`: later creations dropped, later
    spends (and none) on day `cut` + 1."""
    import numpy as np

    created, spent, value, unspent = pairs["c"], pairs["s"], pairs["v"], pairs["unspent"] != 0
    kept = created <= cut
    if not kept.all():  # an earlier as-of day: copy only then
        created, spent, value, unspent = created[kept], spent[kept], value[kept], unspent[kept]
    return created, np.where(unspent | (spent > cut), cut + 1, spent), value


def _weighted(backend: Backend, pairs: dict[str, np.ndarray], price_table: pd.DataFrame, cut: int) -> Columns:
    """The logistic LTH sums (`queries.WEIGHTED`) on the as-of pairs, loaded back into the engine."""
    backend.load_table("pairs", pairs)
    backend.load_table("prices", {col: price_table[col].to_numpy() for col in ("day", "price_cents")})
    backend.load_table("lth_weights", _weights(cut - int(price_table["day"].iloc[0])))
    return backend.fetch(queries.render("weighted", backend.dialect, as_of=cut))


def compute(
    outputs: str | Path,
    prices: pd.Series,
    *,
    engine: str = "duckdb",
    as_of: date | None = None,
    lth_mode: LthMode = "sharp",
    urpd_buckets: int = 100,
    duckdb_options: DuckDBOptions | None = None,
    spark: Any | None = None,
) -> OnchainResult:
    """Every on-chain series from the outputs Parquet file and daily BTC closes (USD).

    `outputs` is a local path, or with the Spark engine also a URI Spark can read (`s3a://…`).

    `as_of` (default: the last day with a creation or spend) cuts the chain: later outputs are
    ignored and later spends count as unspent. URPD uses `urpd_buckets` equal buckets from 0 to
    the all-time-high close up to `as_of` (days before the chain's first included).
    """
    import pandas as pd

    from signaldesk.onchain.derive import derive_daily, urpd_frame

    if lth_mode not in ("sharp", "logistic"):
        raise OnchainError(f"unknown LTH mode {lth_mode!r}; choose sharp or logistic")
    if urpd_buckets < 1:
        raise OnchainError("URPD needs at least one bucket")
    location = str(outputs)
    if "://" in location:  # object storage (s3a://, gs://, abfss://, hdfs://): Spark reads and checks it
        if engine != "spark":
            raise OnchainError(f"{location}: a URI input needs --engine spark; DuckDB reads local files")
    else:
        check_outputs_file(location)
    backend = open_backend(engine, duckdb_options=duckdb_options, spark=spark)
    with ThreadPoolExecutor(max_workers=2) as pool:  # NumPy and DuckDB release the GIL: two cores at work
        try:
            backend.load_outputs(location)
            pairs = backend.fetch_arrays(queries.render("pairs", backend.dialect))
            rows, first_day, last_day = _checked_range(pairs)
            cut = last_day if as_of is None else day_number(as_of)
            if cut < first_day:
                raise OnchainError(f"--as-of {day_date(cut)} is before the chain's first day {day_date(first_day)}")
            price_table = daily_cents(prices, first_day, cut)
            created, spent, value = _as_of(pairs, cut)
            weighted = None
            if lth_mode == "logistic":
                weighted = _weighted(backend, {"c": created, "s": spent, "v": value}, price_table, cut)
        finally:
            closing = pool.submit(backend.close)
        price_cents = price_table["price_cents"].to_numpy()
        by_cohort = pool.submit(price_conditioned, created, spent, value, price_cents, first_day)
        totals = day_totals(created, spent, value, price_cents, first_day, LTH_DAYS)
        unrealized_loss, supply_in_profit = by_cohort.result()
        closing.result()  # a failed close is still an error

    day_index = pd.Index(price_table["day"].to_numpy(), name="day", dtype="int64")
    exact = pd.DataFrame(totals, index=day_index, dtype=object)
    exact["unrealized_loss"], exact["supply_in_profit"] = unrealized_loss, supply_in_profit
    columns = list(EXACT_COLUMNS)
    if weighted is not None:
        by_day = pd.DataFrame(weighted, index=pd.Index(weighted.pop("day"), name="day", dtype="int64"), dtype=object)
        exact = exact.join(by_day.reindex(exact.index, fill_value=0))  # days without unspent coins: 0
        columns += WEIGHTED_COLUMNS
    exact = exact[columns]
    ath_cents = all_time_high_cents(prices, cut)
    return OnchainResult(
        as_of=day_date(cut),
        outputs=rows,
        exact=exact,
        daily=derive_daily(exact, lth_mode),
        urpd=urpd_frame(urpd_supply(created, spent, value, price_cents, first_day, urpd_buckets, ath_cents), ath_cents),
        lth_mode=lth_mode,
    )
