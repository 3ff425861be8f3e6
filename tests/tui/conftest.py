"""Fixtures for TUI tests: stored closed candles, an idle address, and a server that keeps signals pending."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from core_server.app import RunningServer, start
from core_server.model.clock import NS_PER_SECOND, LiveClock, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.market_data import Candle, Timeframe
from core_server.storage.candles import CandleRepository
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import utc

SEEDED = 30
NQ_PRICE_TICKS = 101_360  # 25340.00 at 0.25 a tick


@pytest.fixture
async def seeded_nq_5m(pg_pool: asyncpg.Pool) -> list[Candle]:
    """Thirty closed 5m NQZ2026 candles ending before the current bucket."""
    step = Timeframe.M5.duration_ns
    current = LiveClock().now_ns() // step * step
    candles = []
    for i in range(SEEDED):
        start = current - (SEEDED - i) * step
        close = NQ_PRICE_TICKS + (i % 7) - 3
        candles.append(
            Candle(
                "NQZ2026",
                Timeframe.M5,
                start,
                start + step,
                close - 1,
                close + 4,
                close - 4,
                close,
                100 + i,
                50,
                True,
                True,
            )
        )
    await CandleRepository(pg_pool).upsert(candles)
    return candles


@pytest.fixture
def unused_address() -> str:
    """A loopback address nobody listens on (a server may be started there later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


REPLAY_CSV = """ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor
2026-11-19T15:30:01Z,NQZ6,trade,,,,,25335.00,1,buy
2026-11-19T15:30:45Z,NQZ6,trade,,,,,25340.00,1,buy
"""
SIGNAL_TIME_NS = utc(2026, 11, 19, 15, 30, 50)  # a Thursday in the NY AM window, 5 s after the last trade


@pytest.fixture
async def signal_server(database_url: str, tmp_path: Path) -> AsyncIterator[RunningServer]:
    """A real server whose signals can stay PENDING: a TestClock inside the NY AM session and a replayed
    NQ price of 25340.00 (the simulator's wall clock would put the session check at the mercy of the date).
    """
    path = tmp_path / "ticks.csv"
    path.write_text(REPLAY_CSV)
    clock = TestClock(utc(2026, 11, 19, 15, 29))
    config = server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2026",))
    running = await start(config, clock=clock)
    try:
        binding = running.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.FINISHED)
        clock.set_ns(SIGNAL_TIME_NS + 2 * NS_PER_SECOND)
        yield running
    finally:
        await running.stop()
