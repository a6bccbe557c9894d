"""The report's charts (matplotlib, Agg backend, imported only when a report is written).

Each chart is drawn once per language and saved as SVG with its text kept as text
(`svg.fonttype = "none"`), so the reader's browser draws the Chinese labels with its own fonts —
never boxes of missing glyphs. A PNG is written too, but only when the labels can be drawn:
English always, Chinese only when a CJK font is installed. Output is deterministic: fixed size,
dpi, fonts and hash salt, and no date or software stamp in the metadata, so the same data gives
byte-identical files. Charts show data; they never compute a signal (the AI basket line is
the equal-weight mean of rebased closes, a drawing aid).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signaldesk.report.model import ReportModel

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from signaldesk.models import Snapshot

SIZE = (8.0, 4.2)
"""Figure size in inches (SVG viewBox 576×302 pt)."""
PNG_DPI = 144
WINDOW_DAYS = 365
CJK_FONTS = {
    "zh-CN": ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
              "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Droid Sans Fallback"),
    "zh-TW": ("Noto Sans CJK TC", "Noto Sans TC", "Source Han Sans TC", "PingFang TC", "Microsoft JhengHei",
              "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback"),
}
AI_TICKERS = ("NVDA", "AMD", "AVGO", "TSM", "MSFT", "GOOGL", "AMZN", "META", "ORCL", "CRWV")
COLORS = {"ink": "#1f2933", "grid": "#d9dee4", "btc": "#f7931a", "ai": "#3b82f6", "up": "#16a34a",
          "down": "#dc2626", "neutral": "#a3a3a3", "support": "#16a34a", "resistance": "#dc2626",
          "lines": ("#7c3aed", "#0891b2", "#db2777", "#65a30d")}


@cache
def _visible_band(low: float, high: float, min_fraction: float = 0.006) -> tuple[float, float]:
    """A zone as a band at least `min_fraction` of its price tall: a single-price level (a round
    number, one cost basis) would otherwise be drawn with zero height and vanish."""
    middle = (low + high) / 2
    half = max((high - low) / 2, abs(middle) * min_fraction / 2)
    return middle - half, middle + half


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@cache
def cjk_font(lang: str = "zh-CN") -> str | None:
    """The first installed CJK font for `lang` (None when there is none)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS.get(lang, CJK_FONTS["zh-CN"]) if name in installed), None)


def can_draw(lang: str) -> bool:
    """True when a PNG in `lang` would show every glyph."""
    return not lang.startswith("zh") or cjk_font(lang) is not None


def _style(lang: str) -> dict[str, Any]:
    families = list(CJK_FONTS.get(lang, ())) + ["DejaVu Sans"]
    return {
        "svg.fonttype": "none", "svg.hashsalt": "signaldesk", "font.family": "sans-serif",
        "font.sans-serif": families, "font.size": 9.5, "axes.titlesize": 12, "axes.titleweight": "bold",
        "axes.edgecolor": COLORS["grid"], "axes.labelcolor": COLORS["ink"], "text.color": COLORS["ink"],
        "xtick.color": COLORS["ink"], "ytick.color": COLORS["ink"], "axes.grid": True,
        "grid.color": COLORS["grid"], "grid.linewidth": 0.6, "axes.spines.top": False,
        "axes.spines.right": False, "legend.frameon": False, "legend.fontsize": 8.5,
        "figure.dpi": 100, "savefig.dpi": 100, "path.simplify": True, "axes.axisbelow": True,
    }


@dataclass(frozen=True, slots=True)
class ChartData:
    """What one chart draws: series and values, already cut to the as-of day."""

    series: dict[str, pd.Series]
    values: dict[str, Any]


# -- data preparation (pure) ---------------------------------------------------------------------
def _recent(series: pd.Series | None, as_of: Any, days: int = WINDOW_DAYS) -> pd.Series | None:
    import pandas as pd

    if series is None:
        return None
    series = series.dropna()
    end = pd.Timestamp(as_of)
    cut = series[(series.index <= end) & (series.index > end - pd.Timedelta(days=days))]
    return cut if len(cut) >= 2 else None


