"""The registry of named transforms a rule may apply to its input series before thresholds.

A rule in the rulebook names its transform by a registered name or alias (pandera-style:
`pct_change` is `change`), so rulebooks stay declarative and the documentation can list every
operator. Each transform maps a daily series (tz-naive dates meaning UTC days, observation days
only) to a series on the same index, and must be **causal**: the output on day D depends on the
input up to D only. That is what lets `signals.history` compute a whole score history in one pass
and still agree with judging each day on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signaldesk import fmt

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class Params:
    """The transform parameters a rule sets (`days`, `window`, `min_periods`)."""

    days: int | None = None
    window: int | None = None
    min_periods: int | None = None


@dataclass(frozen=True, slots=True)
class Transform:
    """A named, causal series → series operator.

    Args:
        name: the canonical name written in docs.
        aliases: other names a rulebook may use.
        needs: parameters the rule must set (`days` or `window`).
        history: True when one value is not enough (a snapshot file without history cannot feed it).
        unit: what the output is — `"metric"` (same unit as the input), `"fraction"`, `"rank"`
            (0–1), `"z"` (standard deviations) or `"count"` (signed observations).
        doc: one line for docs/rulebook.md.
    """

    name: str
    compute: Callable[[pd.Series, Params], pd.Series]
    aliases: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    history: bool = True
    unit: str = "metric"
    doc: str = ""

    def min_history(self, params: Params) -> int:
        """How many calendar days of input the first defined output needs (for 'missing' reasons)."""
        if self.name == "level":
            return 1
        if params.days:
            return params.days + 1
        return params.min_periods or (params.window or 1)


def _level(series: pd.Series, params: Params) -> pd.Series:
    return series


def _change(series: pd.Series, params: Params) -> pd.Series:
    from signaldesk.metrics.returns import change

    return change(series, int(params.days or 0))


def _delta(series: pd.Series, params: Params) -> pd.Series:
    from signaldesk.metrics.returns import delta

    return delta(series, int(params.days or 0))


def _min_periods(params: Params) -> int:
    window = int(params.window or 1)
    return int(params.min_periods) if params.min_periods else max(2, window // 4)


def _percentile(series: pd.Series, params: Params) -> pd.Series:
    """Rank of each value in its trailing `window` days (ties averaged), as a fraction 0–1."""
    rolled = series.rolling(f"{int(params.window or 1)}D", min_periods=_min_periods(params))
    return rolled.rank(pct=True)


def _zscore(series: pd.Series, params: Params) -> pd.Series:
    """(value − trailing mean) / trailing sample stdev over `window` days; NaN when flat."""
    rolled = series.rolling(f"{int(params.window or 1)}D", min_periods=_min_periods(params))
    std = rolled.std()
    return (series - rolled.mean()) / std.where(std > 0)


def _ma_gap(series: pd.Series, params: Params) -> pd.Series:
    """value / trailing mean over `window` days − 1 (fraction)."""
    rolled = series.rolling(f"{int(params.window or 1)}D", min_periods=_min_periods(params))
    return series / rolled.mean() - 1.0


def _streak(series: pd.Series, params: Params) -> pd.Series:
    """Signed count of consecutive observations on the same side of zero (+ above, − below, 0 at 0)."""
    import numpy as np
    import pandas as pd

    sign = np.sign(series.to_numpy(dtype=float))
    out = np.zeros(len(sign))
    run = 0.0
    for i, s in enumerate(sign):
        if not np.isfinite(s) or s == 0:
            run = 0.0
        elif run * s > 0:
            run += s
        else:
            run = s
        out[i] = run if np.isfinite(s) else np.nan
    return pd.Series(out, index=series.index)


TRANSFORMS: tuple[Transform, ...] = (
    Transform("level", _level, ("value", "last"), history=False, doc="the value itself (a snapshot file can feed it)"),
    Transform(
        "change",
        _change,
        ("pct_change",),
        ("days",),
        unit="fraction",
        doc="fractional change over `days` calendar days: v_t / v_{t-days} − 1",
    ),
    Transform(
        "delta", _delta, ("diff",), ("days",), doc="absolute change over `days` calendar days, in the metric's unit"
    ),
    Transform(
        "percentile",
        _percentile,
        ("pct_rank", "rank"),
        ("window",),
        unit="rank",
        doc="rank of the value within its trailing `window` days, 0–1 (ties averaged)",
    ),
    Transform(
        "zscore",
        _zscore,
        ("z",),
        ("window",),
        unit="z",
        doc="(value − trailing mean) / trailing stdev over `window` days",
    ),
    Transform(
        "ma_gap", _ma_gap, ("vs_mean",), ("window",), unit="fraction", doc="value / trailing `window`-day mean − 1"
    ),
    Transform(
        "streak", _streak, (), unit="count", doc="signed count of consecutive observations above (+) or below (−) zero"
    ),
)

_BY_NAME: dict[str, Transform] = {}
for _t in TRANSFORMS:
    for _name in (_t.name, *_t.aliases):
        _BY_NAME[_name] = _t


def names() -> list[str]:
    """Every accepted name (canonical and aliases), sorted."""
    return sorted(_BY_NAME)


def get(name: str) -> Transform:
    """Look a transform up by name or alias; KeyError names the choices."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown transform {name!r}; known: {', '.join(names())}") from None


def register(transform: Transform) -> None:
    """Add a transform (plugins, tests). Names must be new: silently replacing one would change rules."""
    for name in (transform.name, *transform.aliases):
        if name in _BY_NAME:
            raise ValueError(f"transform name {name!r} is already registered")
    for name in (transform.name, *transform.aliases):
        _BY_NAME[name] = transform


def unregister(name: str) -> None:
    """Remove a transform and its aliases (tests that register a temporary one)."""
    transform = _BY_NAME.get(name)
    if transform is None:
        return
    for key in [k for k, v in _BY_NAME.items() if v is transform]:
        del _BY_NAME[key]


def format_output(transform: Transform, metric_id: str, value: float | None) -> str:
    """Format a transform's output for a reason text, by what the output is."""
    if value is None:
        return fmt.DASH
    if transform.unit == "fraction":
        return fmt.pct(value)
    if transform.unit == "rank":
        return f"{value * 100:.0f}%"
    if transform.unit == "z":
        return f"{value:+.2f}σ"
    if transform.unit == "count":
        return f"{value:+.0f}"
    if transform.name == "delta":
        text = fmt.value(metric_id, abs(value))
        return ("-" if value < 0 else "+") + text
    return fmt.value(metric_id, value)
