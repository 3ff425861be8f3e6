"""Memory over a simulated hour at 2,000 ticks/s: engine, bus subscriber, tick and candle writers, real store.

Runs in virtual time (a TestClock advanced one second per step), so the hour takes well under a minute.
"""

from __future__ import annotations

import asyncio
import gc

from bench.database import bench_database
from bench.machine import rss_mb
from bench.pipeline import CONTRACTS, START_NS, NullJournal, _NullFeed
from core_server.bus import Bus
from core_server.feeds.simulated_market import SimulatedMarket
from core_server.kernel.assembly import KernelSettings
from core_server.live.assembly import build_shell
from core_server.market_data.candle_writer import CandleWriter
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.storage.candles import CandleRepository
from core_server.storage.database import connect_pool
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository

RATE = 2_000
SECONDS = 3_600
SAMPLE_EVERY = 300


async def _run() -> list[tuple[int, float]]:
    async with bench_database() as url:
        pool = await connect_pool(url, min_size=2, max_size=4)
        try:
            clock = TestClock(START_NS)
            bus = Bus()
            ticks = TickWriter(TickRepository(pool), clock)
            candles = CandleWriter(CandleRepository(pool), clock)
            settings = KernelSettings(signals=False)
            shell, engine = build_shell(clock, bus, NullJournal(), settings, CONTRACTS, ticks=ticks, candles=candles)
            binding = engine.attach(_NullFeed(), CONTRACTS, realtime=True, quote_only=False)
            stream = bus.subscribe(["quotes.*", "trades.*", "candles.*"], maxsize=5_000, conflate=lambda m: id(m))
            market = SimulatedMarket(CONTRACTS, seed=7, rate=RATE)
            samples: list[tuple[int, float]] = []
            for second in range(SECONDS):
                start = START_NS + second * NS_PER_SECOND
                binding.on_ticks(market.next_ticks(RATE, start, start + NS_PER_SECOND))
                clock.set_ns(start + NS_PER_SECOND)
                shell.advance()
                engine.publish_forming()
                await stream.next_batch(10_000)  # a client draining its stream
                await ticks.flush()
                await candles.flush()
                if second % SAMPLE_EVERY == 0 or second == SECONDS - 1:
                    gc.collect()
                    samples.append((second, rss_mb()))
            await ticks.close()
            return samples
        finally:
            await pool.close()


def main() -> None:
    samples = asyncio.run(_run())
    series = ", ".join(f"{s // 60}m {mb:.0f}" for s, mb in samples)
    settled = [mb for s, mb in samples if s >= 600]
    print(
        f"memory: simulated hour at {RATE:,} ticks/s ({RATE * SECONDS:,} ticks): RSS MB by minute: {series}; "
        f"after 10 min min {min(settled):.0f} / max {max(settled):.0f} MB"
    )
