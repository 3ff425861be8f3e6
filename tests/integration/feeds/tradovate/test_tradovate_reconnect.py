"""Drops, stalls and backfill: after a reconnect the candles equal those of an uninterrupted run."""

from __future__ import annotations

from typing import Any

import pytest

from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Candle, FeedGap
from tests.integration.feeds.tradovate.harness import (
    NQ,
    RecordingSink,
    fast_config,
    fast_fake,
    nq_script,
    one_minute_candles,
    running,
    serving,
    until_all_played,
    until_streaming,
)
from tests.kit.eventually import eventually

SCRIPT = nq_script(count=3000)


_UNINTERRUPTED: dict[str, list[Candle]] = {}


async def _uninterrupted(fake_options: dict[str, Any]) -> list[Candle]:
    """The candles of a run without drops (computed once per fake setup)."""
    key = repr(sorted(fake_options.items()))
    if key not in _UNINTERRUPTED:
        _UNINTERRUPTED[key] = await _run_uninterrupted(fake_options)
    return _UNINTERRUPTED[key]


async def _run_uninterrupted(fake_options: dict[str, Any]) -> list[Candle]:
    async with serving(fast_fake([SCRIPT], **fake_options)) as fake:
        sink = RecordingSink()
        async with running(TradovateFeed(fast_config(fake), [NQ]), sink):
            await until_streaming(sink)
            fake.play()
            await until_all_played(fake, sink, SCRIPT)
        assert sink.gaps == []
        return one_minute_candles(sink.events)


async def test_an_uninterrupted_run_delivers_every_print_of_the_script() -> None:
    candles = await _uninterrupted({})
    assert len(candles) >= 8
    assert all(candle.complete for candle in candles)
    assert sum(candle.volume for candle in candles) == SCRIPT.prints[-1].volume - SCRIPT.opening.volume


@pytest.mark.parametrize(
    ("how", "fake_options", "config_options"),
    [
        ("abort", {}, {}),
        ("sockjs", {"quote_mode": "delta", "chart_ids": "legacy", "shuffle_history": True}, {}),
        ("close", {"history_packet_ticks": 7}, {"history_page_size": 40, "history_max_pages": 100}),
    ],
    ids=["tcp-abort", "close-frame-delta-quotes-legacy-chart-ids", "ws-close-paged-history"],
)
async def test_a_dropped_connection_is_backfilled_so_candles_equal_an_uninterrupted_run(
    how: str, fake_options: dict[str, Any], config_options: dict[str, Any]
) -> None:
    expected = await _uninterrupted(fake_options)
    async with serving(fast_fake([SCRIPT], **fake_options)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake, **config_options), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 1000)
            await fake.drop_connections(how)  # type: ignore[arg-type]
            await eventually(lambda: sink.saw(FeedState.RECONNECTING))
            await until_streaming(sink, times=2)
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
        assert [gap.filled for gap in sink.gaps] == [True]
        assert status.reconnect_count == 1
        assert status.gaps_filled == 1
        assert fake.counters.charts >= 1
        # every history chart is cancelled; the live tick chart of each session ends with its connection
        assert fake.counters.chart_cancels == fake.counters.charts - fake.counters.md_connections
    assert one_minute_candles(sink.events) == expected


async def test_state_goes_reconnecting_when_the_drop_is_detected_then_streaming_after_backfill() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        async with running(TradovateFeed(fast_config(fake), [NQ]), sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 500)
            await fake.drop_connections("sockjs")
            await until_streaming(sink, times=2)
    states = [state for state, _ in sink.states]
    assert states[:4] == [FeedState.CONNECTING, FeedState.STREAMING, FeedState.RECONNECTING, FeedState.STREAMING]
    reconnecting_detail = sink.states[2][1]
    assert "server closed the session: 3000 Go away!" in reconnecting_detail
    # the gap is reported after its history was delivered and before the feed says it streams again
    gap_index = next(i for i, event in enumerate(sink.events) if type(event) is FeedGap)
    assert gap_index > 0


async def test_a_heartbeat_stall_is_detected_and_the_gap_backfilled() -> None:
    expected = await _uninterrupted({})
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 800)
            fake.stall()
            await eventually(lambda: sink.saw(FeedState.RECONNECTING))
            await until_streaming(sink, times=2)
            await until_all_played(fake, sink, SCRIPT)
        reconnecting = next(detail for state, detail in sink.states if state is FeedState.RECONNECTING)
        assert "no frames" in reconnecting
        assert [gap.filled for gap in sink.gaps] == [True]
    assert one_minute_candles(sink.events) == expected


async def test_repeated_drops_each_backfill_without_duplicates_or_holes() -> None:
    expected = await _uninterrupted({})
    async with serving(fast_fake([SCRIPT], rate=1500.0)) as fake:
        sink = RecordingSink()
        async with running(TradovateFeed(fast_config(fake), [NQ]), sink):
            await until_streaming(sink)
            fake.play()
            for round_no, how in enumerate(("abort", "close", "abort"), start=1):
                await eventually(lambda n=round_no: len(sink.trades) >= 700 * n)
                await fake.drop_connections(how)  # type: ignore[arg-type]
                await until_streaming(sink, times=round_no + 1)
            await until_all_played(fake, sink, SCRIPT)
        assert [gap.filled for gap in sink.gaps] == [True, True, True]
    assert one_minute_candles(sink.events) == expected


async def test_refused_history_is_an_unfilled_gap_that_marks_its_candles_incomplete() -> None:
    expected = await _uninterrupted({})
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 1000)
            fake.refuse_history = True
            await fake.drop_connections("abort")
            await until_streaming(sink, times=2)
            await until_all_played(fake, sink, SCRIPT)
            assert feed.status().gaps_unfilled == 1
    (gap,) = sink.gaps
    assert not gap.filled and gap.start_ns < gap.end_ns
    candles = one_minute_candles(sink.events)
    hit = [c for c in candles if c.start_ns < gap.end_ns and gap.start_ns < c.end_ns]
    assert hit and not any(c.complete for c in hit)
    untouched = [c for c in candles if c not in hit]
    assert untouched == [c for c in expected if c.start_ns >= gap.end_ns or c.end_ns <= gap.start_ns]


async def test_history_needing_more_pages_than_allowed_is_an_unfilled_gap() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        sink = RecordingSink()
        config = fast_config(fake, history_page_size=10, history_max_pages=2)
        async with running(TradovateFeed(config, [NQ]), sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 1000)
            fake.pause()
            fake.stall()  # the connection goes deaf while the market moves on
            await fake.step(300)
            await fake.drop_connections("abort")
            await eventually(lambda: sink.gaps)
    assert [gap.filled for gap in sink.gaps] == [False]
