"""The Tradovate adapter's health counters reach GetFeedStatus (issue 13 §4): coalesced prints, pages fetched
and prints backfilled per gap, through the real server and the SDK."""

from __future__ import annotations

from clients.sdk import VigilClient
from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.tradovate.feed import TradovateFeed
from core_server.model.feed_status import FeedState
from tests.integration.feeds.tradovate.harness import NQ, fast_config, fast_fake, nq_script, serving
from tests.kit.eventually import eventually
from tests.kit.server import server_config

SCRIPT = nq_script(count=1500, seed=31)


async def test_get_feed_status_shows_the_adapters_counters_and_each_gaps_backfill(database_url: str) -> None:
    async with serving(fast_fake([SCRIPT], rate=1500.0, coalesce=3, history_cap=20)) as fake:
        feed = TradovateFeed(fast_config(fake, history_max_pages=100), [NQ])
        plan = FeedPlan(feed, realtime=True, quote_only=False)
        running = await start(server_config(database_url, symbols=(NQ.id,)), feed_plan=plan)
        try:
            await eventually(lambda: feed.status().state is FeedState.STREAMING)
            fake.play()
            await eventually(lambda: int(feed.status().extra["live_prints"]) >= 500)
            fake.pause()
            await fake.drop_connections("abort")
            await fake.step(100)
            fake.play()
            await eventually(lambda: feed.status().gaps_filled == 1)
            async with VigilClient(running.address) as client:
                report = await client.get_feed_status()
        finally:
            await running.stop()
    (status,) = report.feeds
    counters = status.counters
    assert int(counters["coalesced_prints"]) > 0 and int(counters["live_prints"]) >= 500
    (gap,) = status.recent_gaps
    assert gap.filled and gap.backfilled_ticks >= 100 and gap.pages >= 5
    assert counters["history_pages"] == str(gap.pages) and counters["backfilled_ticks"] == str(gap.backfilled_ticks)
