"""Ethereum gas price from public JSON-RPC `eth_feeHistory`: next base fee + median priority fee.

Request (docs: https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_feehistory), POSTed to
the first endpoint that answers:
`{"jsonrpc":"2.0","id":1,"method":"eth_feeHistory","params":["0x14","latest",[50]]}` — the last
20 blocks with the 50th-percentile priority fee (tip) of each.

Answer: `{oldestBlock, baseFeePerGas[21], gasUsedRatio[20], reward[20][1], …}`, all fees **hex wei**
strings. `baseFeePerGas` has one entry more than the blocks asked for: the last one is the base
fee of the *next* block, the one a transaction sent now pays. `gas_price_gwei` (entity
`ethereum`) = that next base fee + the median over the 20 blocks of their median tip, in gwei
(wei ÷ 1e9) — what a normal transaction pays now.

Endpoints: public RPCs come and go, rate-limit, or start asking for keys; the list is
configurable (`[ethgas] endpoints = [...]` in the config file) and tried in order. A JSON-RPC
`error` member, an HTML page or a network failure moves on to the next endpoint; the error of
the last one is raised. Only the current value exists, so it is stamped 00:00 UTC of today and
the daily history builds up one run at a time. Etherscan's keyless V1 gas oracle is deprecated
and V2 needs a key, hence RPC. Terms: each RPC's own.
"""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from signaldesk.clock import day_start
from signaldesk.errors import MalformedError, ProviderError
from signaldesk.models import Observation
from signaldesk.providers._checks import as_list, as_mapping, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window

NAME = "ethgas"
DEFAULT_ENDPOINTS: tuple[str, ...] = (
    "https://ethereum-rpc.publicnode.com",
    "https://eth.llamarpc.com",
    "https://1rpc.io/eth",
)
"""Keyless public endpoints. Cloudflare's `cloudflare-eth.com` is gone: since 2025 it answers every call
with `{"error": {"code": -32046, "message": "Cannot fulfill request"}}` (cloudflare/cloudflare-docs#31886)."""
BLOCKS = 20
PERCENTILE = 50
BODY: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "eth_feeHistory",
    "params": [hex(BLOCKS), "latest", [PERCENTILE]],
}
WEI_PER_GWEI = 1e9


def endpoints() -> tuple[str, ...]:
    """The RPC endpoints to try, in order: `[ethgas] endpoints` from the config, or the defaults."""
    from signaldesk.settings import section

    configured = section("ethgas").get("endpoints")
    if isinstance(configured, str):
        configured = [configured]
    if configured:
        return tuple(str(url) for url in configured)
    return DEFAULT_ENDPOINTS


def _wei(value: Any, *, field: str) -> int:
    if not isinstance(value, str) or not value.lower().startswith("0x"):
        raise MalformedError(f"{field} is not a hex quantity: {str(value)[:30]!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise MalformedError(f"{field} is not a hex quantity: {value[:30]!r}") from None


def parse_fee_history(payload: Any, *, day: date, percentile_index: int = 0) -> list[Observation]:
    """An `eth_feeHistory` JSON-RPC answer → one `gas_price_gwei` for `day` (entity `ethereum`).

    `percentile_index` picks the column of `reward` holding the median tip (0 when the request
    asked for `[50]` only).
    """
    body = as_mapping(payload, field="body")
    if body.get("error") is not None:
        error = body["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise MalformedError(f"JSON-RPC error: {str(message)[:120]}")
    result = as_mapping(get_path(body, ["result"]), field="result")
    base_fees = as_list(get_path(result, ["baseFeePerGas"]), field="baseFeePerGas")
    rewards = as_list(get_path(result, ["reward"]), field="reward")
    next_base = _wei(base_fees[-1], field=f"baseFeePerGas[{len(base_fees) - 1}]")
    tips = []
    for i, row in enumerate(rewards):
        cells = as_list(row, field=f"reward[{i}]")
        if percentile_index >= len(cells):
            raise MalformedError(f"reward[{i}] has no percentile column {percentile_index}")
        tips.append(_wei(cells[percentile_index], field=f"reward[{i}][{percentile_index}]"))
    gwei = (next_base + statistics.median(tips)) / WEI_PER_GWEI
    return check_observations([Observation("gas_price_gwei", "ethereum", day_start(day), gwei, NAME)])


class EthGas(Provider):
    """Today's gas price from the first public RPC endpoint that answers."""

    name = NAME
    metrics = ("gas_price_gwei",)
    capabilities = Capabilities(
        hosts={"ethereum-rpc.publicnode.com": 1.0, "eth.llamarpc.com": 1.0, "1rpc.io": 1.0},
        history="today only (stored daily, so history builds up)",
        docs="https://ethereum.org/en/developers/docs/apis/json-rpc/#eth_feehistory",
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        failures: list[str] = []
        last: ProviderError | None = None
        for url in endpoints():
            try:
                return parse_fee_history(await http.post_json(url, BODY), day=window.today)
            except ProviderError as exc:
                failures.append(f"{url}: {exc}")
                last = exc
        if last is None:
            raise MalformedError("no RPC endpoint configured in [ethgas] endpoints")
        raise type(last)(f"every RPC endpoint failed — {'; '.join(failures)}")
