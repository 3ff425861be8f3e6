"""A contract added while the feed runs (the front month rolled) is resolved and subscribed on the running hub,
without a reconnect; after a later drop, the new session subscribes every contract again."""

from __future__ import annotations

from core_server.feeds.fakes.market_script import MarketScript
from core_server.feeds.projectx import ProjectXFeed
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from tests.integration.feeds.projectx.harness import (
    NQ,
    START,
    RecordingSink,
    fast_config,
    fast_fake,
    running,
    serving,
)
from tests.kit.eventually import eventually

NQH = Contract("NQ", 2027, 3)


async def test_an_added_contract_streams_on_the_running_hub_and_after_a_reconnect() -> None:
    script = MarketScript.generate((NQ, NQH), seed=5, start_ns=START, duration_s=240.0, rate=20.0)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        feed = ProjectXFeed(fast_config(fake), [NQ], LiveClock())
        async with running(feed, sink):
            await eventually(lambda: fake.subscribed(NQ))
            await fake.play(until_ns=START + 60 * NS_PER_SECOND)
            await eventually(lambda: len(sink.trades(NQ.id)) > 5)
            assert not sink.trades(NQH.id) and not fake.subscribed(NQH)

            feed.add_contract(NQH)
            feed.add_contract(NQH)  # twice: once
            await eventually(lambda: fake.subscribed(NQH))
            await fake.play(until_ns=START + 120 * NS_PER_SECOND)
            await eventually(lambda: len(sink.trades(NQH.id)) > 5)
            status = feed.status()
            assert status.reconnect_count == 0 and status.state is FeedState.STREAMING
            assert feed.contracts == (NQ.id, NQH.id)
            assert sink.states[-1] == (FeedState.STREAMING, "streaming 2 contracts")

            await fake.drop_connections()
            await eventually(
                lambda: feed.status().reconnect_count == 1 and fake.subscribed(NQH) and fake.subscribed(NQ)
            )
            seen = len(sink.trades(NQH.id))
            await fake.play(until_ns=START + 180 * NS_PER_SECOND)
            await eventually(lambda: len(sink.trades(NQH.id)) > seen)
