"""Imported ticks live in columnar blocks (tick_blocks), live ticks in rows (ticks): de-duplication across both,
re-import, the merged read order (ties: the order of storing, then file order), coverage and a backtest over a
mix of the two, identical to the same ticks stored as rows alone and to the plain path over them in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from bench.backtest import ES as BENCH_ES
from bench.backtest import breakout_backtest, generate
from bench.backtest import config as bench_config
from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.driver import Backtest
from core_server.backtest.report import build_report, to_json
from core_server.backtest.source import TickList
from core_server.backtest_jobs.store_source import StoreTicks
from core_server.calendar.session_table import load_trading_calendar
from core_server.imports.importer import ImportProgress, ImportRequest, run_import
from core_server.model.clock import TestClock
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.storage import tick_blocks
from core_server.storage.coverage import CoverageRepository, contract_pattern
from core_server.storage.tick_read import stream_tick_columns
from core_server.storage.ticks import TickRepository, tick_row
from tests.kit.stored_ticks import store_blocks, stored_rows

NOW = TestClock(1_764_806_400_000_000_000)  # 2025-12-04
ES = "ESZ2025"
T0 = 1_759_757_400_000_000_000  # 2025-10-06 13:30:00 UTC
T1 = T0 + 1_000_000_000
P1, P2 = 27_097, 27_099  # 6774.25, 6774.75


async def run(pool: asyncpg.Pool, path: Path) -> ImportProgress:
    last = None
    async for progress in run_import(pool, ImportRequest(path), NOW):
        last = progress
    assert last is not None and last.done
    return last


def csv(rows: Sequence[tuple[str, str, int]]) -> str:
    return "time,price,size\n" + "".join(f"{t},{p},{s}\n" for t, p, s in rows)


async def block_stats(pool: asyncpg.Pool) -> tuple[int, int]:
    blocks, ticks = await pool.fetchrow("SELECT count(*), coalesce(sum(tick_count), 0) FROM tick_blocks")
    return int(blocks), int(ticks)


async def test_duplicates_are_found_in_blocks_and_in_live_rows(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("live", [tick_row(Trade(ES, T0, T0 + 5, P1, 1, Aggressor.BUY))])  # a live print
    first = tmp_path / "ESZ2025.csv"
    first.write_text(csv([
        ("2025-10-06T13:30:00Z", "6774.25", 1),  # the live print again: a duplicate
        ("2025-10-06T13:30:00Z", "6774.75", 1),  # same time, another price: new
        ("2025-10-06T13:30:01Z", "6774.25", 1),
        ("2025-10-06T13:30:01Z", "6774.25", 1),  # twice in the file: two real prints
    ]))  # fmt: skip
    done = await run(pg_pool, first)
    assert (done.ticks_stored, done.duplicates) == (3, 1)
    assert await pg_pool.fetchval("SELECT count(*) FROM ticks") == 1  # the import wrote blocks only
    assert (await block_stats(pg_pool))[1] == 3

    second = tmp_path / "ESZ2025-again.csv"
    second.write_text(csv([
        ("2025-10-06T13:30:01Z", "6774.25", 1),
        ("2025-10-06T13:30:01Z", "6774.25", 1),
        ("2025-10-06T13:30:01Z", "6774.25", 1),  # a third one: stored twice before, so this one is new
        ("2025-10-06T13:30:00Z", "6774.25", 1),  # the live print (stored as a row)
    ]))  # fmt: skip
    more = await run(pg_pool, second)
    assert (more.ticks_stored, more.duplicates) == (1, 3)
    before = await block_stats(pg_pool)
    again = await run(pg_pool, second)  # re-import: every row a duplicate, nothing written
    assert (again.ticks_stored, again.duplicates) == (0, 4)
    again = await run(pg_pool, first)
    assert (again.ticks_stored, again.duplicates) == (0, 4)
    assert await block_stats(pg_pool) == before

    # read order: time, then the order of storing (the live row first, then the blocks), then file order
    assert [(r[1], r[6], r[8]) for r in await stored_rows(pg_pool, ES)] == [
        (T0, P1, 1),  # live (aggressor buy)
        (T0, P2, 0),
        (T1, P1, 0),
        (T1, P1, 0),
        (T1, P1, 0),  # the second import's block
    ]


async def test_ties_replay_in_the_order_they_were_stored(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("a", [tick_row(Trade(ES, T0, T0, 27_000, 1, Aggressor.NONE))])
    path = tmp_path / "ESZ2025.csv"
    path.write_text(csv([("2025-10-06T13:30:00Z", "6750.25", 1), ("2025-10-06T13:30:00Z", "6750.50", 2)]))
    await run(pg_pool, path)
    await repo.copy_ticks("d", [tick_row(Trade(ES, T0, T0, 27_003, 3, Aggressor.NONE))])
    expected = [27_000, 27_001, 27_002, 27_003]

    assert [r[6] for r in await stored_rows(pg_pool, ES)] == expected
    for size in (1, 2, 3, 100):
        read = [t for batch in [b async for b in repo.iter_ticks([ES], 0, 2**62, size)] for t in batch]
        assert [t.price for t in read if isinstance(t, Trade)] == expected
        assert all(len(batch) <= size for batch in [b async for b in repo.iter_ticks([ES], 0, 2**62, size)])
    assert [t.price for t in await repo.recent(ES, 3) if isinstance(t, Trade)] == expected[1:]
    assert [t.price for t in await repo.recent(ES, 10) if isinstance(t, Trade)] == expected
    assert await repo.count() == 4


async def test_overlapping_blocks_and_rows_merge_in_order(
    pg_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several stores whose time ranges overlap, blocks of 5 ticks, hour boundaries, rows between: every read
    batch size gives (time, order of storing, file order)."""
    monkeypatch.setattr(tick_blocks, "BLOCK_TICKS", 5)
    hour = 3_600_000_000_000
    base = T0 // hour * hour
    repo = TickRepository(pg_pool)
    expected: list[tuple[int, int, int, int]] = []  # (ts, store, index, price)
    stores: list[list[Tick]] = []
    for store in range(6):
        ticks: list[Tick] = []
        for i in range(37):
            ts = base + ((i * 7 + store * 3) % 40) * hour // 16  # 2.5 hours, unsorted, equal times across stores
            price = 20_000 + store * 1_000 + i
            ticks.append(
                Trade(ES, ts, ts, price, 1, Aggressor.NONE) if i % 3 else Quote(ES, ts, ts, price, price + 1, 2, 3)
            )
        stores.append(ticks)
        if store % 3 == 1:
            await repo.copy_ticks(f"rows-{store}", [tick_row(t) for t in ticks])
        else:
            await store_blocks(pg_pool, ES, ticks)
        order = sorted(range(len(ticks)), key=lambda i: ticks[i].ts_event)  # stable: file order within a time
        expected += [(ticks[i].ts_event, store, rank, i) for rank, i in enumerate(order)]
    expected.sort()
    want = [stores[s][i] for _, s, _, i in expected]
    assert (await block_stats(pg_pool))[0] > 20
    for batch_rows in (1, 3, 5, 17, 10_000):
        got = [
            t for b in [b async for b in stream_tick_columns(pg_pool, [ES], 0, 2**62, batch_rows)] for t in b.ticks()
        ]
        assert got == want, batch_rows
    # a range cutting through blocks
    low, high = base + hour // 2, base + 2 * hour + 1
    got = [t for b in [b async for b in stream_tick_columns(pg_pool, [ES], low, high, 4)] for t in b.ticks()]
    assert got == [t for t in want if low <= t.ts_event < high]
    assert await repo.count() == len(want)


