import json
import re
from datetime import UTC, date, datetime

import httpx
import pytest
from werkzeug import Request, Response

from signaldesk import settings
from signaldesk.clock import pinned_now
from signaldesk.errors import ImplausibleError, MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.providers.ethgas import BODY, DEFAULT_ENDPOINTS, EthGas, endpoints, parse_fee_history
from tests.conftest import shared_file
from tests.reliability.faults import RedirectTransport

DAY = date(2026, 2, 25)


def _load(fixtures, name):
    return json.loads((fixtures / "ethgas" / name).read_text())


def test_next_base_fee_plus_median_tip(fixtures):
    obs = parse_fee_history(_load(fixtures, "fee_history__four_blocks.json"), day=DAY)
    assert len(obs) == 1
    o = obs[0]
    assert (o.metric, o.entity, o.ts, o.source) == (
        "gas_price_gwei",
        "ethereum",
        datetime(2026, 2, 25, tzinfo=UTC),
        "ethgas",
    )
    # next base fee 0x4d7c6d00 = 1.3 gwei (the 5th base fee, not the first);
    # tips 0.1, 0.05, 2.0, 0.0625 gwei → median (0.0625 + 0.1) / 2 = 0.08125 gwei
    assert o.value == pytest.approx(1.38125)


def test_execution_apis_sample():
    payload = json.loads(
        shared_file("api-samples", "ethereum-gas", "eth_feeHistory.execution-apis-test.json").read_text()
    )
    # baseFeePerGas[-1] = 0x342a385a = 875,182,170 wei; tip 1 wei
    assert parse_fee_history(payload, day=DAY)[0].value == pytest.approx(0.875182171)


def test_request_body_is_the_documented_one():
    assert BODY == {"jsonrpc": "2.0", "id": 1, "method": "eth_feeHistory", "params": ["0x14", "latest", [50]]}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "rate limit exceeded"}}, MalformedError),
        ({"jsonrpc": "2.0", "id": 1, "result": None}, MalformedError),
        ({"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["0x1"], "reward": []}}, MalformedError),  # no tips
        ({"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["0x1"]}}, MalformedError),  # percentiles not asked
        ({"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["1300000000"], "reward": [["0x1"]]}}, MalformedError),
        ({"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["0xzz"], "reward": [["0x1"]]}}, MalformedError),
        ({"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["0x1"], "reward": [[]]}}, MalformedError),
        # 10^18 wei = 1e9 gwei: absurd
        (
            {"jsonrpc": "2.0", "id": 1, "result": {"baseFeePerGas": ["0xde0b6b3a7640000"], "reward": [["0x1"]]}},
            ImplausibleError,
        ),
    ],
)
def test_nonsense_raises(payload, error):
    with pytest.raises(error):
        parse_fee_history(payload, day=DAY)


async def test_first_endpoint_that_answers_wins(fixtures, monkeypatch):
    monkeypatch.setattr(
        "signaldesk.providers.ethgas.endpoints", lambda: ("https://a.example", "https://b.example", "https://c.example")
    )
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        assert json.loads(request.content) == BODY
        if request.url.host == "a.example":
            return httpx.Response(200, json=_load(fixtures, "error__rpc.json"))
        return httpx.Response(200, json=_load(fixtures, "fee_history__four_blocks.json"))

    with pinned_now(datetime(2026, 2, 25, 9, tzinfo=UTC)):
        async with HttpClient(transport=httpx.MockTransport(handler)) as client:
            obs = await EthGas().fetch(client, since=None)
    assert asked == ["a.example", "b.example"]
    assert obs[0].value == pytest.approx(1.38125)
    assert obs[0].ts == datetime(2026, 2, 25, tzinfo=UTC)


async def test_all_endpoints_failing_names_them(monkeypatch):
    monkeypatch.setattr("signaldesk.providers.ethgas.endpoints", lambda: ("https://a.example", "https://b.example"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "a.example":
            return httpx.Response(200, text="<html><title>Just a moment...</title>cloudflare</html>")
        return httpx.Response(403, text="forbidden")

    async with HttpClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(UnavailableError) as info:
            await EthGas().fetch(client, since=None)
    assert "a.example" in str(info.value) and "b.example" in str(info.value)


def test_endpoints_from_config(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[ethgas]\nendpoints = ["https://rpc.example/eth"]\n')
    monkeypatch.setenv("SIGNALDESK_CONFIG", str(config))
    settings.reload()
    try:
        assert endpoints() == ("https://rpc.example/eth",)
    finally:
        monkeypatch.delenv("SIGNALDESK_CONFIG")
        settings.reload()


def test_default_endpoints_without_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNALDESK_CONFIG", str(tmp_path / "absent.toml"))
    settings.reload()
    try:
        assert endpoints() == DEFAULT_ENDPOINTS
    finally:
        monkeypatch.delenv("SIGNALDESK_CONFIG")
        settings.reload()


def test_demo_gas_is_seed_value():
    import asyncio

    from signaldesk.demo import DEMO_DIR, DEMO_NOW

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await EthGas().fetch(client, None)

    with pinned_now(DEMO_NOW):
        obs = asyncio.run(run())
    assert obs[0].value == pytest.approx(1.41)


def test_default_endpoints_are_live_public_ones_each_with_a_rate_limit():
    hosts = {httpx.URL(url).host for url in DEFAULT_ENDPOINTS}
    assert "cloudflare-eth.com" not in hosts  # retired: every call answers -32046 "Cannot fulfill request"
    assert hosts == set(EthGas.capabilities.hosts)


async def test_a_retired_gateway_answer_moves_on_over_loopback(httpserver, fixtures, tmp_path, monkeypatch):
    """The default list on loopback: the first endpoint answers like the retired Cloudflare gateway, the next one works."""
    retired = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32046, "message": "Cannot fulfill request"}}
    answers = {
        "ethereum-rpc.publicnode.com": json.dumps(retired).encode(),
        "eth.llamarpc.com": (fixtures / "ethgas" / "fee_history__four_blocks.json").read_bytes(),
    }
    seen = []

    def answer(request: Request) -> Response:
        host = request.path.lstrip("/").partition("/")[0]
        seen.append((host, request.get_json()))
        return Response(answers[host], 200, content_type="application/json")

    httpserver.expect_request(re.compile(".*"), method="POST").respond_with_handler(answer)
    monkeypatch.setenv("SIGNALDESK_CONFIG", str(tmp_path / "absent.toml"))
    settings.reload()
    try:
        with pinned_now(datetime(2026, 2, 25, 12, tzinfo=UTC)):
            async with HttpClient(transport=RedirectTransport(httpserver.port)) as client:
                obs = await EthGas().fetch(client, None)
    finally:
        monkeypatch.delenv("SIGNALDESK_CONFIG")
        settings.reload()
    assert [host for host, _ in seen] == ["ethereum-rpc.publicnode.com", "eth.llamarpc.com"]
    assert all(body == BODY for _, body in seen)
    assert obs[0].value == pytest.approx(1.38125)  # the llamarpc answer: 1.3 gwei next base fee + 0.08125 median tip
