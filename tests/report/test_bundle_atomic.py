"""A report bundle appears whole or not at all: a failure while writing keeps the previous bundle,
and a run of one language keeps the bundle's other pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from signaldesk.report import render
from signaldesk.report.render import write_report
from tests.report import sample


def _files(bundle: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(bundle.iterdir())}


def test_a_failure_mid_write_keeps_the_previous_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_report(
        sample.assessment(), sample.snapshot(), out_dir=tmp_path, demo=True, charts=False, use_llm=False
    )
    before = _files(bundle)
    real = render.render_markdown

    def fails_on_english(model, lang, **kwargs):  # type: ignore[no-untyped-def]
        if lang == "en":
            raise OSError("No space left on device")
        return real(model, lang, **kwargs) + "\nchanged\n"

    monkeypatch.setattr(render, "render_markdown", fails_on_english)
    with pytest.raises(OSError):
        write_report(sample.assessment(), sample.snapshot(), out_dir=tmp_path, demo=True, charts=False, use_llm=False)
    assert _files(bundle) == before  # not the changed zh pages, not a bundle without signals.json
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]  # no staging left behind


def test_one_language_keeps_the_other_pages(tmp_path: Path) -> None:
    bundle = write_report(
        sample.assessment(), sample.snapshot(), out_dir=tmp_path, demo=True, charts=False, use_llm=False
    )
    zh = (bundle / "index.zh-cn.md").read_bytes()
    again = write_report(
        sample.assessment(), sample.snapshot(), out_dir=tmp_path, langs=("en",), demo=True, charts=False, use_llm=False
    )
    assert again == bundle
    assert (bundle / "index.zh-cn.md").read_bytes() == zh
