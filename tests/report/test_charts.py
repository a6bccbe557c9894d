"""Charts: CJK labels kept as SVG text, deterministic bytes, PNG only where glyphs exist."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from signaldesk.models import Snapshot
from signaldesk.report import charts
from signaldesk.report.render import i18n
from signaldesk.report.sections import build_model
from tests.report import sample


@pytest.fixture(scope="module")
def model_and_snapshot():  # type: ignore[no-untyped-def]
    snap = sample.snapshot()
    return build_model(sample.assessment(), snap), snap


def test_every_chart_drawn_with_chinese_text_as_text(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    files = charts.write_charts(
        tmp_path, model, snap, langs=("zh-CN",), score_history=sample.score_history(), png=False
    )
    assert sorted(files) == sorted(charts.DRAW)
    for name, by_lang in files.items():
        svg = (tmp_path / by_lang["zh-CN"]).read_text(encoding="utf-8")
        title = str(i18n("zh-CN")["charts"][name]["title"]).replace("&", "&amp;")
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert title in texts, name  # the browser draws it with its own CJK font
        assert "font-family" in svg and "Noto Sans CJK SC" in svg
        assert "<dc:date>" not in svg  # no timestamp in the metadata


def test_svg_is_byte_identical_across_runs_and_to_a_single_language_drawing(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    data = charts._data("etf-flows", model, snap, None)
    assert data is not None
    first = charts.draw_all("etf-flows", data, ("zh-CN", "zh-TW", "en"), tmp_path, png=False)["zh-TW"]
    one = (tmp_path / first).read_bytes()
    charts.draw_all("etf-flows", data, ("zh-TW",), tmp_path, png=False)
    assert (tmp_path / first).read_bytes() == one  # drawn once and relabelled = drawn for zh-TW alone
    streak = f"{i18n('zh-TW')['charts']['etf-flows']['streak']}: 6"
    assert streak in one.decode()  # the streak is marked on the chart
    assert "\ue000" not in one.decode() and "entity." not in one.decode()  # no placeholder left


def test_png_only_when_the_glyphs_exist(tmp_path: Path, model_and_snapshot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    data = charts._data("fear-greed", model, snap, None)
    monkeypatch.setattr(charts, "cjk_font", lambda lang="zh-CN": None)
    for lang in ("zh-CN", "en"):
        charts.draw_all("fear-greed", data, (lang,), tmp_path, png=True)
    assert (tmp_path / "fear-greed.zh-cn.svg").exists()
    assert not (tmp_path / "fear-greed.zh-cn.png").exists()  # no boxes of missing glyphs
    assert (tmp_path / "fear-greed.en.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setattr(charts, "cjk_font", lambda lang="zh-CN": "Some CJK Font")
    assert charts.can_draw("zh-TW") and charts.can_draw("en")


def test_no_data_no_chart(tmp_path: Path) -> None:
    model = build_model(sample.assessment(), Snapshot(as_of=sample.AS_OF))
    files = charts.write_charts(tmp_path, model, Snapshot(as_of=sample.AS_OF), langs=("en",), png=False)
    assert set(files) == set()  # levels alone make no chart without a price history
    assert list(tmp_path.iterdir()) == []


def test_chart_data_is_cut_at_the_as_of_day(model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    model, snap = model_and_snapshot
    later = snap.history[("fear_greed", "")].copy()
    later.loc[pd.Timestamp("2026-03-01")] = 99.0
    snap2 = Snapshot(as_of=snap.as_of, history={("fear_greed", ""): later})
    data = charts._data("fear-greed", model, snap2, None)
    assert data.series["fg"].index[-1] == pd.Timestamp("2026-02-25")
    assert data.series["fg"].iloc[-1] == 8.0


def _texts(svg: str) -> list[tuple[float, str]]:
    """(font size in px, text) of every SVG text element."""
    return [
        (float(size), text) for size, text in re.findall(r"<text[^>]*font-size: ([0-9.]+)px[^>]*>([^<]*)</text>", svg)
    ]


def _view_width(svg: str) -> float:
    return float(re.search(r'viewBox="0 0 ([0-9.]+) [0-9.]+"', svg).group(1))


def test_text_is_readable_on_a_390px_phone(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    """At the phone's chart width every text is at least 10 px (it was 5–6 px)."""
    model, snap = model_and_snapshot
    files = charts.write_charts(tmp_path, model, snap, langs=("en",), score_history=sample.score_history(), png=False)
    for name, by_lang in files.items():
        svg = (tmp_path / by_lang["en"]).read_text(encoding="utf-8")
        scale = charts.PHONE_WIDTH_PX / _view_width(svg)  # viewBox units → CSS px on the phone
        sizes = [size * scale for size, _ in _texts(svg)]
        assert sizes and round(min(sizes), 2) >= 10, (name, min(sizes))
        assert "width=" in svg and "viewBox=" in svg  # scales with its container


