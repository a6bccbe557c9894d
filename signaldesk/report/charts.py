"""The report's charts (matplotlib, Agg backend, imported only when a report is written).

Sized for a phone first: a chart fills a 390 px phone's text column (`PHONE_WIDTH_PX`), and every
font size is derived from the CSS pixels it must have there (`px`), so tick labels read at 11 px
on the phone; the site caps a chart's width on a desktop, where the same text is ~17 px. The SVG
scales with its container (viewBox); legends sit below the plot, never over the data.

Each chart is drawn once and saved once per language: every word is drawn as a placeholder
(`_Words`) that is swapped for the language's text just before saving, and matplotlib lays the
text out again at each save (legend widths, anchors). SVG text stays text (`svg.fonttype =
"none"`), so the reader's browser draws the Chinese labels with its own fonts. A PNG is written
too when asked, but only when its labels can be drawn: English always, Chinese only when a CJK
font is installed. Output is deterministic: fixed size, fonts and hash salt, and no date or
software stamp in the metadata. The daily run forks the drawing process early
(`prepare_drawing`, so matplotlib's import overlaps the collect), and the report hands it the
charts (`start_charts`), which it shares among processes forked from itself (`draw_charts`),
and writes its text meanwhile. Charts show data; they never compute a
signal (the AI basket line is the equal-weight mean of rebased closes, a drawing aid).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signaldesk.report.model import ReportModel

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from signaldesk.models import Snapshot

PHONE_WIDTH_PX = 350
"""CSS pixels a chart gets on a 390 px phone (the page's side padding taken off)."""
SIZE = (6.0, 4.0)
"""Figure size in inches (SVG viewBox 432×288)."""


def px(css_px: float) -> float:
    """The font size in points that shows as `css_px` CSS pixels on the phone."""
    return css_px * SIZE[0] * 72 / PHONE_WIDTH_PX


TEXT_PT = px(11)
TITLE_PT = px(13.5)
PNG_DPI = 144
WINDOW_DAYS = 365
CJK_FONTS = {
    "zh-CN": (
        "Noto Sans CJK SC",
        "Noto Sans SC",
        "Source Han Sans SC",
        "PingFang SC",
        "Microsoft YaHei",
        "WenQuanYi Micro Hei",
        "WenQuanYi Zen Hei",
        "SimHei",
        "Droid Sans Fallback",
    ),
    "zh-TW": (
        "Noto Sans CJK TC",
        "Noto Sans TC",
        "Source Han Sans TC",
        "PingFang TC",
        "Microsoft JhengHei",
        "Noto Sans CJK SC",
        "WenQuanYi Micro Hei",
        "WenQuanYi Zen Hei",
        "Droid Sans Fallback",
    ),
}
AI_TICKERS = ("NVDA", "AMD", "AVGO", "TSM", "MSFT", "GOOGL", "AMZN", "META", "ORCL", "CRWV")
COLORS = {
    "ink": "#1f2933",
    "grid": "#d9dee4",
    "btc": "#f7931a",
    "ai": "#3b82f6",
    "up": "#16a34a",
    "down": "#dc2626",
    "neutral": "#a3a3a3",
    "support": "#16a34a",
    "resistance": "#dc2626",
    "lines": ("#7c3aed", "#0891b2", "#db2777", "#65a30d"),
}
COST_BASES = ("realized_price_usd", "sth_cost_basis_usd", "true_market_mean_usd", "lth_cost_basis_usd")


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


def _families(lang: str) -> list[str]:
    return [*CJK_FONTS.get(lang, ()), "DejaVu Sans"]


def _style(lang: str) -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "signaldesk",
        "font.family": "sans-serif",
        "font.sans-serif": _families(lang),
        "font.size": TEXT_PT,
        "axes.titlesize": TEXT_PT,
        "axes.labelsize": TEXT_PT,
        "xtick.labelsize": TEXT_PT,
        "ytick.labelsize": TEXT_PT,
        "legend.fontsize": TEXT_PT,
        "axes.edgecolor": COLORS["grid"],
        "axes.labelcolor": COLORS["ink"],
        "text.color": COLORS["ink"],
        "xtick.color": COLORS["ink"],
        "ytick.color": COLORS["ink"],
        "axes.grid": True,
        "grid.color": COLORS["grid"],
        "grid.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "legend.handlelength": 1.4,
        "legend.columnspacing": 1.0,
        "legend.handletextpad": 0.4,
        "lines.linewidth": 2.0,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "path.simplify": True,
        "axes.axisbelow": True,
    }


