import json
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, RateLimitedError
from signaldesk.http import HttpClient
from signaldesk.providers.mempool import Mempool, parse_block_fees, parse_hashrate, parse_recommended, window_for
from tests.conftest import shared_file


def _load(fixtures, name):
    return json.loads((fixtures / "mempool" / name).read_text())


def _values(observations):
    return {(o.metric, o.ts.date()): o.value for o in observations}


def test_recommended_fee_is_next_block_fee_stamped_midnight(fixtures):
    obs = parse_recommended(_load(fixtures, "fees_recommended.json"), day=date(2026, 2, 25))
    assert [(o.metric, o.ts, o.value) for o in obs] == [("btc_fee_sat_vb", datetime(2026, 2, 25, tzinfo=UTC), 4.0)]


def test_recorded_fee_sample():
    payload = json.loads(shared_file("api-samples", "mempool", "v1_fees_recommended.recorded.json").read_text())
    assert parse_recommended(payload, day=date(2026, 2, 25))[0].value == 3.0


def test_hashrate_h_per_s_to_eh_per_s(fixtures):
    values = _values(parse_hashrate(_load(fixtures, "hashrate_1m__three_days.json")))
    assert values == {
        ("hashrate_ehs", date(2026, 2, 22)): pytest.approx(987.0),
        ("hashrate_ehs", date(2026, 2, 23)): pytest.approx(1012.3),  # 1.0123e+21 H/s, exponent form
        ("hashrate_ehs", date(2026, 2, 24)): pytest.approx(1000.0),
    }


def test_hashrate_docs_example():
    payload = json.loads(shared_file("api-samples", "mempool", "v1_mining_hashrate_3d.docs-example.json").read_text())
    obs = parse_hashrate(payload)
    assert [o.ts.date() for o in obs] == [date(2022, 5, 14), date(2022, 5, 15), date(2022, 5, 16)]
    assert obs[0].value == pytest.approx(236.4997621)  # 2.36e20 H/s = 236 EH/s


def test_block_fee_buckets_average_into_days(fixtures):
    values = _values(parse_block_fees(_load(fixtures, "blocks_fees_1m__buckets.json")))
    # 2026-02-22: buckets of 2,000,000 and 3,000,000 sats → 2,500,000 sats = 0.025 BTC per block.
    assert values == {
        ("btc_fee_per_block_btc", date(2026, 2, 22)): pytest.approx(0.025),
        ("btc_fee_per_block_btc", date(2026, 2, 23)): pytest.approx(0.015),
    }


@pytest.mark.parametrize(
    ("since", "today", "window"),
    [
        (None, date(2026, 2, 25), "3y"),
        (date(2026, 2, 24), date(2026, 2, 25), "1m"),
        (date(2025, 12, 1), date(2026, 2, 25), "3m"),
        (date(2025, 3, 1), date(2026, 2, 25), "1y"),
        (date(2020, 1, 1), date(2026, 2, 25), "all"),
    ],
)
def test_window_for(since, today, window):
    assert window_for(since, today) == window


@pytest.mark.parametrize(
    ("parser", "payload", "error"),
    [
        (parse_hashrate, {"hashrates": [], "difficulty": []}, MalformedError),
        (parse_hashrate, {"hashRates": [{"timestamp": 1771718400, "avgHashrate": 1e21}]}, MalformedError),  # renamed
        (parse_hashrate, {"hashrates": [{"timestamp": 1771718400, "avgHashrate": "fast"}]}, MalformedError),
        (parse_hashrate, {"hashrates": [{"timestamp": 1771718400, "avgHashrate": 1e30}]}, ImplausibleError),
        (parse_block_fees, [], MalformedError),
        (parse_block_fees, [{"timestamp": 1771740000, "avg_fees": 2000000}], MalformedError),
        (parse_block_fees, {"avgFees": 1}, MalformedError),
        (parse_block_fees, [{"timestamp": 1771740000, "avgFees": -5}], ImplausibleError),
    ],
)
def test_nonsense_raises(parser, payload, error):
    with pytest.raises(error):
        parser(payload)


def test_nonsense_fee_recommendation_raises():
    with pytest.raises(MalformedError):
        parse_recommended({"fastest": 3}, day=date(2026, 2, 25))
    with pytest.raises(ImplausibleError):
        parse_recommended({"fastestFee": -1}, day=date(2026, 2, 25))


async def test_fetch_asks_three_documents_with_the_right_window(fixtures):
    seen: list[str] = []
    bodies = {
        "/api/v1/fees/recommended": "fees_recommended.json",
        "/api/v1/mining/hashrate/1m": "hashrate_1m__three_days.json",
        "/api/v1/mining/blocks/fees/1m": "blocks_fees_1m__buckets.json",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=_load(fixtures, bodies[request.url.path]))

    with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await Mempool().fetch(client, since=date(2026, 2, 24))
    assert seen == list(bodies)
    values = _values(obs)
    assert values[("btc_fee_sat_vb", date(2026, 2, 25))] == 4.0
    # since minus one day: 2026-02-23 onwards.
    assert ("hashrate_ehs", date(2026, 2, 22)) not in values
    assert values[("hashrate_ehs", date(2026, 2, 24))] == pytest.approx(1000.0)
    assert values[("btc_fee_per_block_btc", date(2026, 2, 23))] == pytest.approx(0.015)


async def test_fetch_rate_limited():
    async with HttpClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(429, text="Too Many Requests"))
    ) as client:
        with pytest.raises(RateLimitedError):
            await Mempool().fetch(client, since=None)


async def test_docs_style_unquoted_json_is_malformed():
    body = "{ fastestFee: 1, halfHourFee: 1, hourFee: 1, economyFee: 1, minimumFee: 1 }"
    async with HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, text=body))) as client:
        with pytest.raises(MalformedError, match="invalid JSON"):
            await Mempool().fetch(client, since=None)