def test_btc_chart_marks_the_price_and_labels_the_levels_outside_the_plot(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    data = charts._data("btc-price", model, snap, None)
    svg = (tmp_path / charts.draw_all("btc-price", data, ("en",), tmp_path, png=False)["en"]).read_text("utf-8")
    texts = [t for _, t in _texts(svg)]
    price = snap.history[("price_usd", "btc")].iloc[-1]
    assert charts.short_usd(price) in texts  # the current price is labelled
    levels = [(z.low + z.high) / 2 for z in model.strategy.support + model.strategy.resistance]
    shown = [charts.short_usd(v) for v in levels]
    assert any(label in texts for label in shown)  # levels carry their price
    assert "BTC price" in texts and "support" in texts  # the legend, now below the plot


def test_legend_sits_below_the_plot_not_over_the_price(model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, snap = model_and_snapshot
    data = charts._data("btc-price", model, snap, None)
    fig = plt.figure(figsize=(charts.SIZE[0], charts.HEIGHTS["btc-price"]))
    try:
        drawn = charts.DRAW["btc-price"](fig, data, charts._Words())
        fig.subplots_adjust(**charts._margins("btc-price", charts.HEIGHTS["btc-price"], drawn.legend_rows))
        fig.canvas.draw()
        legend = fig.legends[0].get_window_extent()
        plot = drawn.axes.get_window_extent()
        assert legend.y1 < plot.y0  # wholly under the axes: it cannot cover the price line
    finally:
        plt.close(fig)


def test_chain_names_are_spelled_as_the_report_spells_them(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    from signaldesk.report.charts import ChartData

    data = ChartData({}, {"rows": [("bsc", 5e9, 1e9, 2e8), ("ethereum", 6e10, 1.5e11, 2e9)]})
    svg = (tmp_path / charts.draw_all("chain-liquidity", data, ("en",), tmp_path, png=False)["en"]).read_text("utf-8")
    texts = [t for _, t in _texts(svg)]
    assert str(i18n("en")["entity"]["bsc"]) in texts and "Bsc" not in texts
    assert "Ethereum" in texts


def test_implied_volatility_axis_starts_at_zero(model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, snap = model_and_snapshot
    data = charts._data("options", model, snap, None)
    fig = plt.figure(figsize=charts.SIZE)
    try:
        charts.DRAW["options"](fig, data, charts._Words())
        assert fig.axes[0].get_ylim()[0] == 0  # levels, not a 55 % floor that makes 5 points look like a cliff
    finally:
        plt.close(fig)


def test_right_labels_never_overlap() -> None:
    placed = charts._spread([0.5, 0.51, 0.52, 0.99], gap=0.05)
    ordered = sorted(placed)
    assert all(b - a >= 0.05 - 1e-12 for a, b in itertools.pairwise(ordered))
    assert max(placed) <= 1.0 and placed[0] == 0.5  # moved as little as possible, kept on the chart


def test_charts_drawn_in_the_background_are_the_same_files(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    langs = ("zh-CN", "en")
    for where in ("inline", "forked"):
        (tmp_path / where).mkdir()
    inline = charts.write_charts(
        tmp_path / "inline", model, snap, langs=langs, score_history=sample.score_history(), png=False
    )
    pending = charts.start_charts(
        tmp_path / "forked", model, snap, langs=langs, score_history=sample.score_history(), png=False
    )
    assert pending.files == inline  # the names are final before anything is drawn
    assert pending.wait() == inline
    written = sorted(p.name for p in (tmp_path / "forked").iterdir())
    assert written == sorted(f for by_lang in inline.values() for f in by_lang.values())
    for name in written:
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "inline" / name).read_bytes(), name


def test_a_chart_failing_in_the_background_fails_the_wait(tmp_path: Path, model_and_snapshot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot

    def broken(fig, data, words):  # type: ignore[no-untyped-def]
        raise ValueError("drawing went wrong")

    charts.start_charts(tmp_path, model, snap, langs=("en",), png=False).wait()  # uses up any process forked earlier
    monkeypatch.setitem(charts.DRAW, "fear-greed", broken)  # a process forked from now on inherits the patch
    pending = charts.start_charts(tmp_path, model, snap, langs=("en",), png=False)
    with pytest.raises(ValueError, match="drawing went wrong"):
        pending.wait()


def test_prepared_drawing_processes_draw_the_same_files(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    inline = charts.write_charts(
        tmp_path, model, snap, langs=("zh-TW",), score_history=sample.score_history(), png=False
    )
    first = {f: (tmp_path / f).read_bytes() for by_lang in inline.values() for f in by_lang.values()}
    for name in first:
        (tmp_path / name).unlink()
    charts.prepare_drawing()  # forked now, matplotlib imported in them before any chart is asked for
    pending = charts.start_charts(
        tmp_path, model, snap, langs=("zh-TW",), score_history=sample.score_history(), png=False
    )
    assert pending.wait() == inline
    assert {name: (tmp_path / name).read_bytes() for name in first} == first


def test_one_process_per_cpu_draws_at_most_one_chart_each(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(charts.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert [charts.drawing_shares(jobs) for jobs in (0, 1, 2, 7)] == [1, 1, 2, 2]
    monkeypatch.setattr(charts.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert charts.drawing_shares(7) == 7


def test_charts_shared_among_forked_processes_are_the_files_drawn_inline(
    tmp_path: Path, model_and_snapshot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`draw_charts` forks one child per share; each chart is still the file one process draws, and
    a chart failing in a child fails the whole call."""
    model, snap = model_and_snapshot
    langs = ("zh-CN", "en")
    inline = charts.write_charts(tmp_path, model, snap, langs=langs, score_history=sample.score_history(), png=False)
    drawn = {f: (tmp_path / f).read_bytes() for by_lang in inline.values() for f in by_lang.values()}
    jobs = {name: data for name in inline if (data := charts._data(name, model, snap, sample.score_history()))}
    monkeypatch.setattr(charts.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert charts.drawing_shares(len(jobs)) == 3
    shared = tmp_path / "shared"
    shared.mkdir()
    charts.draw_charts(jobs, langs, shared, png=False)
    assert {f.name: f.read_bytes() for f in shared.iterdir()} == drawn

    def broken(fig, data, words):  # type: ignore[no-untyped-def]
        raise ValueError("drawing went wrong")

    monkeypatch.setitem(charts.DRAW, "fear-greed", broken)
    with pytest.raises(ValueError, match="drawing went wrong"):
        charts.draw_charts(jobs, langs, tmp_path / "shared", png=False)
