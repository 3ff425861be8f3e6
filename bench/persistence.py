"""Sustained tick persistence: TickWriter (batched binary COPY) into PostgreSQL."""

from __future__ import annotations

import asyncio
import time

from bench.database import bench_database
from bench.pipeline import CONTRACTS, START_NS
from core_server.feeds.simulated_market import SimulatedMarket
from core_server.model.clock import NS_PER_SECOND, LiveClock
from core_server.storage.database import connect_pool
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository


async def _run(total: int, chunk: int) -> dict[str, float]:
    market = SimulatedMarket(CONTRACTS, seed=7)
    ticks = market.next_ticks(chunk, START_NS, START_NS + chunk * NS_PER_SECOND // 20_000)
    async with bench_database() as url:
        pool = await connect_pool(url, min_size=2, max_size=4)
        try:
            repository = TickRepository(pool)
            writer = TickWriter(repository, LiveClock(), max_buffer=total * 2)
            runner = asyncio.create_task(writer.run())
            started = time.perf_counter()
            fed = 0
            while fed < total:
                writer.extend(ticks)  # the same rows again: COPY cost does not depend on values
                fed += len(ticks)
                while writer.status().buffered_ticks > 4 * chunk:  # feed as fast as the writer drains
                    await asyncio.sleep(0.005)
            while writer.status().buffered_ticks:
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - started
            runner.cancel()
            await writer.close()
            stored = await repository.count()
        finally:
            await pool.close()
    return {"ticks": fed, "stored": stored, "seconds": elapsed, "ticks_per_second": fed / elapsed}


def main() -> None:
    result = asyncio.run(_run(total=2_000_000, chunk=50_000))
    print(
        f"persistence: {result['ticks_per_second']:,.0f} ticks/s sustained into PostgreSQL "
        f"({result['ticks']:,} ticks in {result['seconds']:.1f} s; {result['stored']:,} rows stored)"
    )
