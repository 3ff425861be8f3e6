"""Tick import into the real store: NinjaTrader export end to end, de-duplication, re-import, anomalies, ranges."""

from __future__ import annotations

import gzip
from pathlib import Path

import asyncpg

from core_server.imports.dialect import Pins
from core_server.imports.importer import ImportProgress, ImportRequest, run_import
from core_server.model.clock import TestClock
from core_server.storage.tick_read import stream_tick_columns

NOW = TestClock(1_764_806_400_000_000_000)  # 2025-12-04


async def run(pool: asyncpg.Pool, request: ImportRequest) -> ImportProgress:
    last = None
    async for progress in run_import(pool, request, NOW):
        last = progress
    assert last is not None and last.done
    return last


async def stored(pool: asyncpg.Pool, contract: str = "NQZ2025") -> list[tuple[object, ...]]:
    rows = await pool.fetch(
        "SELECT kind, ts_event_ns, bid, ask, price, size, aggressor, flags FROM ticks WHERE contract_id = $1 "
        "ORDER BY ts_event_ns, id",
        contract,
    )
    return [tuple(r) for r in rows]


NT = (
    "20251006 093000 0000000;21000.25;21000.00;21000.25;2\n"
    "20251006 093000 0000000;21000.25;21000.00;21000.25;2\n"  # identical row in the file: a second real print
    "20251006 093000 5000000;21000.50;21000.25;21000.50;1\n"
    "20251006 093001 0000000;21000.00;21000.00;21000.25;3\n"
)


async def test_ninjatrader_export_is_stored_as_quotes_and_trades(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "NQ 12-25.Last.txt"
    path.write_text(NT)
    done = await run(pg_pool, ImportRequest(path))
    assert done.instrument == "NQZ2025"
    assert done.lines_read == 4 and done.bad_total == 0 and done.duplicates == 0
    t0 = 1_759_743_000_000_000_000  # 2025-10-06 09:30:00 UTC (no --tz: read as UTC)
    assert await stored(pg_pool) == [
        (1, t0, 84000, 84001, None, None, None, 0),
        (2, t0, None, None, 84001, 2, 1, 0),
        (2, t0, None, None, 84001, 2, 1, 0),
        (1, t0 + 500_000_000, 84001, 84002, None, None, None, 0),
        (2, t0 + 500_000_000, None, None, 84002, 1, 1, 0),
        (1, t0 + 1_000_000_000, 84000, 84001, None, None, None, 0),
        (2, t0 + 1_000_000_000, None, None, 84000, 3, 2, 0),
    ]
    assert done.ticks_stored == 7
    assert any("UTC" in u and "--tz" in u for u in done.unsure)


async def test_reimport_adds_nothing_and_overlap_adds_only_new(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "NQ 12-25.Last.txt"
    path.write_text(NT)
    await run(pg_pool, ImportRequest(path))
    again = await run(pg_pool, ImportRequest(path))
    assert again.ticks_stored == 0 and again.duplicates == 7
    bigger = tmp_path / "nqz2025-more.csv.gz"
    bigger.write_bytes(gzip.compress((NT + "20251006 093002 0000000;21000.00;21000.00;21000.25;4\n").encode()))
    more = await run(pg_pool, ImportRequest(bigger, symbol="NQZ2025", pins=Pins(preset="ninjatrader")))
    assert more.duplicates == 7 and more.ticks_stored == 1
    assert len(await stored(pg_pool)) == 8


async def test_fast_read_path_returns_ticks_in_time_order(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "NQ 12-25.Last.txt"
    path.write_text(NT)
    await run(pg_pool, ImportRequest(path))
    batches = [b async for b in stream_tick_columns(pg_pool, ["NQZ2025"], 0, 2**62, batch_rows=2)]
    ticks = [t for b in batches for t in b.ticks()]
    assert len(ticks) == 7
    assert [type(t).__name__ for t in ticks] == ["Quote", "Trade", "Trade", "Quote", "Trade", "Quote", "Trade"]
    assert ticks[1].price == 84001 and ticks[6].size == 3
