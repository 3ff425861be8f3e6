"""ProjectXFeed against the fake gateway: exact streaming, and reconnects whose backfill restores exact candles."""

from __future__ import annotations

from core_server.feeds.fakes.projectx import FakeProjectX
from core_server.model.clock import NS_PER_SECOND
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Trade
from tests.integration.feeds.projectx.harness import (
    CONTRACTS,
    ES,
    NQ,
    START,
    RecordingSink,
    candles,
    delivered_through_cursor,
    fast_fake,
    make_script,
    new_feed,
    running,
    script_trades,
    serving,
    subscribed,
)
from tests.kit.eventually import eventually


async def test_streams_every_trade_and_quote_of_the_script_with_exact_prices() -> None:
    script = make_script(duration_s=60)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play()
            await delivered_through_cursor(fake, sink)
        status = feed.status()
    for contract in CONTRACTS:
        got = [(t.ts_event, t.price, t.size, int(t.aggressor) - 1) for t in sink.trades(contract.id)]
        assert got == script_trades(script, contract.id)
    assert {t.aggressor for t in sink.trades()} == {Aggressor.BUY, Aggressor.SELL}
    for contract in CONTRACTS:
        # ProjectX quotes carry no sizes: a change of sizes alone sends nothing
        changes, last = [], None
        for e in script.events:
            if not e.is_trade and e.contract_id == contract.id and (e.bid, e.ask) != last:
                changes.append((e.ts_ns, e.bid, e.ask))
                last = (e.bid, e.ask)
        got_quotes = [(q.ts_event, q.bid, q.ask) for q in sink.quotes() if q.contract_id == contract.id]
        assert got_quotes == changes
    assert status.malformed_frames == 0 and status.reconnect_count == 0 and status.gaps_filled == 0
    assert sink.states[0][0] is FeedState.CONNECTING and (FeedState.STREAMING, "streaming 2 contracts") in sink.states


async def test_drop_mid_stream_then_backfill_makes_candles_equal_to_an_unbroken_run() -> None:
    script = make_script()
    unbroken = RecordingSink()
    async with serving(fast_fake(script)) as fake, running(new_feed(fake), unbroken):
        await subscribed(fake)
        await fake.play()
        await delivered_through_cursor(fake, unbroken)

    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play(until_ns=START + 50 * NS_PER_SECOND)
            await delivered_through_cursor(fake, sink)
            fake.refuse_hub = True
            await fake.drop_connections()
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            missed = await fake.play(until_ns=START + 200 * NS_PER_SECOND)  # nobody is listening
            fake.refuse_hub = False
            await subscribed(fake)
            await fake.play()
            await eventually(lambda: len(sink.gaps) == 2 and sink.state is FeedState.STREAMING)
            await delivered_through_cursor(fake, sink)
        status = feed.status()

    assert missed > 1000
    assert all(gap.filled for gap in sink.gaps)
    assert all(gap.end_ns - gap.start_ns > 140 * NS_PER_SECOND for gap in sink.gaps)
    assert status.reconnect_count == 1 and status.gaps_filled == 2 and status.gaps_unfilled == 0
    assert int(status.extra["backfilled_trades"]) > 0
    for contract in (NQ, ES):
        expected = candles(unbroken.trades(), contract.id)
        assert sum(1 for c in expected if c[0] == "1m") >= 4
        assert candles(sink.trades(), contract.id, sink.gaps) == expected
        stamps = [t.ts_event for t in sink.ticks if t.contract_id == contract.id]
        assert stamps == sorted(stamps)


async def test_stalled_hub_is_detected_by_the_idle_timeout_and_its_gap_backfilled() -> None:
    script = make_script(seed=8, duration_s=150)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play(until_ns=START + 40 * NS_PER_SECOND)
            await delivered_through_cursor(fake, sink)
            fake.stall_connections()  # open but silent: no pings, no data
            await fake.play(until_ns=START + 100 * NS_PER_SECOND)
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            await subscribed(fake)
            await fake.play()
            await eventually(lambda: len(sink.gaps) == 2 and sink.state is FeedState.STREAMING)
            await delivered_through_cursor(fake, sink)
    assert any("no message for 0.5s" in detail for state, detail in sink.states if state is FeedState.RECONNECTING)
    assert all(gap.filled for gap in sink.gaps)
    for contract in CONTRACTS:
        reference = [(ts, price, size) for ts, price, size, _ in script_trades(script, contract.id)]
        volume = sum(size for _, _, size in reference)
        assert sum(t.size for t in sink.trades(contract.id)) == volume
        aligned = candles(sink.trades(), contract.id, sink.gaps)
        from_script = candles(_as_trades(contract.id, reference), contract.id)
        assert aligned == from_script


