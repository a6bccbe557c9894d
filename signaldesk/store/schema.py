"""Table definitions and named, ordered migrations (recorded in `_migrations`).

Observations are kept bitemporally: `ts` is when the value is *about* (UTC), `fetched_at` is when
signaldesk *learned* it. A re-fetch that returns the same value adds nothing; a revised value adds
a new version, so "what was known on day D" stays reproducible.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_observations_runs",
        """
        CREATE TABLE observations (
            metric     VARCHAR   NOT NULL,
            entity     VARCHAR   NOT NULL,
            ts         TIMESTAMP NOT NULL,   -- UTC
            value      DOUBLE    NOT NULL,
            source     VARCHAR   NOT NULL,
            fetched_at TIMESTAMP NOT NULL,   -- UTC
            run_id     VARCHAR   NOT NULL,
            PRIMARY KEY (metric, entity, ts, source, fetched_at)
        );
        CREATE TABLE runs (
            run_id      VARCHAR PRIMARY KEY,
            mode        VARCHAR   NOT NULL,
            as_of       DATE      NOT NULL,
            started_at  TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            status      VARCHAR   NOT NULL
        );
        CREATE TABLE provider_outcomes (
            run_id       VARCHAR NOT NULL,
            provider     VARCHAR NOT NULL,
            status       VARCHAR NOT NULL,
            reason       VARCHAR NOT NULL,
            error_type   VARCHAR NOT NULL,
            observations INTEGER NOT NULL,
            latest_ts    TIMESTAMP,
            duration_s   DOUBLE  NOT NULL,
            PRIMARY KEY (run_id, provider)
        );
        """,
    ),
    (
        "0002_news",
        """
        CREATE TABLE news (
            id         VARCHAR PRIMARY KEY,   -- stable hash of the canonical link (utm_* stripped)
            ts         TIMESTAMP NOT NULL,    -- UTC publication time
            source     VARCHAR NOT NULL,
            title      VARCHAR NOT NULL,
            link       VARCHAR NOT NULL,
            themes     VARCHAR[] NOT NULL,
            summary    VARCHAR NOT NULL,
            fetched_at TIMESTAMP NOT NULL,
            run_id     VARCHAR NOT NULL
        );
        """,
    ),
    (
        "0003_assessments_alerts",
        """
        CREATE TABLE assessments (
            as_of   DATE PRIMARY KEY,
            run_id  VARCHAR NOT NULL,
            payload VARCHAR NOT NULL        -- the day's signals.json, as written
        );
        CREATE TABLE alerts_sent (
            day     DATE    NOT NULL,
            key     VARCHAR NOT NULL,       -- the trigger's identity, e.g. watch:btc_support_60000
            channel VARCHAR NOT NULL,
            sent_at TIMESTAMP NOT NULL,
            PRIMARY KEY (day, key, channel)
        );
        """,
    ),
    (
        "0004_alert_failures",
        """
        CREATE TABLE alert_failures (
            day       DATE    NOT NULL,
            key       VARCHAR NOT NULL,
            channel   VARCHAR NOT NULL,
            reason    VARCHAR NOT NULL,     -- scrubbed of secrets, like every stored text
            failed_at TIMESTAMP NOT NULL
        );
        """,
    ),
)
