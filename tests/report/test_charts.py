"""Charts: CJK labels kept as SVG text, deterministic bytes, PNG only where glyphs exist."""

from __future__ import annotations

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
    files = charts.write_charts(tmp_path, model, snap, langs=("zh-CN",), score_history=sample.score_history(), png=False)
    assert sorted(files) == sorted(charts.DRAW)
    for name, by_lang in files.items():
        svg = (tmp_path / by_lang["zh-CN"]).read_text(encoding="utf-8")
        title = str(i18n("zh-CN")["charts"][name]["title"]).replace("&", "&amp;")
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert title in texts, name  # the browser draws it with its own CJK font
        assert "font-family" in svg and "Noto Sans CJK SC" in svg
        assert "<dc:date>" not in svg  # no timestamp in the metadata


def test_svg_is_byte_identical_across_runs(tmp_path: Path, model_and_snapshot) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    data = charts._data("etf-flows", model, snap, None)
    assert data is not None
    words = i18n("zh-TW")["charts"]["etf-flows"]
    first = charts.draw("etf-flows", data, "zh-TW", words, tmp_path, png=False)
    one = (tmp_path / first).read_bytes()
    charts.draw("etf-flows", data, "zh-TW", words, tmp_path, png=False)
    assert (tmp_path / first).read_bytes() == one
    assert "連續流出週: 6" in one.decode()  # the streak is marked on the chart


def test_png_only_when_the_glyphs_exist(tmp_path: Path, model_and_snapshot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, snap = model_and_snapshot
    data = charts._data("fear-greed", model, snap, None)
    monkeypatch.setattr(charts, "cjk_font", lambda lang="zh-CN": None)
    for lang in ("zh-CN", "en"):
        charts.draw("fear-greed", data, lang, i18n(lang)["charts"]["fear-greed"], tmp_path, png=True)
    assert (tmp_path / "fear-greed-zh-cn.svg").exists()
    assert not (tmp_path / "fear-greed-zh-cn.png").exists()  # no boxes of missing glyphs
    assert (tmp_path / "fear-greed-en.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
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
