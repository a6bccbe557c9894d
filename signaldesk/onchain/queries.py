"""The engine's SQL, written once in DuckDB's dialect and transpiled by SQLGlot for Spark.

SQL does the one step that reads the N outputs: `PAIRS` reduces them to value per (created day,
spent day), at most one row per pair of days (222k for a 4-year 1M-output chain, ~1M for 100M
outputs), which the engine fetches. Everything after runs on those pairs in NumPy, once for both
engines (`totals.py`, `cohorts.py`), except the logistic LTH split below.

Tables the queries read (the engine registers them):
- `outputs`: the Parquet outputs table (`schema.py`).
- `pairs(c, s, v)`: the fetched pairs as of the as-of day, loaded back for `WEIGHTED`; a spend
  after the as-of day (or none) is the day after it. Days are UTC day numbers (unix seconds // 86400).
- `prices(day, price_cents)`: one close per day, dense from the chain's first day to the as-of day.
- `lth_weights(age, w)`: the logistic LTH weight per age in days, × 10¹² as an integer.

`WEIGHTED` (only under `--lth logistic`) expands each cohort's constant unspent intervals into
(cohort, day) cells (`GENERATE_SERIES`) and sums them × the weight of their age, exactly, in
`DECIMAL(38,0)`: satoshi × 10¹² × cent does not fit the 64-bit integers NumPy has.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
"""The dialect the SQL below is written in."""

_RUNNING = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"

# Integer microseconds since the epoch: integer day arithmetic, no float rounding near midnight.
# Null days and values are counted, not dropped, so the engine can refuse such a table; the
# result has no NULLs (a null day is 0 with its flag set), so both engines hand it over as plain
# int64 and boolean columns.
PAIRS = """
SELECT COALESCE(created_day, 0) AS c, COALESCE(spent_day, 0) AS s,
       created_day IS NULL AS no_created, spent_day IS NULL AS unspent,
       CAST(COALESCE(SUM(value_sat), 0) AS BIGINT) AS v, COUNT(*) AS n, COUNT(value_sat) AS n_values,
       COALESCE(MIN(value_sat), 0) AS v_min
FROM (
    SELECT EPOCH_US(created_time) // 86400000000 AS created_day,
           EPOCH_US(spent_time) // 86400000000 AS spent_day, value_sat
    FROM outputs
) AS o
GROUP BY created_day, spent_day
"""

# Σ unspent × w(age) per day. A cohort's unspent value only changes on its spend days, so it is a
# few constant intervals [lo, hi], expanded to days.
WEIGHTED = f"""
WITH p AS (
    SELECT c, CASE WHEN s <= {{as_of}} THEN s END AS s, CAST(v AS DECIMAL(38, 0)) AS v FROM pairs
),
cohorts AS (SELECT c, SUM(v) AS v, MIN(s) AS first_s FROM p GROUP BY c),
intervals AS (
    SELECT c, c AS lo, COALESCE(first_s, {{as_of}} + 1) - 1 AS hi, v AS u FROM cohorts
    UNION ALL
    SELECT p.c, p.s,
           COALESCE(LEAD(p.s) OVER (PARTITION BY p.c ORDER BY p.s), {{as_of}} + 1) - 1,
           k.v - SUM(p.v) OVER (PARTITION BY p.c ORDER BY p.s {_RUNNING})
    FROM p JOIN cohorts AS k ON k.c = p.c
    WHERE p.s IS NOT NULL
),
cells AS (
    SELECT i.c, pc.price_cents AS pc, i.u, UNNEST(GENERATE_SERIES(i.lo, i.hi)) AS day
    FROM intervals AS i JOIN prices AS pc ON pc.day = i.c
    WHERE i.u <> 0 AND i.lo <= i.hi
)
SELECT x.day, SUM(x.u * w.w) AS lth_supply_w, SUM(x.u * w.w * x.pc) AS lth_cap_w
FROM cells AS x JOIN lth_weights AS w ON w.age = x.day - x.c
GROUP BY x.day
ORDER BY x.day
"""

_TEMPLATES = {"pairs": PAIRS, "weighted": WEIGHTED}


def _spark_names(node: exp.Expression) -> exp.Expression:
    """DuckDB functions under their Spark names: `EPOCH_US` is `UNIX_MICROS`, `GENERATE_SERIES` `SEQUENCE`.

    Written as unknown functions, which every SQLGlot version passes through verbatim: older ones
    (the 25.x of constraints/minimum.txt) neither know `UNIX_MICROS` nor translate the series.
    """
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "EPOCH_US":
        return exp.Anonymous(this="UNIX_MICROS", expressions=node.expressions)
    if isinstance(node, exp.GenerateSeries):
        return exp.Anonymous(this="SEQUENCE", expressions=[node.args["start"], node.args["end"]])
    return node


@cache
def _transpiled(name: str, dialect: str) -> str:
    """One template in `dialect`, with its `{placeholders}` kept for `render` to fill."""
    text = _TEMPLATES[name]
    if dialect == DIALECT:
        return text
    # Placeholders are not SQL: swap them for identifiers SQLGlot passes through untouched.
    marked = text.replace("{", "__ph_").replace("}", "__")
    tree = sqlglot.parse_one(marked, read=DIALECT).transform(_spark_names)
    out = tree.sql(dialect=dialect, pretty=True)
    return out.replace("__ph_", "{").replace("__", "}")


def render(name: str, dialect: str = DIALECT, **params: int) -> str:
    """The named query in `dialect` with its integer parameters filled in.

    Parameters are integers only (day numbers, bucket counts), so inlining them is safe.
    """
    values = {key: int(value) for key, value in params.items()}
    return _transpiled(name, dialect).format(**values)
