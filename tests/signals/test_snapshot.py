import json
import re
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from signaldesk.models import Observation
from signaldesk.signals.snapshot import (
    SnapshotError,
    snapshot_from_dict,
    snapshot_from_file,
    snapshot_from_history,
    snapshot_from_store,
    wanted_keys,
)
from tests.signals.helpers import series

AS_OF = date(2026, 2, 25)


def test_file_with_some_metrics(tmp_path):
    path = tmp_path / "snap.json"
    path.write_text(
        json.dumps(
            {
                "as_of": "2026-02-25",
                "values": {"fear_greed": 8, "chain_tvl_usd:ethereum": 5.5e10, "funding_rate_8h:btc": None},
            }
        )
    )
    snap = snapshot_from_file(path)
    assert snap.as_of == AS_OF
    assert snap.values == {("fear_greed", ""): 8.0, ("chain_tvl_usd", "ethereum"): 5.5e10}
    assert snap.observed_at[("fear_greed", "")] == datetime(2026, 2, 25, tzinfo=UTC)
    assert snap.missing == {("funding_rate_8h", "btc"): "null in the snapshot file"}
    assert snap.stale == {} and snap.history == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"values": {}}, "'as_of' must be a date"),
        ({"as_of": "25/02/2026", "values": {}}, "'as_of' must be a date"),
        ({"as_of": "2026-02-25", "values": {"fear_and_greed": 8}}, "unknown metric id 'fear_and_greed'"),
        (
            {"as_of": "2026-02-25", "values": {"fear_greed": 150}},
            "fear_greed = 150 is outside the plausible range [0, 100]",
        ),
        ({"as_of": "2026-02-25", "values": {"fear_greed": "8"}}, "fear_greed must be a number"),
        ({"as_of": "2026-02-25", "values": [8]}, "'values' must be an object"),
        (
            {"as_of": "2026-02-25", "values": {}, "observed_at": {"fear_greed": "2026-02-26T01:00:00Z"}},
            "is after as_of",
        ),
        ({"as_of": "2026-02-25", "values": {}, "history": {"fear_greed": {"yesterday": 3}}}, "not a YYYY-MM-DD date"),
    ],
)
def test_bad_files_name_the_problem(data, message):
    with pytest.raises(SnapshotError, match=re.escape(message)):
        snapshot_from_dict(data, name="snap.json")


def test_file_errors_name_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"as_of": "2026-02-25",\n "values": {,}}')
    with pytest.raises(SnapshotError, match=rf"^{broken}:2: not valid JSON"):
        snapshot_from_file(broken)
    with pytest.raises(SnapshotError, match="cannot read"):
        snapshot_from_file(tmp_path / "absent.json")


def test_observed_at_marks_stale_values():
    snap = snapshot_from_dict(
        {"as_of": "2026-02-25", "values": {"fear_greed": 8}, "observed_at": {"fear_greed": "2026-02-21T00:00:00Z"}}
    )
    assert snap.stale == {("fear_greed", ""): "4 days old (limit 2)"}


def test_file_history_feeds_transforms_and_derivations():
    prices = {f"2026-02-{d:02d}": 60_000.0 + 100 * d for d in range(1, 26)}
    snap = snapshot_from_dict(
        {"as_of": "2026-02-25", "values": {"fear_greed": 8}, "history": {"price_usd:btc": prices}}
    )
    assert snap.values[("price_usd", "btc")] == 62_500.0
    assert snap.values[("price_change_7d", "btc")] == pytest.approx(62_500 / 61_800 - 1)
    assert len(snap.history[("price_usd", "btc")]) == 25


def test_history_is_cut_at_the_day_and_derived_from_the_cut():
    prices = series([100.0, 120.0, 90.0, 200.0], "2026-02-23")  # 200 is dated 2026-02-26: after as_of
    snap = snapshot_from_history({("price_usd", "btc"): prices}, AS_OF, wanted=[("price_usd", "btc"), ("mvrv", "")])
    assert snap.values[("price_usd", "btc")] == 90.0
    assert snap.values[("ath_usd", "btc")] == 120.0  # not 200: that day had not happened
    assert snap.values[("drawdown_from_ath", "btc")] == pytest.approx(90 / 120 - 1)
    assert snap.missing == {("mvrv", ""): "no data up to 2026-02-25"}


def test_stale_expired_and_reasons():
    history = {
        ("fear_greed", ""): series([11.0], "2026-02-22"),  # 3 days: stale (limit 2)
        ("mvrv", ""): series([1.2], "2026-01-01"),  # 55 days: expired (limit 4 × 5)
    }
    reasons = {
        "funding_rate_8h": "binance failed: HTTP 451",
        "etf_net_flow_usd": "farside failed: Cloudflare challenge",
    }
    snap = snapshot_from_history(
        history,
        AS_OF,
        reasons=reasons,
        wanted=[("fear_greed", ""), ("mvrv", ""), ("funding_rate_8h", "btc"), ("etf_net_flow_usd_7d", "btc")],
    )
    assert snap.values == {("fear_greed", ""): 11.0}
    assert snap.stale == {("fear_greed", ""): "3 days old (limit 2)"}
    assert snap.missing == {
        ("mvrv", ""): "last value on 2026-01-01 is 55 days old (limit 20 days)",
        ("funding_rate_8h", "btc"): "binance failed: HTTP 451",
        ("etf_net_flow_usd_7d", "btc"): "derived from etf_net_flow_usd: farside failed: Cloudflare challenge",
    }
    assert ("mvrv", "") in snap.history  # kept, so the report can still chart it


def test_wanted_keys_cover_rules_phase_and_levels():
    keys = wanted_keys()
    for key in [
        ("fear_greed", ""),
        ("sth_cost_basis_usd", ""),
        ("price_usd", "btc"),
        ("capex_yoy", "hyperscalers"),
        ("realized_price_usd", ""),
        ("sopr", ""),
    ]:
        assert key in keys


def _obs(metric, entity, day, value, source="test"):
    return Observation(metric, entity, datetime(day.year, day.month, day.day, tzinfo=UTC), value, source)


def test_from_store_reads_only_up_to_the_day(store):
    days = pd.date_range("2026-02-20", "2026-02-27")
    store.write_observations(
        [
            _obs("fear_greed", "", d.date(), float(v), "alternative_me")
            for d, v in zip(days, np.arange(10, 18), strict=True)
        ],
        run_id="import",
    )
    snap = snapshot_from_store(store, AS_OF, reasons={})
    assert snap.values[("fear_greed", "")] == 15.0  # the 2026-02-25 value, not 2026-02-27's 17
    assert snap.sources[("fear_greed", "")] == "alternative_me"
    assert snap.history[("fear_greed", "")].index[-1] == pd.Timestamp("2026-02-25")


def test_from_store_uses_the_reasons_it_is_given(store):
    assert snapshot_from_store(store, AS_OF).missing[("fear_greed", "")] == "no data up to 2026-02-25"
    given = snapshot_from_store(store, AS_OF, {"fear_greed": "alternative_me failed: HTTP 503 after 3 attempts"})
    assert given.missing[("fear_greed", "")] == "alternative_me failed: HTTP 503 after 3 attempts"