async def coverage_of(pool: asyncpg.Pool) -> tuple[object, ...]:
    calendar = load_trading_calendar()
    sessions = calendar.sessions_between(date(2025, 10, 6), date(2025, 10, 8))
    repo = CoverageRepository(pool)
    start, end = sessions[0].open_ns, sessions[-1].close_ns
    return (
        await repo.contracts(contract_pattern("ES"), start, end),
        await repo.day_counts(ES, sessions),
        await repo.silences(ES, start, end, 60_000_000_000),
        await repo.silences(ES, start, end, 600_000_000_000),
    )


async def test_coverage_counts_blocks_and_rows_alike(pg_pool: asyncpg.Pool) -> None:
    """The same ticks as rows, as blocks, and split between the two give the same coverage."""
    open_ns = 1_759_788_000_000_000_000  # trade date 2025-10-07 opens 2025-10-06 22:00 UTC
    minute = 60_000_000_000
    times = [
        open_ns - 30 * minute,
        open_ns - minute,
        open_ns + 10 * minute,
        open_ns + 10 * minute + 30_000_000_000,
        open_ns + 15 * minute,
        open_ns + 61 * minute,
        open_ns + 63 * minute,
        open_ns + 23 * 60 * minute + 5,
    ]
    ticks: list[Tick] = [
        Quote(ES, ts, ts, 24_000, 24_001, 5, 5) if i % 2 else Trade(ES, ts, ts, 24_000 + i, 1, Aggressor.BUY)
        for i, ts in enumerate(times)
    ]
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("all", [tick_row(t) for t in ticks])
    as_rows = await coverage_of(pg_pool)
    assert as_rows[1] and as_rows[2]
    await pg_pool.execute("DELETE FROM ticks")
    await store_blocks(pg_pool, ES, ticks)
    assert await coverage_of(pg_pool) == as_rows
    for cut in range(1, len(ticks)):
        await pg_pool.execute("DELETE FROM ticks; DELETE FROM tick_blocks")
        await store_blocks(pg_pool, ES, ticks[cut:])
        await repo.copy_ticks(f"part-{cut}", [tick_row(t) for t in ticks[:cut:2]])
        await store_blocks(pg_pool, ES, ticks[1:cut:2])
        assert await coverage_of(pg_pool) == as_rows, cut


