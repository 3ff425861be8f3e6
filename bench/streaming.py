"""Loopback gRPC streaming: tick -> subscriber latency with 10 subscribers, and one subscriber's throughput.

The server runs here on core 0; the subscribers run in another process on core 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import uvloop

from bench.database import bench_database
from bench.machine import pin_to_core
from bench.pipeline import CONTRACTS
from core_server.app import start
from core_server.config import Config
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.stats import FeedStats
from core_server.model.clock import Clock, LiveClock
from core_server.model.feed_status import FeedState, FeedStatus
from core_server.model.market_data import Quote
from core_server.ports import FeedSink
from core_server.runtime import tune_server


class FirehoseFeed:
    """Pushes quotes as fast as the event loop allows, oscillating a tick so prices stay sane."""

    kind = "firehose"
    name = "firehose"

    def __init__(self, clock: Clock, batch: int = 2000) -> None:
        self._clock = clock
        self._batch = batch
        self.stats = FeedStats(clock, self.name, self.kind)

    @property
    def contracts(self) -> tuple[str, ...]:
        return tuple(c.id for c in CONTRACTS)

    async def run(self, sink: FeedSink) -> None:
        sink.on_state(FeedState.STREAMING, "")
        ids = self.contracts
        base = 101_360
        i = 0
        while True:
            now = self._clock.now_ns()
            batch = []
            for _ in range(self._batch):
                bid = base + (i & 1)
                batch.append(Quote(ids[i % len(ids)], now, now, bid, bid + 1, 5, 7))
                i += 1
            sink.on_ticks(batch)
            self.stats.record_ticks(len(batch))
            await asyncio.sleep(0)

    def status(self) -> FeedStatus:
        return self.stats.snapshot(self.contracts)


async def _client(mode: str, address: str, subscribers: int, seconds: float) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.stream_client",
        mode,
        address,
        str(subscribers),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return json.loads(out)  # type: ignore[no-any-return]


async def _run() -> None:
    pin_to_core(0)
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    async with bench_database() as url:
        config = Config(listen="127.0.0.1:0", database_url=url, sim_rate=5000.0, log_level="warning", log_format="json")
        server = await start(config)
        collector = tune_server()  # as `python -m core_server` does
        try:
            latency = await _client("latency", server.address, 10, 10.0)
        finally:
            collector.cancel()
            await server.stop()
        print(
            f"streaming latency: 10 subscribers at 5,000 ticks/s: p50 {latency['p50_ms']:.2f} ms, "
            f"p99 {latency['p99_ms']:.2f} ms, p99.9 {latency['p999_ms']:.2f} ms, max {latency['max_ms']:.2f} ms "
            f"({int(latency['samples']):,} quotes, tick ts_init -> client receive)"
        )
        clock = LiveClock()
        server = await start(config, feed_plan=FeedPlan(FirehoseFeed(clock), realtime=True, quote_only=False))
        try:
            throughput = await _client("throughput", server.address, 1, 10.0)
        finally:
            await server.stop()
        print(
            f"streaming throughput: one subscriber received {throughput['per_second']:,.0f} quotes/s "
            f"(batches of up to 5,000; {int(throughput['conflated']):,} conflated while it lagged)"
        )


def main() -> None:
    from core_server.log_config import configure_logging

    configure_logging("warning", "json")
    uvloop.run(_run())  # as the server's own entry point runs
