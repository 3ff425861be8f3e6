"""TradeManagerFeed against the fake stream: exact quotes, unfilled gaps, stalls, bad frames, tokens."""

from __future__ import annotations

from core_server.feeds.fakes.trade_manager import FakeTradeManager
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Quote
from tests.integration.feeds.trade_manager.harness import (
    CONTRACTS,
    START,
    RecordingSink,
    make_script,
    new_feed,
    quote_candles,
    running,
    serving,
    step_until,
)
from tests.kit.eventually import eventually


async def _connected(fake: FakeTradeManager, sink: RecordingSink) -> None:
    await eventually(lambda: fake.connections == 1 and sink.state is FeedState.STREAMING)


async def test_streams_every_quote_with_exact_prices_and_zero_sizes() -> None:
    script = make_script(duration_s=60)
    clock = TestClock(START - 1)
    sink = RecordingSink()
    async with serving(FakeTradeManager(script, logs_every=10)) as fake:
        feed = new_feed(fake, clock)
        async with running(feed, sink):
            await _connected(fake, sink)
            sent = await step_until(fake, clock, sink, script.end_ns, listening=True)
        status = feed.status()
    assert feed.quote_only is True and feed.kind == "trade_manager"
    expected = [Quote(e.contract_id, e.ts_ns, e.ts_ns, e.bid, e.ask, 0, 0) for e in script.events if not e.is_trade]
    assert sink.quotes() == expected and len(expected) == sent
    assert status.total_ticks == sent and status.malformed_frames == 0
    assert status.last_message_ns > 0


async def test_a_dropped_connection_reports_an_unfilled_gap_and_only_candles_over_it_are_incomplete() -> None:
    script = make_script()
    clock = TestClock(START - 1)
    sink = RecordingSink()
    async with serving(FakeTradeManager(script)) as fake:
        feed = new_feed(fake, clock)
        async with running(feed, sink):
            await _connected(fake, sink)
            await step_until(fake, clock, sink, START + 50 * NS_PER_SECOND, listening=True)
            fake.refuse = True
            await fake.drop_connections()
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            missed = await step_until(fake, clock, sink, START + 110 * NS_PER_SECOND, listening=False)
            clock.advance_ns(1_000)
            fake.refuse = False
            await eventually(lambda: len(sink.gaps) == len(CONTRACTS))
            await _connected(fake, sink)
            await step_until(fake, clock, sink, script.end_ns, listening=True)
        status = feed.status()
    assert missed > 50 and status.gaps_unfilled == len(CONTRACTS) and status.reconnect_count == 1
    assert all(not gap.filled for gap in sink.gaps)
    gap = sink.gaps[0]
    for contract in CONTRACTS:
        everything = [(e.ts_ns, e.bid) for e in script.events if not e.is_trade and e.contract_id == contract.id]
        unbroken = quote_candles(everything, contract.id)
        got = quote_candles([(q.ts_event, q.bid) for q in sink.quotes(contract.id)], contract.id, sink.gaps)
        overlapping = {c[:2] for c in got if c[1] < gap.end_ns and gap.start_ns < c[1] + _span(c[0])}
        assert overlapping and all(c[-1] is False for c in got if c[:2] in overlapping)
        assert [c for c in got if c[:2] not in overlapping] == [c for c in unbroken if c[:2] not in overlapping]
        assert all(c[-1] for c in got if c[:2] not in overlapping)
        assert gap.start_ns < min(ts for ts, _ in everything if ts > START + 50 * NS_PER_SECOND)


async def test_a_silent_stream_goes_stale_then_reconnects() -> None:
    script = make_script(duration_s=30)
    clock = TestClock(START - 1)
    sink = RecordingSink()
    async with serving(FakeTradeManager(script)) as fake, running(new_feed(fake, clock), sink):
        await _connected(fake, sink)
        await step_until(fake, clock, sink, START + 10 * NS_PER_SECOND, listening=True)
        fake.stall_connections()
        await eventually(lambda: sink.state is FeedState.RECONNECTING)
        await _connected(fake, sink)
        await step_until(fake, clock, sink, script.end_ns, listening=True)
    states = [state for state, _ in sink.states]
    assert FeedState.STALE in states and states.index(FeedState.STALE) < states.index(FeedState.RECONNECTING)
    assert len(sink.gaps) == len(CONTRACTS) and not any(g.filled for g in sink.gaps)


async def test_malformed_frames_are_counted_skipped_and_other_types_ignored() -> None:
    script = make_script(duration_s=30)
    clock = TestClock(START - 1)
    sink = RecordingSink()
    bad = [
        "not json",
        '{"data":{}}',
        '{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":21000.1,"ask":21000.25}}}',
        '{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":21000,"ask":21000.25},"tickinfo":{"step":0.5}}}',
        '{"type":"DATA","data":{"ticker":"???","prices":{}}}',
        '{"type":"DATA","data":{"ticker":"NQ1!","prices":{"bid":"x"}}}',
        '{"type":"DATA","data":"' + "x" * 70_000 + '"}',
    ]
    async with serving(FakeTradeManager(script)) as fake:
        feed = new_feed(fake, clock)
        async with running(feed, sink):
            await _connected(fake, sink)
            await step_until(fake, clock, sink, START + 10 * NS_PER_SECOND, listening=True)
            for frame in bad:
                await fake.send_raw(frame)
            await fake.send_raw(b"\xff\xfe binary")
            await fake.send_raw('{"type":"LOGS","data":"ok"}')
            await fake.send_raw('{"type":"DATA","data":{"ticker":"MES1!","prices":{"bid":1,"ask":2}}}')
            await eventually(lambda: feed.status().malformed_frames == len(bad) + 1)
            await step_until(fake, clock, sink, script.end_ns, listening=True)
        status = feed.status()
    assert status.reconnect_count == 0
    assert len(sink.quotes()) == sum(1 for e in script.events if not e.is_trade)


async def test_a_required_token_is_sent_and_a_refusal_is_auth_failed() -> None:
    script = make_script(duration_s=10)
    clock = TestClock(START - 1)
    async with serving(FakeTradeManager(script, token="s3cret-token")) as fake:
        refused = RecordingSink()
        async with running(new_feed(fake, clock), refused):
            await eventually(lambda: refused.state is FeedState.AUTH_FAILED)
        assert "TRADE_MANAGER_TOKEN" in refused.states[-2][1]
        for overrides in ({"token": "s3cret-token"}, {"token": "s3cret-token", "token_param": "token"}):
            sink = RecordingSink()
            async with running(new_feed(fake, clock, **overrides), sink):
                await _connected(fake, sink)
            assert all("s3cret-token" not in detail for _, detail in sink.states)
    assert fake.connections_accepted == 2


def _span(label: object) -> int:
    return {"1m": 60, "5m": 300}[str(label)] * NS_PER_SECOND


async def test_a_frame_beyond_the_websocket_limit_is_counted_and_the_feed_reconnects() -> None:
    script = make_script(duration_s=10)
    clock = TestClock(START - 1)
    sink = RecordingSink()
    async with serving(FakeTradeManager(script)) as fake:
        feed = new_feed(fake, clock, max_frame_bytes=100_000)
        async with running(feed, sink):
            await _connected(fake, sink)
            await fake.send_raw("x" * 200_000)
            await eventually(lambda: feed.status().reconnect_count == 1 and sink.state is FeedState.STREAMING)
        assert feed.status().malformed_frames == 1
