"""Notification channels: a generic JSON webhook, Discord and Slack incoming webhooks, and the Telegram bot API,
each with the kinds of event it wants. Configured by VIGIL_NOTIFY_CHANNELS, a JSON list, e.g.

    [{"name": "desk", "kind": "discord", "url": "https://discord.com/api/webhooks/...", "events": ["fill", "risk"]},
     {"name": "phone", "kind": "telegram", "token": "123:ABC", "chat_id": "42"}]

`events` defaults to every kind. A bad entry stops the server with a message naming the variable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core_server.notify.events import EVENT_KINDS, Notification

CHANNELS_VARIABLE = "VIGIL_NOTIFY_CHANNELS"
TELEGRAM_API = "https://api.telegram.org"
MAX_CHANNELS = 16
DISCORD_LIMIT = 2000  # characters in one Discord message
TELEGRAM_LIMIT = 4096


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    DISCORD = "discord"
    SLACK = "slack"
    TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    kind: ChannelKind
    url: str = ""  # webhook, Discord, Slack; Telegram: the API base (default api.telegram.org, tests use a local one)
    token: str = ""  # Telegram bot token: never logged
    chat_id: str = ""
    events: frozenset[str] = frozenset(EVENT_KINDS)

    def wants(self, notification: Notification) -> bool:
        return notification.kind in self.events

    @property
    def target(self) -> str:
        """Where it posts, without secrets (for status and logs)."""
        if self.kind is ChannelKind.TELEGRAM:
            return f"{self.url or TELEGRAM_API}/bot***/sendMessage"
        return self.url.split("?", 1)[0]


def request_of(channel: Channel, n: Notification) -> tuple[str, dict[str, Any]]:
    """(URL, JSON body) of one notification on one channel, in the format that service expects."""
    text = f"{n.title}\n{n.text}" if n.text else n.title
    if channel.kind is ChannelKind.DISCORD:
        return channel.url, {"content": text[:DISCORD_LIMIT]}
    if channel.kind is ChannelKind.SLACK:
        return channel.url, {"text": text}
    if channel.kind is ChannelKind.TELEGRAM:
        base = channel.url or TELEGRAM_API
        return f"{base}/bot{channel.token}/sendMessage", {"chat_id": channel.chat_id, "text": text[:TELEGRAM_LIMIT]}
    return channel.url, {
        "kind": n.kind,
        "title": n.title,
        "text": n.text,
        "ts_ns": n.ts_ns,
        "account_id": n.account_id,
        "data": dict(n.data),
    }


class ChannelConfigError(ValueError):
    pass


def parse_channels(env: Mapping[str, str]) -> tuple[Channel, ...]:
    raw = env.get(CHANNELS_VARIABLE, "").strip()
    if not raw:
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ChannelConfigError(f"{CHANNELS_VARIABLE}: not JSON ({error.msg})") from None
    if not isinstance(entries, list) or len(entries) > MAX_CHANNELS:
        raise ChannelConfigError(f"{CHANNELS_VARIABLE}: a JSON list of at most {MAX_CHANNELS} channels")
    channels = [_channel(i, entry) for i, entry in enumerate(entries)]
    if len({c.name for c in channels}) != len(channels):
        raise ChannelConfigError(f"{CHANNELS_VARIABLE}: channel names must be unique")
    return tuple(channels)


def _channel(i: int, entry: object) -> Channel:
    where = f"{CHANNELS_VARIABLE}[{i}]"
    if not isinstance(entry, dict):
        raise ChannelConfigError(f"{where}: an object")
    try:
        kind = ChannelKind(str(entry.get("kind", "webhook")))
    except ValueError:
        raise ChannelConfigError(f"{where}.kind: one of {', '.join(k.value for k in ChannelKind)}") from None
    events = entry.get("events", list(EVENT_KINDS))
    if not isinstance(events, list) or not set(events) <= set(EVENT_KINDS):
        raise ChannelConfigError(f"{where}.events: a list of {', '.join(EVENT_KINDS)}")
    url = str(entry.get("url", ""))
    token, chat_id = str(entry.get("token", "")), str(entry.get("chat_id", ""))
    if kind is ChannelKind.TELEGRAM:
        if not token or not chat_id:
            raise ChannelConfigError(f"{where}: a Telegram channel needs token and chat_id")
    elif not url.startswith(("http://", "https://")):
        raise ChannelConfigError(f"{where}.url: an http(s) URL")
    return Channel(str(entry.get("name", f"{kind.value}-{i}")), kind, url, token, chat_id, frozenset(events))
