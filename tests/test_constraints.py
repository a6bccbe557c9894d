"""The two constraints files stay in step with pyproject.toml's declared ranges.

`constraints/minimum.txt` must pin every direct dependency to exactly its declared lower bound
(so the minimum-versions job tests what we promise), and `constraints/tested.txt` must pin every
direct dependency to a version the declared range allows (so the README's install is possible).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    return [Requirement(line) for line in lines]


def _pins(name: str) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints" / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line).groups()  # type: ignore[union-attr]
            pins[canonicalize_name(package)] = Version(version)
    return pins


def _lower_bound(requirement: Requirement) -> Version:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(bounds) == 1, f"{requirement} must declare exactly one lower bound (>=)"
    return bounds[0]


REQUIREMENTS = _direct_requirements()
CAPS = [r for r in REQUIREMENTS if all(s.operator == "<" for s in r.specifier)]
"""Upper caps on a dependency of a dependency (plotly for vectorbt): no lower bound to pin."""


@pytest.mark.parametrize("requirement", [r for r in REQUIREMENTS if r not in CAPS], ids=str)
def test_minimum_pins_each_declared_lower_bound(requirement: Requirement) -> None:
    pinned = _pins("minimum.txt").get(canonicalize_name(requirement.name))
    assert pinned == _lower_bound(requirement), f"constraints/minimum.txt pins {pinned} for {requirement}"


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=str)
def test_tested_versions_lie_in_the_declared_range(requirement: Requirement) -> None:
    pinned = _pins("tested.txt").get(canonicalize_name(requirement.name))
    assert pinned is not None and requirement.specifier.contains(pinned), f"tested.txt: {pinned} vs {requirement}"
