"""CandleRepository against real PostgreSQL: upserts, range reads and a lost store."""

from __future__ import annotations

import asyncpg
import pytest

from core_server.model.clock import NS_PER_MINUTE
from core_server.model.errors import Unavailable
from core_server.model.market_data import Candle, Timeframe
from core_server.storage.candles import CandleRepository

T0 = 1_767_225_600_000_000_000


def _candle(i: int, timeframe: Timeframe = Timeframe.M1, *, close: int = 84_010, closed: bool = True) -> Candle:
    start = T0 + i * timeframe.duration_ns
    return Candle(
        "NQZ2026",
        timeframe,
        start,
        start + timeframe.duration_ns,
        84_000,
        84_020,
        83_990,
        close,
        12 + i,
        5,
        closed,
        True,
    )


async def test_upsert_inserts_then_replaces_by_contract_timeframe_and_start(pg_pool: asyncpg.Pool) -> None:
    repo = CandleRepository(pg_pool)
    forming = _candle(0, close=84_005, closed=False)
    final = forming._replace(close=84_011, high=84_030, volume=99, tick_count=40, closed=True, complete=False)

    await repo.upsert([forming])
    await repo.upsert([final])

    assert await repo.latest("NQZ2026", Timeframe.M1) == final
    assert await pg_pool.fetchval("SELECT count(*) FROM candles") == 1


async def test_the_last_of_duplicate_candles_in_one_upsert_wins(pg_pool: asyncpg.Pool) -> None:
    repo = CandleRepository(pg_pool)

    await repo.upsert([_candle(0, close=1), _candle(0, close=2), _candle(0, close=3)])

    assert await repo.latest("NQZ2026", Timeframe.M1) == _candle(0, close=3)


async def test_list_range_returns_the_newest_limit_candles_oldest_first(pg_pool: asyncpg.Pool) -> None:
    repo = CandleRepository(pg_pool)
    await repo.upsert([_candle(i) for i in reversed(range(10))] + [_candle(i, Timeframe.M5) for i in range(3)])
    other = _candle(4)._replace(contract_id="ESZ2026")
    await repo.upsert([other])

    start, end = T0 + 2 * NS_PER_MINUTE, T0 + 8 * NS_PER_MINUTE
    assert await repo.list_range("NQZ2026", Timeframe.M1, start, end, 100) == [_candle(i) for i in range(2, 8)]
    assert await repo.list_range("NQZ2026", Timeframe.M1, start, end, 3) == [_candle(i) for i in range(5, 8)]
    assert await repo.list_range("NQZ2026", Timeframe.M5, T0, T0 + 10**15, 2) == [
        _candle(1, Timeframe.M5),
        _candle(2, Timeframe.M5),
    ]
    assert await repo.list_range("NQZ2026", Timeframe.M1, start, end, 0) == []
    assert await repo.list_range("NQZ2026", Timeframe.H1, T0, T0 + 10**15, 10) == []


async def test_every_timeframe_round_trips(pg_pool: asyncpg.Pool) -> None:
    repo = CandleRepository(pg_pool)
    candles = [_candle(1, tf) for tf in Timeframe]

    await repo.upsert(candles)

    assert [await repo.latest("NQZ2026", tf) for tf in Timeframe] == candles


async def test_latest_is_none_when_there_are_no_candles(pg_pool: asyncpg.Pool) -> None:
    assert await CandleRepository(pg_pool).latest("NQZ2026", Timeframe.D1) is None


async def test_a_closed_pool_raises_unavailable_with_a_short_reason(pg_pool: asyncpg.Pool) -> None:
    repo = CandleRepository(pg_pool)
    await pg_pool.close()

    with pytest.raises(Unavailable) as raised:
        await repo.list_range("NQZ2026", Timeframe.M1, T0, T0 + NS_PER_MINUTE, 10)
    with pytest.raises(Unavailable):
        await repo.upsert([_candle(0)])
    with pytest.raises(Unavailable):
        await repo.latest("NQZ2026", Timeframe.M1)

    assert str(raised.value).startswith("store unavailable: ")
    assert "\n" not in str(raised.value)
