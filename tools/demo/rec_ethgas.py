"""Demo recording for ethgas: one `eth_feeHistory` answer from the first default endpoint.

Seed 000 quotes ETH gas at 1.41 Gwei on 2026-02-25: the next block's base fee is 1.298 gwei and
the median of the 20 blocks' median tips 0.112 gwei, so the provider computes exactly 1.41.
"""

from __future__ import annotations

from pathlib import Path

from signaldesk.providers.ethgas import BLOCKS, BODY, DEFAULT_ENDPOINTS
from tools.demo.build import demo_request, write_json
from tools.demo.scenario import Scenario, rng

NEXT_BASE_FEE_WEI = 1_298_000_000
MEDIAN_TIP_WEI = 112_000_000
OLDEST_BLOCK = 24_523_101


def record(directory: Path, scenario: Scenario) -> None:
    gen = rng("ethgas")
    ratios = [round(float(r), 8) for r in gen.uniform(0.3, 0.7, BLOCKS)]
    base_fees = []
    fee = 1_262_000_000
    for ratio in ratios:  # EIP-1559: the base fee moves by up to 12.5 % with the block's fullness
        base_fees.append(fee)
        fee = int(fee * (1 + 0.125 * (ratio - 0.5) / 0.5))
    base_fees.append(NEXT_BASE_FEE_WEI)
    # Ten tips below the median and ten above it, the middle two equal to it.
    low = sorted(int(t) for t in gen.integers(20_000_000, MEDIAN_TIP_WEI, 9))
    high = sorted(int(t) for t in gen.integers(MEDIAN_TIP_WEI + 1, 2_000_000_000, 9))
    tips = [*low, MEDIAN_TIP_WEI, MEDIAN_TIP_WEI, *high]
    order = gen.permutation(BLOCKS)
    rewards = [[hex(tips[i])] for i in order]
    payload = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "oldestBlock": hex(OLDEST_BLOCK),
            "reward": rewards,
            "baseFeePerGas": [hex(f) for f in base_fees],
            "gasUsedRatio": ratios,
            "baseFeePerBlobGas": ["0x1"] * (BLOCKS + 1),
            "blobGasUsedRatio": [round(float(r), 6) for r in gen.uniform(0.0, 0.8, BLOCKS)],
        },
    }
    write_json(directory, demo_request("POST", DEFAULT_ENDPOINTS[0], json_body=BODY), payload)
