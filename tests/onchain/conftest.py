"""Fixtures for the on-chain tests: one small synthetic chain and one SparkSession per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from signaldesk.onchain.synthetic import SynthSummary, generate


@pytest.fixture(scope="session")
def small_chain(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """3,000 outputs over 200 days: long enough for coins to cross the 155-day line."""
    return generate(3_000, tmp_path_factory.mktemp("synth"), seed=7, days=200)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local SparkSession shared by every Spark test (the JVM takes seconds to start)."""
    pytest.importorskip("pyspark")
    from signaldesk.errors import OnchainError
    from signaldesk.onchain.backends import spark_session

    try:
        session = spark_session(master="local[2]", driver_memory="1g", shuffle_partitions=2)
    except OnchainError as missing:  # no Java: say so instead of PySpark's JAVA_GATEWAY_EXITED
        pytest.skip(str(missing))
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
