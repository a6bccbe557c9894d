"""Building the outputs table from recorded `getblock` (verbosity 3) responses of a 3-block chain.

Block 0: coinbase 50 BTC (+ a 0-value OP_RETURN commitment output).
Block 1: coinbase 50.0001; t1 spends block 0's coinbase into 30 + 19.9999 (fee 0.0001).
Block 2: coinbase 50.0001; t2 spends t1:1 (19.9999) into 19.9998 (fee 0.0001).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from signaldesk.errors import OnchainError
from signaldesk.onchain.engine import compute
from signaldesk.onchain.rpc import RpcClient, block_rows, export, sync, to_sat
from tests.onchain.chains import price_series

RECORDING = Path(__file__).parent / "recordings" / "regtest_blocks_0_2.json"


def replay(tamper: dict[int, str] | None = None) -> httpx.MockTransport:
    """Serve the recorded responses by (method, params); optionally rewrite a block's parent."""
    answers = {}
    for item in json.loads(RECORDING.read_text()):
        answers[(item["request"]["method"], json.dumps(item["request"]["params"]))] = item["response"]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        answer = json.loads(json.dumps(answers[(body["method"], json.dumps(body["params"]))]))
        result = answer["result"]
        if tamper and isinstance(result, dict) and result.get("height") in tamper:
            result["previousblockhash"] = tamper[result["height"]]
        return httpx.Response(200, json={**answer, "id": body["id"]})

    return httpx.MockTransport(handler)


def test_amounts_convert_exactly() -> None:
    assert to_sat(Decimal("19.99990000")) == 1_999_990_000
    assert to_sat(Decimal("0.00000001")) == 1


def test_block_rows_split_outputs_and_spends() -> None:
    block = next(i["response"]["result"] for i in json.loads(RECORDING.read_text(), parse_float=Decimal)
                 if i["request"]["method"] == "getblock" and i["response"]["result"]["height"] == 1)
    rows = block_rows(block)
    assert [(vout, value) for _, vout, value, _, _ in rows.created] == [(0, 5_000_010_000), (1, 0), (0, 3_000_000_000),
                                                                       (1, 1_999_990_000)]
    assert len(rows.spent) == 1 and rows.spent[0][1:3] == (0, 1)  # block 0's coinbase output 0, spent at height 1


def test_sync_export_compute(tmp_path: Path) -> None:
    ledger, out = tmp_path / "ledger.duckdb", tmp_path / "outputs.parquet"
    client = RpcClient("http://node.test", transport=replay())
    assert sync(client, ledger, to_height=1) == 2
    assert sync(client, ledger) == 1  # continues from the tip up to getblockcount
    assert sync(client, ledger) == 0
    assert export(ledger, out) == 9  # 2 + 4 + 3 outputs, OP_RETURN commitments included
    table = pq.read_table(out).to_pylist()
    spent = {(r["created_height"], r["vout"], r["value_sat"]): r["spent_height"] for r in table}
    assert spent[(0, 0, 5_000_000_000)] == 1 and spent[(1, 1, 1_999_990_000)] == 2
    assert sum(r["spent_height"] is None for r in table) == 7
    # Three blocks issued 150 BTC; fees only moved value to miners, so supply is exactly 150 BTC.
    result = compute(out, price_series(3, lambda d: 100.0 * (d + 1)))
    assert result.daily["supply_btc"].tolist() == [50.0, 100.0, 150.0]
    # Day 1: block 0's 50 BTC (bought at 100) moved at 200 → realised profit 5,000 USD.
    assert result.daily["realized_profit_usd"].iloc[1] == pytest.approx(5_000.0)


def test_a_reorg_stops_the_sync(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.duckdb"
    sync(RpcClient("http://node.test", transport=replay()), ledger, to_height=1)
    forked = RpcClient("http://node.test", transport=replay({2: "00" * 32}))
    with pytest.raises(OnchainError, match="does not extend"):
        sync(forked, ledger)
