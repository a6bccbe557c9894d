"""`sync` against a loopback JSON-RPC node replaying Bitcoin Core replies, through a reorg of depth 2.

The recordings (`recordings/regtest_chain_{a,b}.json`) are hand-made in the exact shape of Bitcoin
Core's `getbestblockhash`, `getblockhash` and `getblock <hash> 2` replies (amounts with eight
decimals, block and transaction fields as Core prints them), one block a day from 2020-01-01:

    heights       0    1            2                3                     4            5
    chain A       c0   c1, t1       c2, t2           a3: ca3, t3, t4       a4: ca4, t5
    chain B       (the same 0–2)                     b3: cb3, t4           b4: cb4      b5: cb5, t6

  c*: coinbases (50 BTC + the block's fees, and a 0-value OP_RETURN commitment output)
  t1 spends c0:0 (50) → 30 + 19.9999      t2 spends t1:1 → 19.9998
  t3 spends t1:0 → 29.9999                t4 spends c1:0 (50.0001) → 50
  t5 spends t3:0 → 29.9998                t6 spends t2:0 → 19.9997

Switching the node from A to B orphans a3 and a4: t3, t5 and the coinbases ca3, ca4 vanish, t1:0
is unspent again, and t4 comes back at height 3 in b3.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer

from signaldesk.errors import OnchainError
from signaldesk.onchain.engine import compute
from signaldesk.onchain.rpc import RpcClient, block_rows, export, sync, to_sat
from tests.onchain.chains import price_series
from tests.onchain.node import RECORDINGS, Node, recorded


def outputs(ledger: Path, tmp_path: Path) -> dict[tuple[str, int], tuple[int, int, int | None]]:
    """The exported table as {(txid, vout): (value_sat, created_height, spent_height)}."""
    out = tmp_path / f"{ledger.stem}.parquet"
    export(ledger, out)
    return {
        (r["txid"], r["vout"]): (r["value_sat"], r["created_height"], r["spent_height"])
        for r in pq.read_table(out).to_pylist()
    }


def txid(chain: str, height: int, position: int) -> str:
    block_hash = recorded(chain)[("getblockhash", json.dumps([height]))]
    return recorded(chain)[("getblock", json.dumps([block_hash, 2]))]["tx"][position]["txid"]


def test_amounts_convert_exactly() -> None:
    assert to_sat(Decimal("19.99990000")) == 1_999_990_000
    assert to_sat(Decimal("0.00000001")) == 1


def test_block_rows_split_outputs_and_spends() -> None:
    items = json.loads((RECORDINGS / "regtest_chain_a.json").read_text(), parse_float=Decimal)
    block = next(
        i["response"]["result"]
        for i in items
        if i["request"]["method"] == "getblock" and i["response"]["result"]["height"] == 1
    )
    rows = block_rows(block)
    assert [(vout, value) for _, vout, value, _, _ in rows.created] == [
        (0, 5_000_010_000),
        (1, 0),
        (0, 3_000_000_000),
        (1, 1_999_990_000),
    ]
    assert rows.spent == [(txid("a", 0, 0), 0, 1, rows.created[0][4])]  # block 0's coinbase output 0


def test_sync_export_compute(httpserver: HTTPServer, tmp_path: Path) -> None:
    node = Node(httpserver, "a")
    ledger = tmp_path / "ledger.duckdb"
    client = RpcClient(node.url)
    assert sync(client, ledger, to_height=1).added == 2
    assert sync(client, ledger).added == 3  # continues from the tip up to the best block
    assert sync(client, ledger).added == 0
    table = outputs(ledger, tmp_path)
    assert len(table) == 16  # 5 coinbases × 2 (OP_RETURN commitments included) + t1: 2 + t2–t5: 1 each
    assert table[(txid("a", 0, 0), 0)] == (5_000_000_000, 0, 1)
    assert table[(txid("a", 1, 1), 0)] == (3_000_000_000, 1, 3)  # t1:0, spent by t3 in a3
    # Five blocks issued 250 BTC; fees only moved value to miners, so supply is exactly 250 BTC.
    export(ledger, tmp_path / "a.parquet")
    result = compute(tmp_path / "a.parquet", price_series(5, lambda d: 100.0 * (d + 1)))
    assert result.daily["supply_btc"].tolist() == [50.0, 100.0, 150.0, 200.0, 250.0]
    # Day 1: block 0's 50 BTC (bought at 100) moved at 200 → realised profit 5,000 USD.
    assert result.daily["realized_profit_usd"].iloc[1] == pytest.approx(5_000.0)


def test_a_reorg_of_depth_two_is_undone_and_the_best_chain_followed(httpserver: HTTPServer, tmp_path: Path) -> None:
    node = Node(httpserver, "a")
    client = RpcClient(node.url)
    ledger = tmp_path / "ledger.duckdb"
    assert sync(client, ledger).added == 5
    node.chain = "b"
    result = sync(client, ledger)
    assert (result.undone, result.added) == (2, 3)  # a4, a3 undone; b3, b4, b5 appended
    table = outputs(ledger, tmp_path)
    t1, t3, t4 = txid("a", 1, 1), txid("a", 3, 1), txid("a", 3, 2)
    assert table[(t1, 0)] == (3_000_000_000, 1, None)  # its spend (t3, in a3) was orphaned
    assert (t3, 0) not in table and (txid("a", 3, 0), 0) not in table and (txid("a", 4, 1), 0) not in table
    assert txid("b", 3, 1) == t4 and table[(t4, 0)] == (5_000_000_000, 3, None)  # re-mined in b3
    assert table[(txid("a", 1, 0), 0)] == (5_000_010_000, 1, 3)  # c1:0, spent by t4 again, now in b3
    # The reorged ledger is exactly what a fresh sync of chain B gives.
    fresh = tmp_path / "fresh.duckdb"
    assert sync(client, fresh) == type(result)(added=6, undone=0)
    assert table == outputs(fresh, tmp_path)
    assert sum(value for value, _, spent in table.values() if spent is None) == 6 * 50 * 100_000_000


def test_a_reorg_while_syncing_restarts_from_the_fork(httpserver: HTTPServer, tmp_path: Path) -> None:
    node = Node(httpserver, "a")
    client = RpcClient(node.url)
    ledger = tmp_path / "ledger.duckdb"
    assert sync(client, ledger, to_height=2).added == 3
    # The node reorgs to B right after serving a3: the next block (b4) does not extend a3.
    node.calls.clear()
    node.switch_after = ("getblock", 2, "b")  # the best block (a4), then a3
    result = sync(client, ledger)
    assert (result.undone, result.added) == (1, 4)  # a3 appended then undone; b3–b5 appended
    fresh = tmp_path / "fresh.duckdb"
    sync(client, fresh)
    assert outputs(ledger, tmp_path) == outputs(fresh, tmp_path)


def test_a_fork_deeper_than_the_limit_changes_nothing(httpserver: HTTPServer, tmp_path: Path) -> None:
    node = Node(httpserver, "a")
    client = RpcClient(node.url)
    ledger = tmp_path / "ledger.duckdb"
    sync(client, ledger)
    before = outputs(ledger, tmp_path)
    node.chain = "b"
    with pytest.raises(OnchainError, match="last 2\\+ blocks are not on the node's best chain"):
        sync(client, ledger, max_reorg_depth=1)
    assert outputs(ledger, tmp_path) == before


def test_a_node_of_another_network_changes_nothing(httpserver: HTTPServer, tmp_path: Path) -> None:
    genesis = "00" * 32
    other = {
        ("getbestblockhash", "[]"): genesis,
        ("getblockhash", "[0]"): genesis,
        ("getblock", json.dumps([genesis, 2])): {"hash": genesis, "height": 0, "time": 1577836800, "tx": []},
    }
    node = Node(httpserver, "a", other=other)
    client = RpcClient(node.url)
    ledger = tmp_path / "ledger.duckdb"
    sync(client, ledger, to_height=1)
    before = outputs(ledger, tmp_path)
    node.chain = "other"
    with pytest.raises(OnchainError, match="genesis block is not the ledger's"):
        sync(client, ledger)
    assert outputs(ledger, tmp_path) == before
