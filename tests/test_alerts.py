"""Alerts against a local HTTP server: delivery shapes, once-per-day de-duplication, retries."""

from __future__ import annotations

import json
from datetime import date

from pytest_httpserver import HTTPServer
from werkzeug import Response

from signaldesk.alerts import Alert, Channel, channels_from_config, detect, pending, record, send_alerts
from signaldesk.http import HttpClient

PREVIOUS = {
    "score": 42, "phase": "加速下跌", "stance": "防御",
    "watchlist": [
        {"id": "btc_support_60000", "metric": "price_usd", "entity": "btc", "trigger": 60000, "direction": "below",
         "text": {"en": "BTC loses $60,000", "zh-CN": "BTC 跌破 $60,000"}},
        {"id": "fng_below_20", "metric": "fear_greed", "entity": "", "trigger": 20, "direction": "below",
         "text": {"en": "Fear & Greed stays below 20"}},
        {"id": "etf_streak", "metric": "etf_flow_streak_weeks", "entity": "btc", "trigger": -7, "direction": "streak",
         "text": {"en": "a seventh week of outflows"}},
    ],
}


def current(price: float, fng: float, streak: float, score: float = 44, phase: str = "加速下跌") -> dict:
    return {"score": score, "phase": phase, "stance": "防御", "indicators": [
        {"id": "price_usd", "entity": "btc", "value": price},
        {"id": "fear_greed", "entity": "", "value": fng},
        {"id": "etf_flow_streak_weeks", "entity": "btc", "value": streak},
    ]}


def test_watch_triggers_fire_only_when_crossed():
    alerts = detect(PREVIOUS, current(price=59_000, fng=25, streak=-6))
    assert [a.key for a in alerts] == ["watch:btc_support_60000"]
    assert "BTC loses $60,000" in alerts[0].title
    fired = detect(PREVIOUS, current(price=61_000, fng=12, streak=-7))
    assert [a.key for a in fired] == ["watch:fng_below_20", "watch:etf_streak"]


def test_large_score_and_phase_changes_alert():
    keys = [a.key for a in detect(PREVIOUS, current(61_000, 30, -6, score=55, phase="底部构建"))]
    assert keys == ["score_change", "phase_change"]
    assert detect(PREVIOUS, current(61_000, 30, -6, score=51)) == []  # 9 points: below the threshold
    assert detect(None, current(1, 1, 1)) == []


def test_channels_resolve_secrets_from_env_and_skip_unconfigured(monkeypatch):
    monkeypatch.setenv("HOOK_URL", "https://hooks.slack.test/T000/B000/XXXX")
    config = {"channels": [
        {"name": "team", "kind": "slack", "url_env": "HOOK_URL"},
        {"name": "me", "kind": "telegram", "token_env": "TG_TOKEN_UNSET", "chat_id": "1"},
        {"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:1/x"},
    ]}
    channels = channels_from_config(config)
    assert [(c.name, c.url) for c in channels] == [("team", "https://hooks.slack.test/T000/B000/XXXX"),
                                                  ("ops", "http://127.0.0.1:1/x")]


