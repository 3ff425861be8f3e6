"""Test kit: readable instants in exchange and UTC time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core_server.model.clock import NS_PER_MS, TestClock, ns_from_datetime

CT = ZoneInfo("America/Chicago")
ET = ZoneInfo("America/New_York")


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """UTC ns of a wall-clock time in Chicago."""
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=CT))


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=ET))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


@asynccontextmanager
async def running_clock(clock: TestClock, step_ms: int = 50) -> AsyncIterator[None]:
    """The test clock moves `step_ms` every 10 ms of real time (the simulator emits ticks for the time that passed)."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(0.01)
            clock.advance_ns(step_ms * NS_PER_MS)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
