"""Outputs appear whole or not at all: a directory is written beside its final place, then swapped in.

A run killed while writing used to leave 0-byte SVGs, a bundle with `index.zh-cn.md` but no
`signals.json`, or a dashboard without `data.js` — and Hugo, a web server or a reader would take
that half for the report. `staged_dir(final)` hands out a hidden sibling directory to write into;
when the block ends normally the staged directory replaces `final` in one `renameat2(RENAME_EXCHANGE)`
(Linux), so a reader sees the old version or the new one, never a mix and never nothing; where that
call is missing, two renames leave `final` absent for an instant, still never half-written. A block
that raises (or a process that dies) leaves `final` as it was; leftovers of killed runs are removed
by the next write of the same directory.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STAGING = ".staging"
LEFTOVER_AGE_S = 3600.0
"""A staged directory this old belongs to a run that died; a younger one may be a live writer's."""
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux `renameat2`); False where it is unavailable."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _remove_leftovers(final: Path) -> None:
    cutoff = time.time() - LEFTOVER_AGE_S
    for leftover in final.parent.glob(f".{final.name}.*{STAGING}"):
        if leftover.is_dir() and leftover.stat().st_mtime < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)


def publish(staging: Path, final: Path) -> None:
    """Put the finished `staging` directory in `final`'s place (see the module docstring)."""
    if final.exists() and _exchange(staging, final):
        shutil.rmtree(staging)  # it now holds the previous version
        return
    if final.exists():
        previous = staging.with_name(staging.name + ".previous")
        os.replace(final, previous)
        os.replace(staging, final)
        shutil.rmtree(previous)
        return
    os.replace(staging, final)


@contextmanager
def staged_dir(final: Path | str, *, keep_existing: bool = False) -> Iterator[Path]:
    """A hidden directory beside `final` to write into; swapped in when the block succeeds.

    `keep_existing` starts it as a copy of `final`'s current files, for writers that update part of
    a directory (one language of a page bundle) and must not drop the rest."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=STAGING, dir=final.parent))
    try:
        if keep_existing and final.is_dir():
            shutil.copytree(final, staging, dirs_exist_ok=True)
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.chmod(0o755)  # mkdtemp makes it private; the published directory is read by web servers
    publish(staging, final)