def _data(name: str, model: ReportModel, snapshot: Snapshot, score_history: pd.Series | None) -> ChartData | None:
    h, day = snapshot.history, model.as_of
    if name == "btc-price":
        price = _recent(h.get(("price_usd", "btc")), day)
        if price is None:
            return None
        lines = {k: s for k in ("realized_price_usd", "sth_cost_basis_usd", "true_market_mean_usd", "lth_cost_basis_usd")
                 if (s := _recent(h.get((k, "")), day)) is not None}
        flat = {k: c.value for k, c in model.onchain.cells.items() if k.endswith("_usd") and c.ok and k not in lines}
        zones = {"support": [(z.low, z.high) for z in model.strategy.support],
                 "resistance": [(z.low, z.high) for z in model.strategy.resistance]}
        return ChartData({"price": price, **lines}, {"flat": flat, **zones})
    if name == "fear-greed":
        fg = _recent(h.get(("fear_greed", "")), day)
        return None if fg is None else ChartData({"fg": fg}, {})
    if name == "etf-flows":
        flows = _recent(h.get(("etf_net_flow_usd", "btc")), day, 120)
        if flows is None:
            return None
        return ChartData({"flows": flows}, {"streak": model.crypto.streak.value})
    if name == "chain-liquidity":
        rows = [(c.chain, c.tvl.value, c.stable.value, c.dex.value) for c in model.liquidity.chains]
        return ChartData({}, {"rows": rows}) if rows else None
    if name == "ai-vs-btc":
        btc = _recent(h.get(("price_usd", "btc")), day, 180)
        closes = [s for t in AI_TICKERS if (s := _recent(h.get(("equity_close_usd", t)), day, 180)) is not None]
        if btc is None or not closes:
            return None
        import pandas as pd

        frame = pd.concat([s / s.iloc[0] * 100 for s in closes], axis=1).ffill()
        series = {"ai": frame.mean(axis=1), "btc": btc / btc.iloc[0] * 100}
        corr = _recent(h.get(("ai_crypto_correlation_90d", "")), day, 180)
        if corr is not None:
            series["corr"] = corr
        return ChartData(series, {})
    if name == "options":
        tenors = [(t.tenor, t.atm_iv.value, t.skew.value) for t in model.options.tenors]
        return ChartData({}, {"tenors": tenors}) if any(iv is not None for _, iv, _ in tenors) else None
    if name == "score-history":
        scores = _recent(score_history, day)
        if scores is None:
            return None
        return ChartData({"score": scores}, {"low": model.phase.bearish_below, "high": model.phase.bullish_above})
    raise ValueError(f"unknown chart {name!r}")


