import copy
import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.demo import DEMO_DIR, DEMO_NOW
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.bitview import BULK_URL, SERIES, Bitview, parse_bulk, parse_series
from tools.demo.scenario import Scenario

TODAY = date(2026, 2, 25)
START = date(2026, 2, 22)
BY_NAME = {s.name: s for s in SERIES}


def _load(fixtures, name):
    return json.loads((fixtures / "bitview" / name).read_text())


def _values(observations):
    return {(o.metric, o.ts.date()): o.value for o in observations}


def test_parse_bulk_by_hand(fixtures):
    obs, failures = parse_bulk(_load(fixtures, "series_bulk__four_days.json"), SERIES, START, TODAY)
    values = _values(obs)
    assert failures == {}
    day = date(2026, 2, 24)
    assert values[("sth_cost_basis_usd", day)] == 89012.75
    assert values[("lth_cost_basis_usd", day)] == 43100.25
    assert values[("realized_price_usd", day)] == 53757.94
    assert values[("true_market_mean_usd", day)] == 78800.5
    assert values[("realized_profit_usd", day)] == 584689869.81
    assert values[("realized_loss_usd", day)] == 2734112021.29
    assert values[("sopr", day)] == 0.924644
    # BRK serves percent: 57.3428 % in profit and 16.3767 % unrealised loss / market cap
    assert values[("supply_in_profit", day)] == pytest.approx(0.573428, abs=1e-12)
    assert values[("relative_unrealized_loss", day)] == pytest.approx(0.163767, abs=1e-12)
    # row 0 is the requested start day; the forming day (the 4th row, today) is dropped
    assert values[("sth_cost_basis_usd", date(2026, 2, 22))] == 91250.5
    assert {o.ts.date() for o in obs} == {date(2026, 2, 22), date(2026, 2, 23), date(2026, 2, 24)}
    # a null row (True Market Mean did not exist that day) is skipped, not zero
    assert ("true_market_mean_usd", date(2026, 2, 22)) not in values
    assert len(obs) == 9 * 3 - 1
    assert all(o.ts.tzinfo is UTC and o.ts.hour == 0 and o.entity == "" and o.source == "bitview" for o in obs)


def test_rows_are_dated_from_the_requested_start_not_from_positions(fixtures):
    """Older BRK servers number `day1` 7 positions lower for the same date; the dates must not move."""
    new = _load(fixtures, "series_bulk__four_days.json")[0]
    old = _load(fixtures, "series_sth_realized_price__old_positions.json")
    assert new["start"] - old["start"] == 7
    spec = BY_NAME["sth_realized_price"]
    parsed_new = [(o.ts, o.value) for o in parse_series(new, spec, START, TODAY)]
    parsed_old = [(o.ts, o.value) for o in parse_series(old, spec, START, TODAY)]
    assert parsed_new == parsed_old
    assert parsed_new[0] == (datetime(2026, 2, 22, tzinfo=UTC), 91250.5)


def test_rows_after_the_stamp_are_dropped(fixtures):
    envelope = _load(fixtures, "series_bulk__four_days.json")[0]
    envelope["stamp"] = "2026-02-23T08:00:00Z"  # the answer says it was made on the 23rd
    obs = parse_series(envelope, BY_NAME["sth_realized_price"], START, TODAY)
    assert [o.ts.date() for o in obs] == [date(2026, 2, 22), date(2026, 2, 23)]


def _mutated(fixtures, **changes):
    envelope = _load(fixtures, "series_bulk__four_days.json")[6]  # sopr_24h
    envelope.update(changes)
    return envelope


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"data": []}, MalformedError),  # empty answer
        ({"end": 6266}, MalformedError),  # start/end do not span the rows
        ({"index": "height"}, MalformedError),
        ({"data": [0.96, "abc", 0.95, 0.94]}, MalformedError),
        ({"data": [0.96, 1.0e6, 0.95, 0.94]}, ImplausibleError),  # SOPR of a million
        ({"data": [0.96, -0.2, 0.95, 0.94]}, ImplausibleError),
        ({"stamp": "yesterday"}, MalformedError),
    ],
)
def test_nonsense_raises_typed_error(fixtures, changes, error):
    with pytest.raises(error):
        parse_series(_mutated(fixtures, **changes), BY_NAME["sopr_24h"], START, TODAY)