async def test_server_close_message_reconnects_and_backfills() -> None:
    script = make_script(seed=9, duration_s=120)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake, running(new_feed(fake), sink):
        await subscribed(fake)
        await fake.play(until_ns=START + 30 * NS_PER_SECOND)
        await delivered_through_cursor(fake, sink)
        fake.refuse_hub = True
        await fake.close_hubs("Server is shutting down.", allow_reconnect=True)
        await eventually(lambda: sink.state is FeedState.RECONNECTING)
        await fake.play(until_ns=START + 90 * NS_PER_SECOND)
        fake.refuse_hub = False
        await subscribed(fake)
        await fake.play()
        await eventually(lambda: len(sink.gaps) == 2)
        await delivered_through_cursor(fake, sink)
    assert any("Server is shutting down." in detail for _, detail in sink.states)
    for contract in CONTRACTS:
        reference = [(ts, price, size) for ts, price, size, _ in script_trades(script, contract.id)]
        assert candles(sink.trades(), contract.id, sink.gaps) == candles(
            _as_trades(contract.id, reference), contract.id
        )


async def test_negotiate_first_variant_connects_with_the_connection_token() -> None:
    script = make_script(duration_s=20)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        async with running(new_feed(fake, negotiate=True), sink):
            await subscribed(fake)
            await fake.play()
            await delivered_through_cursor(fake, sink)
        assert fake.calls["/hubs/market/negotiate"] == 1
    assert len(sink.trades()) == len(script.trades(NQ.id)) + len(script.trades(ES.id))


def _as_trades(contract_id: str, rows: list[tuple[int, int, int]]) -> list[Trade]:
    return [Trade(contract_id, ts, ts, price, size, Aggressor.NONE) for ts, price, size in rows]


async def _drop_and_resume(fake: FakeProjectX, sink: RecordingSink, drop_at_s: int, resume_at_s: int) -> None:
    await subscribed(fake)
    await fake.play(until_ns=START + drop_at_s * NS_PER_SECOND)
    await delivered_through_cursor(fake, sink)
    fake.refuse_hub = True
    await fake.drop_connections()
    await eventually(lambda: sink.state is FeedState.RECONNECTING)
    await fake.play(until_ns=START + resume_at_s * NS_PER_SECOND)
    fake.refuse_hub = False
    await subscribed(fake)
    await fake.play()
    await eventually(lambda: len(sink.gaps) == len(CONTRACTS) and sink.state is FeedState.STREAMING)
    await delivered_through_cursor(fake, sink)


async def test_when_history_is_unavailable_the_gap_is_unfilled_and_only_its_candles_are_incomplete() -> None:
    script = make_script(seed=21, duration_s=200)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.rest.fail_bars = True
        feed = new_feed(fake)
        async with running(feed, sink):
            await _drop_and_resume(fake, sink, 50, 140)
        status = feed.status()
    assert status.gaps_unfilled == 2 and not any(gap.filled for gap in sink.gaps)
    assert "2 gap(s) unfilled" in sink.states[-2][1] or "2 gap(s) unfilled" in status.detail
    for contract in CONTRACTS:
        gap = next(g for g in sink.gaps if g.contract_id == contract.id)
        full = candles(_as_trades(contract.id, [r[:3] for r in script_trades(script, contract.id)]), contract.id)
        got = candles(sink.trades(), contract.id, sink.gaps)
        spans = {"1m": 60, "5m": 300, "1h": 3600}
        over = {(c[0], c[1]) for c in got if c[1] < gap.end_ns and gap.start_ns < c[1] + spans[c[0]] * NS_PER_SECOND}
        assert all(c[-1] is False for c in got if (c[0], c[1]) in over)
        assert [c for c in got if (c[0], c[1]) not in over] == [c for c in full if (c[0], c[1]) not in over]


async def test_history_that_does_not_reach_back_to_the_drop_leaves_the_gap_unfilled() -> None:
    script = make_script(seed=22, duration_s=150)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.rest.history_from_ns = START + 70 * NS_PER_SECOND
        async with running(new_feed(fake), sink):
            await _drop_and_resume(fake, sink, 50, 110)
    assert not any(gap.filled for gap in sink.gaps)


async def test_too_many_held_ticks_abandon_the_backfill_and_report_unfilled_gaps() -> None:
    script = make_script(seed=23, duration_s=150)
    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake, running(new_feed(fake, max_held_ticks=3), sink):
        await _drop_and_resume(fake, sink, 50, 110)
    assert not any(gap.filled for gap in sink.gaps)
    for contract in CONTRACTS:
        assert [t.ts_event for t in sink.trades(contract.id)] == sorted(t.ts_event for t in sink.trades(contract.id))
