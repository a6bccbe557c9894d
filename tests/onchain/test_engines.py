"""The same SQL on two engines gives the same integers; the pandas reference agrees to ~1e-9."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from signaldesk.onchain.engine import compute
from signaldesk.onchain.prices import read_csv
from signaldesk.onchain.synthetic import SynthSummary
from tests.onchain.reference import compute_reference

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.mark.slow
def test_duckdb_and_spark_agree_to_the_satoshi_and_cent(small_chain: SynthSummary, spark: Any) -> None:
    prices = read_csv(small_chain.prices_path)
    duck = compute(small_chain.outputs_path, prices, engine="duckdb", lth_mode="logistic", urpd_buckets=20)
    sprk = compute(small_chain.outputs_path, prices, engine="spark", spark=spark, lth_mode="logistic", urpd_buckets=20)
    assert duck.as_of == sprk.as_of and duck.outputs == sprk.outputs == 3_000
    # Every exact column (sat, sat×cent, sat-days, weighted sums) is the same Python integer.
    assert duck.exact.index.tolist() == sprk.exact.index.tolist()
    for column in duck.exact.columns:
        assert duck.exact[column].tolist() == sprk.exact[column].tolist(), column
    pd.testing.assert_frame_equal(duck.daily, sprk.daily, check_exact=True)
    pd.testing.assert_frame_equal(duck.urpd, sprk.urpd, check_exact=True)
    assert duck.exact["lth_supply"].iloc[-1] > 0  # the chain is long enough to have LTH coins


@pytest.mark.parametrize("lth_mode", ["sharp", "logistic"])
def test_engine_matches_the_pandas_reference(small_chain: SynthSummary, lth_mode: str) -> None:
    prices = read_csv(small_chain.prices_path)
    result = compute(small_chain.outputs_path, prices, lth_mode=lth_mode, urpd_buckets=30)
    reference, urpd = compute_reference(small_chain.outputs_path, prices, lth_mode=lth_mode, urpd_buckets=30)
    assert set(result.daily.columns) == set(reference.columns)
    # Logistic weights travel as integers of 10^-12: a cohort weighted 2e-7 carries ~1e-6 relative error.
    rtol = 1e-9 if lth_mode == "sharp" else 1e-5
    for column in result.daily.columns:
        got, want = result.daily[column].to_numpy(), reference[column].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(want)), column
        scale = np.nanmax(np.abs(want)) or 1.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-9 * scale, err_msg=column)
    np.testing.assert_allclose(result.urpd.to_numpy(), urpd.to_numpy(), rtol=1e-12, atol=1e-6)
