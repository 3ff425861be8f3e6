"""TickRepository against real PostgreSQL: exact round trips, replay order, exactly-once batches."""

from __future__ import annotations

import asyncpg
import pytest

from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage.ticks import FLAG_ANOMALY, TickRepository, tick_row

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def _quote(i: int, contract: str = "NQZ2026") -> Quote:
    return Quote(contract, T0 + i * 1_000, T0 + i * 1_000 + 7, 84_000 + i, 84_001 + i, 3 + i, 4 + i)


def _trade(i: int, contract: str = "NQZ2026", aggressor: Aggressor = Aggressor.BUY) -> Trade:
    return Trade(contract, T0 + i * 1_000, T0 + i * 1_000 + 9, 84_000 + i, 1 + i, aggressor)


async def _all(repo: TickRepository, contracts: list[str], start: int, end: int, batch: int = 10_000) -> list[Tick]:
    out: list[Tick] = []
    async for chunk in repo.iter_ticks(contracts, start, end, batch_size=batch):
        out.extend(chunk)
    return out


async def test_quotes_and_trades_round_trip_with_exact_values(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    ticks: list[Tick] = [
        _quote(0),
        _trade(1, aggressor=Aggressor.BUY),
        _trade(2, aggressor=Aggressor.SELL),
        _trade(3, aggressor=Aggressor.NONE),
        Quote("NQZ2026", T0 + 4_000, T0 + 4_001, -5, 2**40, 0, 2**31 - 1),
    ]

    written = await repo.copy_ticks("b1", [tick_row(t) for t in ticks])

    assert written == len(ticks)
    back = await _all(repo, ["NQZ2026"], T0, T0 + 10_000)
    assert back == ticks
    assert [type(t) for t in back] == [type(t) for t in ticks]
    assert all(type(t.aggressor) is Aggressor for t in back if isinstance(t, Trade))


async def test_iter_ticks_orders_by_event_time_then_arrival_across_contracts(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    same_time_a = Trade("ESZ2026", T0 + 5_000, T0 + 1, 20_000, 1, Aggressor.BUY)
    same_time_b = Quote("NQZ2026", T0 + 5_000, T0 + 2, 84_000, 84_001, 1, 1)
    same_time_c = Trade("NQZ2026", T0 + 5_000, T0 + 3, 84_001, 2, Aggressor.SELL)
    await repo.copy_ticks("late", [tick_row(_quote(9)), tick_row(same_time_a)])
    await repo.copy_ticks("early", [tick_row(_quote(1, "ESZ2026")), tick_row(same_time_b), tick_row(same_time_c)])

    back = await _all(repo, ["NQZ2026", "ESZ2026"], T0, T0 + 100_000)

    assert back == [_quote(1, "ESZ2026"), same_time_a, same_time_b, same_time_c, _quote(9)]


async def test_iter_ticks_is_half_open_filters_contracts_and_respects_batch_size(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    rows = [tick_row(_quote(i)) for i in range(10)] + [tick_row(_quote(i, "ESZ2026")) for i in range(10)]
    await repo.copy_ticks("b", rows)

    chunks = [chunk async for chunk in repo.iter_ticks(["NQZ2026"], T0 + 2_000, T0 + 7_000, batch_size=2)]

    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [t for c in chunks for t in c] == [_quote(i) for i in range(2, 7)]
    assert await _all(repo, [], T0, T0 + 10**9) == []
    assert await _all(repo, ["NQZ2026"], T0 + 5_000, T0 + 5_000) == []


async def test_a_retried_batch_id_is_written_exactly_once(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    rows = [tick_row(_trade(i)) for i in range(100)]

    assert await repo.copy_ticks("batch-42", rows) == 100
    assert await repo.copy_ticks("batch-42", rows) == 0

    assert await repo.count() == 100
    assert await pg_pool.fetchval("SELECT row_count FROM tick_batches WHERE batch_id = 'batch-42'") == 100


async def test_a_refused_batch_leaves_neither_ticks_nor_its_batch_id(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    bad = ("NQZ2026", T0, T0, 3, None, None, None, None, None, None, None, 0)  # kind 3 does not exist

    with pytest.raises(asyncpg.IntegrityConstraintViolationError):
        await repo.copy_ticks("refused", [tick_row(_quote(0)), bad])

    assert await repo.count() == 0
    assert await repo.copy_ticks("refused", [tick_row(_quote(0))]) == 1


async def test_recent_returns_the_newest_ticks_of_one_contract_oldest_first(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("b", [tick_row(_quote(i)) for i in range(5)] + [tick_row(_quote(9, "ESZ2026"))])

    assert await repo.recent("NQZ2026", 3) == [_quote(2), _quote(3), _quote(4)]
    assert await repo.recent("NQZ2026", 0) == []
    assert await repo.recent("CLZ2026", 3) == []


async def test_anomaly_flags_are_stored(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)

    await repo.copy_ticks("b", [tick_row(_trade(0), FLAG_ANOMALY), tick_row(_trade(1))])

    flags = [r["flags"] for r in await pg_pool.fetch("SELECT flags FROM ticks ORDER BY id")]
    assert flags == [FLAG_ANOMALY, 0]


async def test_pruning_the_batch_ledger_keeps_recent_ids_and_all_ticks(pg_pool: asyncpg.Pool) -> None:
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("old", [tick_row(_quote(0))])
    await repo.copy_ticks("new", [tick_row(_quote(1))])
    await pg_pool.execute("UPDATE tick_batches SET written_at = now() - interval '2 days' WHERE batch_id = 'old'")

    await repo.prune_batch_ledger(24 * 3600)

    ids = [r["batch_id"] for r in await pg_pool.fetch("SELECT batch_id FROM tick_batches")]
    assert ids == ["new"]
    assert await repo.count() == 2
