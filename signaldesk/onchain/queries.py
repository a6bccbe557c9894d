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
fewer than N) with per-day deltas and cumulative sums; the cohort × day grid (`GRID`) has at
most D²/2 cells for D days, independent of N.
"""

from __future__ import annotations

from functools import cache

import sqlglot

DIALECT = "duckdb"
"""The dialect the SQL below is written in."""

_RUNNING = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"

PAIRS = """
SELECT c, s, SUM(value_sat) AS v, COUNT(*) AS n, COUNT(value_sat) AS n_values, MIN(value_sat) AS v_min
FROM (
    SELECT CAST(FLOOR(EPOCH(created_time) / 86400) AS BIGINT) AS c,
           CAST(FLOOR(EPOCH(spent_time) / 86400) AS BIGINT) AS s,
           value_sat
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

DAILY = f"""
WITH {_AS_OF},
pp AS (
    SELECT p.c, p.s, p.v, pc.price_cents AS pc, ps.price_cents AS ps
    FROM p JOIN prices AS pc ON pc.day = p.c LEFT JOIN prices AS ps ON ps.day = p.s
),
events AS (
    -- creation: supply and realised cap grow by the value at the creation day's close
    SELECT c AS day, v AS supply_d, v * pc AS cap_d, 0 AS lth_d, 0 AS lth_cap_d,
           0 AS spent_cost, 0 AS spent_value, 0 AS profit, 0 AS loss, 0 AS cdd
    FROM pp
    UNION ALL
    -- spend: the same amounts leave; the spend is valued at the spend day's close
    SELECT s, -v, -(v * pc), 0, 0, v * pc, v * ps,
           CASE WHEN ps > pc THEN v * (ps - pc) ELSE 0 END,
           CASE WHEN pc > ps THEN v * (pc - ps) ELSE 0 END,
           v * (s - c)
    FROM pp WHERE s IS NOT NULL
    UNION ALL
    -- coming of age: still unspent {{lth_days}} days after creation, the value becomes long-term held
    SELECT c + {{lth_days}}, 0, 0, v, v * pc, 0, 0, 0, 0, 0
    FROM pp WHERE c + {{lth_days}} <= {{as_of}} AND (s IS NULL OR s > c + {{lth_days}})
    UNION ALL
    -- a long-term holder spends
    SELECT s, 0, 0, -v, -(v * pc), 0, 0, 0, 0, 0
    FROM pp WHERE s > c + {{lth_days}}
),
delta AS (
    SELECT d.day, d.price_cents,
           COALESCE(SUM(e.supply_d), 0) AS supply_delta, COALESCE(SUM(e.cap_d), 0) AS cap_delta,
           COALESCE(SUM(e.lth_d), 0) AS lth_delta, COALESCE(SUM(e.lth_cap_d), 0) AS lth_cap_delta,
           COALESCE(SUM(e.spent_cost), 0) AS spent_cost, COALESCE(SUM(e.spent_value), 0) AS spent_value,
           COALESCE(SUM(e.profit), 0) AS profit, COALESCE(SUM(e.loss), 0) AS loss,
           COALESCE(SUM(e.cdd), 0) AS cdd
    FROM prices AS d LEFT JOIN events AS e ON e.day = d.day
    WHERE d.day <= {{as_of}}
    GROUP BY d.day, d.price_cents
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

GRID = f"""
WITH {_AS_OF},
cohorts AS (SELECT c, SUM(v) AS created FROM p GROUP BY c),
spent AS (SELECT c, s, SUM(v) AS v FROM p WHERE s IS NOT NULL GROUP BY c, s),
grid AS (
    SELECT k.c, d.day,
           k.created - SUM(COALESCE(sp.v, 0)) OVER (PARTITION BY k.c ORDER BY d.day {_RUNNING}) AS u
    FROM cohorts AS k
    JOIN prices AS d ON d.day >= k.c AND d.day <= {{as_of}}
    LEFT JOIN spent AS sp ON sp.c = k.c AND sp.s = d.day
)
SELECT g.day,
       SUM(CASE WHEN pc.price_cents > pd.price_cents THEN g.u * (pc.price_cents - pd.price_cents) ELSE 0 END)
           AS unrealized_loss,
       SUM(CASE WHEN pc.price_cents < pd.price_cents THEN g.u ELSE 0 END) AS supply_in_profit,
       SUM(g.u * w.w) AS lth_supply_w,
       SUM(g.u * w.w * pc.price_cents) AS lth_cap_w
FROM grid AS g
JOIN prices AS pc ON pc.day = g.c
JOIN prices AS pd ON pd.day = g.day
JOIN lth_weights AS w ON w.age = g.day - g.c
GROUP BY g.day
ORDER BY g.day
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

_TEMPLATES = {"pairs": PAIRS, "check": CHECK, "daily": DAILY, "grid": GRID, "urpd": URPD}


@cache
def _transpiled(name: str, dialect: str) -> str:
    """One template in `dialect`, with its `{placeholders}` kept for `render` to fill."""
    text = _TEMPLATES[name]
    if dialect == DIALECT:
        return text
    # Placeholders are not SQL: swap them for identifiers SQLGlot passes through untouched.
    marked = text.replace("{", "__ph_").replace("}", "__")
    out = sqlglot.transpile(marked, read=DIALECT, write=dialect, pretty=True)[0]
    return out.replace("__ph_", "{").replace("__", "}")


def render(name: str, dialect: str = DIALECT, **params: int) -> str:
    """The named query in `dialect` with its integer parameters filled in.

    Parameters are integers only (day numbers, bucket counts), so inlining them is safe.
    """
    values = {key: int(value) for key, value in params.items()}
    return _transpiled(name, dialect).format(**values)
