"""The shipped demo recordings are exactly what the documented generator produces, on any CPU."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tools.demo.build import DEMO_DIR, build


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _assert_same_tree(fresh: Path, why: str) -> None:
    built, shipped = _files(fresh), _files(DEMO_DIR)
    assert [p.relative_to(fresh) for p in built] == [p.relative_to(DEMO_DIR) for p in shipped]
    for new, old in zip(built, shipped, strict=True):
        assert new.read_bytes() == old.read_bytes(), f"{old.relative_to(DEMO_DIR)} differs: {why}"


def _dispatched_simd_targets() -> list[str]:
    """The CPU features NumPy picks kernels for at run time (beyond its compiled-in baseline)."""
    try:
        from numpy._core import _multiarray_umath as umath  # NumPy 2
    except ImportError:  # NumPy 1.26
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    return list(umath.__cpu_dispatch__)


def test_shipped_recordings_match_a_fresh_build(tmp_path):
    build(tmp_path / "demo")
    _assert_same_tree(tmp_path / "demo", "stale: run python -m tools.demo.build")


def test_the_build_is_the_same_without_numpys_cpu_specific_kernels(tmp_path):
    """AVX-512 exp/log kernels differ from SSE's in the last bit; the generator must not care."""
    targets = _dispatched_simd_targets()
    assert np.__version__ and targets, "this NumPy dispatches no SIMD kernels: nothing to compare"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(targets)}
    subprocess.run(
        [sys.executable, "-m", "tools.demo.build", str(tmp_path / "baseline")], env=env, check=True, capture_output=True
    )
    _assert_same_tree(tmp_path / "baseline", f"depends on the CPU (built with {targets} disabled)")
