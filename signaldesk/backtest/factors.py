"""Factor evidence (`signaldesk backtest --factors`): does each rule's input predict BTC, and does the score?

For every rule of the rulebook (scoring and context), on the days it has a value:

- **coverage**: its first and last day, and the share of the evaluated days (those with a 30-day
  forward return) on which it had a value;
- **rank IC of the metric** (the value the rule's bands compare, e.g. price / 200-day mean − 1)
  against 7-, 30- and 90-day forward BTC returns, with Newey–West intervals (`evidence.rank_ic`),
  and the sign the rule's `reading` expects (trend +, contrarian −);
- **rank IC of the rule's sub-score** at 30 days: whether the rulebook's *judgement* of the metric
  has been followed by what it claims (positive = right);
- the **lag test** (the metric one day older: a real effect survives it) and the 30-day IC **per
  calendar year** (an effect carried by one year is not an effect).

The evidence-weighted score's own record (`score_record`) compares it, on the same out-of-sample
days, with the rulebook's fixed-weight composite and with 28- and 90-day momentum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from signaldesk.backtest.forward import column
from signaldesk.signals.calibration import BASELINES, TRIALS, track_record
from signaldesk.signals.evidence import Ic, rank_ic
from signaldesk.signals.history import ScoreHistory
from signaldesk.signals.rulebook import Rule

MAIN_HORIZON = 30


@dataclass(frozen=True, slots=True)
class FactorEvidence:
    """What the history says about one rule's input."""

    rule: str
    metric: str
    group: str
    scoring: bool
    reading: str
    first: str | None
    last: str | None
    coverage: float
    ic: dict[int, Ic]
    ic_lag1: float | None
    sub_score_ic: Ic
    by_year: dict[int, Ic] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["ic"] = {str(h): i.as_dict() for h, i in self.ic.items()}
        out["by_year"] = {str(y): i.as_dict() for y, i in self.by_year.items()}
        out["sub_score_ic"] = self.sub_score_ic.as_dict()
        return out


def _metric_name(rule: Rule) -> str:
    key = f"{rule.metric}:{rule.entity}" if rule.entity else rule.metric
    over = getattr(rule, "over", None)
    transform = "" if rule.transform in {"level", "value", "last"} else f" ({rule.transform})"
    return f"{key} / {over}{transform}" if over else f"{key}{transform}"


def factor_table(
    scored: ScoreHistory, forward: pd.DataFrame, horizons: Sequence[int], start: pd.Timestamp, end: pd.Timestamp
) -> list[FactorEvidence]:
    """The evidence for every rule with data between `start` and `end` (forward: `fwd_<h>d` per as-of day)."""
    rb = scored.rulebook
    window = slice(start, end)
    fwd = forward.reindex(scored.values.index).loc[window]
    evaluated = fwd[column(MAIN_HORIZON)].notna()
    out = []
    for rule in rb.rules:
        x = scored.values[rule.id].loc[window]
        present = x.notna()
        if not present.any():
            continue
        main = fwd[column(MAIN_HORIZON)]
        by_year = {
            int(y): rank_ic(x[x.index.year == y], main[main.index.year == y], MAIN_HORIZON)
            for y in sorted(set(x.index[present].year))
        }
        out.append(
            FactorEvidence(
                rule=rule.id,
                metric=_metric_name(rule),
                group=rule.group,
                scoring=rb.groups[rule.group].in_score,
                reading=rule.reading,
                first=str(x.index[present][0].date()),
                last=str(x.index[present][-1].date()),
                coverage=float((present & evaluated).sum() / evaluated.sum()) if evaluated.any() else 0.0,
                ic={h: rank_ic(x, fwd[column(h)], h) for h in horizons},
                ic_lag1=rank_ic(x.shift(1), main, MAIN_HORIZON).ic,
                sub_score_ic=rank_ic(scored.subscores[rule.id].loc[window], main, MAIN_HORIZON),
                by_year={y: ic for y, ic in by_year.items() if ic.ic is not None},
            )
        )
    return out


def score_record(
    scored: ScoreHistory, forward: pd.DataFrame, horizons: Sequence[int], end: pd.Timestamp
) -> dict[str, object]:
    """The evidence-weighted score out of sample (days scored by weights fitted before them) up to `end`.

    Per horizon: its IC and those of the rulebook's fixed-weight composite and of 28/90-day
    momentum on the same days; per year at 30 days; and the daily run's track record (hit rate,
    forward return per calibrated band) as it stood on `end`.
    """
    ev = scored.evidence
    oos = ev.score[(ev.status != "prior") & ev.score.notna() & (ev.score.index <= end)]
    if oos.empty:
        return {"days": 0}
    close = ev.close.dropna()
    close.index = pd.DatetimeIndex(close.index).normalize()
    close = close[~close.index.duplicated(keep="last")].asfreq("D")
    fwd = forward.reindex(oos.index)
    prior = scored.prior["score"].reindex(oos.index)
    momentum = {name: (close / close.shift(w) - 1).reindex(oos.index) for name, w in BASELINES.items()}
    per_horizon = {}
    for h in horizons:
        y = fwd[column(h)]
        ic = rank_ic(oos, y, h)
        low, high = corrected_interval(ic, TRIALS)
        per_horizon[str(h)] = {
            "score": {**ic.as_dict(), "trials": TRIALS, "ci_low_corrected": low, "ci_high_corrected": high},
            "rulebook_composite": rank_ic(prior, y, h).as_dict(),
            **{name: rank_ic(m, y, h).as_dict() for name, m in momentum.items()},
        }
    main = fwd[column(MAIN_HORIZON)]
    years = {}
    for year in sorted(set(oos.index.year)):
        rows = oos.index.year == year
        years[str(year)] = {
            "score": rank_ic(oos[rows], main[rows], MAIN_HORIZON).ic,
            **{name: rank_ic(m[rows], main[rows], MAIN_HORIZON).ic for name, m in momentum.items()},
        }
    fits = [
        {
            "day": str(f.day.date()),
            "trained_through": str(f.train_end.date()),
            "weights": {r: round(w, 4) for r, w in f.weights.items()},
        }
        for f in ev.fits
    ]
    return {
        "days": len(oos),
        "start": str(oos.index[0].date()),
        "end": str(oos.index[-1].date()),
        "status_days": {str(k): int(v) for k, v in ev.status[oos.index].value_counts().items()},
        "ic": per_horizon,
        "by_year": years,
        "track_record": track_record(ev, end),
        "fits": fits,
        "procedure": ev.procedure.as_dict(),
    }


def bonferroni_z(trials: int, confidence: float = 0.95) -> float:
    """The two-sided normal quantile that keeps `confidence` over `trials` looks (Bonferroni)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - confidence) / (2 * max(trials, 1)))


def corrected_interval(ic: Ic, trials: int) -> tuple[float | None, float | None]:
    """The IC's interval widened for `trials` procedure variants tried (Bonferroni on the HAC s.e.)."""
    if ic.ic is None or ic.se is None or not math.isfinite(ic.se):
        return None, None
    z = bonferroni_z(trials)
    return ic.ic - z * ic.se, ic.ic + z * ic.se
