"""Run vectorbt's `Portfolio.from_signals` on arrays saved by a test; used in a subprocess.

Usage: `python -m tests.backtest.vbt_runner IN.npz OUT.npz`. The input holds `close` (T),
`entries` and `exits` (T × K booleans) and `fees`; the output `total_return` (K) and `value`
(T × K). The test runs it with NUMBA_DISABLE_JIT=1: vectorbt's own order logic, interpreted,
without the half minute of JIT compilation its first call costs in every fresh process.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np


def main(source: str, target: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd
        import vectorbt as vbt

    data = np.load(source)
    index = pd.date_range("2000-01-01", periods=len(data["close"]), freq="D")
    close = pd.Series(data["close"], index=index)
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries=pd.DataFrame(data["entries"], index=index),
        exits=pd.DataFrame(data["exits"], index=index),
        size=np.inf,
        fees=float(data["fees"]),
        init_cash=1.0,
        freq="1D",
    )
    np.savez(
        target,
        total_return=portfolio.total_return().to_numpy(dtype=float),
        value=portfolio.value().to_numpy(dtype=float),
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
