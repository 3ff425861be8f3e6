"""Exact prints from Tradovate (issue 13 §4): quotes that coalesce several prints (Trade = the last one,
TotalTradeVolume rising by all of them) no longer shorten candles, because trades come from a live tick chart;
1m and 5m candles equal candles built from every print the fake generated, volume included, through drops, a
stall and token expiry, with a server that caps each getChart far below what is asked (so the backfill pages
backwards until the gap's start). A gap history cannot cover is unfilled and its candles incomplete."""

from __future__ import annotations

from collections.abc import Sequence

from core_server.candles.aggregator import CandleAggregator
from core_server.feeds.fakes.tradovate_script import TickScript
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.clock import NS_PER_MS
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Aggressor, Candle, FeedGap, Tick, Timeframe, Trade
from tests.integration.feeds.tradovate.harness import (
    NQ,
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

SCRIPT = nq_script(count=4000, seed=23)
FRAMES = (Timeframe.M1, Timeframe.M5)


def candles(events: Sequence[Tick | FeedGap]) -> dict[Timeframe, list[Candle]]:
    """1m and 5m candles from what a sink received (unfilled gaps mark theirs incomplete)."""
    aggregator = CandleAggregator(NQ.id, FRAMES, complete_from_ns=START_MS * NS_PER_MS)
    by_key: dict[tuple[Timeframe, int], Candle] = {}
    for event in events:
        if type(event) is Trade:
            changed: Sequence[Candle] = aggregator.update(event.ts_event, event.price, event.size)
        elif type(event) is FeedGap and not event.filled:
            changed = aggregator.mark_gap(event.start_ns, event.end_ns)
        else:
            continue
        by_key.update(((c.timeframe, c.start_ns), c) for c in changed)
    by_key.update(((c.timeframe, c.start_ns), c) for c in aggregator.forming())
    return {tf: [by_key[k] for k in sorted(by_key, key=lambda k: k[1]) if k[0] is tf] for tf in FRAMES}


def truth(script: TickScript) -> dict[Timeframe, list[Candle]]:
    """The candles of every print the script holds."""
    prints = [Trade(NQ.id, p.ts_ms * NS_PER_MS, 0, p.price, p.size, Aggressor.NONE) for p in script.prints]
    return candles(prints)


def test_the_truth_has_every_contract_in_its_volume() -> None:
    built = truth(SCRIPT)
    total = SCRIPT.prints[-1].volume - SCRIPT.opening.volume
    assert sum(c.volume for c in built[Timeframe.M1]) == sum(c.volume for c in built[Timeframe.M5]) == total
    assert len(built[Timeframe.M1]) >= 10 and len(built[Timeframe.M5]) >= 2


async def test_coalesced_quotes_still_give_every_print_and_exact_candles() -> None:
    async with serving(fast_fake([SCRIPT], coalesce=4)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
    assert [(t.price, t.size) for t in sink.trades] == [(p.price, p.size) for p in SCRIPT.prints]
    assert candles(sink.events) == truth(SCRIPT)
    # the quote stream hid prints (its volume rose by more than its Trade size), and none of it was lost
    assert int(status.extra["coalesced_prints"]) > 500 and int(status.extra["coalesced_volume"]) > 500
    assert int(status.extra["live_prints"]) == len(SCRIPT.prints)
    assert len(sink.quotes) < len(SCRIPT.prints) // 3


async def test_drops_a_stall_and_token_expiry_with_a_capped_history_still_give_the_true_candles() -> None:
    fake_options = {"coalesce": 3, "history_cap": 25, "history_packet_ticks": 7, "token_lifetime_s": 1.5}
    async with serving(fast_fake([SCRIPT], rate=1500.0, **fake_options)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake, history_max_pages=200), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 600)
            fake.pause()
            await fake.drop_connections("abort")  # the market moves on while we are away
            await fake.step(180)
            fake.play()
            await until_streaming(sink, times=2)
            await eventually(lambda: len(sink.trades) >= 1500)
            fake.stall()
            await eventually(lambda: sink.saw(FeedState.RECONNECTING) and sink.streaming_count() >= 3)
            await eventually(lambda: len(sink.trades) >= 2400)
            fake.expire_tokens()
            await fake.drop_connections("sockjs")
            await until_streaming(sink, times=4)
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
    assert [gap.filled for gap in sink.gaps] == [True, True, True]
    first = sink.gaps[0]
    assert first.backfilled_ticks >= 180 and first.pages >= 180 // 25  # paged back through the cap
    assert int(status.extra["history_pages"]) == sum(g.pages for g in sink.gaps)
    assert int(status.extra["backfilled_ticks"]) == sum(g.backfilled_ticks for g in sink.gaps)
    assert [(g.backfilled_ticks, g.pages) for g in status.recent_gaps] == [(g.backfilled_ticks, g.pages)
                                                                           for g in sink.gaps]  # fmt: skip
    assert fake.counters.logins >= 2
    assert [(t.price, t.size) for t in sink.trades] == [(p.price, p.size) for p in SCRIPT.prints]
    assert candles(sink.events) == truth(SCRIPT)


async def test_a_capped_history_that_needs_more_pages_than_allowed_is_unfilled_and_its_candles_incomplete() -> None:
    async with serving(fast_fake([SCRIPT], coalesce=3, history_cap=10)) as fake:
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake, history_max_pages=3), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            fake.play()
            await eventually(lambda: len(sink.trades) >= 800)
            fake.pause()
            await fake.drop_connections("abort")
            await fake.step(200)  # 200 prints missed; 3 pages of 10 reach back 30
            fake.play()
            await until_all_played(fake, sink, SCRIPT)
            status = feed.status()
    (gap,) = sink.gaps
    assert not gap.filled and gap.pages == 3 and status.gaps_unfilled == 1
    built, expected = candles(sink.events), truth(SCRIPT)
    for frame in FRAMES:
        hit = [c for c in built[frame] if c.start_ns < gap.end_ns and gap.start_ns < c.end_ns]
        assert hit and not any(c.complete for c in hit)
        assert [c for c in built[frame] if c not in hit] == [
            c for c in expected[frame] if c.start_ns >= gap.end_ns or c.end_ns <= gap.start_ns
        ]


async def test_a_refused_tick_chart_leaves_quotes_streaming_and_says_there_are_no_trades() -> None:
    async with serving(fast_fake([SCRIPT])) as fake:
        fake.refuse_live_charts = True
        sink = RecordingSink()
        feed = TradovateFeed(fast_config(fake), [NQ])
        async with running(feed, sink):
            await until_streaming(sink)
            await fake.step(20)
            await eventually(lambda: len(sink.quotes) >= 20)
            status = feed.status()
    assert sink.trades == []
    assert f"tick chart refused, no trades: {NQ.id}" in status.detail and "subscription refused" not in status.detail
