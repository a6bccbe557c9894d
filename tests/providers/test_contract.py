"""One contract for every registered provider, run on its shipped demo recordings.

It checks what OpenBB's `Fetcher.test` checks: the declared metrics are exactly what is yielded,
timestamps are UTC-aware, values are finite and in their catalog range, and the provider's
declarations (capabilities, docs link) are filled in.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest

from signaldesk.catalog import CATALOG
from signaldesk.clock import pinned_now
from signaldesk.demo.build import DEMO_DIR, DEMO_NOW
from signaldesk.errors import MissingKeyError
from signaldesk.http import HttpClient
from signaldesk.providers import registry

PROVIDERS = sorted(registry())


def _fetch(name: str):
    provider = registry()[name]()

    async def run():
        async with HttpClient.replay(DEMO_DIR) as client:
            return await provider.fetch(client, None)

    with pinned_now(DEMO_NOW):
        return asyncio.run(run())


@pytest.mark.parametrize("name", PROVIDERS)
def test_declarations(name):
    cls = registry()[name]
    assert cls.name == name
    assert cls.metrics, "a provider declares the metrics it yields"
    assert set(cls.metrics) <= set(CATALOG), set(cls.metrics) - set(CATALOG)
    assert cls.capabilities.hosts and cls.capabilities.docs.startswith("http")


@pytest.mark.parametrize("name", PROVIDERS)
def test_demo_recordings_honour_the_contract(name):
    cls = registry()[name]
    if cls.capabilities.key_required:
        with pytest.raises(MissingKeyError):
            _fetch(name)
        return
    observations = _fetch(name)
    assert observations, f"{name} yielded nothing from its demo recordings"
    assert {o.metric for o in observations} == set(cls.metrics)
    for obs in observations:
        assert obs.ts.utcoffset() == timedelta(0)
        assert obs.ts <= DEMO_NOW + timedelta(days=1)
        assert math.isfinite(obs.value) and CATALOG[obs.metric].plausible(obs.value)
        assert obs.source == name
