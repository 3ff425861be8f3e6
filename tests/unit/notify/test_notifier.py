"""Notification delivery against local HTTP receivers: each service's format, retries with backoff, permanent
failures, unreachable services, per-channel event filters, a full queue, and channel configuration."""

from __future__ import annotations

import socket

import pytest

from core_server.model.clock import TestClock
from core_server.notify.channels import Channel, ChannelConfigError, ChannelKind, parse_channels
from core_server.notify.dispatcher import Notifier, aiohttp_poster
from core_server.notify.events import Notification
from tests.unit.notify.receiver import receiver

FILL = Notification("fill", "paper: bought 1 NQZ2026 at 25000.00", "order O-1", 5, "paper", (("price", "25000.00"),))
RISK = Notification("risk", "paper: DANGER", "daily loss 72 % used", 6, "paper")


async def _notifier(channels: list[Channel], **options: object) -> tuple[Notifier, object]:
    post, close = aiohttp_poster(timeout_s=2)
    notifier = Notifier(channels, post, TestClock(1_000), backoff_s=0.001, max_backoff_s=0.004, **options)  # type: ignore[arg-type]
    notifier.start()
    return notifier, close


async def test_each_service_gets_its_own_format() -> None:
    async with receiver() as hook:
        channels = [
            Channel("json", ChannelKind.WEBHOOK, f"{hook.url}/hook"),
            Channel("discord", ChannelKind.DISCORD, f"{hook.url}/discord"),
            Channel("slack", ChannelKind.SLACK, f"{hook.url}/slack"),
            Channel("phone", ChannelKind.TELEGRAM, hook.url, token="123:ABC", chat_id="42"),
        ]
        notifier, close = await _notifier(channels)
        notifier.publish(FILL)
        await notifier.drained()
        await notifier.stop()
        await close()  # type: ignore[operator]
    bodies = dict(hook.received)
    assert bodies["/hook"] == {
        "kind": "fill", "title": FILL.title, "text": "order O-1", "ts_ns": 5, "account_id": "paper",
        "data": {"price": "25000.00"},
    }  # fmt: skip
    assert bodies["/discord"] == {"content": f"{FILL.title}\norder O-1"}
    assert bodies["/slack"] == {"text": f"{FILL.title}\norder O-1"}
    assert bodies["/bot123:ABC/sendMessage"] == {"chat_id": "42", "text": f"{FILL.title}\norder O-1"}
    assert all(s.sent == 1 and s.failed == 0 for s in notifier.statuses())
    assert notifier.statuses()[3].target.endswith("/bot***/sendMessage")  # the token never shows


async def test_server_errors_are_retried_until_delivered() -> None:
    async with receiver(503, 429, 200) as hook:
        notifier, close = await _notifier([Channel("json", ChannelKind.WEBHOOK, hook.url)])
        notifier.publish(FILL)
        await notifier.drained()
        await notifier.stop()
        await close()  # type: ignore[operator]
    [status] = notifier.statuses()
    assert (hook.attempts, status.sent, status.retried, status.failed) == (3, 1, 2, 0)
    assert status.last_error == "HTTP 429" and status.last_error_ns == 1_000


async def test_a_client_error_is_not_retried_and_an_unreachable_service_gives_up_after_the_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    async with receiver(400) as hook:
        channels = [Channel("bad", ChannelKind.SLACK, hook.url), Channel("dead", ChannelKind.DISCORD, dead)]
        notifier, close = await _notifier(channels, attempts=3)
        notifier.publish(FILL)
        await notifier.drained()
        await notifier.stop()
        await close()  # type: ignore[operator]
    bad, gone = notifier.statuses()
    assert (hook.attempts, bad.sent, bad.retried, bad.failed, bad.last_error) == (1, 0, 0, 1, "HTTP 400")
    assert (gone.sent, gone.retried, gone.failed) == (0, 2, 1) and gone.last_error.startswith("no answer")


async def test_channels_get_only_the_events_they_want_and_a_full_queue_drops() -> None:
    async with receiver() as hook:
        risk_only = Channel("risk", ChannelKind.WEBHOOK, hook.url, events=frozenset({"risk"}))
        post, close = aiohttp_poster()
        notifier = Notifier([risk_only], post, TestClock(0), queue_size=1)
        notifier.publish(FILL)  # not wanted
        notifier.publish(RISK)
        notifier.publish(RISK)  # the queue holds one: dropped
        notifier.start()
        await notifier.drained()
        await notifier.stop()
        await close()
    [status] = notifier.statuses()
    assert (status.sent, status.dropped) == (1, 1) and [b["kind"] for _, b in hook.received] == ["risk"]


def test_channel_configuration() -> None:
    env = {
        "VIGIL_NOTIFY_CHANNELS": '[{"name":"d","kind":"discord","url":"https://x/y","events":["fill"]},'
        '{"kind":"telegram","token":"1:A","chat_id":"9"}]'
    }
    discord, telegram = parse_channels(env)
    assert discord.events == frozenset({"fill"}) and telegram.name == "telegram-1" and telegram.chat_id == "9"
    assert parse_channels({}) == ()
    bad_entries = (
        '{"kind":"discord"}',
        "[1]",
        '[{"kind":"fax","url":"https://x"}]',
        '[{"kind":"slack","url":"ftp://x"}]',
        '[{"kind":"telegram","token":"1"}]',
        '[{"url":"https://x","events":["weather"]}]',
        "[not json",
    )
    for bad in bad_entries:
        with pytest.raises(ChannelConfigError, match="VIGIL_NOTIFY_CHANNELS"):
            parse_channels({"VIGIL_NOTIFY_CHANNELS": bad})
