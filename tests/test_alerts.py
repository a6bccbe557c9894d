"""Alerts against a local HTTP server: delivery shapes, once-per-day de-duplication, retries."""

from __future__ import annotations

import json
from datetime import date

from pytest_httpserver import HTTPServer
from werkzeug import Response

from signaldesk.alerts import Alert, Channel, channels_from_config, detect, pending, record, send_alerts
from signaldesk.http import HttpClient

PREVIOUS = {  # yesterday's signals.json as the pipeline saves it: watch items with their words per language
    "score": 42,
    "phase": "accelerating_decline",
    "stance": "defensive",
    "watchlist": [
        {
            "id": "btc_support",
            "metric": "price_usd",
            "entity": "btc",
            "trigger": 60000,
            "direction": "below",
            "mode": "cross",
            "text": "BTC 日线能否跌破 $60,000？",
            "texts": {"en": "Support at $60,000: does a daily close break below $60,000?", "zh-CN": "…"},
        },
        {
            "id": "fear_greed",
            "metric": "fear_greed",
            "entity": "",
            "trigger": 20,
            "direction": "below",
            "mode": "hold",
            "texts": {"en": "Fear & Greed (now 8): does it stay below 20?"},
        },
        {
            "id": "etf_flow",
            "metric": "etf_net_flow_usd_7d",
            "entity": "btc",
            "trigger": 0,
            "direction": "above",
            "mode": "cross",
            "texts": {"en": "BTC ETFs: does a week of net inflows return?"},
        },
    ],
}


def current(price: float, fng: float, flow: float, score: float = 44, phase: str = "accelerating_decline") -> dict:
    return {
        "score": score,
        "phase": phase,
        "stance": "defensive",
        "indicators": [
            {"id": "price_usd", "entity": "btc", "value": price},
            {"id": "fear_greed", "entity": "", "value": fng},
            {"id": "etf_net_flow_usd_7d", "entity": "btc", "value": flow},
        ],
    }


def test_watch_triggers_fire_when_their_question_is_answered():
    """A `cross` item fires when the value reaches the threshold's side; a `hold` item when it leaves it."""
    alerts = detect(PREVIOUS, current(price=59_000, fng=12, flow=-5e8))
    assert [a.key for a in alerts] == ["watch:btc_support"]
    assert alerts[0].title == "Watch-list trigger hit: Support at $60,000: does a daily close break below $60,000?"
    assert alerts[0].text == "price_usd = 59000 (reached below 60000)"
    fired = detect(PREVIOUS, current(price=61_000, fng=25, flow=1e8))
    assert [a.key for a in fired] == ["watch:fear_greed", "watch:etf_flow"]
    assert fired[0].text == "fear_greed = 25 (broke below 20)"
    assert detect(PREVIOUS, current(price=60_000, fng=20, flow=0))[0].key == "watch:btc_support"  # at the line


def test_large_score_and_phase_changes_alert():
    keys = [a.key for a in detect(PREVIOUS, current(61_000, 12, -6, score=55, phase="bottom_building"))]
    assert keys == ["score_change", "phase_change"]
    assert detect(PREVIOUS, current(61_000, 12, -6, score=51)) == []  # 9 points: below the threshold
    assert detect(None, current(1, 1, 1)) == []


def test_channels_resolve_secrets_from_env_and_skip_unconfigured(monkeypatch):
    monkeypatch.setenv("HOOK_URL", "https://hooks.slack.test/T000/B000/XXXX")
    config = {
        "channels": [
            {"name": "team", "kind": "slack", "url_env": "HOOK_URL"},
            {"name": "me", "kind": "telegram", "token_env": "TG_TOKEN_UNSET", "chat_id": "1"},
            {"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:1/x"},
        ]
    }
    channels = channels_from_config(config)
    assert [(c.name, c.url) for c in channels] == [
        ("team", "https://hooks.slack.test/T000/B000/XXXX"),
        ("ops", "http://127.0.0.1:1/x"),
    ]


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
    channels = [
        Channel("down", "webhook", url=httpserver.url_for("/down")),
        Channel("slow", "webhook", url=httpserver.url_for("/drip")),
    ]
    day = date(2026, 2, 26)
    alerts = [Alert("a1", "t", "x"), Alert("a2", "t", "y")]
    async with HttpClient(backoff_initial=0.0, attempts=1, timeout=1.0) as client:
        to_send, _ = pending(alerts, channels, store, day)
        result = await send_alerts(to_send, client, day, deadline_s=1.5)
    record(store, day, result)
    assert [(d.key, d.channel, d.status) for d in result] == [
        ("a1", "down", "failed"),
        ("a1", "slow", "failed"),
        ("a2", "down", "failed"),
        ("a2", "slow", "failed"),
    ]
    assert "501" in result[0].reason and result[2].reason == result[0].reason  # not tried again
    assert "deadline" in result[1].reason
    recorded = store.alert_failures(day)
    assert [(k, c) for k, c, _ in recorded] == [("a1", "down"), ("a1", "slow"), ("a2", "down"), ("a2", "slow")]
    assert not store.alert_sent(day, "a1", "down")