async def test_delivery_shapes_dedup_and_retry(httpserver: HTTPServer, store):
    day = date(2026, 2, 26)
    attempts = {"n": 0}

    def flaky(request):
        attempts["n"] += 1
        return Response("busy", status=503) if attempts["n"] == 1 else Response("ok", status=200)

    httpserver.expect_request("/slack", method="POST").respond_with_handler(flaky)
    httpserver.expect_request("/hook", method="POST").respond_with_data("{}", content_type="application/json")
    httpserver.expect_request("/botSECRET-TOKEN/sendMessage", method="POST").respond_with_json({"ok": True})
    channels = [
        Channel("team", "slack", url=httpserver.url_for("/slack")),
        Channel("ops", "webhook", url=httpserver.url_for("/hook")),
        Channel("me", "telegram", token="SECRET-TOKEN", chat_id="42", api_base=httpserver.url_for("")),
    ]
    alert = Alert("watch:btc_support_60000", "BTC <lost> $60,000", "price_usd = 59000 (below 60000)", "warning")
    async with HttpClient(backoff_initial=0.0) as client:
        to_send, duplicates = pending([alert], channels, store, day)
        first = await send_alerts(to_send, client, day)
        record(store, day, first)
        to_send_again, again = pending([alert], channels, store, day)
    assert duplicates == [] and to_send_again == []
    assert [d.status for d in first] == ["sent", "sent", "sent"]
    assert [d.status for d in again] == ["duplicate", "duplicate", "duplicate"]
    assert attempts["n"] == 2  # the 503 was retried once, then delivered
    bodies = {req.path: json.loads(req.get_data()) for req, _ in httpserver.log}
    assert bodies["/slack"] == {"text": "*BTC &lt;lost&gt; $60,000*\nprice_usd = 59000 (below 60000)"}
    assert bodies["/hook"]["key"] == "watch:btc_support_60000" and bodies["/hook"]["as_of"] == "2026-02-26"
    assert bodies["/botSECRET-TOKEN/sendMessage"]["chat_id"] == "42"


async def test_a_dead_channel_fails_alone_without_leaking_the_token(httpserver: HTTPServer, store):
    httpserver.expect_request("/hook", method="POST").respond_with_data("{}")
    dead = Channel("me", "telegram", token="SECRET-TOKEN", chat_id="1", api_base="http://127.0.0.1:9")
    live = Channel("ops", "webhook", url=httpserver.url_for("/hook"))
    async with HttpClient(backoff_initial=0.0, timeout=2) as client:
        to_send, _ = pending([Alert("k", "t", "x")], [dead, live], store, date(2026, 2, 26))
        result = await send_alerts(to_send, client, date(2026, 2, 26))
    record(store, date(2026, 2, 26), result)
    assert [(d.channel, d.status) for d in result] == [("me", "failed"), ("ops", "sent")]
    assert "SECRET-TOKEN" not in result[0].reason
    assert not store.alert_sent(date(2026, 2, 26), "k", "me")
    assert store.alert_sent(date(2026, 2, 26), "k", "ops")


async def test_a_failing_channel_is_recorded_and_the_stage_keeps_its_deadline(httpserver: HTTPServer, store):
    """All channels answering 501, and one that drips: every delivery fails with a reason, each is
    recorded in the store, a broken channel is not retried for the next alert, and the dripping one
    is cut at the stage deadline rather than after many read timeouts."""
    import time

    from werkzeug.wrappers import Response as WerkzeugResponse

    def drip(request):
        def body():
            for _ in range(40):
                time.sleep(0.1)
                yield b" "
        return WerkzeugResponse(body(), status=200)

    httpserver.expect_request("/down", method="POST").respond_with_data("no", status=501)
    httpserver.expect_request("/drip", method="POST").respond_with_handler(drip)
    channels = [Channel("down", "webhook", url=httpserver.url_for("/down")),
                Channel("slow", "webhook", url=httpserver.url_for("/drip"))]
    day = date(2026, 2, 26)
    alerts = [Alert("a1", "t", "x"), Alert("a2", "t", "y")]
    async with HttpClient(backoff_initial=0.0, attempts=1, timeout=1.0) as client:
        to_send, _ = pending(alerts, channels, store, day)
        result = await send_alerts(to_send, client, day, deadline_s=1.5)
    record(store, day, result)
    assert [(d.key, d.channel, d.status) for d in result] == [
        ("a1", "down", "failed"), ("a1", "slow", "failed"), ("a2", "down", "failed"), ("a2", "slow", "failed")]
    assert "501" in result[0].reason and result[2].reason == result[0].reason  # not tried again
    assert "deadline" in result[1].reason
    recorded = store.alert_failures(day)
    assert [(k, c) for k, c, _ in recorded] == [("a1", "down"), ("a1", "slow"), ("a2", "down"), ("a2", "slow")]
    assert not store.alert_sent(day, "a1", "down")