def test_renamed_field_and_error_body(fixtures):
    envelope = _load(fixtures, "series_bulk__four_days.json")[0]
    envelope["values"] = envelope.pop("data")
    with pytest.raises(MalformedError, match="data"):
        parse_series(envelope, BY_NAME["sth_realized_price"], START, TODAY)
    with pytest.raises(MalformedError, match="series_not_found"):
        parse_series(_load(fixtures, "error__series_not_found.json"), BY_NAME["unrealized_loss_to_mcap"], START, TODAY)


def test_one_bad_envelope_costs_only_its_metric(fixtures):
    payload = _load(fixtures, "series_bulk__four_days.json")
    payload[6]["data"][1] = 5.0e6  # absurd SOPR
    obs, failures = parse_bulk(payload, SERIES, START, TODAY)
    assert "sopr" not in {o.metric for o in obs}
    assert len({o.metric for o in obs}) == 8
    assert list(failures) == ["sopr_24h"]


def test_bulk_with_every_envelope_broken_or_miscounted_raises(fixtures):
    payload = _load(fixtures, "series_bulk__four_days.json")
    renamed = [{f"{k}_v2": v for k, v in e.items()} for e in payload]
    with pytest.raises(MalformedError, match="every bitview series failed, first sth_realized_price: missing field"):
        parse_bulk(renamed, SERIES, START, TODAY)
    with pytest.raises(MalformedError, match="8 series, asked for 9"):
        parse_bulk(payload[:8], SERIES, START, TODAY)
    with pytest.raises(MalformedError):
        parse_bulk({"data": payload}, SERIES, START, TODAY)


def _client(handler):
    return HttpClient(transport=httpx.MockTransport(handler), backoff_initial=0.0, max_retry_wait=0.0)


async def test_fetch_asks_once_in_bulk_from_the_right_day(fixtures):
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=_load(fixtures, "series_bulk__four_days.json"))

    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)):
        async with _client(handler) as client:
            obs = await Bitview().fetch(client, since=date(2026, 2, 25))
    assert len(seen) == 1
    url = seen[0]
    assert f"{url.scheme}://{url.host}{url.path}" == BULK_URL
    assert url.params["index"] == "day1"
    assert url.params["start"] == "2026-02-22"  # since − 3 revision days
    assert url.params["series"].split(",") == [s.name for s in SERIES]
    assert {o.metric for o in obs} == set(Bitview.metrics)


async def test_fresh_store_backfills_four_years():
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(503)

    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)), pytest.raises(UnavailableError):
        async with _client(handler) as client:
            await Bitview().fetch(client, since=None)
    assert seen[0].params["start"] == "2022-02-25"  # 1461 days before 2026-02-25


async def test_refused_bulk_falls_back_to_series_by_series(fixtures):
    bulk = _load(fixtures, "series_bulk__four_days.json")
    by_path = {f"/api/series/{s.name}/day1": envelope for s, envelope in zip(SERIES, bulk, strict=True)}
    not_found = (fixtures / "bitview" / "error__series_not_found.json").read_bytes()
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.endswith("/bulk") or request.url.path.startswith("/api/series/unrealized_loss_to_mcap/"):
            return httpx.Response(404, content=not_found, headers={"content-type": "application/json"})
        assert request.url.params["start"] == "2026-02-22"
        return httpx.Response(200, json=by_path[request.url.path])

    provider = Bitview()
    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)):
        async with _client(handler) as client:
            obs = await provider.fetch(client, since=date(2026, 2, 25))
    assert paths[0] == "/api/series/bulk" and len(paths) == 1 + len(SERIES)
    assert {o.metric for o in obs} == set(Bitview.metrics) - {"relative_unrealized_loss"}
    assert len(provider.failures) == 1 and "series_not_found" in next(iter(provider.failures.values()))


