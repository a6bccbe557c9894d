"""Demo recordings for Coin Metrics: the core metrics in one page, and `CapRealUSD` refused by
the community tier (HTTP 403), so realised cap is derived from market cap / MVRV — the degraded
path, recorded.

Values follow the scenario: `PriceUSD` is the scenario close, `SplyCur` its supply,
`CapMVRVCur` = close / `Scenario.realized_price`, `HashRate` (TH/s) the demo hash rate of
rec_mempool. As on the real API, the newest day is yesterday (about a day's lag), every value is
a string and `time` carries nanoseconds; a page holds up to `PAGE_SIZE` rows and links to the next.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from signaldesk.demo import DEMO_NOW
from signaldesk.providers.coinmetrics import (
    CORE_METRICS,
    HISTORY_START,
    OPTIONAL_METRICS,
    PAGE_SIZE,
    URL,
    request_params,
)
from signaldesk.recordings import write_recording
from tools.demo.build import demo_request, write_json
from tools.demo.rec_mempool import hashrate_ehs
from tools.demo.scenario import Scenario

FORBIDDEN = b'{"error":{"type":"forbidden","message":"Requested resource is not available with supplied credentials."}}'


def _series(scenario: Scenario) -> dict[str, pd.Series]:
    close, supply = scenario.btc, scenario.btc_supply
    return {
        "CapMVRVCur": close / scenario.realized_price,
        "CapMrktCurUSD": close * supply,
        "HashRate": hashrate_ehs() * 1e6,
        "PriceUSD": close,
        "SplyCur": supply,
    }


def _text(metric: str, value: float) -> str:
    digits = {"CapMVRVCur": 8, "CapMrktCurUSD": 2, "HashRate": 3, "PriceUSD": 6, "SplyCur": 8}[metric]
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _token(day: pd.Timestamp) -> str:
    raw = f"{day:%Y-%m-%d}T00:00:00Z".encode()
    return "0." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _write_pages(directory: Path, metrics: tuple[str, ...], frame: pd.DataFrame) -> None:
    params = request_params(metrics, HISTORY_START)
    rows = [
        {
            "asset": "btc",
            "time": f"{day:%Y-%m-%d}T00:00:00.000000000Z",
            **{metric: _text(metric, float(row[metric])) for metric in metrics},
        }
        for day, row in frame.iterrows()
    ]
    request = demo_request("GET", URL, params=params)
    for start in range(0, len(rows), PAGE_SIZE):
        page = rows[start : start + PAGE_SIZE]
        payload: dict[str, object] = {"data": page}
        if start + PAGE_SIZE < len(rows):
            token = _token(pd.Timestamp(page[-1]["time"][:10]))
            next_request = demo_request("GET", URL, params={**params, "next_page_token": token})
            payload["next_page_token"] = token
            payload["next_page_url"] = str(next_request.url)
        write_json(directory, request, payload)
        if "next_page_url" in payload:
            request = next_request


def record(directory: Path, scenario: Scenario) -> None:
    last_day = pd.Timestamp(DEMO_NOW.date()) - pd.Timedelta(days=1)
    frame = pd.DataFrame(_series(scenario))[:last_day].dropna()
    _write_pages(directory, CORE_METRICS, frame)
    for metric in OPTIONAL_METRICS:  # refused by the community tier in this demo
        single = demo_request("GET", URL, params=request_params((metric,), HISTORY_START))
        write_recording(directory, single, FORBIDDEN, status=403)
