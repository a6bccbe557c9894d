"""Keys come from the environment only and never reach logs, reports, signals.json, the store or
recordings — even when a keyed provider is enabled and its requests fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from signaldesk.errors import RateLimitedError
from signaldesk.http import HttpClient
from signaldesk.providers import registry
from signaldesk.recordings import RecordingTransport
from signaldesk.store import Store


def _fake_keys() -> dict[str, str]:
    envs = sorted({cls.capabilities.key_env for cls in registry().values() if cls.capabilities.key_env})
    return {env: f"FAKE-SECRET-{i:02d}-{env.lower()}-9f8e7d" for i, env in enumerate(envs)}


def _files_containing(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {n}" for n in needles if n.encode() in data]
    return hits


def test_fake_keys_never_leak_from_a_run(tmp_path):
    keys = _fake_keys()
    env = {
        **os.environ,
        **keys,
        "SIGNALDESK_HOME": str(tmp_path / "home"),
        "SIGNALDESK_CONFIG": str(tmp_path / "none.toml"),
        "SIGNALDESK_LLM_API_KEY": "FAKE-SECRET-llm-key-0a1b",
    }
    db = tmp_path / "store.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "signaldesk", "demo", "--out", str(tmp_path / "out"), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode in (0, 3), proc.stderr
    needles = [*keys.values(), "FAKE-SECRET-llm-key-0a1b"]
    assert not [n for n in needles if n in proc.stdout + proc.stderr]
    assert _files_containing(tmp_path / "out", needles) == []
    assert _files_containing(tmp_path / "home", needles) == []  # logs, caches
    with Store.open(db, read_only=True) as store:
        con = store.connection
        text_columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in text_columns:
            for needle in needles:
                found = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE ?', [f"%{needle}%"]
                ).fetchone()[0]
                assert found == 0, (table, column)


async def test_recordings_scrub_keys_from_names_and_metadata(tmp_path):
    secret = "FAKE-SECRET-recording-77"

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "0", "X-Echo": "ok"}, json={"error": "slow down"})

    transport = RecordingTransport(tmp_path, inner=httpx.MockTransport(server))
    async with HttpClient(transport=transport, attempts=1) as client:
        with pytest.raises(RateLimitedError):  # the 429 is the point: what was recorded of it is checked below
            await client.get_json(
                "https://api.example.test/v1/data",
                params={"api_key": secret, "asset": "btc"},
                headers={"x-api-key": secret},
            )
    assert list(tmp_path.rglob("*")), "nothing was recorded"
    assert _files_containing(tmp_path, [secret]) == []
    assert not [p for p in tmp_path.rglob("*") if secret in str(p)]
