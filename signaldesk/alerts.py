"""Alerts: watch-list triggers that fired and large signal changes, sent to webhooks.

Yesterday's watch list promised concrete triggers ("BTC below $60,000"); today's run checks them
against today's values and tells the configured channels when one fired, and when the score,
phase or stance moved a lot. Each (day, trigger, channel) is sent at most once, however often the
day is re-run; deliveries go through the shared HTTP client, so they are retried with backoff.

Channels come from the `[alerts]` config section; URLs and tokens that are secrets (Slack webhook
URLs, Telegram bot tokens) are named by environment variable, never written in the file:

    [alerts]
    score_change = 10
    channels = [
      { name = "ops", kind = "webhook", url = "http://127.0.0.1:9000/hook" },
      { name = "team", kind = "slack", url_env = "SIGNALDESK_SLACK_WEBHOOK_URL" },
      { name = "me", kind = "telegram", token_env = "SIGNALDESK_TELEGRAM_TOKEN", chat_id = "12345" },
    ]
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from signaldesk import settings
from signaldesk.errors import ProviderError, SignaldeskError
from signaldesk.http import HttpClient
from signaldesk.redact import remember
from signaldesk.store import Store

KINDS = ("webhook", "slack", "telegram")
DEADLINE_S = 60.0
"""Default bound on the whole alerts stage (`[alerts] deadline_s` overrides it)."""
TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing worth telling someone today; `key` identifies it for de-duplication."""

    key: str
    title: str
    text: str
    severity: str = "info"


@dataclass(frozen=True, slots=True)
class Channel:
    """A destination: generic JSON webhook, Slack incoming webhook, or Telegram bot."""

    name: str
    kind: str
    url: str = ""
    token: str = ""
    chat_id: str = ""
    api_base: str = TELEGRAM_API


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one alert on one channel: sent, duplicate (already sent today) or failed."""

    key: str
    channel: str
    status: str
    reason: str = ""


def channels_from_config(config: Mapping[str, Any] | None = None) -> list[Channel]:
    """Channels of the `[alerts]` section, with secrets resolved from the environment."""
    section = settings.section("alerts") if config is None else config
    channels = []
    for i, raw in enumerate(section.get("channels", [])):
        kind = raw.get("kind", "webhook")
        name = raw.get("name", f"{kind}-{i}")
        if kind not in KINDS:
            raise SignaldeskError(f"alerts channel {name!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        url = settings.secret(raw["url_env"]) if raw.get("url_env") else raw.get("url", "")
        token = settings.secret(raw["token_env"]) if raw.get("token_env") else ""
        if kind == "telegram" and not (token and raw.get("chat_id")):
            continue  # not configured in this environment: nothing to send to
        if kind != "telegram" and not url:
            continue
        channels.append(
            Channel(name, kind, url or "", token or "", str(raw.get("chat_id", "")), raw.get("api_base", TELEGRAM_API))
        )
    return channels


def _indicator_values(signals: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    return {
        (row["id"], row.get("entity", "")): float(row["value"])
        for row in signals.get("indicators", [])
        if row.get("value") is not None
    }


def detect(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any], *, score_change: float = 10.0, lang: str = "en"
) -> list[Alert]:
    """Alerts from yesterday's watch list checked against today, and from large signal changes."""
    if previous is None:
        return []
    alerts: list[Alert] = []
    values = _indicator_values(current)
    for item in previous.get("watchlist", []):
        value = values.get((item.get("metric", ""), item.get("entity", "")))
        if value is None or item.get("trigger") is None or not _fired(item, value):
            continue
        words = (item.get("texts") or {}).get(lang) or item.get("text") or item.get("metric", "")
        verb = "broke" if item.get("mode") == "hold" else "reached"
        alerts.append(
            Alert(
                f"watch:{item.get('id', item.get('metric'))}",
                f"Watch-list trigger hit: {words}",
                f"{item.get('metric')} = {value:g} ({verb} {item['direction']} {item['trigger']:g})",
                "warning",
            )
        )
    before, now = previous.get("score"), current.get("score")
    if before is not None and now is not None and abs(now - before) >= score_change:
        alerts.append(
            Alert(
                "score_change",
                f"Score moved {now - before:+.0f} points",
                f"composite score {before:.0f} → {now:.0f}",
                "warning",
            )
        )
    for field in ("phase", "stance"):
        if previous.get(field) and current.get(field) and previous[field] != current[field]:
            alerts.append(
                Alert(
                    f"{field}_change", f"{field.capitalize()} changed", f"{previous[field]} → {current[field]}", "info"
                )
            )
    return alerts


