"""The engine's SQL, written once in DuckDB's dialect and transpiled by SQLGlot for Spark.

Tables the queries read (the engine registers them):
- `outputs`: the Parquet outputs table (`schema.py`).
- `pairs(c, s, v, n, n_values, v_min)`: `PAIRS` materialised, value in satoshis
  per (created day c, spent day s); s is null while unspent. Days are UTC day numbers
  (unix seconds // 86400).
- `prices(day, price_cents)`: one close per day, dense from the chain's first day to the as-of day.
- `lth_weights(age, w)`: the logistic LTH weight per age in days, × 10¹² as an integer.

Every USD quantity is an exact integer in satoshi × cent (`DECIMAL(38,0)`, enough for 10^38);
`derive.py` turns them into BTC and USD. Only `PAIRS` reads the outputs table: one O(N) scan.
Everything after runs on `pairs` (at most one row per (created day, spent day), in practice far
fewer than N): per-day sums of creations and spends, accumulated with running sums, so
O(pairs + days). The metrics that compare every cohort's price with every day's price need each
cohort's unspent value on each day, at most D²/2 (cohort, day) cells for D days, independent of N:
unrealised loss and supply in profit are summed in NumPy from the fetched pairs (`cohorts.py`,
`COHORT_PAIRS`); the logistic LTH split (`WEIGHTED`, only under `--lth logistic`) expands per-cohort
constant intervals into cells here (`GENERATE_SERIES`), not by a range join or a per-day rescan.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
"""The dialect the SQL below is written in."""

_RUNNING = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"

# Integer microseconds since the epoch: integer day arithmetic, no float rounding near midnight.
PAIRS = """
SELECT c, s, SUM(value_sat) AS v, COUNT(*) AS n, COUNT(value_sat) AS n_values, MIN(value_sat) AS v_min
FROM (
    SELECT EPOCH_US(created_time) // 86400000000 AS c, EPOCH_US(spent_time) // 86400000000 AS s, value_sat
    FROM outputs
) AS o
GROUP BY c, s
"""

# Checks run on `pairs`, not on the rows: a spend is only out of order if its day is (within a
# day the order does not change any metric).
CHECK = """
SELECT SUM(n) AS n, SUM(CASE WHEN c IS NULL THEN n ELSE 0 END) AS null_created,
       SUM(n - n_values) AS null_values, MIN(v_min) AS v_min,
       SUM(CASE WHEN s < c THEN n ELSE 0 END) AS bad_order,
       MIN(c) AS first_day, MAX(GREATEST(c, COALESCE(s, c))) AS last_day
