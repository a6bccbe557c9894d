"""Invariants on random chains (hypothesis), checked against direct sums over the outputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaldesk.onchain.engine import LTH_DAYS, WEIGHT_SCALE, WEIGHTED_COLUMNS, compute, logistic_weight
from tests.onchain.chains import BTC, Output, price_series, write_outputs

SEGMENT = 60  # days per price level

outputs_strategy = st.lists(
    st.tuples(
        st.integers(1, 50 * BTC),  # value in sat
        st.integers(0, 240),  # created day
        st.one_of(st.none(), st.integers(0, 240)),  # lifespan in days, or never spent
    ),
    min_size=1,
    max_size=25,
)
levels_strategy = st.lists(st.integers(100, 10_000_000), min_size=1, max_size=9)  # cents


def _chain(raw: list[tuple[int, int, int | None]]) -> list[Output]:
    return [(v, c, None if life is None else c + life) for v, c, life in raw]


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(raw=outputs_strategy, levels=levels_strategy, buckets=st.integers(1, 12))
def test_invariants(raw: list[tuple[int, int, int | None]], levels: list[int], buckets: int) -> None:
    chain = _chain(raw)
    first = min(c for _, c, _ in chain)
    last = max(max(c, s or c) for _, c, s in chain)
    cents = [levels[(d // SEGMENT) % len(levels)] for d in range(last + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_outputs(Path(tmp) / "outputs.parquet", chain)
        prices = price_series(last + 1, lambda d: cents[d] / 100)
        result = compute(path, prices, urpd_buckets=buckets)
        logistic = compute(path, prices, urpd_buckets=buckets, lth_mode="logistic")
    exact = result.exact
    assert list(exact.index) == list(range(exact.index[0], exact.index[0] + last - first + 1))
    assert logistic.exact.drop(columns=list(WEIGHTED_COLUMNS)).equals(exact)
    for offset, (_, row) in enumerate(logistic.exact.iterrows()):
        d = first + offset
        alive = [(v, c) for v, c, s in chain if c <= d and (s is None or s > d)]
        spent = [(v, c) for v, c, s in chain if s == d]
        # realised cap = Σ unspent value × creation-day price, exactly (sat × cent)
        assert row["realized_cap"] == sum(v * cents[c] for v, c in alive)
        assert row["supply"] == sum(v for v, _ in alive)
        assert row["lth_supply"] == sum(v for v, c in alive if d - c >= LTH_DAYS)
        assert 0 <= row["lth_supply"] <= row["supply"]
        # the cohort × day sums: every unspent coin against the day's price, and its logistic weight
        assert row["unrealized_loss"] == sum(v * (cents[c] - cents[d]) for v, c in alive if cents[c] > cents[d])
        assert row["supply_in_profit"] == sum(v for v, c in alive if cents[c] < cents[d])
        weight = [round(WEIGHT_SCALE * logistic_weight(d - c)) for _, c in alive]
        assert row["lth_supply_w"] == sum(v * w for (v, _), w in zip(alive, weight, strict=True))
        assert row["lth_cap_w"] == sum(v * w * cents[c] for (v, c), w in zip(alive, weight, strict=True))
        # the spend-day sums
        assert row["spent_cost"] == sum(v * cents[c] for v, c in spent)
        assert row["profit"] == sum(v * max(0, cents[d] - cents[c]) for v, c in spent)
        assert row["loss"] == sum(v * max(0, cents[c] - cents[d]) for v, c in spent)
        assert row["cdd"] == sum(v * (d - c) for v, c in spent)
    for frame in (result.daily, logistic.daily):
        total = frame["sth_supply_btc"] + frame["lth_supply_btc"]
        assert total.to_numpy() == pytest.approx(frame["supply_btc"].to_numpy(), rel=1e-12, abs=1e-12)
    # URPD buckets sum to the supply on the as-of day, and each coin sits in its price's bucket.
    unspent = [(v, c) for v, c, s in chain if s is None]
    assert round(result.urpd["supply_btc"].sum() * BTC) == sum(v for v, _ in unspent)
    top = max(cents)
    expected = [0] * buckets
    for v, c in unspent:
        expected[min(buckets * cents[c] // top, buckets - 1)] += v
    assert [round(x * BTC) for x in result.urpd["supply_btc"]] == expected