def _fired(item: Mapping[str, Any], value: float) -> bool:
    """Yesterday's question answered by today's value: a `cross` item fires when the value reached
    the threshold's side; a `hold` item (does it stay below/above?) fires when it no longer does."""
    trigger, direction = float(item["trigger"]), item.get("direction")
    if direction == "streak":
        return abs(value) >= abs(trigger)
    on_side = value >= trigger if direction == "above" else value <= trigger
    return not on_side if item.get("mode") == "hold" else on_side


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn needs only &, < and > escaped (its documented rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def request_for(channel: Channel, alert: Alert, day: date) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body a channel expects."""
    if channel.kind == "slack":
        return channel.url, {"text": f"*{_slack_escape(alert.title)}*\n{_slack_escape(alert.text)}"}
    if channel.kind == "telegram":
        return (
            f"{channel.api_base.rstrip('/')}/bot{channel.token}/sendMessage",
            {"chat_id": channel.chat_id, "text": f"{alert.title}\n{alert.text}", "disable_web_page_preview": True},
        )
    return channel.url, {
        "source": "signaldesk",
        "as_of": day.isoformat(),
        "key": alert.key,
        "title": alert.title,
        "text": alert.text,
        "severity": alert.severity,
    }


def pending(
    alerts: Sequence[Alert], channels: Sequence[Channel], store: Store, day: date
) -> tuple[list[tuple[Alert, Channel]], list[Delivery]]:
    """Split today's (alert, channel) pairs into those still to send and those already sent today
    (a re-run sends nothing twice). Read under the store lock, before it is released."""
    to_send: list[tuple[Alert, Channel]] = []
    duplicates: list[Delivery] = []
    for alert in alerts:
        for channel in channels:
            if store.alert_sent(day, alert.key, channel.name):
                duplicates.append(Delivery(alert.key, channel.name, "duplicate"))
            else:
                to_send.append((alert, channel))
    return to_send, duplicates


async def send_alerts(
    pairs: Sequence[tuple[Alert, Channel]], client: HttpClient, day: date, *, deadline_s: float = DEADLINE_S
) -> list[Delivery]:
    """Send each (alert, channel) pair; a failed channel does not stop the others.

    The whole stage has one deadline (`deadline_s`): the client's timeouts bound each *read*, so
    an endpoint that drips a byte at a time would otherwise hold the run for minutes per alert. A
    channel that failed once is not tried again in this run — its remaining alerts fail with the
    same reason at once. Needs no store: the pipeline sends after releasing the store's lock.
    """
    deliveries: list[Delivery] = []
    broken: dict[str, str] = {}
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + deadline_s
    for alert, channel in pairs:
        reason = broken.get(channel.name) or await _deliver(client, channel, alert, day, ends_at - loop.time())
        if reason:
            broken.setdefault(channel.name, reason)
            deliveries.append(Delivery(alert.key, channel.name, "failed", reason))
        else:
            deliveries.append(Delivery(alert.key, channel.name, "sent"))
    return deliveries


def record(store: Store, day: date, deliveries: Sequence[Delivery]) -> None:
    """Mark what was sent (so it is never sent twice) and keep every failure (`alert_failures`)."""
    for delivery in deliveries:
        if delivery.status == "sent":
            store.mark_alert_sent(day, delivery.key, delivery.channel)
        elif delivery.status == "failed":
            store.record_alert_failure(day, delivery.key, delivery.channel, delivery.reason)


async def _deliver(client: HttpClient, channel: Channel, alert: Alert, day: date, budget_s: float) -> str:
    """POST one alert; the failure reason in words, or "" when it was delivered."""
    if budget_s <= 0:
        return "alerts deadline reached before this delivery"
    url, body = request_for(channel, alert, day)
    remember(channel.token)  # a Telegram token sits in the URL path; a webhook URL is itself the secret
    remember(channel.url)
    try:
        async with asyncio.timeout(budget_s):
            await client.request("POST", url, json_body=body, provider=f"alerts:{channel.name}")
    except TimeoutError:
        return f"no answer within the alerts deadline ({budget_s:.0f} s left of it)"
    except ProviderError as exc:
        return str(exc)
    return ""