@dataclass(frozen=True, slots=True)
class ChartData:
    """What one chart draws: series and values, already cut to the as-of day."""

    series: dict[str, pd.Series]
    values: dict[str, Any]


# -- words: drawn as placeholders, swapped per language at save time -----------------------------
_SLOT = re.compile("\ue000([^\ue001]*)\ue001")


class _Words:
    """`w[key]` is a placeholder for the word `key`; `w.entity(name)` one for a chain or asset name.

    The figure is built once with placeholders; `_localise` swaps them for one language's words
    before each save, so a chart costs one build instead of one per language. Tick labels are
    made at save time, so a tick formatter fills its placeholders from `current` (`ticks`).
    """

    def __init__(self) -> None:
        self.current: Mapping[str, str] = {}

    def __getitem__(self, key: str) -> str:
        return f"\ue000{key}\ue001"

    def entity(self, name: str) -> str:
        return self[f"entity.{name}"]

    def ticks(self, labels: Sequence[str]) -> Any:
        """A formatter showing `labels[i]` at tick i, in the language being saved."""
        from matplotlib.ticker import FuncFormatter

        return FuncFormatter(lambda x, _pos: _fill(labels[int(x)], self.current) if 0 <= x < len(labels) else "")


def _words_for(name: str, lang: str) -> dict[str, str]:
    from signaldesk.report.render import i18n

    words = i18n(lang)
    return {
        **{k: str(v) for k, v in words["charts"][name].items()},
        **{f"entity.{k}": str(v) for k, v in words.get("entity", {}).items()},
    }


def _fill(template: str, words: Mapping[str, str]) -> str:
    def word(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in words:
            return words[key]
        if key.startswith("entity."):  # a name the i18n files do not list: as the source spells it
            entity = key.removeprefix("entity.")
            return entity.upper() if len(entity) <= 3 else entity.capitalize()
        raise KeyError(f"no chart word {key!r}")

    return _SLOT.sub(word, template)


def _localise(fig: Figure, w: _Words, templates: dict[Any, str], words: Mapping[str, str]) -> None:
    """Put one language's words into every text of `fig` (templates remembered on first call).

    Fonts need no swap: every text asks for the generic "sans-serif", which the language's
    `_style` (active while saving) resolves for measuring and spells out in the SVG.
    """
    from matplotlib.text import Text

    w.current = words
    for text in fig.findobj(Text):
        template = templates.setdefault(text, text.get_text())
        if "\ue000" in template:
            text.set_text(_fill(template, words))


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
        return _btc_price_data(model, snapshot)
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
        return _ai_vs_btc_data(model, snapshot)
    if name == "options":
        tenors = [(t.tenor, t.atm_iv.value, t.skew.value) for t in model.options.tenors]
        return ChartData({}, {"tenors": tenors}) if any(iv is not None for _, iv, _ in tenors) else None
    if name == "score-history":
        scores = _recent(score_history, day)
        if scores is None:
            return None
        return ChartData({"score": scores}, {"low": model.phase.bearish_below, "high": model.phase.bullish_above})
    raise ValueError(f"unknown chart {name!r}")


def _btc_price_data(model: ReportModel, snapshot: Snapshot) -> ChartData | None:
    """BTC price with every dollar level the report names: cost bases with history as lines.

    On-chain dollar levels known only as today's value are drawn flat, and so are the strategy's
    support/resistance zones, so a reader can see where each level sits against the price.
    """
    h, day = snapshot.history, model.as_of
    price = _recent(h.get(("price_usd", "btc")), day)
    if price is None:
        return None
    lines = {k: s for k in COST_BASES if (s := _recent(h.get((k, "")), day)) is not None}
    flat = {k: c.value for k, c in model.onchain.cells.items() if k.endswith("_usd") and c.ok and k not in lines}
    zones = {
        "support": [(z.low, z.high) for z in model.strategy.support],
        "resistance": [(z.low, z.high) for z in model.strategy.resistance],
    }
    return ChartData({"price": price, **lines}, {"flat": flat, **zones})


def _ai_vs_btc_data(model: ReportModel, snapshot: Snapshot) -> ChartData | None:
    """BTC and the AI basket rebased to 100 over 180 days, with the 90-day correlation when known.

    The basket is the equal-weight mean of the rebased closes: a drawing aid, not a signal.
    """
    h, day = snapshot.history, model.as_of
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


# -- drawing helpers ------------------------------------------------------------------------------
def short_usd(x: float) -> str:
    """$62.9K, -$1.2B: a dollar amount in at most four significant characters and a suffix."""
    size = abs(x)
    sign = "-" if x < 0 else ""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= scale:
            return f"{sign}${size / scale:.3g}{suffix}"
    return f"{sign}${size:.3g}"


def _usd_axis(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: short_usd(x)))


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    low, high = ax.get_xlim()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m" if high - low > 200 else "%m-%d"))


