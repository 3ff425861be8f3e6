"""A store outage end to end: the writer buffers, readers get Unavailable, recovery loses nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core_server.model.clock import TestClock
from core_server.model.errors import Unavailable
from core_server.model.market_data import Aggressor, Quote, Tick, Timeframe, Trade
from core_server.storage.candles import CandleRepository
from core_server.storage.database import connect_pool
from core_server.storage.embedded import EmbeddedPostgres
from core_server.storage.migrator import migrate
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository
from tests.kit.eventually import eventually

T0 = 1_767_225_600_000_000_000


def _ticks(start: int, n: int) -> list[Tick]:
    return [
        Trade("NQZ2026", T0 + i, T0 + i, 84_000 + i % 9, 1, Aggressor.BUY)
        if i % 3 == 0
        else Quote("NQZ2026", T0 + i, T0 + i, 84_000, 84_001, i % 5 + 1, 2)
        for i in range(start, start + n)
    ]


async def test_ticks_appended_during_an_outage_are_all_written_exactly_once_after_it(embedded_data_dir: Path) -> None:
    server = EmbeddedPostgres(embedded_data_dir / "vigil")
    pool = await connect_pool(await server.start(), min_size=1, max_size=4)
    try:
        await migrate(pool)
        ticks_repo = TickRepository(pool)
        writer = TickWriter(
            ticks_repo, TestClock(T0), flush_interval_s=0.02, max_batch=50, retry_min_s=0.02, retry_max_s=0.1
        )
        runner = asyncio.create_task(writer.run())
        before, during, after = _ticks(0, 100), _ticks(100, 230), _ticks(330, 20)

        writer.extend(before)
        await eventually(lambda: writer.status().written_ticks == 100)

        await server.stop()
        writer.extend(during)
        await eventually(lambda: not writer.status().available)
        status = writer.status()
        assert status.buffered_ticks == 230 and status.last_error
        with pytest.raises(Unavailable):
            await CandleRepository(pool).list_range("NQZ2026", Timeframe.M1, T0, T0 + 10**12, 10)
        with pytest.raises(Unavailable):
            async for _ in ticks_repo.iter_ticks(["NQZ2026"], T0, T0 + 10**12):
                pass

        await server.start()
        writer.extend(after)
        await eventually(lambda: writer.status().available and writer.status().buffered_ticks == 0)

        stored: list[Tick] = []
        async for chunk in ticks_repo.iter_ticks(["NQZ2026"], T0, T0 + 10**12):
            stored.extend(chunk)
        assert stored == before + during + after
        assert writer.status().written_ticks == 350 and writer.status().dropped_ticks == 0
        await writer.close()
        await asyncio.wait_for(runner, 5)
    finally:
        await pool.close()
        await server.stop()


async def test_a_long_outage_keeps_at_most_max_buffer_ticks_and_counts_the_rest(embedded_data_dir: Path) -> None:
    server = EmbeddedPostgres(embedded_data_dir / "vigil")
    pool = await connect_pool(await server.start(), min_size=1, max_size=2)
    try:
        await migrate(pool)
        writer = TickWriter(TickRepository(pool), TestClock(T0), max_batch=16, max_buffer=100)
        await server.stop()

        writer.extend(_ticks(0, 150))
        assert not await writer.flush()

        status = writer.status()
        assert (status.available, status.buffered_ticks, status.dropped_ticks) == (False, 100, 50)
        await server.start()
        assert await writer.flush()
        assert await TickRepository(pool).count() == 100
    finally:
        await pool.close()
        await server.stop()
