"""A PostgreSQL for benchmarks: $DATABASE_URL when set, else a throwaway embedded server."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from core_server.storage.database import connect_pool
from core_server.storage.embedded import EmbeddedPostgres
from core_server.storage.migrator import migrate


@contextlib.asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """Yields a DSN of a migrated database with an empty ticks table."""
    url = os.environ.get("DATABASE_URL")
    embedded = None
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="vigil-bench-")
        embedded = EmbeddedPostgres(Path(tmp.name))
        url = await embedded.start()
    pool = await connect_pool(url)
    try:
        await migrate(pool)
        await pool.execute("TRUNCATE ticks, tick_batches, candles")
    finally:
        await pool.close()
    try:
        yield url
    finally:
        if embedded is not None:
            await embedded.stop()
        if tmp is not None:
            tmp.cleanup()