# -- drawing ---------------------------------------------------------------------------------
def _usd_axis(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    def short(x: float, _pos: int) -> str:
        size = abs(x)
        for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if size >= scale:
                return f"{'-' if x < 0 else ''}${size / scale:g}{suffix}"
        return f"${x:g}"

    ax.yaxis.set_major_formatter(FuncFormatter(short))


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    low, high = ax.get_xlim()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m" if high - low > 200 else "%m-%d"))


def _draw_btc_price(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    ax = fig.subplots()
    for kind in ("support", "resistance"):
        for low, high in d.values[kind]:
            ax.axhspan(*_visible_band(low, high), color=COLORS[kind], alpha=0.18, lw=0)
    price = d.series["price"]
    ax.plot(price.index, price.values, color=COLORS["btc"], lw=1.6, label=w["price"])
    colors = iter(COLORS["lines"])
    for key in ("realized_price_usd", "sth_cost_basis_usd", "true_market_mean_usd", "lth_cost_basis_usd"):
        if key in d.series:
            s = d.series[key]
            ax.plot(s.index, s.values, lw=1.1, ls="--", color=next(colors), label=w[key])
        elif key in d.values["flat"]:
            ax.axhline(d.values["flat"][key], lw=1.1, ls="--", color=next(colors), label=w[key])
        else:
            next(colors)
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    if d.values["support"]:
        handles.append(Patch(color=COLORS["support"], alpha=0.25, label=w["support"]))
    if d.values["resistance"]:
        handles.append(Patch(color=COLORS["resistance"], alpha=0.25, label=w["resistance"]))
    ax.legend(handles=handles, loc="best", ncol=2)
    _usd_axis(ax)
    _dates(ax)


def _draw_fear_greed(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    ax = fig.subplots()
    bands = ((0, 25, "#b91c1c", "extreme_fear"), (25, 50, "#f97316", "fear"), (50, 51, "#a3a3a3", "neutral"),
             (51, 75, "#84cc16", "greed"), (75, 100, "#15803d", "extreme_greed"))
    for low, high, color, key in bands:
        ax.axhspan(low, high, color=color, alpha=0.12, lw=0)
        if high - low > 5:
            ax.text(1.005, (low + high) / 2, w[key], transform=ax.get_yaxis_transform(), va="center", fontsize=8, color=color)
    fg = d.series["fg"]
    ax.plot(fg.index, fg.values, color=COLORS["ink"], lw=1.2, label=w["index"])
    ax.scatter([fg.index[-1]], [fg.values[-1]], color=COLORS["down"] if fg.values[-1] < 50 else COLORS["up"], zorder=3, s=18)
    ax.set_ylim(0, 100)
    _dates(ax)


def _draw_etf_flows(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    import pandas as pd

    ax = fig.subplots()
    flows = d.series["flows"]
    colors = [COLORS["up"] if v >= 0 else COLORS["down"] for v in flows.values]
    ax.bar(flows.index, flows.values, color=colors, width=0.8)
    streak = d.values["streak"]
    if streak:
        last = flows.index[-1]
        monday = last - pd.Timedelta(days=last.weekday())
        start = monday - pd.Timedelta(weeks=abs(int(streak)) - 1)
        color = COLORS["down"] if streak < 0 else COLORS["up"]
        ax.axvspan(start - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12), color=color, alpha=0.08, lw=0)
        label = w["streak"] if streak < 0 else w["streak_in"]
        ax.text(0.99, 0.96, f"{label}: {abs(int(streak))}", transform=ax.transAxes, ha="right", va="top", color=color)
    ax.axhline(0, color=COLORS["ink"], lw=0.6)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=COLORS["up"], label=w["inflow"]), Patch(color=COLORS["down"], label=w["outflow"])],
              loc="lower left", ncol=2)
    _usd_axis(ax)
    _dates(ax)


def _draw_chain_liquidity(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    rows = list(reversed(d.values["rows"]))
    axes = fig.subplots(1, 3, sharey=True)
    names = [r[0].capitalize() for r in rows]
    for i, (ax, key, color) in enumerate(zip(axes, ("tvl", "stable", "dex"), ("#6366f1", "#0ea5e9", "#f59e0b"), strict=True)):
        values = [r[i + 1] or 0.0 for r in rows]
        ax.barh(names, values, color=color)
        ax.set_title(w[key], fontsize=10)
        ax.grid(axis="y", visible=False)
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"${x / 1e9:g}B"))


def _draw_ai_vs_btc(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    has_corr = "corr" in d.series
    axes = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1)) if has_corr else [fig.subplots()]
    top = axes[0]
    top.plot(d.series["ai"].index, d.series["ai"].values, color=COLORS["ai"], lw=1.5, label=w["ai"])
    top.plot(d.series["btc"].index, d.series["btc"].values, color=COLORS["btc"], lw=1.5, label=w["btc"])
    top.axhline(100, color=COLORS["ink"], lw=0.6)
    top.set_ylabel(w["rebased"])
    top.legend(loc="best", ncol=2)
    if has_corr:
        corr = d.series["corr"]
        axes[1].plot(corr.index, corr.values, color=COLORS["lines"][0], lw=1.2)
        axes[1].axhline(0, color=COLORS["ink"], lw=0.6)
        axes[1].set_ylim(-1, 1)
        axes[1].set_ylabel(w["correlation"])
    _dates(axes[-1])


