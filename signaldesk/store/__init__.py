"""The embedded DuckDB store: observations, runs and provider outcomes, with as-of reads.

Writes happen in one transaction per call (`StoreBase._transaction`), so a crash leaves either all
of a run or none of it. Reads take an `as_of` day and never see a value dated after it (no
look-ahead) nor one fetched after `known_at` when that is given (reproducibility of past reports).
Each concern lives in its own module; `Store` is all of them on one connection.
"""

from __future__ import annotations

from signaldesk.store.assessments import Assessments
from signaldesk.store.observations import WriteStats
from signaldesk.store.runs import Runs


class Store(Runs, Assessments):
    """A DuckDB file (or `:memory:`) holding every observation signaldesk has seen."""


__all__ = ["Store", "WriteStats"]