def _legend_below(fig: Figure, handles: Sequence[Any], ncol: int) -> None:
    """The legend in the figure's bottom strip (`_margins` keeps a row's height free per row)."""
    fig.legend(handles=list(handles), loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=ncol)


def _spread(positions: list[float], gap: float) -> list[float]:
    """Label heights (axes fraction) moved apart to at least `gap`, as little as possible."""
    order = sorted(range(len(positions)), key=positions.__getitem__)
    placed: dict[int, float] = {}
    last = float("-inf")
    for i in order:
        placed[i] = max(positions[i], last + gap)
        last = placed[i]
    overflow = last - 1.0
    if overflow > 0:  # pushed off the top: shift the stack down, keeping the gaps
        for i in order:
            placed[i] -= overflow
    return [placed[i] for i in range(len(positions))]


def _right_labels(ax: Axes, labels: Sequence[tuple[float, str, str, bool]]) -> None:
    """Labels in the right margin at their price (value, text, colour, bold), never overlapping."""
    low, high = ax.get_ylim()
    heights = [(v - low) / (high - low) for v, _, _, _ in labels]
    gap = TEXT_PT * 1.15 / (ax.get_position().height * ax.figure.get_figheight() * 72)
    for y, (_, text, color, bold) in zip(_spread(heights, gap), labels, strict=True):
        ax.text(
            1.015,
            y,
            text,
            transform=ax.transAxes,
            va="center",
            ha="left",
            color=color,
            fontweight="bold" if bold else "normal",
            clip_on=False,
        )


# -- the charts -------------------------------------------------------------------------------
@dataclass(slots=True)
class Drawn:
    """What a drawing leaves to the layout: legend rows below the plot, and price labels for the
    right margin of `axes` (value, text, colour, bold), placed once the margins are final."""

    legend_rows: int = 0
    axes: Any = None
    labels: list[tuple[float, str, str, bool]] = field(default_factory=list)


