"""Test kit: a real server on a market held still, for alert tests that need a paper account and live signals.

The market is a hand-written NQZ2026 tape replayed to 15:30:41 and then held (the feed pauses), with the test
clock at 15:30:52 (10:30 ET, NY AM). Quotes: bid 25339.75 / ask 25340.00; last trade 25340.00. Paper fills
have no latency and no slippage, so a market buy fills at 25340.00 and a market sell at 25339.75. Entry
signals fired at 15:30:50 pass admission and stay pending (no candle closes while the feed is held).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clients.sdk import VigilClient
from core_server.app import RunningServer, start
from core_server.config import PaperConfig
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import NS_PER_SECOND, TestClock
from tests.acceptance.test_signal_to_confirmation import HEADER, PausingTickSource
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import utc

TAPE = HEADER + "".join(
    f"2026-11-19T15:30:{s:02d}Z,NQZ6,{row}\n"
    for s, row in [
        (1, "quote,25339.75,25340.00,5,5,,,"),
        (2, "trade,,,,,25340.00,1,buy"),
        (40, "quote,25339.75,25340.00,5,5,,,"),
        (41, "trade,,,,,25340.00,1,buy"),
    ]
)
START = utc(2026, 11, 19, 15, 29)
HOLD_AT = utc(2026, 11, 19, 15, 31)
FIRED = utc(2026, 11, 19, 15, 30, 50)
NOW = FIRED + 2 * NS_PER_SECOND
ACCOUNT = "paper"
NQ = "NQZ2026"


@pytest.fixture
def held_clock() -> TestClock:
    """The server's clock: at NOW once `server` has started."""
    return TestClock(START)


@pytest.fixture
async def server(database_url: str, tmp_path: Path, held_clock: TestClock) -> AsyncIterator[RunningServer]:
    path = tmp_path / "tape.csv"
    path.write_text(TAPE)
    clock = held_clock
    source = PausingTickSource(path, HOLD_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    paper = PaperConfig(latency_ms=(0, 0), slippage_ticks=0)
    running = await start(server_config(database_url, symbols=(NQ,), paper=paper), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        state = running.engine.state(NQ)
        await eventually(lambda: state is not None and state.last_trade is not None)
        clock.set_ns(NOW)
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[VigilClient]:
    async with VigilClient(server.address) as connected:
        yield connected
