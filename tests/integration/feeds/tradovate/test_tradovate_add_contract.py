"""A contract added while the feed runs (the front month rolled) is resolved and subscribed on the running socket,
without a reconnect; after a later drop, the new session asks for every contract again."""

from __future__ import annotations

from core_server.feeds.fakes.tradovate_script import TickScript
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.feed_status import FeedState
from core_server.model.instruments import Contract
from core_server.model.market_data import Quote, Trade
from tests.integration.feeds.tradovate.harness import (
    NQ,
    START_MS,
    RecordingSink,
    fast_config,
    fast_fake,
    nq_script,
    running,
    serving,
    until_streaming,
)
from tests.kit.eventually import eventually

NQH = Contract("NQ", 2027, 3)
NQH_ID = 3570919


def nqh_script(count: int = 3000) -> TickScript:
    start = NQH.spec.ticks_from_price("25401.00")
    return TickScript.random_walk(
        "NQH7", NQH_ID, NQH.spec.tick_size, seed=3, count=count, start_ms=START_MS, start_price=start
    )


def ticks_of(sink: RecordingSink, contract: Contract, kind: type) -> int:
    return sum(1 for tick in sink.ticks if tick.contract_id == contract.id and type(tick) is kind)


async def test_an_added_contract_streams_on_the_running_socket_and_after_a_reconnect() -> None:
    async with serving(fast_fake([nq_script(), nqh_script()])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: ticks_of(sink, NQ, Trade) > 10)
            assert ticks_of(sink, NQH, Quote) == 0  # not asked for: the fake streams what is subscribed only

            feed.add_contract(NQH)
            feed.add_contract(NQH)  # twice: once
            await eventually(lambda: ticks_of(sink, NQH, Quote) > 0 and ticks_of(sink, NQH, Trade) > 0)
            status = feed.status()
            assert status.reconnect_count == 0 and status.state is FeedState.STREAMING
            assert feed.contracts == (NQ.id, NQH.id)
            assert status.detail.startswith("streaming 2 contract(s)")

            await fake.drop_connections("abort")
            await until_streaming(sink, times=2)
            seen = ticks_of(sink, NQH, Trade)
            await eventually(lambda: ticks_of(sink, NQH, Trade) > seen)
            assert feed.status().reconnect_count == 1
