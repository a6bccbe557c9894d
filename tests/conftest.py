"""Shared fixtures: a temporary store, a replaying HTTP client, the shared reference folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from hypothesis import settings as hypothesis_settings

from signaldesk.providers import registry
from signaldesk.store import Store

# Property tests assert properties, not speed: Hypothesis's default 200 ms deadline per example is a
# timed assertion, and on a busy 2-core CI machine a first example (cold imports, caches) missed it.
hypothesis_settings.register_profile("signaldesk", deadline=None)
hypothesis_settings.load_profile("signaldesk")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--online", action="store_true", help="also run tests that call the real providers")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--online"):
        return
    skip = pytest.mark.skip(reason="online test: run with --online")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


PROVIDER_KEYS = tuple(sorted({p.capabilities.key_env for p in registry().values() if p.capabilities.key_env}))
"""Every provider's key variable, as each declares it (`Capabilities.key_env`)."""

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
"""CI installs every extra, Chromium, Java and has ../shared beside the checkout."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI a skip is a failure (only `online` tests may skip): nothing a test needs may be silently absent."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail") and "online" not in item.keywords:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be missing: {reason}"


@pytest.fixture(autouse=True, scope="session")
def _sec_contact() -> Iterator[None]:
    """A user who has given SEC a contact, so SEC EDGAR runs in every test (module-scoped runs too);
    its skip without one is tested on its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIGNALDESK_SEC_CONTACT", "Test Desk tests@signaldesk-ci.dev")
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's data dir, config file and real keys."""
    home = tmp_path_factory.mktemp("signaldesk-home")
    monkeypatch.setenv("SIGNALDESK_HOME", str(home))
    monkeypatch.setenv("SIGNALDESK_CONFIG", str(home / "no-config.toml"))
    for var in (*PROVIDER_KEYS, "SIGNALDESK_LLM_BASE_URL", "SIGNALDESK_LLM_API_KEY", "SIGNALDESK_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    from signaldesk import settings

    settings.reload()


@pytest.fixture(autouse=True)
def _no_retry_waits() -> Iterator[None]:
    """Retries still happen in tests, but without sleeping."""
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "test.duckdb") as opened:
        yield opened


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def shared_file(*parts: str) -> Path:
    """A file under ../shared, or skip the test when the reference folder is absent (a failure in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference file not present: {path}")
    return path


@pytest.fixture
def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a user config file for this test (`write_config("[news]\nfeeds = [...]")`)."""
    from signaldesk import settings

    def write(text: str) -> None:
        path = tmp_path / "config.toml"
        path.write_text(text)
        monkeypatch.setenv("SIGNALDESK_CONFIG", str(path))
        settings.reload()

    yield write
    settings.reload()
