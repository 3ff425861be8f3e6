"""Streaming from the fake Tradovate: exact prices, both quote styles, heartbeats, unknown contracts."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core_server.feeds.fakes.tradovate_script import ScriptPrint, TickScript
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.clock import NS_PER_MS
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Quote, Trade
from tests.integration.feeds.tradovate.harness import (
    ES,
    NQ,
    NQ_ID,
    START_MS,
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

SCRIPT = nq_script(count=400, seed=5)


@pytest.mark.parametrize("quote_mode", ["snapshot", "delta"])
async def test_quotes_and_trades_arrive_with_exact_prices_sizes_and_times(quote_mode: str) -> None:
    async with serving(fast_fake([SCRIPT], quote_mode=quote_mode)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
    expected_trades = [Trade(NQ.id, p.ts_ms * NS_PER_MS, 0, p.price, p.size, Aggressor.NONE) for p in SCRIPT.prints]
    assert [t._replace(ts_init=0) for t in sink.trades] == expected_trades
    # the subscription's snapshot quote comes first; its Trade entry is an old print and is not a trade
    opening = SCRIPT.opening
    first = sink.quotes[0]
    assert (first.bid, first.ask, first.bid_size, first.ask_size) == (opening.bid, opening.ask, 10, 10)
    expected_quotes = [(p.bid, p.ask, p.bid_size, p.ask_size) for p in SCRIPT.prints]
    assert [(q.bid, q.ask, q.bid_size, q.ask_size) for q in sink.quotes[1:]] == expected_quotes
    assert status.state is FeedState.STREAMING
    assert status.total_ticks == len(sink.ticks)
    assert status.malformed_frames == 0 and status.reconnect_count == 0
    assert status.connected_since_ns > 0 and status.last_message_ns > 0


async def test_a_price_like_25341_25_is_taken_exactly_as_whole_ticks() -> None:
    volume = 100_000

    def at(ms: int, price: str, size: int) -> ScriptPrint:
        nonlocal volume
        volume += size
        ticks = NQ.spec.ticks_from_price(price)
        return ScriptPrint(START_MS + ms, 1000 + volume, ticks, size, ticks - 1, ticks, 3, 4, volume)

    opening = at(0, "25341.00", 1)
    prints = (at(1, "25341.25", 2), at(2, "25341.75", 1), at(2, "25341.75", 1), at(900, "25340.00", 5))
    script = TickScript("NQZ6", NQ_ID, NQ.spec.tick_size, opening, prints)
    async with serving(fast_fake([script])) as fake:
        sink = RecordingSink()
        async with running(TradovateFeed(fast_config(fake), [NQ]), sink):
            await until_streaming(sink)
            await fake.step(len(prints))
            await eventually(lambda: len(sink.trades) == len(prints))
    assert [NQ.spec.price_from_ticks(t.price) for t in sink.trades] == [
        Decimal("25341.25"),
        Decimal("25341.75"),
        Decimal("25341.75"),
        Decimal("25340.00"),
    ]
    assert [t.size for t in sink.trades] == [2, 1, 1, 5]


async def test_client_heartbeats_keep_a_quiet_session_open() -> None:
    async with serving(fast_fake([SCRIPT], client_timeout_s=0.4)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            await eventually(lambda: fake.counters.client_heartbeats >= 15)  # > 1 s of silence at 0.1 s
            assert feed.status().state is FeedState.STREAMING
    assert fake.counters.md_connections == 1
    assert feed.status().reconnect_count == 0


async def test_an_unknown_contract_is_named_in_the_status_and_the_others_stream() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ, ES])
        async with running(feed, sink):
            await until_streaming(sink)
            await fake.step(10)
            await eventually(lambda: len(sink.trades) == 10)
            status = feed.status()
    assert status.extra["unknown_contracts"] == ES.id
    assert ES.id in status.detail
    assert status.contracts == (NQ.id, ES.id)
    assert {tick.contract_id for tick in sink.ticks} == {NQ.id}


async def test_two_contracts_stream_side_by_side() -> None:
    es_script = TickScript.random_walk(
        "ESZ6",
        3570001,
        ES.spec.tick_size,
        seed=9,
        count=300,
        start_ms=SCRIPT.opening.ts_ms,
        start_price=ES.spec.ticks_from_price("6800.25"),
    )
    async with serving(fast_fake([SCRIPT, es_script])) as fake:
        sink = RecordingSink()
        async with running(TradovateFeed(fast_config(fake), [NQ, ES]), sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: fake.finished)
            await eventually(lambda: len(sink.trades) == len(SCRIPT.prints) + len(es_script.prints))
    es_trades = [t.price for t in sink.trades if t.contract_id == ES.id]
    assert es_trades == [p.price for p in es_script.prints]
    assert all(type(t) is Quote or t.contract_id in (NQ.id, ES.id) for t in sink.ticks)


async def test_cancelling_run_stops_the_feed_cleanly() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        task = asyncio.create_task(feed.run(sink))
        await until_streaming(sink)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sink.states[-1][0] is FeedState.STOPPED
    assert feed.status().state is FeedState.STOPPED