def _draw_btc_price(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    from matplotlib.patches import Patch

    ax = fig.subplots()
    price = d.series["price"]
    ax.plot(price.index, price.values, color=COLORS["btc"], lw=2.2, label=w["price"], zorder=3)
    colors = dict(zip(COST_BASES, COLORS["lines"], strict=True))
    for key in COST_BASES:
        if key in d.series:
            s = d.series[key]
            ax.plot(s.index, s.values, lw=1.4, ls="--", color=colors[key], label=w[key])
        elif key in d.values["flat"]:
            ax.axhline(d.values["flat"][key], lw=1.4, ls="--", color=colors[key], label=w[key])
    _usd_axis(ax)
    _dates(ax)
    ax.margins(x=0)
    low, high = ax.get_ylim()
    labels = [(price.values[-1], short_usd(price.values[-1]), COLORS["btc"], True)]
    for kind in ("support", "resistance"):
        for zone_low, zone_high in d.values[kind]:
            band = _visible_band(zone_low, zone_high)
            if band[1] < low or band[0] > high:
                continue  # a level far outside the year's range would squash the price line
            ax.axhspan(*band, color=COLORS[kind], alpha=0.2, lw=0)
            labels.append(((zone_low + zone_high) / 2, short_usd((zone_low + zone_high) / 2), COLORS[kind], False))
    ax.set_ylim(low, high)
    ax.scatter(
        [price.index[-1]], [price.values[-1]], color=COLORS["btc"], edgecolor="white", s=60, zorder=4, clip_on=False
    )
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=COLORS[k], alpha=0.3, label=w[k]) for k in ("support", "resistance") if d.values[k]]
    _legend_below(fig, handles, ncol=2)
    return Drawn((len(handles) + 1) // 2, ax, labels)


def _draw_fear_greed(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    ax = fig.subplots()
    bands = (
        (0, 25, "#b91c1c", "extreme_fear"),
        (25, 50, "#f97316", "fear"),
        (50, 51, "#a3a3a3", "neutral"),
        (51, 75, "#84cc16", "greed"),
        (75, 100, "#15803d", "extreme_greed"),
    )
    for low, high, color, key in bands:
        ax.axhspan(low, high, color=color, alpha=0.12, lw=0)
        if high - low > 5:
            ax.text(
                0.01,
                (low + high) / 2,
                w[key],
                transform=ax.get_yaxis_transform(),
                va="center",
                color=color,
                fontsize=px(10),
                bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1},
            )
    fg = d.series["fg"]
    ax.plot(fg.index, fg.values, color=COLORS["ink"], lw=1.6)
    last = fg.values[-1]
    color = COLORS["down"] if last < 50 else COLORS["up"]
    ax.scatter([fg.index[-1]], [last], color=color, edgecolor="white", zorder=3, s=60, clip_on=False)
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    _dates(ax)
    return Drawn(0, ax, [(last, f"{last:.0f}", color, True)])


def _draw_etf_flows(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    import pandas as pd
    from matplotlib.patches import Patch

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
        ax.text(
            0.99,
            0.97,
            f"{label}: {abs(int(streak))}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            color=color,
            fontweight="bold",
        )
    ax.axhline(0, color=COLORS["ink"], lw=0.8)
    _usd_axis(ax)
    _dates(ax)
    _legend_below(
        fig, [Patch(color=COLORS["up"], label=w["inflow"]), Patch(color=COLORS["down"], label=w["outflow"])], ncol=2
    )
    return Drawn(1)


def _draw_chain_liquidity(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = list(reversed(d.values["rows"]))
    axes = fig.subplots(1, 3, sharey=True)
    names = [w.entity(r[0]) for r in rows]
    for i, (ax, key, color) in enumerate(
        zip(axes, ("tvl", "stable", "dex"), ("#6366f1", "#0ea5e9", "#f59e0b"), strict=True)
    ):
        values = [r[i + 1] or 0.0 for r in rows]
        ax.barh(range(len(rows)), values, color=color)
        ax.set_title(w[key], fontsize=px(10))
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: short_usd(x)))
    axes[0].set_yticks(range(len(rows)))
    axes[0].yaxis.set_major_formatter(w.ticks(names))
    return Drawn()


def _draw_ai_vs_btc(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    has_corr = "corr" in d.series
    axes = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.3)) if has_corr else [fig.subplots()]
    top = axes[0]
    ai = top.plot(d.series["ai"].index, d.series["ai"].values, color=COLORS["ai"], label=w["ai"])
    btc = top.plot(d.series["btc"].index, d.series["btc"].values, color=COLORS["btc"], label=w["btc"])
    top.axhline(100, color=COLORS["ink"], lw=0.8)
    top.set_ylabel(w["rebased"])
    handles = [*ai, *btc]
    if has_corr:
        corr = d.series["corr"]
        handles += axes[1].plot(corr.index, corr.values, color=COLORS["lines"][0], label=w["correlation"])
        axes[1].axhline(0, color=COLORS["ink"], lw=0.8)
        axes[1].set_ylim(-1, 1)
        axes[1].set_yticks([-1, 0, 1])
    for ax in axes:
        ax.margins(x=0)
    _dates(axes[-1])
    _legend_below(fig, handles, ncol=3)
    return Drawn(1)


