"""Fixtures for TUI tests: stored closed candles for the candles table and chart, and an idle address."""

from __future__ import annotations

import socket

import asyncpg
import pytest

from core_server.model.clock import LiveClock
from core_server.model.market_data import Candle, Timeframe
from core_server.storage.candles import CandleRepository

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
