"""The backtest's outputs for people: `scores.csv` and a short Hugo page with SVG charts.

Deterministic: the same result gives byte-identical files (fixed number formats, dates from the
data, never the clock; SVGs with a fixed hash salt, fixed size and no metadata).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from signaldesk.backtest.scores import COLUMNS

if TYPE_CHECKING:
    from signaldesk.backtest.run import BacktestResult

CHART_SIZE = (8.0, 3.6)
CHART_DPI = 100


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return ""
    return f"{float(value):.{digits}f}"


def write_scores_csv(scores: pd.DataFrame, path: Path) -> Path:
    """`date,score,band,phase,stance,coverage`, one row per day, oldest first; blanks for no score."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in scores.itertuples(index=False):
            writer.writerow(
                [
                    pd.Timestamp(row.date).strftime("%Y-%m-%d"),
                    _num(row.score, 2),
                    row.band or "",
                    row.phase or "",
                    row.stance or "",
                    _num(row.coverage, 4),
                ]
            )
    return path


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:+.{digits}f}%"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _fraction(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:.{digits}f}%"


def _ratio(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _svg(fig: Any, path: Path) -> Path:
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    return path


def _figure() -> tuple[Any, Any]:
    """A figure outside pyplot (no global backend state, nothing to close)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.95, bottom=0.1)  # fixed: no layout search
    return fig, fig.subplots()


def _charts(result: BacktestResult, out: Path) -> list[Path]:
    import matplotlib

    rc = {
        "svg.hashsalt": "signaldesk-backtest",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "figure.dpi": CHART_DPI,
        "path.simplify": True,
    }
    written = []
    with matplotlib.rc_context(rc):
        fig, ax = _figure()
        frame = result.curves.frame()
        for name in frame.columns:
            ax.plot(frame.index, frame[name], label=name, linewidth=1.0)
        ax.set_yscale("log")
        ax.set_ylabel("equity (start = 1, log)")
        ax.legend(loc="upper left", frameon=False, ncol=4)
        ax.grid(alpha=0.3)
        written.append(_svg(fig, out / "equity.svg"))

        fig, ax = _figure()
        scores = result.scores.set_index("date")["score"]
        lo, hi = result.settings["bands"]
        ax.axhspan(0, lo, color="#d9534f", alpha=0.08)
        ax.axhspan(hi, 100, color="#5cb85c", alpha=0.08)
        ax.plot(scores.index, scores.to_numpy(), color="#333333", linewidth=0.8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("score")
        ax.grid(alpha=0.3)
        written.append(_svg(fig, out / "score.svg"))

        fig, ax = _figure()
        horizons = result.settings["horizons"]
        groups = [g for g in ("bearish", "neutral", "bullish") if any(s.group == g for s in result.band_stats)]
        width = 0.8 / max(len(horizons), 1)
        for i, h in enumerate(horizons):
            means = [
                next((s.mean for s in result.band_stats if s.group == g and s.horizon == h), None) or 0.0
                for g in groups
            ]
            ax.bar([j + i * width for j in range(len(groups))], [m * 100 for m in means], width, label=f"{h} d")
        ax.set_xticks([j + width * (len(horizons) - 1) / 2 for j in range(len(groups))], groups)
        ax.axhline(0, color="#333333", linewidth=0.6)
        ax.set_ylabel("mean forward BTC return (%)")
        ax.legend(frameon=False)
        written.append(_svg(fig, out / "bands.svg"))
    return written


def render_markdown(result: BacktestResult) -> str:
    """The page text (front matter + sections); every number comes from `result`."""
    s = result.settings
    horizons = s["horizons"]
    lo, hi = s["bands"]
    scored = result.scores.dropna(subset=["score"])
    lines = [
        "---",
        f'title: "Backtest of the composite score, {result.start} – {result.end}"',
        f"date: {result.end}T00:00:00+00:00",
        "draft: false",
        'tags: ["backtest", "signal score"]',
        'categories: ["backtest"]',
        'author: "signaldesk"',
        f'description: "Point-in-time composite score from {result.start} to {result.end}: forward BTC returns by band, rank IC, equity curves."',
        "---",
        "",
        "## Method",
        "",
        f"- The score of each day D is what the engine computed from data dated up to D only ({len(scored)} scored days).",
        f"- Bands: below {lo:g} bearish, {lo:g}–{hi:g} neutral, above {hi:g} bullish.",
        f"- Forward BTC return at h days: close(D+{s['lag_days']}+h) / close(D+{s['lag_days']}) − 1; every price is dated after D.",
        f"- Rank IC: {s['ic']}.",
        (
            f"- Allocation: BTC weight = {s['score_to_weight']}; trades at the close of D+{s['lag_days']}; "
            f"fees {s['fee_bps']:g} bps of traded notional; cash earns nothing."
        ),
        "",
        "## Forward BTC returns by band",
        "",
        "| band | horizon | days | mean | median | share up | hit rate | vs all days |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for st in result.band_stats:
        lines.append(
            f"| {st.group} | {st.horizon} d | {st.count} | {_pct(st.mean)} | {_pct(st.median)} | "
            f"{_share(st.share_up)} | {_share(st.hit_rate)} | {_pct(st.excess_mean)} |"
        )
    lines += [
        "",
        "![Mean forward return by band](bands.svg)",
        "",
        "## Rank information coefficient",
        "",
        "| horizon | pairs | IC | 95% CI (Newey–West) | IC, score one day older |",
        "|---|---|---|---|---|",
    ]
    for ic in result.ic:
        ci = "—" if ic.ci_low is None else f"[{ic.ci_low:+.3f}, {ic.ci_high:+.3f}]"
        ic_text = "—" if ic.ic is None else f"{ic.ic:+.3f}"
        lag_text = "—" if ic.ic_lag1 is None else f"{ic.ic_lag1:+.3f}"
        lines.append(f"| {ic.horizon} d | {ic.n} | {ic_text} | {ci} | {lag_text} |")
    lines += [
        "",
        "Hit rate over bullish and bearish days (neutral days make no call): "
        + ", ".join(
            f"{h} d {_share(result.hit_rates[h]['hit_rate'])} of {result.hit_rates[h]['calls']}" for h in horizons
        )
        + ".",
        "",
        "## Equity curves",
        "",
        "| allocation | total return | CAGR | max drawdown | Sharpe | trades | fees paid |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result.curves.summaries():
        lines.append(
            f"| {c['name']} | {_pct(c['total_return'])} | {_pct(c['cagr'])} | {_pct(c['max_drawdown'])} | "
            f"{_ratio(c['sharpe'])} | {c['trades']} | {_fraction(c['fees_paid'])} |"
        )
    lines += ["", "![Equity curves](equity.svg)", "", "![Composite score](score.svg)", ""]
    lines += _sweep_section(result)
    lines += _factor_section(result)
    lines += _score_record_section(result)
    lines += ["## Checks and notes", ""]
    check = result.checks.get("point_in_time")
    if check:
        diff = check["max_abs_diff"]
        verdict = "unchanged" if diff is not None and diff <= 1e-9 else f"changed by up to {diff}"
        lines.append(
            f"- Point in time: re-scored from the store as it stood on {', '.join(check['days'])}; "
            f"{check['compared']} past scores {verdict}."
        )
    lines += [f"- {note}" for note in result.notes]
    lines += ["- Past behaviour of a score is no promise about its future; this is not financial advice.", ""]
    return "\n".join(lines)


def _dsr(best: dict[str, Any]) -> float | None:
    return (best.get("deflated_sharpe") or {}).get("dsr")


def _trials(best: dict[str, Any]) -> str:
    return str((best.get("deflated_sharpe") or {}).get("trials", "—"))


def _sweep_section(result: BacktestResult) -> list[str]:
    sweep = result.sweep
    if sweep is None or not sweep.folds:
        return []
    summary = sweep.summary()
    oos, bh = summary["out_of_sample"] or {}, summary["out_of_sample_buy_and_hold"] or {}
    best = summary["in_sample_best"]
    lines = [
        "## Walk-forward sweep (out of sample)",
        "",
        (
            f"{sweep.grid_size} combinations of group weights and thresholds; each test window is traded with the "
            "combination that had the best Sharpe ratio on all the days before it (less an embargo of "
            f"{sweep.settings.get('embargo_days')} days)."
        ),
        "",
        "| test window | chosen weights | lo/hi | Sharpe in training | Sharpe in test | return in test | buy-and-hold |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in sweep.folds:
        lines.append(
            f"| {f.test_start} – {f.test_end} | {f.weights} | {f.lo:g}/{f.hi:g} | {_ratio(f.train_sharpe)} | "
            f"{_ratio(f.test_sharpe)} | {_pct(f.test_return)} | {_pct(f.test_buy_and_hold)} |"
        )
    lines += [
        "",
        (
            f"Out of sample: total return {_pct(oos.get('total_return'))}, Sharpe {_ratio(oos.get('sharpe'))} "
            f"(buy-and-hold {_pct(bh.get('total_return'))}, Sharpe {_ratio(bh.get('sharpe'))}). "
            f"In-sample best for contrast (chosen with hindsight): {best.get('weights', '—')} "
            f"{best.get('lo', 0):g}/{best.get('hi', 0):g}, total return {_pct(best.get('total_return'))}, "
            f"Sharpe {_ratio(best.get('sharpe'))}; deflated Sharpe ratio {_ratio(_dsr(best))} over "
            f"{_trials(best)} trials — the probability its true Sharpe beats the best of that many unskilled ones."
        ),
        "",
    ]
    return lines


def _ic(value: float | None) -> str:
    return "—" if value is None else f"{value:+.3f}"


def _ci(ic: dict[str, Any] | Any) -> str:
    low = ic["ci_low"] if isinstance(ic, dict) else ic.ci_low
    high = ic["ci_high"] if isinstance(ic, dict) else ic.ci_high
    return "—" if low is None else f"[{low:+.3f}, {high:+.3f}]"


def _factor_section(result: BacktestResult) -> list[str]:
    if not result.factors:
        return []
    horizons = result.settings["horizons"]
    lines = [
        "## Factor evidence",
        "",
        (
            "Rank IC of each rule's input (the value its bands compare) against the forward BTC return, with "
            "Newey–West 95 % intervals; *reading* says which sign the rule expects (trend +, contrarian −); "
            "*judgement IC* is the 30-day IC of the rule's sub-score (positive: the rulebook read it right); "
            "*lag* is the 30-day IC with the input one day older; coverage is the share of evaluated days with a value."
        ),
        "",
        "| rule | input | reading | first – last | coverage | "
        + " | ".join(f"IC {h} d [95% CI]" for h in horizons)
        + " | lag | judgement IC | 30 d IC by year |",
        "|---|---|---|---|---|" + "---|" * len(horizons) + "---|---|---|",
    ]
    for f in result.factors:
        context = "" if f.scoring else " (context)"
        cells = " | ".join(f"{_ic(f.ic[h].ic)} {_ci(f.ic[h])}" for h in horizons)
        years = ", ".join(f"{y}: {_ic(ic.ic)}" for y, ic in f.by_year.items())
        lines.append(
            f"| `{f.rule}`{context} | `{f.metric}` | {f.reading} | {f.first} – {f.last} | {_share(f.coverage)} | "
            f"{cells} | {_ic(f.ic_lag1)} | {_ic(f.sub_score_ic.ic)} | {years} |"
        )
    return [*lines, ""]


def _score_record_section(result: BacktestResult) -> list[str]:
    record = result.score_record
    if not record or not record.get("days"):
        return []
    p = record["procedure"]
    names = {
        "score": "evidence-weighted score",
        "rulebook_composite": "rulebook composite (fixed weights)",
        "momentum_28d": "28-day momentum",
        "momentum_90d": "90-day momentum",
    }
    lines = [
        "## Evidence-weighted score, out of sample",
        "",
        (
            f"Every quarter the rules are re-weighed on the days whose {p['horizon']}-day forward return was complete "
            f"{p['embargo_days']} days before the refit: a rule counts when its training IC is more than "
            f"{p['skill_t']:g} Newey–West standard error above zero, with weight {p['shrink']:g} × equal + "
            f"{1 - p['shrink']:g} × IC-proportional; bands are the score's expanding terciles. Out-of-sample days "
            f"{record['start']} – {record['end']} ({record['days']}; "
            + ", ".join(f"{k} {v}" for k, v in record["status_days"].items())
            + ")."
        ),
        "",
        "| horizon | " + " | ".join(names.values()) + " |",
        "|---|" + "---|" * len(names),
    ]
    for h, row in record["ic"].items():
        lines.append(f"| {h} d | " + " | ".join(f"{_ic(row[k]['ic'])} {_ci(row[k])}" for k in names) + " |")
    corrected = [
        f"{h} d [{_ic(row['score']['ci_low_corrected'])}, {_ic(row['score']['ci_high_corrected'])}]"
        for h, row in record["ic"].items()
        if row["score"]["ci_low_corrected"] is not None
    ]
    lines += [
        "",
        (
            f"The score's interval widened (Bonferroni) for the {next(iter(record['ic'].values()))['score']['trials']} "
            "procedure variants judged out of sample before this one was fixed: " + ", ".join(corrected) + "."
        ),
    ]
    lines += [
        "",
        "30-day IC by year: "
        + "; ".join(
            f"{y} {_ic(v['score'])} (momentum 28 d {_ic(v['momentum_28d'])}, 90 d {_ic(v['momentum_90d'])})"
            for y, v in record["by_year"].items()
        )
        + ".",
        "",
    ]
    track = record["track_record"]
    if track.get("days"):
        lines += [
            (
                f"Hit rate of the calibrated bands at {track['horizon']} days: {_share(track['hit_rate'])} of "
                f"{track['calls']} bullish and bearish days."
            ),
            "",
            "| band | days | mean 30 d return | median | share up |",
            "|---|---|---|---|---|",
        ]
        for band, stats in track["band_returns"].items():
            lines.append(
                f"| {band} | {stats['days']} | {_pct(stats['mean'])} | {_pct(stats['median'])} | "
                f"{_share(stats['share_up'])} |"
            )
        lines.append("")
    lines += ["| refit | trained through | weights |", "|---|---|---|"]
    lines += [
        f"| {f['day']} | {f['trained_through']} | "
        + (", ".join(f"{r} {w:.2f}" for r, w in f["weights"].items()) or "no rule showed skill")
        + " |"
        for f in record["fits"]
    ]
    return [*lines, ""]


def write_page(result: BacktestResult, out: Path) -> list[Path]:
    """`index.md` and its charts in `out`."""
    charts = _charts(result, out)
    page = out / "index.md"
    page.write_text(render_markdown(result), encoding="utf-8")
    return [page, *charts]
