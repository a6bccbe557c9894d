"""Secrets are scrubbed centrally: in exception messages, log records and the store, whatever path
the text took — an upstream echoing the key, httpx logging a webhook URL, a provider bug's message."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import httpx
import pytest

from signaldesk import redact, settings
from signaldesk.errors import ProviderError, UnavailableError
from signaldesk.http import HttpClient
from signaldesk.models import ProviderOutcome
from signaldesk.providers.coinglass import KEY_ENV, CoinGlass

KEY = "cg-echoed-key-5a0c91e7"


def test_remembered_value_and_its_url_forms_are_masked():
    token = "12345:AAH/bot+token=x"
    redact.remember(token)
    text = f"POST https://api.telegram.org/bot{token}/sendMessage ?t=%s&u=%s" % (
        "12345%3AAAH%2Fbot%2Btoken%3Dx",
        "12345%3AAAH%2Fbot%2Btoken%3Dx",
    )
    cleaned = redact.scrub(text)
    assert "AAH" not in cleaned
    assert cleaned.count(redact.MASK) == 3


def test_short_values_are_not_treated_as_secrets():
    redact.remember("42")
    assert redact.scrub("chat 42 at 420") == "chat 42 at 420"


def test_environment_variables_named_like_secrets_are_masked_even_if_never_read(monkeypatch):
    monkeypatch.setenv("MY_SLACK_WEBHOOK", "https://hooks.slack.example/services/T0/B0/zzzSECRETzzz")
    monkeypatch.setenv("SIGNALDESK_HOME_LABEL", "not-secret-value")  # name does not say secret
    text = "sent to https://hooks.slack.example/services/T0/B0/zzzSECRETzzz for not-secret-value"
    assert redact.scrub(text) == "sent to *** for not-secret-value"


def test_settings_secret_remembers_what_it_returns(monkeypatch):
    monkeypatch.setenv("TEAM_CHANNEL_URL", "https://chat.example/hook/abcdef123456")  # name not secret-like
    url = settings.secret("TEAM_CHANNEL_URL")
    assert url is not None
    assert redact.scrub(f"POST {url} failed") == "POST *** failed"


def test_error_messages_are_scrubbed_when_made():
    redact.remember("sk-live-0123456789")
    exc = UnavailableError('401 {"error": "Invalid API key: sk-live-0123456789"}', provider="x")
    assert "sk-live" not in str(exc)
    assert exc.provider == "x"


async def test_a_key_echoed_by_the_upstream_never_reaches_the_outcome(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)

    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.headers.get("CG-API-KEY", "")
        return httpx.Response(401, json={"code": "401", "msg": f"Invalid API key: {sent}"})

    async with HttpClient(transport=httpx.MockTransport(echo), attempts=1) as client:
        with pytest.raises(ProviderError) as caught:
            await CoinGlass().fetch(client, since=date(2026, 2, 20))
    assert KEY not in str(caught.value)
    assert "Invalid API key" in str(caught.value) or "refused" in str(caught.value)


def test_store_scrubs_outcome_reasons_that_did_not_pass_through_an_error(store):
    redact.remember("tok-abcdef-987654")
    outcome = ProviderOutcome("p", "failed", "KeyError: 'tok-abcdef-987654'", 0, None, "KeyError", 0.1)
    store.write_run(
        "r1",
        mode="daily",
        as_of=date(2026, 2, 25),
        outcomes=[outcome],
        observations=[],
        started_at=datetime(2026, 2, 25, tzinfo=UTC),
        status="failed",
    )
    assert "tok-abcdef" not in store.outcomes("r1")[0].reason


def test_cli_logging_quiets_http_libraries_and_scrubs_every_line(tmp_path, monkeypatch):
    from signaldesk.cli import _configure_logging

    monkeypatch.setenv("SIGNALDESK_HOME", str(tmp_path))
    monkeypatch.setenv("SIGNALDESK_SLACK_WEBHOOK_URL", "https://hooks.slack.example/services/T1/B2/c3d4e5f6")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        _configure_logging()
        logging.getLogger("httpx").info("HTTP Request: POST https://hooks.slack.example/services/T1/B2/c3d4e5f6")
        logging.getLogger("signaldesk.alerts").warning(
            "delivery to %s failed", "https://hooks.slack.example/services/T1/B2/c3d4e5f6"
        )
        try:
            raise RuntimeError("boom https://hooks.slack.example/services/T1/B2/c3d4e5f6")
        except RuntimeError:
            logging.getLogger("signaldesk.x").exception("while sending")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], level = saved
        root.setLevel(level)
    log = (tmp_path / "logs" / "signaldesk.log").read_text()
    assert "c3d4e5f6" not in log
    assert "HTTP Request" not in log  # httpx held at WARNING
    assert "delivery to *** failed" in log
    assert "RuntimeError: boom ***" in log


def test_the_token_parts_of_a_secret_url_are_masked_when_echoed_without_the_host():
    redact.remember("https://hooks.example.test/services/T0001/B0002/abcdefghijklmnopqrstuvwx?token=q1w2e3r4t5y6u7i8o9")
    echoed = "500 for /services/T0001/B0002/abcdefghijklmnopqrstuvwx and token q1w2e3r4t5y6u7i8o9"
    cleaned = redact.scrub(echoed)
    assert "abcdefghijklmnopqrstuvwx" not in cleaned and "q1w2e3r4t5y6u7i8o9" not in cleaned
    assert "T0001" in redact.scrub("T0001")  # short segments are ordinary words