def _draw_options(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    from matplotlib.ticker import FuncFormatter

    left, right = fig.subplots(1, 2)
    tenors = d.values["tenors"]
    names = [t for t, _, _ in tenors]
    ivs = [iv * 100 if iv is not None else float("nan") for _, iv, _ in tenors]
    left.plot(names, ivs, marker="o", color=COLORS["ai"])
    left.set_ylim(0, max((v for v in ivs if not math.isnan(v)), default=100) * 1.15)  # from zero: levels, not wiggles
    left.set_title(w["iv"], loc="left")
    skews = [s * 100 if s is not None else 0.0 for _, _, s in tenors]
    right.bar(names, skews, color=[COLORS["down"] if s > 0 else COLORS["up"] for s in skews])
    right.axhline(0, color=COLORS["ink"], lw=0.8)
    right.set_title(w["skew"], loc="left")
    for ax in (left, right):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:g}%"))
        ax.set_xlabel(w["tenor"])
    return Drawn()


def _draw_score_history(fig: Figure, d: ChartData, w: _Words) -> Drawn:
    ax = fig.subplots()
    bear = ax.axhspan(0, d.values["low"], color=COLORS["down"], alpha=0.1, lw=0, label=w["bearish"])
    bull = ax.axhspan(d.values["high"], 100, color=COLORS["up"], alpha=0.1, lw=0, label=w["bullish"])
    score = d.series["score"]
    line = ax.plot(score.index, score.values, color=COLORS["ink"], lw=1.8, label=w["score"])
    ax.scatter(
        [score.index[-1]], [score.values[-1]], color=COLORS["ink"], edgecolor="white", s=60, zorder=3, clip_on=False
    )
    ax.set_ylim(0, 100)
    ax.margins(x=0)
    _dates(ax)
    _legend_below(fig, [*line, bear, bull], ncol=3)
    return Drawn(1, ax, [(score.values[-1], f"{score.values[-1]:.0f}", COLORS["ink"], True)])


DRAW: dict[str, Callable[[Figure, ChartData, _Words], Drawn]] = {
    "btc-price": _draw_btc_price,
    "fear-greed": _draw_fear_greed,
    "etf-flows": _draw_etf_flows,
    "chain-liquidity": _draw_chain_liquidity,
    "ai-vs-btc": _draw_ai_vs_btc,
    "options": _draw_options,
    "score-history": _draw_score_history,
}
"""Each draws one chart with placeholder words."""


def file_name(name: str, lang: str, ext: str = "svg") -> str:
    """`btc-price.zh-cn.svg`: Hugo gives a bundle file with a language suffix to that language's
    page and publishes it there, so a single-language build has its charts too."""
    return f"{name}.{lang.lower()}.{ext}"


HEIGHTS = {"btc-price": 5.2, "ai-vs-btc": 4.4}
"""Taller charts where a legend of several rows sits below the plot (inches; default SIZE[1])."""
SIDES = {"left": 0.14, "right": 0.97, "hspace": 0.12, "wspace": 0.25}
"""Fixed side margins as figure fractions (a constrained layout costs twice the time and shifts
with the fonts found); top and bottom are kept in points, so titles and ticks keep their room
whatever the chart's height."""
EXTRA_SIDES: dict[str, dict[str, float]] = {
    "btc-price": {"right": 0.84},
    "fear-greed": {"left": 0.09, "right": 0.9},
    "chain-liquidity": {"left": 0.2, "wspace": 0.15},
    "ai-vs-btc": {"left": 0.12},
    "options": {"left": 0.1, "wspace": 0.3},
    "score-history": {"left": 0.09, "right": 0.9},
}
TOP_PT = TITLE_PT * 2.9
"""Room for a title of up to two lines."""
AXES_TITLE_PT = TEXT_PT * 1.8
"""Extra top room for charts whose panels carry their own titles."""
BOTTOM_PT = TEXT_PT * 2.4
"""Room for the x tick labels."""
XLABEL_PT = TEXT_PT * 1.5
LEGEND_ROW_PT = TEXT_PT * 1.6


