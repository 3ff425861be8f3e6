"""kill -9 in the middle of an import: the store holds exactly the committed chunks, and a rerun resumes there."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import asyncpg

from core_server.imports.importer import ImportRequest, run_import
from core_server.model.clock import TestClock
from tests.kit.stored_ticks import stored_rows

ROOT = Path(__file__).resolve().parents[3]
ROWS = 120_000
T0 = 1_759_757_400_000_000_000  # 2025-10-06 13:30 UTC
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from core_server.imports.importer import ImportRequest, run_import
    from core_server.model.clock import TestClock
    from core_server.storage.database import connect_pool

    async def main() -> None:
        pool = await connect_pool(sys.argv[1])
        request = ImportRequest(Path(sys.argv[2]), block_bytes=16 * 1024)
        async for _ in run_import(pool, request, TestClock(1_764_806_400_000_000_000)):
            pass

    asyncio.run(main())
    """
)


def write_ticks(path: Path) -> None:
    # unique timestamps, prices on a gentle walk (no anomalies): line n holds ts T0 + n ms
    with path.open("w") as out:
        out.write("ts,price,size\n")
        for n in range(ROWS):
            out.write(f"{T0 // 1_000_000 + n},{21000 + (n % 40) * 0.25:.2f},{1 + n % 5}\n")


async def checkpoint(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(max(lines_done), 0) FROM tick_imports") or 0)


async def test_kill_9_mid_import_then_resume(pg_pool: asyncpg.Pool, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "NQZ2025.csv"
    write_ticks(path)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, database_url, str(path), cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        while await checkpoint(pg_pool) < 20_000 and child.returncode is None:
            await asyncio.sleep(0.01)
        if child.returncode is None:
            child.send_signal(signal.SIGKILL)
    finally:
        await child.wait()
    assert child.returncode == -signal.SIGKILL, "the import finished before it could be killed"

    # what survived is exactly the committed chunks: lines 2 .. lines_done, nothing half-written
    done_lines = await checkpoint(pg_pool)
    times = [r[1] for r in await stored_rows(pg_pool, "NQZ2025")]
    count, low, high = len(times), min(times), max(times)
    assert 0 < count == done_lines - 1
    assert (low, high) == (T0, T0 + (done_lines - 2) * 1_000_000)
    assert await pg_pool.fetchval("SELECT status FROM tick_imports") == "running"

    last = None
    async for progress in run_import(pg_pool, ImportRequest(path), TestClock(1_764_806_400_000_000_000)):
        last = progress
    assert last is not None and last.done
    assert last.resumed_from_line == done_lines + 1
    assert (last.lines_read, last.ticks_stored, last.duplicates, last.bad_total) == (ROWS, ROWS, 0, 0)
    times = [r[1] for r in await stored_rows(pg_pool, "NQZ2025")]
    assert len(times) == len(set(times)) == ROWS and times == sorted(times)
    # all of it in blocks (imported ticks are not rows), each block's ticks counted once
    assert await pg_pool.fetchval("SELECT count(*) FROM ticks") == 0
    assert await pg_pool.fetchval("SELECT sum(tick_count) FROM tick_blocks") == ROWS
    assert await pg_pool.fetchval("SELECT status FROM tick_imports") == "done"