@pytest.mark.parametrize(
    ("response", "error", "requests"),
    [
        (
            httpx.Response(200, content=b"<!DOCTYPE html><title>Just a moment...</title>Cloudflare challenge"),
            MalformedError,
            1,
        ),
        (httpx.Response(429, headers={"Retry-After": "0"}), RateLimitedError, 3),  # retried, never split up
        (httpx.Response(403, content=b"forbidden"), UnavailableError, 1),
        (httpx.Response(200, content=b'{"version":1,"data":[1,2'), MalformedError, 1),  # truncated
    ],
)
async def test_transport_failures_are_typed_and_not_multiplied(response, error, requests):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return response

    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)), pytest.raises(error):
        async with _client(handler) as client:
            await Bitview().fetch(client, since=date(2026, 2, 25))
    assert len(seen) == requests and set(seen) == {"/api/series/bulk"}


@pytest.fixture(scope="module")
def demo_frame():
    import asyncio

    import pandas as pd

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await Bitview().fetch(client, None)

    with pinned_now(DEMO_NOW):
        obs = asyncio.run(run())
    frame = pd.DataFrame([(o.metric, o.ts.date(), o.value) for o in obs], columns=["metric", "day", "value"])
    return frame.pivot(index="day", columns="metric", values="value")


def test_demo_tells_the_seed_story(demo_frame):
    """2026-02-24, the last completed day: price $62.9K sits under STH and TMM, above realised and LTH."""
    last = demo_frame.loc[date(2026, 2, 24)]
    assert demo_frame.index.max() == date(2026, 2, 24)  # the forming 25th is not stored
    assert 85_000 <= last["sth_cost_basis_usd"] <= 90_000
    assert 70_000 <= last["true_market_mean_usd"] <= 80_000
    assert last["realized_price_usd"] < 62_900 < last["true_market_mean_usd"] < last["sth_cost_basis_usd"]
    assert last["lth_cost_basis_usd"] < last["realized_price_usd"]
    assert last["sopr"] < 1
    assert demo_frame.loc[date(2026, 2, 18) :, "realized_loss_usd"].mean() > 1e9  # losses elevated
    assert 0.5 < last["supply_in_profit"] < 0.65
    assert 0.1 < last["relative_unrealized_loss"] < 0.2
    # seed 001: STH cost basis ~$94.5K and relative unrealised loss ~12 % in early February
    assert demo_frame.loc[date(2026, 2, 5), "sth_cost_basis_usd"] == pytest.approx(94_500, rel=0.02)
    assert demo_frame.loc[date(2026, 2, 5), "relative_unrealized_loss"] == pytest.approx(0.12, abs=0.02)


def test_demo_is_internally_consistent(demo_frame):
    realized = Scenario().realized_price
    days = demo_frame.index
    # realised price is the scenario's (the same number Coin Metrics' demo implies), to the cent
    assert demo_frame["realized_price_usd"].to_numpy() == pytest.approx(
        realized.loc[[str(d) for d in days]].to_numpy(), abs=0.005
    )
    # profit − loss = V·(SOPR − 1) with V > 0: realised P/L and SOPR always agree in sign
    net = demo_frame["realized_profit_usd"] - demo_frame["realized_loss_usd"]
    assert ((net > 0) == (demo_frame["sopr"] > 1)).all()
    # realised price is a supply-weighted mean of the two cohorts' cost bases
    low = demo_frame[["sth_cost_basis_usd", "lth_cost_basis_usd"]].min(axis=1)
    high = demo_frame[["sth_cost_basis_usd", "lth_cost_basis_usd"]].max(axis=1)
    assert ((low <= demo_frame["realized_price_usd"]) & (demo_frame["realized_price_usd"] <= high)).all()
    assert len(days) == 1461  # four years of completed days


def test_fixture_is_not_shared_state(fixtures):
    """parse_* must not mutate what it is given (the collector may log the payload)."""
    payload = _load(fixtures, "series_bulk__four_days.json")
    before = copy.deepcopy(payload)
    parse_bulk(payload, SERIES, START, TODAY)
    assert payload == before
