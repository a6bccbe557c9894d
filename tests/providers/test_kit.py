"""The provider kit, proved by the example of docs/adding-a-provider.md: one small class, and the kit
supplies the window, the key, the provider's name on errors and the partial-failure bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from signaldesk.clock import day_start, pinned_now
from signaldesk.errors import MalformedError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.models import Observation
from signaldesk.providers._checks import as_float, as_list, check_observations, get_path
from signaldesk.providers.base import Capabilities, Provider, Session, Window, flat

NOW = datetime(2026, 2, 25, 12, tzinfo=UTC)
URL = "https://api.example.org/v1/index"


def parse_index(payload: Any, today: date) -> list[Observation]:
    observations = []
    for i, row in enumerate(as_list(payload, field="body")):
        day = date.fromisoformat(str(get_path(row, ["day"])))
        if day < today:
            observations.append(
                Observation(
                    "fear_greed",
                    "",
                    day_start(day),
                    as_float(get_path(row, ["index"]), field=f"[{i}].index"),
                    "example_index",
                )
            )
    return check_observations(observations)


class ExampleIndex(Provider):
    name = "example_index"
    metrics = ("fear_greed",)
    capabilities = Capabilities(
        hosts={"api.example.org": 1.0},
        key_env="EXAMPLE_API_KEY",
        key_header="X-Api-Key",
        docs="https://api.example.org/docs",
        backfill_days=365,
        revision_days=2,
    )

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        params = {"from": window.start.isoformat()} if window.start else {}
        return parse_index(await http.get_json(URL, params=params), window.today)


class Regions(ExampleIndex):
    """The same source fanned out over two regions: one part may fail alone."""

    async def observe(self, http: Session, window: Window) -> list[Observation]:
        async def region(name: str) -> list[Observation]:
            return parse_index(await http.get_json(f"{URL}/{name}"), window.today)

        return flat(await self.gather_parts({"eu": region("eu"), "us": region("us")}))


ROWS = [
    {"day": "2026-02-20", "index": "30"},
    {"day": "2026-02-24", "index": "41"},
    {"day": "2026-02-25", "index": "45"},
]


async def _fetch(provider: Provider, handler, since: date | None) -> tuple[list[Observation], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    with pinned_now(NOW):
        async with HttpClient(transport=httpx.MockTransport(record)) as client:
            return await provider.fetch(client, since), seen


async def test_window_key_and_completed_days(monkeypatch):
    monkeypatch.setenv("EXAMPLE_API_KEY", "ex-key-1")
    obs, seen = await _fetch(ExampleIndex(), lambda r: httpx.Response(200, json=ROWS), date(2026, 2, 23))
    # cursor 23 Feb − 2 revised days = 21 Feb: asked from then, and the 20th (sent anyway) is dropped;
    # the 25th is today, still forming
    assert seen[0].url.params["from"] == "2026-02-21"
    assert seen[0].headers["X-Api-Key"] == "ex-key-1" and "ex-key-1" not in str(seen[0].url)
    assert [(o.ts.date(), o.value) for o in obs] == [(date(2026, 2, 24), 41.0)]


async def test_a_fresh_store_asks_for_the_backfill_and_no_key_means_no_header():
    obs, seen = await _fetch(ExampleIndex(), lambda r: httpx.Response(200, json=ROWS), None)
    assert seen[0].url.params["from"] == "2025-02-25"  # 365 days before 25 Feb 2026
    assert "X-Api-Key" not in seen[0].headers
    assert [o.ts.date() for o in obs] == [date(2026, 2, 20), date(2026, 2, 24)]


async def test_errors_carry_the_provider_name_and_a_refused_key_says_which_variable(monkeypatch):
    with pytest.raises(MalformedError) as raised:
        await _fetch(ExampleIndex(), lambda r: httpx.Response(200, json={"not": "a list"}), None)
    assert raised.value.provider == "example_index"
    monkeypatch.setenv("EXAMPLE_API_KEY", "ex-key-1")
    with pytest.raises(UnavailableError, match="refused the key in EXAMPLE_API_KEY") as refused:
        await _fetch(ExampleIndex(), lambda r: httpx.Response(401, text="bad key"), None)
    assert refused.value.provider == "example_index" and "ex-key-1" not in str(refused.value)


async def test_one_part_failing_is_named_and_the_other_kept():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="down") if request.url.path.endswith("/us") else httpx.Response(200, json=ROWS)

    provider = Regions()
    obs, _ = await _fetch(provider, handler, None)
    assert [o.value for o in obs] == [30.0, 41.0]
    assert list(provider.failures) == ["us"] and "503" in provider.failures["us"]
    with pytest.raises(UnavailableError, match=r"nothing answered \(2 failed: eu, us\)"):
        await _fetch(Regions(), lambda r: httpx.Response(503, text="down"), None)
