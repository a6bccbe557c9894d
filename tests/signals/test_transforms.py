import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signaldesk.signals import transforms
from signaldesk.signals.transforms import Params, Transform
from tests.signals.helpers import series


def _run(name: str, values, **params) -> list[float]:
    out = transforms.get(name).compute(series(values), Params(**params))
    return [None if math.isnan(v) else round(float(v), 6) for v in out]


def test_level_is_identity():
    assert _run("level", [3.0, 4.0]) == [3.0, 4.0]


def test_change_and_delta_over_calendar_days():
    assert _run("change", [100, 110, 121], days=1) == [None, 0.1, 0.1]
    assert _run("change", [100, 110, 121], days=2) == [None, None, 0.21]
    assert _run("delta", [8, 11, 20], days=1) == [None, 3.0, 9.0]


def test_change_does_not_stretch_over_a_gap():
    gappy = series([100.0, 200.0, 400.0]).drop(pd.Timestamp("2026-01-02"))
    out = transforms.get("change").compute(gappy, Params(days=1))
    assert math.isnan(out.iloc[1])  # 2026-01-03 has no 2026-01-02 to compare with


def test_percentile_ranks_within_trailing_window():
    # window 3 days, min 2 points: day 2 ranks 3 among {1, 3} → 1.0; day 3 ranks 2 among {1, 3, 2} → 2/3.
    assert _run("percentile", [1, 3, 2], window=3, min_periods=2) == [None, 1.0, round(2 / 3, 6)]
    # day 4's window (3 days) drops day 1: 0.5 among {3, 2, 0.5} is the lowest → 1/3.
    assert _run("percentile", [1, 3, 2, 0.5], window=3, min_periods=2)[-1] == round(1 / 3, 6)


def test_zscore_matches_numpy():
    values = [1.0, 2.0, 3.0, 4.0]
    expected = (4.0 - np.mean(values)) / np.std(values, ddof=1)
    assert _run("zscore", values, window=4, min_periods=2)[-1] == round(expected, 6)
    assert _run("zscore", [5.0, 5.0, 5.0], window=3, min_periods=2) == [None, None, None]  # flat: undefined


def test_ma_gap():
    assert _run("ma_gap", [10, 20], window=2, min_periods=2) == [None, round(20 / 15 - 1, 6)]


def test_streak_counts_consecutive_signs():
    assert _run("streak", [1, 2, -1, -3, -2, 0, 5]) == [1, 2, -1, -2, -3, 0, 1]


def test_aliases_and_unknown_names():
    assert transforms.get("pct_change") is transforms.get("change")
    assert transforms.get("z").name == "zscore"
    with pytest.raises(KeyError, match=r"unknown transform 'wiggle'.*level"):
        transforms.get("wiggle")


def test_register_refuses_to_replace():
    with pytest.raises(ValueError, match="already registered"):
        transforms.register(Transform("level2", lambda s, p: s, aliases=("level",)))
    probe = Transform("probe_identity", lambda s, p: s)
    transforms.register(probe)
    try:
        assert transforms.get("probe_identity") is probe
    finally:
        transforms.unregister("probe_identity")
    with pytest.raises(KeyError):
        transforms.get("probe_identity")


def test_format_output_by_unit():
    assert transforms.format_output(transforms.get("change"), "eth_btc_ratio", -0.1985) == "-19.85%"
    assert transforms.format_output(transforms.get("zscore"), "realized_loss_usd_7d_sma", 2.104) == "+2.10σ"
    assert transforms.format_output(transforms.get("percentile"), "fear_greed", 0.034) == "3%"
    assert transforms.format_output(transforms.get("streak"), "funding_rate_8h", -3) == "-3"
    assert transforms.format_output(transforms.get("level"), "fear_greed", 8) == "8/100"
    assert transforms.format_output(transforms.get("delta"), "price_usd", -1500) == "-$1,500"


PARAMS = {
    "level": Params(),
    "change": Params(days=5),
    "delta": Params(days=3),
    "percentile": Params(window=20, min_periods=5),
    "zscore": Params(window=20, min_periods=5),
    "ma_gap": Params(window=10, min_periods=3),
    "streak": Params(),
}


@settings(max_examples=40)
@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=60), data=st.data())
def test_every_shipped_transform_is_causal(values, data):
    """The output on the first k days does not change when later days are removed."""
    full = series(values)
    k = data.draw(st.integers(1, len(values)))
    for transform in transforms.TRANSFORMS:
        whole = transform.compute(full, PARAMS[transform.name]).iloc[:k].to_numpy(dtype=float)
        prefix = transform.compute(full.iloc[:k], PARAMS[transform.name]).to_numpy(dtype=float)
        np.testing.assert_allclose(prefix, whole, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=transform.name)
