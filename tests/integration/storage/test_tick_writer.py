"""TickWriter against real PostgreSQL: background flushing, the buffer bound, bad input never raising."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from core_server.model.clock import TestClock
from core_server.model.errors import Unavailable
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository, TickRow
from tests.kit.eventually import eventually

T0 = 1_767_225_600_000_000_000


def _ticks(n: int, start: int = 0) -> list[Tick]:
    out: list[Tick] = []
    for i in range(start, start + n):
        if i % 2:
            out.append(Trade("NQZ2026", T0 + i, T0 + i + 1, 84_000 + i % 7, 1 + i % 3, Aggressor.SELL))
        else:
            out.append(Quote("NQZ2026", T0 + i, T0 + i + 1, 84_000, 84_001, 2, 3))
    return out


async def _stored(pool: asyncpg.Pool) -> list[Tick]:
    repo = TickRepository(pool)
    out: list[Tick] = []
    async for chunk in repo.iter_ticks(["NQZ2026"], 0, 2**62):
        out.extend(chunk)
    return out


async def test_the_running_writer_flushes_appended_ticks_without_being_asked(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock(T0), flush_interval_s=0.02)
    runner = asyncio.create_task(writer.run())
    ticks = _ticks(500)

    writer.extend(ticks[:200])
    for tick in ticks[200:]:
        writer.append(tick)

    await eventually(lambda: writer.status().written_ticks == 500)
    assert await _stored(pg_pool) == ticks
    status = writer.status()
    assert status.available and status.buffered_ticks == 0 and status.last_flush_ns == T0
    await writer.close()
    await asyncio.wait_for(runner, 5)


async def test_full_batches_are_written_as_separate_exactly_once_batches(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock(), max_batch=100)

    writer.extend(_ticks(250))
    assert await writer.flush()

    assert await pg_pool.fetchval("SELECT count(*) FROM tick_batches") == 3
    assert await _stored(pg_pool) == _ticks(250)


async def test_beyond_max_buffer_ticks_are_counted_as_dropped_and_the_rest_kept(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock(), max_batch=4, max_buffer=10)

    writer.extend(_ticks(15))

    status = writer.status()
    assert (status.buffered_ticks, status.dropped_ticks) == (10, 5)
    assert await writer.flush()
    assert await _stored(pg_pool) == _ticks(10)
    assert writer.status().written_ticks == 10


async def test_a_malformed_tick_is_dropped_without_raising_into_the_feed(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock())
    junk: Any = object()

    writer.append(junk)
    writer.extend(_ticks(3))

    assert writer.status().dropped_ticks == 1
    assert await writer.flush()
    assert await _stored(pg_pool) == _ticks(3)


async def test_a_row_the_database_refuses_is_isolated_and_every_other_tick_written(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock())
    good = _ticks(40)
    poison: list[Any] = [
        Trade("NQZ2026", T0 + 1_000, T0, 84_000, 2**40, Aggressor.BUY),  # size overflows integer
        Quote("NQZ2026", "not a time", T0, 1, 2, 3, 4),  # type: ignore[arg-type]
        Trade("NQ\x00Z2026", T0 + 1_001, T0, 1, 1, Aggressor.BUY),  # NUL is not valid text
    ]

    writer.extend(good[:10])
    writer.extend(poison)
    writer.extend(good[10:])
    assert await writer.flush()

    assert await _stored(pg_pool) == good
    status = writer.status()
    assert (status.written_ticks, status.dropped_ticks, status.buffered_ticks) == (40, 3, 0)
    assert status.available


class _AckLostOnce(TickRepository):
    """Commits the first batch, then reports the connection lost: the outcome looks unknown."""

    lost = False

    async def copy_ticks(self, batch_id: str, rows: Sequence[TickRow]) -> int:
        written = await super().copy_ticks(batch_id, rows)
        if not self.lost:
            self.lost = True
            raise Unavailable("store unavailable: connection reset")
        return written


async def test_a_batch_retried_after_a_lost_acknowledgement_is_stored_once(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(_AckLostOnce(pg_pool), TestClock())
    writer.extend(_ticks(30))

    assert not await writer.flush()
    assert writer.status().buffered_ticks == 30
    assert await writer.flush()

    assert await _stored(pg_pool) == _ticks(30)
    status = writer.status()
    assert (status.available, status.written_ticks, status.buffered_ticks) == (True, 30, 0)


async def test_close_writes_what_is_still_buffered(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock())
    writer.extend(_ticks(7))

    await writer.close()

    assert await _stored(pg_pool) == _ticks(7)


async def test_status_reports_the_configured_mode(pg_pool: asyncpg.Pool) -> None:
    writer = TickWriter(TickRepository(pg_pool), TestClock(), mode="external")

    assert writer.status().mode == "external"


class _DropsTheConnectionTwice(TickRepository):
    """The first COPY fails before anything is written (connection reset); the second commits its rows and then
    loses the connection (the outcome looks unknown); the third succeeds."""

    attempts = 0

    async def copy_ticks(self, batch_id: str, rows: Sequence[TickRow]) -> int:
        self.attempts += 1
        if self.attempts == 1:
            raise ConnectionResetError("connection reset by peer")
        written = await super().copy_ticks(batch_id, rows)
        if self.attempts == 2:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        return written


async def test_a_transiently_failing_tick_write_is_retried_by_the_running_writer_and_lands_exactly_once(
    pg_pool: asyncpg.Pool,
) -> None:
    repository = _DropsTheConnectionTwice(pg_pool)
    writer = TickWriter(repository, TestClock(T0), flush_interval_s=0.01, retry_min_s=0.01, retry_max_s=0.05)
    runner = asyncio.create_task(writer.run())

    writer.extend(_ticks(50))

    await eventually(lambda: writer.status().written_ticks == 50)
    assert await _stored(pg_pool) == _ticks(50)  # once, in order, though the second attempt had committed them
    assert repository.attempts == 3
    assert await pg_pool.fetchval("SELECT count(*) FROM tick_batches") == 1  # one key, every attempt
    status = writer.writer_status()  # what health and metrics show
    assert (status.available, status.queued, status.errors, status.failures, status.dead_letters) == (True, 0, 2, 0, 0)
    assert status.last_error == "connection was closed in the middle of operation"
    assert writer.status().dropped_ticks == 0
    await writer.close()
    await asyncio.wait_for(runner, 5)
