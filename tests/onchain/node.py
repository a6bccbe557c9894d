"""A loopback Bitcoin Core node replaying the recordings in `recordings/` (see test_rpc.py for the chains)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

RECORDINGS = Path(__file__).parent / "recordings"


def recorded(name: str) -> dict[tuple[str, str], Any]:
    """A recording as {(method, params as JSON): the reply's result}."""
    items = json.loads((RECORDINGS / f"regtest_chain_{name}.json").read_text())
    return {(i["request"]["method"], json.dumps(i["request"]["params"])): i["response"]["result"] for i in items}


NOT_FOUND = {"getblockhash": (-8, "Block height out of range"), "getblock": (-5, "Block not found")}
"""Bitcoin Core's error replies (HTTP 500) for a height past its tip or a hash it does not know."""


class Node:
    """A loopback Bitcoin Core answering JSON-RPC from the recording of the chain it is on.

    `switch_after = (method, n, chain)`: once it has answered `method` n times, the node moves to
    `chain` (a reorg while a sync runs).
    """

    def __init__(self, server: HTTPServer, chain: str, **other_chains: dict[tuple[str, str], Any]) -> None:
        self.chains = {"a": recorded("a"), "b": recorded("b"), **other_chains}
        self.chain = chain
        self.calls: list[str] = []
        self.switch_after: tuple[str, int, str] | None = None
        server.expect_request("/", method="POST").respond_with_handler(self._answer)
        self.url = server.url_for("/")

    def _answer(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.calls.append(body["method"])
        result = self.chains[self.chain].get((body["method"], json.dumps(body["params"])))
        if self.switch_after and self.calls.count(self.switch_after[0]) == self.switch_after[1]:
            self.chain = self.switch_after[2]
        if result is None:
            code, message = NOT_FOUND[body["method"]]
            reply = {"result": None, "error": {"code": code, "message": message}, "id": body["id"]}
            return Response(json.dumps(reply), 500, content_type="application/json")
        return Response(
            json.dumps({"result": result, "error": None, "id": body["id"]}), content_type="application/json"
        )
