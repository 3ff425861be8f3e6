"""Tick import into the real store: NinjaTrader export end to end, de-duplication, re-import, anomalies, ranges."""

from __future__ import annotations

import gzip
from pathlib import Path

import asyncpg
import pyarrow as pa

from core_server.imports.dialect import Pins
from core_server.imports.importer import ImportProgress, ImportRequest, run_import
from core_server.model.clock import TestClock
from core_server.storage.tick_read import stream_tick_columns
from tests.kit.stored_ticks import stored_rows

NOW = TestClock(1_764_806_400_000_000_000)  # 2025-12-04


async def run(pool: asyncpg.Pool, request: ImportRequest) -> ImportProgress:
    last = None
    async for progress in run_import(pool, request, NOW):
        last = progress
    assert last is not None and last.done
    return last


async def stored(pool: asyncpg.Pool, contract: str = "NQZ2025") -> list[tuple[object, ...]]:
    """kind, ts_event_ns, bid, ask, price, size, aggressor, flags of every stored tick (rows and blocks)."""
    return [(r[0], r[1], r[2], r[3], r[6], r[7], r[8], r[9]) for r in await stored_rows(pool, contract)]


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


async def test_bad_rows_are_counted_by_kind_with_their_first_lines(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "ESZ2025.csv"
    path.write_text(
        "time,price,size\n"
        "2025-10-06T13:30:00Z,6774.25,1\n"  # 2 good
        "2025-10-06T13:30:01Z,6774.30,1\n"  # 3 off the 0.25 grid
        "not a time,6774.25,1\n"  # 4 unparseable
        "2025-10-06T13:30:02Z,6774.25\n"  # 5 missing a field
        "2025-10-06T13:30:03Z,6774.50,-3\n"  # 6 negative size
        "\n"  # 7 blank
        "2025-10-06T13:30:04Z,abc,1\n"  # 8 unparseable price
        "2025-10-07T13:30:04Z,6774.50,1\n"  # 9 outside --to
        "2025-10-06T13:30:05Z,6774.75,2\n"  # 10 good
    )
    done = await run(pg_pool, ImportRequest(path, end_ns=1_759_795_200_000_000_000))  # 2025-10-07 00:00 UTC
    bad = {b.kind: (b.count, b.first_lines) for b in done.bad}
    assert bad == {
        "fields": (1, (5,)),
        "empty": (1, (7,)),
        "unparseable": (2, (4, 8)),
        "off_grid": (1, (3,)),
        "negative_size": (1, (6,)),
        "out_of_range": (1, (9,)),
    }
    assert (done.lines_read, done.ticks_stored, done.bad_total) == (9, 2, 7)
    assert [r[4] for r in await stored(pg_pool, "ESZ2025")] == [27097, 27099]


async def test_zstd_continuous_roll_and_time_zone(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    """ES continuous across the December 2025 roll (Thursday 2025-12-11, the trading day from 17:00 CT on the
    10th), in New York time: 16:59 CT on the 10th is ESZ2025, 17:00 CT is ESH2026."""
    path = tmp_path / "es_ticks.csv.zst"
    rows = "Date,Time,Price,Volume\n12/10/2025,17:59:00,6800.00,1\n12/10/2025,18:00:00,6850.25,2\n"
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(rows.encode())
    path.write_bytes(sink.getvalue().to_pybytes())
    done = await run(pg_pool, ImportRequest(path, tz="America/New_York"))
    assert done.instrument.startswith("ES (continuous") and done.contracts == ("ESZ2025", "ESH2026")
    assert done.unsure == ("date order: month/day/year assumed (US vendors); pin with --time-format dmy or mdy",)
    z = await stored(pg_pool, "ESZ2025")
    h = await stored(pg_pool, "ESH2026")
    assert [r[1] for r in z] == [1_765_407_540_000_000_000]  # 2025-12-10 22:59 UTC
    assert [r[1] for r in h] == [1_765_407_600_000_000_000]  # 23:00 UTC


async def test_a_jump_is_stored_flagged_as_the_live_filter_flags_it(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    """NQ's threshold is 50 points: a lone print 100 points away is an anomaly; the level after it is not."""
    path = tmp_path / "NQZ2025.csv"
    prices = ["21000.00", "21000.25", "21100.00", "21000.50", "21000.25"]
    path.write_text("".join(f"2025-10-06T13:30:0{i}Z,{p},1\n" for i, p in enumerate(prices)))
    done = await run(pg_pool, ImportRequest(path))
    assert done.anomalies == 1
    assert [(r[4], r[7]) for r in await stored(pg_pool)] == [
        (84000, 0), (84001, 0), (84400, 1), (84002, 0), (84001, 0)
    ]  # fmt: skip


async def test_rows_sharing_a_timestamp_keep_file_order(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "NQZ2025.csv"
    path.write_text("".join(f"2025-10-06T13:30:00Z,{p},1\n" for p in ["21000.00", "21000.50", "21000.25"]))
    await run(pg_pool, ImportRequest(path))
    assert [r[4] for r in await stored(pg_pool)] == [84000, 84002, 84001]


async def test_read_path_merges_contracts_in_time_order(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "es_ticks.csv"
    path.write_text("time,price,size\n2025-12-10T22:59:00Z,6800.00,1\n2025-12-10T23:00:00Z,6850.25,2\n")
    await run(pg_pool, ImportRequest(path, symbol="ES"))
    batches = [b async for b in stream_tick_columns(pg_pool, ["ESH2026", "ESZ2025"], 0, 2**62)]
    assert [b.contract.tolist() for b in batches] == [[1, 0]]
    assert [(t.contract_id, t.price, t.size) for t in batches[0].ticks()] == [
        ("ESZ2025", 27200, 1),
        ("ESH2026", 27401, 2),
    ]
