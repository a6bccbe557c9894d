"""The derived-metric registry: which ids are computed from which, and in what order.

Each module in `signaldesk.metrics` may define `DERIVATIONS: tuple[Derivation, ...]`. A
derivation reads daily series (history up to the as-of day only — so a backtest can never look
ahead) and returns new daily series under the ids it declares. `derive_all` runs them in
dependency order; a derivation whose inputs are absent is skipped, and its outputs are then
simply missing (the signal engine reports them as such).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from signaldesk.models import MetricKey

if TYPE_CHECKING:
    import pandas as pd

History = Mapping[MetricKey, "pd.Series"]


@dataclass(frozen=True, slots=True)
class Derivation:
    """`compute(history)` → {(metric, entity): daily Series} for the ids in `outputs`."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute: Callable[[History], dict[MetricKey, pd.Series]]

    def ready(self, history: History) -> bool:
        """True when every input metric has at least one entity in `history`."""
        present = {metric for metric, _ in history}
        return all(metric in present for metric in self.inputs)


@cache
def derivations() -> tuple[Derivation, ...]:
    """Every registered derivation, ordered so that producers run before consumers."""
    import signaldesk.metrics as package

    found: list[Derivation] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name == "derive":
            continue
        module = importlib.import_module(f"signaldesk.metrics.{info.name}")
        found.extend(getattr(module, "DERIVATIONS", ()))
    return _topological(found)


def _topological(items: list[Derivation]) -> tuple[Derivation, ...]:
    producers = {out: d.name for d in items for out in d.outputs}
    ordered: list[Derivation] = []
    placed: set[str] = set()
    pending = list(items)
    while pending:
        progressed = False
        for d in list(pending):
            needs = {producers[i] for i in d.inputs if i in producers and producers[i] != d.name}
            if needs <= placed:
                ordered.append(d)
                placed.add(d.name)
                pending.remove(d)
                progressed = True
        if not progressed:
            raise RuntimeError(f"derived metrics form a cycle: {[d.name for d in pending]}")
    return tuple(ordered)


def derive_all(history: History) -> dict[MetricKey, pd.Series]:
    """Stored history plus every derived series computable from it (stored values win)."""
    out: dict[MetricKey, pd.Series] = dict(history)
    for derivation in derivations():
        if not derivation.ready(out):
            continue
        for key, series in derivation.compute(out).items():
            if key[0] not in derivation.outputs:
                raise RuntimeError(f"{derivation.name} produced undeclared metric {key[0]}")
            if key not in out and not series.dropna().empty:
                out[key] = series.dropna()
    return out


def entities(history: History, metric: str) -> list[str]:
    """The entities present for `metric`, sorted."""
    return sorted(entity for m, entity in history if m == metric)
