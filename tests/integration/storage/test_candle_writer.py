"""CandleWriter (the DurableWriter carrying candles) against real PostgreSQL: candles put while the store is down
are kept in order and stored on recovery, the newest version of a candle winning; the outage shows in its status."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from core_server.market_data.candle_writer import CandleWriter
from core_server.model.clock import NS_PER_MINUTE, TestClock
from core_server.model.errors import Unavailable
from core_server.model.market_data import Candle, Timeframe
from core_server.storage.candles import CandleRepository
from tests.kit.eventually import eventually

T0 = 1_767_225_600_000_000_000


def _candle(minute: int, close: int, *, complete: bool = True) -> Candle:
    start = T0 + minute * NS_PER_MINUTE
    return Candle("NQZ2026", Timeframe.M1, start, start + NS_PER_MINUTE, 100, 110, 90, close, 5, 3, True, complete)


class _Outage(CandleRepository):
    down = False

    async def upsert(self, candles: Sequence[Candle]) -> None:
        if self.down:
            raise Unavailable("store unavailable: connection refused")
        await super().upsert(candles)


async def test_candles_put_during_an_outage_are_stored_after_it_the_newest_version_winning(
    pg_pool: asyncpg.Pool,
) -> None:
    store = _Outage(pg_pool)
    writer = CandleWriter(store, TestClock(T0), interval_s=0.01)
    runner = asyncio.create_task(writer.run())
    writer.put([_candle(0, 101)])
    await eventually(lambda: writer.status().written == 1)

    store.down = True
    writer.put([_candle(1, 102, complete=False), _candle(2, 103)])
    await eventually(lambda: not writer.available)
    writer.put([_candle(1, 104)])  # the same minute again, now complete
    status = writer.status()
    assert (status.queued, status.last_error) == (3, "store unavailable: connection refused")

    store.down = False
    await eventually(lambda: writer.available and writer.pending == 0)
    stored = await CandleRepository(pg_pool).list_range("NQZ2026", Timeframe.M1, T0, T0 + 10 * NS_PER_MINUTE, 10)
    assert stored == [_candle(0, 101), _candle(1, 104), _candle(2, 103)]
    assert (writer.status().written, writer.status().dead_letters, writer.status().dropped) == (4, 0, 0)
    assert await writer.close()
    await asyncio.wait_for(runner, 5)


async def test_beyond_its_bound_candles_are_counted_as_dropped(pg_pool: asyncpg.Pool) -> None:
    writer = CandleWriter(CandleRepository(pg_pool), TestClock(T0), max_pending=2)

    writer.put([_candle(0, 101), _candle(1, 102), _candle(2, 103)])

    assert (writer.pending, writer.status().dropped) == (2, 1)
    assert await writer.flush()
    stored = await CandleRepository(pg_pool).list_range("NQZ2026", Timeframe.M1, T0, T0 + 10 * NS_PER_MINUTE, 10)
    assert stored == [_candle(0, 101), _candle(1, 102)]
