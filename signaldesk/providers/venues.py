"""The response envelopes of the USDT venues (Binance, Bybit, OKX), shared by every provider that reads them.

Each venue reports errors its own way, and not always with an HTTP error status: Bybit answers
HTTP 200 with `retCode` ≠ 0, OKX HTTP 200 with `{code ≠ "0", msg}`, Binance an error object where
an array was expected. These helpers turn each into the typed error the collector understands
(a rate limit → `RateLimitedError`, a refusal → `UnavailableError`, a body of another shape →
`MalformedError`) (`Provider.fetch` names the provider that asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.providers._checks import as_list, as_mapping, get_path

BYBIT_RATE_LIMIT = 10006
"""Bybit v5 `retCode` "Too many visits!"; 10009/10024 are regional restrictions."""
OKX_RATE_LIMIT = "50011"
"""OKX v5 `code` "Too Many Requests"."""


def bybit_result(payload: Any, *, what: str) -> Mapping[str, Any]:
    """The `result` of a Bybit v5 body; errors arrive as HTTP 200 with `retCode` ≠ 0."""
    body = as_mapping(payload, field=what)
    code = body.get("retCode")
    if code is None:
        raise MalformedError(f"Bybit {what}: no retCode (not a v5 body)")
    if int(code) != 0:
        text = f"Bybit {what}: retCode {code} {body.get('retMsg', '')}".strip()
        if int(code) == BYBIT_RATE_LIMIT:
            raise RateLimitedError(text)
        raise UnavailableError(text)
    return as_mapping(get_path(body, ["result"]), field=f"{what}.result")


def okx_data(payload: Any, *, what: str) -> list[Any]:
    """The `data` list of an OKX v5 body; errors come as `{code ≠ "0", msg}`.

    `code` is a string on success but a number in some error bodies, hence the `str()`.
    """
    body = as_mapping(payload, field=what)
    if body.get("code") is None:
        raise MalformedError(f"OKX {what}: no code (not a v5 body)")
    code = str(body["code"])
    if code != "0":
        text = f"OKX {what}: code {code} {body.get('msg', '')}".strip()
        if code == OKX_RATE_LIMIT:
            raise RateLimitedError(text)
        raise UnavailableError(text)
    return as_list(get_path(body, ["data"]), field=f"{what}.data")


def binance_list(payload: Any, *, what: str) -> list[Any]:
    """A Binance array body; an error object (`{"code": -1121, "msg": …}`) raises."""
    if isinstance(payload, dict) and "msg" in payload:
        raise UnavailableError(f"Binance {what}: {payload.get('code')} {payload.get('msg')}")
    return as_list(payload, field=what)


def binance_object(payload: Any, *, what: str) -> Mapping[str, Any]:
    """A Binance object body; an error object (`code` and `msg`) raises."""
    body = as_mapping(payload, field=what)
    if "msg" in body and "code" in body:
        raise UnavailableError(f"Binance {what}: {body.get('code')} {body.get('msg')}")
    return body