def _margins(name: str, height_in: float, legend_rows: int) -> dict[str, float]:
    height = height_in * 72
    top = TOP_PT + (AXES_TITLE_PT if name in {"chain-liquidity", "options"} else 0)
    bottom = BOTTOM_PT + (XLABEL_PT if name == "options" else 0) + legend_rows * LEGEND_ROW_PT
    return {**SIDES, **EXTRA_SIDES.get(name, {}), "top": 1 - top / height, "bottom": bottom / height}


@contextmanager
def _quiet() -> Iterator[None]:
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # "no bold weight" for CJK fonts: harmless, drawn regular
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing-glyph warnings: SVG text is drawn by the browser
            yield
    finally:
        font_log.setLevel(level)


def draw_all(name: str, data: ChartData, langs: Sequence[str], directory: Path, *, png: bool) -> dict[str, str]:
    """Draw chart `name` once and save it in every language of `langs`; return {lang: SVG file name}."""
    plt = _pyplot()
    out: dict[str, str] = {}
    with _quiet(), plt.rc_context(_style(langs[0] if langs else "en")):
        height = HEIGHTS.get(name, SIZE[1])
        fig = plt.figure(figsize=(SIZE[0], height))
        try:
            words = _Words()
            drawn = DRAW[name](fig, data, words)
            fig.subplots_adjust(**_margins(name, height, drawn.legend_rows))
            if drawn.labels:
                _right_labels(drawn.axes, drawn.labels)
            fig.suptitle(
                words["title"], fontsize=TITLE_PT, fontweight="bold", x=0.015, y=0.985, ha="left", va="top", wrap=True
            )
            templates: dict[Any, str] = {}
            for lang in langs:
                with plt.rc_context(_style(lang)):
                    _localise(fig, words, templates, _words_for(name, lang))
                    svg = directory / file_name(name, lang)
                    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
                    if png and can_draw(lang):
                        fig.savefig(
                            directory / file_name(name, lang, "png"),
                            format="png",
                            dpi=PNG_DPI,
                            metadata={"Software": None},
                        )
                out[lang] = svg.name
        finally:
            plt.close(fig)
    return out


_prepared: ProcessPoolExecutor | None = None
"""The drawing process forked by `prepare_drawing`, used up by the next `start_charts`."""


