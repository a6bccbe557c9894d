"""Backtest: the composite score's point-in-time history and what followed it.

Reads the store and the signal engine, never the network. Modules:

- `forward`   — forward BTC returns joined strictly after each as-of day;
- `stats`     — per-band statistics, hit rates, Spearman rank IC with a confidence interval;
- `portfolio` — score-driven allocation, buy-and-hold, the "333" allocation; fees; equity curves;
- `sweep`     — vectorised grid over rule weights and thresholds, walk-forward (out of sample);
- `scores`    — the adapter to the signal engine's causal score history;
- `run`       — `run_backtest`, `write_outputs` (scores.csv + report page), `result_to_json`;
- `importer`  — `import_csv`: bring `date,value` history from anywhere into the store.

Importing this package is cheap: heavy modules (matplotlib, scipy) load inside functions.
"""

from __future__ import annotations

from signaldesk.errors import SignaldeskError


class BacktestError(SignaldeskError):
    """The backtest cannot run on what the store holds (no BTC price, empty window, no engine)."""


class CsvImportError(SignaldeskError):
    """A CSV offered to `store import` is invalid; the message names the line and the problem."""


__all__ = ["BacktestError", "CsvImportError"]
