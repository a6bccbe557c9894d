"""Settings: paths (platformdirs), the user config file, and secrets from the environment only.

The config file is TOML at `<user config dir>/signaldesk/config.toml` (or `$SIGNALDESK_CONFIG`).
Sections belong to the module that reads them (`[equities]`, `[news]`, `[miners]`, `[alerts]`,
`[defillama]`, …); each module states its defaults and reads overrides with `section(name)`.
API keys are *never* read from the file: only from environment variables, so they cannot end up
in a committed config, a log or a report.
"""

from __future__ import annotations

import math
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from signaldesk.errors import UsageError
from signaldesk.redact import remember

APP = "signaldesk"


def data_dir() -> Path:
    """Where the store and caches live by default (`$SIGNALDESK_HOME` overrides)."""
    override = os.environ.get("SIGNALDESK_HOME")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def default_db() -> Path:
    """The default DuckDB file."""
    return data_dir() / "signaldesk.duckdb"


def config_path() -> Path:
    override = os.environ.get("SIGNALDESK_CONFIG")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False)) / "config.toml"


@cache
def _config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


def section(name: str) -> dict[str, Any]:
    """One `[name]` table of the user config ({} when absent)."""
    value = _config().get(name, {})
    return dict(value) if isinstance(value, dict) else {}


def byline() -> str:
    """The reports' author line: `byline` under `[report]` ("signaldesk" when unset or blank)."""
    return str(section("report").get("byline", "")).strip() or APP


def reload() -> None:
    """Forget the cached config (tests that write a config file call this)."""
    _config.cache_clear()


LOCK_WAIT_ENV = "SIGNALDESK_LOCK_WAIT_S"
DEFAULT_LOCK_WAIT_S = 30.0


def lock_wait_s() -> float:
    """How long a run waits for another process to release the store (`$SIGNALDESK_LOCK_WAIT_S`):
    long enough for a scheduled run to outlast a manual one, short enough that a stuck run is noticed."""
    raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan  # fails the range check below, with the same message
    if not 0 <= value <= 86_400:
        raise UsageError(f"{LOCK_WAIT_ENV}={raw!r} is not a number of seconds between 0 and 86400")
    return value


def preflight() -> None:
    """Check every setting a run reads, before the run starts: a typo must cost one line, not a
    collect that fails at its end."""
    from signaldesk.config import validate

    lock_wait_s()
    path = config_path()
    validate(_config(), path, path.read_text(encoding="utf-8") if path.exists() else "")


def env_value(env_var: str) -> str | None:
    """A setting that is not secret (a model name), from the environment; None when unset or blank."""
    return os.environ.get(env_var, "").strip() or None


def secret(env_var: str) -> str | None:
    """An API key or token from the environment; None when unset or blank. The value is remembered
    as secret, so it is scrubbed from every message, log line and stored text (`redact`)."""
    value = os.environ.get(env_var, "").strip()
    return remember(value) or None
