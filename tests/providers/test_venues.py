"""The venues' error envelopes (Bybit `retCode`, OKX `code`, Binance error objects) → typed errors."""

import json

import pytest

from signaldesk.errors import MalformedError, RateLimitedError, UnavailableError
from signaldesk.providers.venues import binance_list, binance_object, bybit_result, okx_data
from tests.conftest import FIXTURES, shared_file

FIX = FIXTURES / "exchanges"


def load(name: str):
    return json.loads((FIX / name).read_text())


def test_bybit_retcode_in_a_200_body():
    with pytest.raises(RateLimitedError, match="10006"):
        bybit_result(load("v5_market_tickers__retcode_10006.json"), what="tickers")
    with pytest.raises(UnavailableError, match="restricted region"):
        bybit_result(load("v5_market_tickers__retcode_10009_region.json"), what="tickers")
    with pytest.raises(MalformedError):
        bybit_result({"code": 0, "data": []}, what="tickers")


def test_okx_error_envelope():
    with pytest.raises(RateLimitedError):
        okx_data(load("public_funding-rate__error_50011.json"), what="funding-rate")
    with pytest.raises(UnavailableError, match="51001"):
        okx_data(load("public_funding-rate__error_51001.json"), what="funding-rate")
    with pytest.raises(UnavailableError):
        okx_data({"code": 50001, "msg": "Service temporarily unavailable"}, what="funding-rate")  # numeric code
    with pytest.raises(MalformedError):
        okx_data({"code": "0", "msg": "", "data": []}, what="funding-rate")
    with pytest.raises(MalformedError, match="not a v5 body"):  # no code at all: not an OKX error, a wrong body
        okx_data({"unexpected": ["shape"]}, what="funding-rate")


def test_binance_error_objects():
    # the real 451 body: {"code": 0, "msg": "Service unavailable from a restricted location ..."}
    body = json.loads(shared_file("api-samples", "binance", "error_451_restricted_location.json").read_text())
    with pytest.raises(UnavailableError, match="restricted location"):
        binance_object(body, what="premiumIndex")
    with pytest.raises(UnavailableError, match="-1121"):
        binance_list({"code": -1121, "msg": "Invalid symbol."}, what="fundingRate")
    assert binance_list([{"fundingRate": "0.0001"}], what="fundingRate") == [{"fundingRate": "0.0001"}]
