"""Malformed, oversized and unexpected frames are counted and skipped; server shutdowns are reconnected."""

from __future__ import annotations

import json

from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.feed_status import FeedState
from tests.integration.feeds.tradovate.harness import (
    NQ,
    NQ_ID,
    RecordingSink,
    fast_config,
    fast_fake,
    nq_script,
    running,
    serving,
    until_all_played,
    until_streaming,
)
from tests.kit.eventually import eventually

SCRIPT = nq_script(count=600, seed=8)


def _quote(entries: object, timestamp: str = "2026-11-17T14:30:00.500Z") -> str:
    return "a" + json.dumps(
        [{"e": "md", "d": {"quotes": [{"timestamp": timestamp, "contractId": NQ_ID, "entries": entries}]}}]
    )


BAD_FRAMES = [
    "",  # empty
    "x",  # unknown frame type
    "a[{not json",  # broken JSON
    'a{"e":"md"}',  # not an array
    "a[1]",  # a message that is not an object
    'a[{"x":1}]',  # neither response nor event
    'a[{"e":"mystery","d":{}}]',  # unknown event kind
    'a[{"e":"md","d":{"quotes":{}}}]',  # quotes not an array
    _quote({"Bid": {"price": 25329.1, "size": 3}}),  # off the 0.25 tick grid
    _quote({"Trade": {"price": "25329.25", "size": 1}}),  # price as a string
    _quote({"Bid": {"price": 25329.0, "size": 3}}, timestamp="yesterday"),  # bad timestamp
    "a[" + " " * 70_000 + "]",  # oversized for the test's 64 KiB limit
]


async def test_malformed_frames_are_counted_and_skipped_without_losing_the_stream() -> None:
    async with serving(fast_fake([SCRIPT], rate=1000.0)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake, max_frame_bytes=64 << 10), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 100)
            for frame in BAD_FRAMES:
                await fake.send_raw(frame)
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
    assert status.malformed_frames == len(BAD_FRAMES)
    assert status.reconnect_count == 0
    assert [t.price for t in sink.trades] == [p.price for p in SCRIPT.prints]


async def test_unrelated_but_valid_messages_are_ignored_quietly() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            await fake.send_raw('a[{"s":200,"i":9999,"d":{}}]')  # a response nobody waits for
            await fake.send_raw('a[{"e":"md","d":{"doms":[]}}]')  # market depth we did not ask for
            await fake.send_raw(_quote({"Bid": {"price": 1.0, "size": 1}}).replace(str(NQ_ID), "42"))  # other contract
            await fake.step(5)
            await eventually(lambda: len(sink.trades) == 5)
            status = feed.status()
    assert status.malformed_frames == 0


async def test_a_shutdown_event_and_close_frame_lead_to_a_reconnect() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 100)
            await fake.send_shutdown("Maintenance")
            await eventually(lambda: "Maintenance" in feed.status().detail)
            await fake.drop_connections("sockjs")
            await until_streaming(sink, times=2)
            await until_all_played(fake, sink, SCRIPT)
    reconnecting = [detail for state, detail in sink.states if state is FeedState.RECONNECTING]
    assert reconnecting and "3000 Go away!" in reconnecting[0]
    assert [t.price for t in sink.trades] == [p.price for p in SCRIPT.prints]
