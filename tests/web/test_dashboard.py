"""The static dashboard: its data file, and the page itself in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from signaldesk.report.signals_json import assessment_dict
from signaldesk.web.dashboard import dashboard_data, write_dashboard
from tests.browser import chromium
from tests.report import sample


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dash")
    write_dashboard(out, assessment_dict(sample.assessment()), sample.history(), sample.score_history(), demo=True)
    return out / "dashboard"


def _data(page_dir: Path) -> dict:
    text = (page_dir / "data.js").read_text(encoding="utf-8")
    assert text.startswith("window.SIGNALDESK = ") and text.endswith(";\n")
    return json.loads(text[len("window.SIGNALDESK = ") : -2])


def test_files_and_data(page_dir: Path) -> None:
    assert sorted(p.name for p in page_dir.iterdir()) == ["app.js", "data.js", "index.html", "style.css"]
    html = (page_dir / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    data = _data(page_dir)
    assert data["assessment"]["score"] == 42.0 and data["assessment"]["demo"] is True
    # only the judged indicators' histories travel; the newest point is the as-of day
    assert set(data["history"]) == {"fear_greed"}
    assert data["history"]["fear_greed"][-1] == ["2026-02-25", 8.0]
    assert data["scores"][-1] == ["2026-02-25", 42.0] and len(data["scores"]) <= 730
    assert data["units"]["price_usd"] == "USD"


def test_history_window_and_rounding() -> None:
    import pandas as pd

    series = pd.Series([1 / 3, 2 / 3, 1.0], index=pd.to_datetime(["2020-01-01", "2026-02-24", "2026-02-25"]))
    data = dashboard_data({"indicators": [{"id": "x", "entity": ""}]}, {("x", ""): series}, None, days=30)
    assert data["history"] == {"x": [["2026-02-24", 0.666667], ["2026-02-25", 1.0]]}
    assert data["scores"] == []


def test_script_end_tags_in_data_are_inert(tmp_path: Path) -> None:
    write_dashboard(tmp_path, {"indicators": [], "reason": "</script><script>alert(1)</script>"}, {})
    assert "</script>" not in (tmp_path / "dashboard" / "data.js").read_text(encoding="utf-8")


@pytest.mark.slow
def test_page_in_headless_chromium(page_dir: Path, tmp_path: Path) -> None:
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((page_dir / "index.html").as_uri())
        page.wait_for_selector("#indicators tr")
        assert page.locator("#indicators tr").count() == 8
        assert page.locator(".card.score .v").inner_text() == "42/100"
        assert page.locator("#indicator-chart path.line").count() == 1  # fear & greed history drawn
        assert page.locator("#score-chart path.score").count() == 1
        page.locator("#indicators tr").nth(1).click()  # gas: no history → says so
        assert page.locator("#indicator-chart text.empty").count() == 1
        page.locator("#indicators tr").nth(0).click()
        page.locator("#ranges button").nth(0).click()  # 90 days
        box = page.locator("#indicator-chart").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2)
        assert page.locator("#tooltip").is_visible()
        page.locator("#langs button").nth(2).click()  # English
        assert page.locator("[data-word=indicators]").inner_text() == "Indicators"
        assert "Accelerating decline" in page.locator("#summary").inner_text()
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("SIGNALDESK_KEEP_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["SIGNALDESK_KEEP_SCREENSHOT"])
    assert errors == []


def test_from_store_uses_the_engine_and_stops_at_the_as_of_day(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime, timedelta

    from signaldesk.models import Observation
    from signaldesk.pipeline import judge
    from signaldesk.report.signals_json import assessment_dict

    start = datetime(2025, 6, 1, tzinfo=UTC)
    obs = [
        Observation("fear_greed", "", start + timedelta(days=i), float(20 + i % 50), "alternative_me")
        for i in range(300)
    ]
    obs += [
        Observation("price_usd", "btc", start + timedelta(days=i), 60_000.0 + 50 * i, "coingecko") for i in range(300)
    ]
    store.write_observations(obs, run_id="t", fetched_at=datetime(2026, 4, 1, tzinfo=UTC))
    as_of = date(2026, 2, 25)
    judged = judge(store, as_of=as_of, outcomes=[])  # the pipeline's path: the engine, as of the day
    index = write_dashboard(
        tmp_path, assessment_dict(judged.assessment), judged.snapshot.history, judged.scores, demo=False
    )
    data = _data(index.parent)
    assert data["assessment"]["as_of"] == "2026-02-25" and data["assessment"]["demo"] is False
    assert data["history"]["fear_greed"][-1][0] == "2026-02-25"  # nothing after the as-of day
    assert data["scores"] and data["scores"][-1][0] == "2026-02-25"
