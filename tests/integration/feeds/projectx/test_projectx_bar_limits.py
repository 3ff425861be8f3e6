"""ProjectX audit (issue 13 §4): GatewayTrade gives every print live; history is 1-second bars only, and a
gateway that returns fewer bars than `limit` asks must not shorten a gap's backfill: the page is asked again
for what it did not reach, until the candles equal an unbroken run; pages and backfilled trades per gap show in
the status."""

from __future__ import annotations

from core_server.model.clock import NS_PER_SECOND
from core_server.model.feed_status import FeedState
from tests.integration.feeds.projectx.harness import (
    CONTRACTS,
    START,
    RecordingSink,
    candles,
    delivered_through_cursor,
    fast_fake,
    make_script,
    new_feed,
    running,
    serving,
    subscribed,
)
from tests.kit.eventually import eventually


async def test_a_gateway_capping_retrieve_bars_is_paged_until_the_gap_is_covered_and_candles_are_exact() -> None:
    script = make_script(seed=41, duration_s=200)
    unbroken = RecordingSink()
    async with serving(fast_fake(script)) as fake, running(new_feed(fake), unbroken):
        await subscribed(fake)
        await fake.play()
        await delivered_through_cursor(fake, unbroken)

    sink = RecordingSink()
    async with serving(fast_fake(script)) as fake:
        fake.rest.bars_cap = 12  # far below the 3600 the adapter asks for
        feed = new_feed(fake)
        async with running(feed, sink):
            await subscribed(fake)
            await fake.play(until_ns=START + 40 * NS_PER_SECOND)
            await delivered_through_cursor(fake, sink)
            fake.refuse_hub = True
            await fake.drop_connections()
            await eventually(lambda: sink.state is FeedState.RECONNECTING)
            await fake.play(until_ns=START + 160 * NS_PER_SECOND)  # 120 s nobody hears
            fake.refuse_hub = False
            await subscribed(fake)
            await fake.play()
            await eventually(lambda: len(sink.gaps) == len(CONTRACTS) and sink.state is FeedState.STREAMING)
            await delivered_through_cursor(fake, sink)
        status = feed.status()
    assert all(gap.filled for gap in sink.gaps)
    assert all(gap.pages >= 120 // 12 and gap.backfilled_ticks > 0 for gap in sink.gaps)
    assert int(status.extra["history_pages"]) == sum(gap.pages for gap in sink.gaps) == fake.rest.bar_requests
    assert int(status.extra["backfilled_trades"]) == sum(gap.backfilled_ticks for gap in sink.gaps)
    for contract in CONTRACTS:
        assert candles(sink.trades(), contract.id, sink.gaps) == candles(unbroken.trades(), contract.id)