FROM pairs
"""

# Pairs as seen on the as-of day: later creations dropped, later spends still unspent.
_AS_OF = """
p AS (
    SELECT c, CASE WHEN s <= {as_of} THEN s END AS s, CAST(v AS DECIMAL(38, 0)) AS v
    FROM pairs WHERE c <= {as_of}
)"""

# Unspent value per (cohort c, day) for every day it holds some: a cohort's unspent value only
# changes on its spend days, so it is a few constant intervals [lo, hi], expanded to days.
_CELLS = f"""
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
)"""

DAILY = f"""
WITH {_AS_OF},
pp AS (
    SELECT p.c, p.s, p.v, pc.price_cents AS pc, ps.price_cents AS ps
    FROM p JOIN prices AS pc ON pc.day = p.c LEFT JOIN prices AS ps ON ps.day = p.s
),
created AS (
    -- per creation day: value and realised cap added; `aging` is the part still unspent when
    -- it comes of age (LTH) on day c + lth_days
    SELECT c, SUM(v) AS v, SUM(v * pc) AS cap,
           SUM(CASE WHEN s IS NULL OR s > c + {{lth_days}} THEN v ELSE 0 END) AS aging,
           SUM(CASE WHEN s IS NULL OR s > c + {{lth_days}} THEN v * pc ELSE 0 END) AS aging_cap
    FROM pp GROUP BY c
),
spent AS (
    -- per spend day: value and realised cap leaving, valued at the spend day's close
    SELECT s, SUM(v) AS v, SUM(v * pc) AS cost, SUM(v * ps) AS value,
           SUM(CASE WHEN ps > pc THEN v * (ps - pc) ELSE 0 END) AS profit,
           SUM(CASE WHEN pc > ps THEN v * (pc - ps) ELSE 0 END) AS loss,
           SUM(v * (s - c)) AS cdd,
           SUM(CASE WHEN s > c + {{lth_days}} THEN v ELSE 0 END) AS lth_v,
           SUM(CASE WHEN s > c + {{lth_days}} THEN v * pc ELSE 0 END) AS lth_cost
    FROM pp WHERE s IS NOT NULL GROUP BY s
),
delta AS (
    SELECT d.day, d.price_cents,
           COALESCE(cr.v, 0) - COALESCE(sp.v, 0) AS supply_delta,
           COALESCE(cr.cap, 0) - COALESCE(sp.cost, 0) AS cap_delta,
           COALESCE(ag.aging, 0) - COALESCE(sp.lth_v, 0) AS lth_delta,
           COALESCE(ag.aging_cap, 0) - COALESCE(sp.lth_cost, 0) AS lth_cap_delta,
           COALESCE(sp.cost, 0) AS spent_cost, COALESCE(sp.value, 0) AS spent_value,
           COALESCE(sp.profit, 0) AS profit, COALESCE(sp.loss, 0) AS loss, COALESCE(sp.cdd, 0) AS cdd
    FROM prices AS d
    LEFT JOIN created AS cr ON cr.c = d.day
    LEFT JOIN created AS ag ON ag.c + {{lth_days}} = d.day
    LEFT JOIN spent AS sp ON sp.s = d.day
    WHERE d.day <= {{as_of}}
),
level AS (
    SELECT day, price_cents, spent_cost, spent_value, profit, loss, cdd,
           SUM(supply_delta) OVER (ORDER BY day {_RUNNING}) AS supply,
           SUM(cap_delta) OVER (ORDER BY day {_RUNNING}) AS realized_cap,
           SUM(lth_delta) OVER (ORDER BY day {_RUNNING}) AS lth_supply,
           SUM(lth_cap_delta) OVER (ORDER BY day {_RUNNING}) AS lth_cap,
           SUM(cdd) OVER (ORDER BY day {_RUNNING}) AS cum_cdd,
           SUM(supply_delta * price_cents) OVER (ORDER BY day {_RUNNING}) AS thermocap
    FROM delta
)
SELECT day, price_cents, supply, realized_cap, lth_supply, lth_cap, spent_cost, spent_value,
       profit, loss, cdd, cum_cdd, thermocap,
       SUM(supply) OVER (ORDER BY day {_RUNNING}) - supply AS coin_days_created
FROM level
ORDER BY day
"""

# The pairs as of the as-of day for `cohorts.py` (unrealised loss, supply in profit): a spend
# after it, or none, becomes the day after it.
COHORT_PAIRS = """
SELECT c, CASE WHEN s <= {as_of} THEN s ELSE {as_of} + 1 END AS s, CAST(v AS BIGINT) AS v
FROM pairs WHERE c <= {as_of}
"""

# Only for the logistic split: Σ unspent × w(age) per day over the cells.
WEIGHTED = f"""
WITH {_AS_OF},
{_CELLS}
SELECT x.day, SUM(x.u * w.w) AS lth_supply_w, SUM(x.u * w.w * x.pc) AS lth_cap_w
FROM cells AS x JOIN lth_weights AS w ON w.age = x.day - x.c
GROUP BY x.day
ORDER BY x.day
"""

URPD = f"""
WITH {_AS_OF},
unspent AS (SELECT c, SUM(v) AS v FROM p WHERE s IS NULL GROUP BY c),
bucketed AS (
    -- {{ath_cents}}: the highest close up to the as-of day, including days before the chain
    SELECT LEAST(({{buckets}} * pc.price_cents) // {{ath_cents}}, {{buckets}} - 1) AS bucket, u.v
    FROM unspent AS u JOIN prices AS pc ON pc.day = u.c
)
SELECT bucket, SUM(v) AS supply FROM bucketed GROUP BY bucket ORDER BY bucket
"""

_TEMPLATES = {
    "pairs": PAIRS,
    "check": CHECK,
    "daily": DAILY,
    "cohort_pairs": COHORT_PAIRS,
    "weighted": WEIGHTED,
    "urpd": URPD,
}


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
