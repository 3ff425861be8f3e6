"""Paper execution: tick -> fills/positions in process, and order submit -> acknowledged (stored) over gRPC.

(a) 100 resting orders (limits and stops around the market) and 50 open excursion trades on one contract; quotes
    and trades wander +-4 ticks, inside every order and band: the common hot path (nothing to fill or move).
(b) The real server in process on loopback (uvloop, tune_server); one client submits resting limit orders one
    after another, each acknowledged only once its journal and state rows are committed to PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from decimal import Decimal
from fractions import Fraction

import uvloop

from bench.database import bench_database
from bench.machine import pin_to_core
from core_server.app import start
from core_server.config import Config
from core_server.excursions.book import ExcursionBook
from core_server.excursions.model import Direction, TradeSpec
from core_server.excursions.tracker import ExcursionTracker
from core_server.execution.commands import OpenAccount, SubmitOrder
from core_server.execution.engine import PaperExecutionEngine
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.runtime import tune_server

ES = "ESZ2026"
BASE = 24_000  # ticks: 6000.00
T0 = 1_795_014_000_000_000_000
TICKS = 300_000
SUBMITS = 2_000


def _rig() -> tuple[PaperExecutionEngine, ExcursionBook]:
    engine = PaperExecutionEngine(fill_settings=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0))
    acc = AccountId("bench")
    engine.execute(OpenAccount(acc, Decimal(1_000_000)), T0)
    engine.on_tick(Quote(ES, T0, T0, BASE, BASE + 1, 10, 10))
    for i in range(25):
        d = Decimal(i + 40) / 4
        price = Decimal(6000)
        for side, kind, px in (
            (OrderSide.BUY, OrderType.LIMIT, price - d),
            (OrderSide.SELL, OrderType.LIMIT, price + d),
            (OrderSide.BUY, OrderType.STOP, price + d),
            (OrderSide.SELL, OrderType.STOP, price - d),
        ):
            limit = px if kind is OrderType.LIMIT else None
            stop = px if kind is OrderType.STOP else None
            engine.execute(SubmitOrder(acc, ES, side, 1, kind, TimeInForce.GTC, limit, stop), T0)
    engine.advance_to(T0 + 1)
    book = ExcursionBook()
    for i in range(50):
        long = i % 2 == 0
        spec = TradeSpec(
            f"t{i}", ES, Direction.LONG if long else Direction.SHORT, 1, BASE,
            BASE - 40 - i if long else BASE + 40 + i, T0, target_r=Fraction(3),
        )  # fmt: skip
        book.add(ExcursionTracker(spec))
    return engine, book


def _tape(n: int) -> list[Tick]:
    ticks: list[Tick] = []
    for i in range(n):
        ts = T0 + 10 + i * 1000
        wiggle = (i // 7) % 9 - 4  # a slow zig-zag of +-4 ticks
        if i % 4 == 3:
            ticks.append(Trade(ES, ts, ts, BASE + wiggle, 1, Aggressor.BUY))
        else:
            ticks.append(Quote(ES, ts, ts, BASE + wiggle, BASE + wiggle + 1, 10, 10))
    return ticks


def in_process() -> tuple[float, int]:
    engine, book = _rig()
    tape = _tape(TICKS)
    on_tick, book_tick = engine.on_tick, book.on_tick
    events = 0
    started = time.perf_counter()
    for tick in tape:
        events += len(on_tick(tick))
        book_tick(tick)
    elapsed = time.perf_counter() - started
    return TICKS / elapsed, events


async def _submits(address: str) -> list[float]:
    """The client runs in its own process on core 1, the server here on core 0 (as in bench.streaming)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.submit_client", address, str(SUBMITS), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return json.loads(out)  # type: ignore[no-any-return]


async def _grpc() -> list[float]:
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    async with bench_database() as url:
        config = Config(
            listen="127.0.0.1:0",
            database_url=url,
            sim_rate=2000.0,
            symbols=("ES",),
            log_level="warning",
            log_format="json",
            order_rate=Decimal(0),  # the submit path itself, not the per-key order rate limit
        )
        pin_to_core(0)
        server = await start(config)
        collector = tune_server()  # as `python -m core_server` does
        try:
            return await _submits(server.address)
        finally:
            collector.cancel()
            await server.stop()


def main() -> None:
    from core_server.log_config import configure_logging

    configure_logging("warning", "json")
    rate, events = in_process()
    print(
        f"execution in process: {rate:,.0f} ticks/s through the paper engine (100 resting orders) and 50 open "
        f"excursion trades ({TICKS:,} ticks, {events:,} execution events)"
    )
    latencies = sorted(uvloop.run(_grpc()))
    n = len(latencies)

    def q(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000

    print(
        f"execution submit -> acknowledged (journal + state committed) over loopback gRPC: p50 {q(0.5):.2f} ms, "
        f"p99 {q(0.99):.2f} ms, max {latencies[-1] * 1000:.2f} ms ({n:,} limit orders, each cancelled after its "
        "ack; client process on its own core)"
    )