def drawing_shares(jobs: int) -> int:
    """How many processes draw `jobs` charts: one per CPU this process may run on, at most one per chart."""
    return max(1, min(jobs, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def draw_charts(jobs: Mapping[str, ChartData], langs: Sequence[str], directory: Path, *, png: bool) -> None:
    """Draw every chart of `jobs`, shared among processes forked from this one (`drawing_shares`).

    Called in the drawing process, where matplotlib is imported and warmed already: a child forked
    from it starts drawing at once, where a second process forked from the report's would have to
    import matplotlib again (~0.6 s of CPU). The children take the charts one by one in the order
    given, so a slow chart does not hold up the rest.
    """
    shares = drawing_shares(len(jobs))
    if shares == 1:
        for name, data in jobs.items():
            draw_all(name, data, langs, directory, png=png)
        return
    with _forked_pool(shares, die_with_parent) as pool:
        for future in [pool.submit(draw_all, name, data, langs, directory, png=png) for name, data in jobs.items()]:
            future.result()


@dataclass(slots=True)
class PendingCharts:
    """Charts being drawn in other processes: their file names now, the files after `wait()`.

    The names are known before a chart is drawn (one per chart with data and language), so the
    report's text can be written meanwhile.
    """

    files: dict[str, dict[str, str]]
    _futures: list[Future[None]] = field(default_factory=list)

    def wait(self) -> dict[str, dict[str, str]]:
        """Block until every file is written; re-raise what a drawing process raised."""
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()
        return self.files


def _forked_pool(workers: int, initializer: Callable[[int], None]) -> ProcessPoolExecutor:
    """`workers` processes forked from this one, each starting with `initializer(this process's pid)`."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=initializer,
        initargs=(os.getpid(),),
    )


PR_SET_PDEATHSIG = 1
"""Linux prctl(2) option: the signal this process gets when the thread that forked it exits."""


def die_with_parent(parent: int) -> None:
    """Make this forked process die with `parent` (Linux). A forked pool worker waits on a queue
    whose writing end it holds itself, so it never sees the end of a run that was killed
    (`kill -9`, a systemd timeout) and would stay behind, ~140 MB each, run after run."""
    import ctypes
    import signal

    with suppress(OSError, AttributeError):  # no prctl (not glibc/musl Linux): nothing to arrange
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was arranged
        os._exit(1)


def _ready_to_draw(parent: int) -> None:
    """The drawing process's first act: tie its life to the run's, import what drawing needs and
    draw a throwaway figure in each language's style (fonts found and loaded), before any chart is
    asked for, so the processes it forks to draw start warm."""
    import io

    die_with_parent(parent)

    import pandas  # noqa: F401 - the charts' data arrives as pickled pandas series

    from signaldesk.langs import LANGS
    from signaldesk.report.render import i18n

    plt = _pyplot()
    for lang in LANGS:
        i18n(lang)
        with _quiet(), plt.rc_context(_style(lang)):
            fig = plt.figure(figsize=SIZE)
            try:
                fig.add_subplot().plot([0, 1], [0, 1], label="·")
                fig.suptitle("0", fontweight="bold")
                fig.savefig(io.BytesIO(), format="svg")
            finally:
                plt.close(fig)


def _drawing_pool() -> ProcessPoolExecutor | None:
    """Forked drawing processes, started at once; None where forking is not the safe default (macOS,
    Windows). The standard streams are flushed first so no child repeats buffered output."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pool = _forked_pool(1, _ready_to_draw)
    pool.submit(int)  # with fork, the first task starts the process: its imports begin now
    return pool


def prepare_drawing() -> None:
    """Start the drawing process now, so matplotlib is imported while the caller collects and judges
    the day (single-threaded work that leaves the second core idle); the next `start_charts` uses it.
    It holds the modules as they were when forked (one run per process: cron and systemd start each)."""
    global _prepared
    if _prepared is None:
        _prepared = _drawing_pool()


def start_charts(
    directory: Path,
    model: ReportModel,
    snapshot: Snapshot,
    *,
    langs: Sequence[str],
    score_history: pd.Series | None = None,
    png: bool = True,
    background: bool = True,
) -> PendingCharts:
    """Start drawing every chart the data allows (in forked processes when `background` and the
    platform allows); the returned names ({chart: {lang: svg file name}}) are final at once."""
    global _prepared
    jobs = {name: data for name in DRAW if (data := _data(name, model, snapshot, score_history)) is not None}
    files = {name: {lang: file_name(name, lang) for lang in langs} for name in jobs}
    pool = None
    if background and jobs and langs:
        pool, _prepared = _prepared or _drawing_pool(), None
    if pool is None:
        for name, data in jobs.items():
            draw_all(name, data, langs, directory, png=png)
        return PendingCharts(files)
    future = pool.submit(draw_charts, jobs, tuple(langs), directory, png=png)
    pool.shutdown(wait=False)  # the process exits once these charts are drawn
    return PendingCharts(files, [future])


def write_charts(
    directory: Path,
    model: ReportModel,
    snapshot: Snapshot,
    *,
    langs: Sequence[str],
    score_history: pd.Series | None = None,
    png: bool = True,
) -> dict[str, dict[str, str]]:
    """Draw every chart the data allows, here; return {chart: {lang: svg file name}}."""
    return start_charts(
        directory, model, snapshot, langs=langs, score_history=score_history, png=png, background=False
    ).files