async def backtest_from_store(database_url: str) -> tuple[int, list[object]]:
    cfg = bench_config()
    backtest = Backtest(cfg, strategies=BracketADay(cfg.account_id, BENCH_ES.id, cfg.start_ns))
    source = StoreTicks(database_url, [BENCH_ES.id], cfg.start_ns, cfg.end_ns)
    record = await asyncio.to_thread(backtest.run, source)
    return record.ticks, list(record.closed_trips())


async def test_a_backtest_over_rows_and_blocks_equals_one_over_rows(pg_pool: asyncpg.Pool, database_url: str) -> None:
    ticks = generate(60_000, days=3)
    repo = TickRepository(pg_pool)
    await repo.copy_ticks("all", [tick_row(t) for t in ticks])
    rows_only = await backtest_from_store(database_url)
    assert rows_only[0] == len(ticks) and rows_only[1]

    await pg_pool.execute("DELETE FROM ticks")
    step = 7_000
    for n, at in enumerate(range(0, len(ticks), step)):
        part = ticks[at : at + step]
        if n % 2:
            await repo.copy_ticks(f"part-{n}", [tick_row(t) for t in part])
        else:
            await store_blocks(pg_pool, BENCH_ES.id, part)
    assert await pg_pool.fetchval("SELECT count(*) FROM ticks") < len(ticks)
    assert await backtest_from_store(database_url) == rows_only


@pytest.mark.parametrize("breakout", [False, True])
async def test_a_backtest_from_the_store_reports_what_the_plain_path_does_over_the_same_ticks(
    pg_pool: asyncpg.Pool, database_url: str, breakout: bool
) -> None:
    """StoreTicks hands the driver columnar batches (the quiet path on numpy, ticks counted, not built); the plain
    path runs every tick through the kernel's chain: the same JSON report, byte for byte."""

    def backtest(fast: bool) -> Backtest:
        if breakout:
            return breakout_backtest(fast=fast)[0]
        cfg = bench_config()
        return Backtest(cfg, strategies=BracketADay(cfg.account_id, BENCH_ES.id, cfg.start_ns), fast=fast)

    ticks = generate(60_000, days=3)
    plain = backtest(fast=False)
    plain_record = plain.run(TickList(ticks))
    assert plain_record.closed_trips()
    expected = to_json(build_report(plain.config, plain_record))
    repo = TickRepository(pg_pool)
    for n, at in enumerate(range(0, len(ticks), 7_000)):  # rows and blocks
        part = ticks[at : at + 7_000]
        if n % 2:
            await repo.copy_ticks(f"part-{n}", [tick_row(t) for t in part])
        else:
            await store_blocks(pg_pool, BENCH_ES.id, part)
    stored = backtest(fast=True)
    cfg = stored.config
    record = await asyncio.to_thread(stored.run, StoreTicks(database_url, [BENCH_ES.id], cfg.start_ns, cfg.end_ns))
    assert to_json(build_report(cfg, record)) == expected
