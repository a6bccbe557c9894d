"""Run the on-chain SQL on one engine and return exact daily totals plus the derived metrics.

Order of work: one scan of the outputs table into `pairs` → checks → prices and LTH weights as
small tables → the daily query (and, for the logistic split, the weighted one), URPD and the pairs
for `cohorts.py` → `derive.py`. Only the first step touches N rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from signaldesk.errors import OnchainError
from signaldesk.onchain import queries
from signaldesk.onchain.backends import Backend, DuckDBOptions, open_backend
from signaldesk.onchain.cohorts import price_conditioned
from signaldesk.onchain.prices import all_time_high_cents, daily_cents, day_date, day_number
from signaldesk.onchain.schema import check_outputs_file

if TYPE_CHECKING:
    import pandas as pd

LthMode = Literal["sharp", "logistic"]
LTH_DAYS = 155
"""Age in days from which a coin counts as long-term held (Glassnode's threshold)."""
LOGISTIC_WIDTH_DAYS = 10.0
"""Glassnode's logistic transition width: 50 % LTH at 155 d, 90 % at about 177 d."""
WEIGHT_SCALE = 10**12
"""Logistic weights travel as integers in units of 10⁻¹²: sat × weight × cent stays < 10³⁸."""

EXACT_COLUMNS: tuple[str, ...] = (
    "price_cents",
    "supply",
    "realized_cap",
    "lth_supply",
    "lth_cap",
    "spent_cost",
    "spent_value",
    "profit",
    "loss",
    "cdd",
    "cum_cdd",
    "thermocap",
    "coin_days_created",
    "unrealized_loss",
    "supply_in_profit",
)
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


def _checked_range(backend: Backend) -> tuple[int, int, int]:
    """Validate the scanned table; return (rows, first day, last day)."""
    row = {name: values[0] for name, values in backend.fetch(queries.render("check", backend.dialect)).items()}
    if not row["n"]:
        raise OnchainError("the outputs table is empty")
    if row["null_created"]:
        raise OnchainError(f"{row['null_created']} output(s) have no created_time")
    if row["null_values"]:
        raise OnchainError(f"{row['null_values']} output(s) have no value_sat")
    if row["v_min"] < 0:
        raise OnchainError("value_sat must not be negative")
    if row["bad_order"]:
        raise OnchainError(f"{row['bad_order']} output(s) are spent on a day before the one they were created")
    return int(row["n"]), int(row["first_day"]), int(row["last_day"])


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
    try:
        dialect = backend.dialect
        backend.load_outputs(location)
        backend.materialize("pairs", queries.render("pairs", dialect))
        rows, first_day, last_day = _checked_range(backend)
        cut = last_day if as_of is None else day_number(as_of)
        if cut < first_day:
            raise OnchainError(f"--as-of {day_date(cut)} is before the chain's first day {day_date(first_day)}")
        price_table = daily_cents(prices, first_day, cut)
        ath_cents = all_time_high_cents(prices, cut)
        backend.load_table("prices", {col: price_table[col].tolist() for col in ("day", "price_cents")})
        if lth_mode == "logistic":
            backend.load_table("lth_weights", _weights(cut - first_day))
        params = {"as_of": cut, "lth_days": LTH_DAYS, "buckets": urpd_buckets, "ath_cents": ath_cents}
        daily = backend.fetch(queries.render("daily", dialect, **params))
        weighted = backend.fetch(queries.render("weighted", dialect, **params)) if lth_mode == "logistic" else None
        urpd = backend.fetch(queries.render("urpd", dialect, **params))
        pairs = backend.fetch_arrays(queries.render("cohort_pairs", dialect, **params))
    finally:
        backend.close()

    exact = pd.DataFrame(daily, index=pd.Index(daily.pop("day"), name="day", dtype="int64"), dtype=object)
    exact["unrealized_loss"], exact["supply_in_profit"] = price_conditioned(
        pairs["c"], pairs["s"], pairs["v"], price_table["price_cents"].to_numpy(), first_day
    )
    columns = list(EXACT_COLUMNS)
    if weighted is not None:
        by_day = pd.DataFrame(weighted, index=pd.Index(weighted.pop("day"), name="day", dtype="int64"), dtype=object)
        exact = exact.join(by_day.reindex(exact.index, fill_value=0))  # days without unspent coins: 0
        columns += WEIGHTED_COLUMNS
    exact = exact[columns]
    bucket_supply = dict(zip(urpd["bucket"], urpd["supply"], strict=True))
    return OnchainResult(
        as_of=day_date(cut),
        outputs=rows,
        exact=exact,
        daily=derive_daily(exact, lth_mode),
        urpd=urpd_frame(bucket_supply, urpd_buckets, ath_cents),
        lth_mode=lth_mode,
    )