def _draw_options(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    left, right = fig.subplots(1, 2)
    tenors = d.values["tenors"]
    names = [t for t, _, _ in tenors]
    ivs = [iv * 100 if iv is not None else float("nan") for _, iv, _ in tenors]
    left.plot(names, ivs, marker="o", color=COLORS["ai"], lw=1.6)
    left.set_title(w["iv"], fontsize=10)
    left.set_xlabel(w["tenor"])
    skews = [s * 100 if s is not None else 0.0 for _, _, s in tenors]
    right.bar(names, skews, color=[COLORS["down"] if s > 0 else COLORS["up"] for s in skews])
    right.axhline(0, color=COLORS["ink"], lw=0.6)
    right.set_title(w["skew"], fontsize=10)
    right.set_xlabel(w["tenor"])
    from matplotlib.ticker import FuncFormatter

    for ax in (left, right):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}%"))


def _draw_score_history(fig: Figure, d: ChartData, w: Mapping[str, str]) -> None:
    ax = fig.subplots()
    ax.axhspan(0, d.values["low"], color=COLORS["down"], alpha=0.08, lw=0, label=w["bearish"])
    ax.axhspan(d.values["high"], 100, color=COLORS["up"], alpha=0.08, lw=0, label=w["bullish"])
    score = d.series["score"]
    ax.plot(score.index, score.values, color=COLORS["ink"], lw=1.4, label=w["score"])
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left", ncol=3)
    _dates(ax)


DRAW: dict[str, Callable[[Figure, ChartData, Mapping[str, str]], None]] = {
    "btc-price": _draw_btc_price,
    "fear-greed": _draw_fear_greed,
    "etf-flows": _draw_etf_flows,
    "chain-liquidity": _draw_chain_liquidity,
    "ai-vs-btc": _draw_ai_vs_btc,
    "options": _draw_options,
    "score-history": _draw_score_history,
}


def file_name(name: str, lang: str, ext: str = "svg") -> str:
    return f"{name}-{lang.lower()}.{ext}"


MARGINS = {"left": 0.085, "right": 0.975, "top": 0.88, "bottom": 0.09, "hspace": 0.12, "wspace": 0.25}
"""Fixed margins (a constrained layout costs twice the time and shifts with the fonts found)."""
EXTRA_MARGINS: dict[str, dict[str, float]] = {
    "fear-greed": {"left": 0.06, "right": 0.89},
    "chain-liquidity": {"left": 0.1, "wspace": 0.12},
    "ai-vs-btc": {"left": 0.1},
    "options": {"left": 0.07, "bottom": 0.13},
    "score-history": {"left": 0.06},
}


def draw(name: str, data: ChartData, lang: str, words: Mapping[str, Any], directory: Path, *, png: bool) -> str:
    """Draw chart `name` in `lang` into `directory`; return the SVG's file name."""
    plt = _pyplot()
    labels = {k: str(v) for k, v in words.items()}
    import logging

    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # "no bold weight" for CJK fonts: harmless, drawn regular
    with plt.rc_context(_style(lang)), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing-glyph warnings: SVG text is drawn by the browser
        fig = plt.figure(figsize=SIZE)
        try:
            DRAW[name](fig, data, labels)
            fig.subplots_adjust(**{**MARGINS, **EXTRA_MARGINS.get(name, {})})
            fig.suptitle(labels["title"], fontsize=12, fontweight="bold", x=0.01, ha="left")
            svg = directory / file_name(name, lang)
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
            if png and can_draw(lang):
                fig.savefig(directory / file_name(name, lang, "png"), format="png", dpi=PNG_DPI,
                            metadata={"Software": None})
        finally:
            plt.close(fig)
            font_log.setLevel(level)
    return svg.name


def write_charts(directory: Path, model: ReportModel, snapshot: Snapshot, *, langs: Sequence[str],
                 score_history: pd.Series | None = None, png: bool = True) -> dict[str, dict[str, str]]:
    """Draw every chart the data allows; return {chart: {lang: svg file name}} for the templates."""
    from signaldesk.report.render import i18n

    out: dict[str, dict[str, str]] = {}
    for name in DRAW:
        data = _data(name, model, snapshot, score_history)
        if data is None:
            continue
        out[name] = {lang: draw(name, data, lang, i18n(lang)["charts"][name], directory, png=png) for lang in langs}
    return out
