"""Soak: simulated hours in virtual time at 2,000 ticks/s through the live core on the real store.

The whole live core as the server assembles it (kernel restored from the store, journal DurableWriter, tick and
candle writers, desks, the strategy host), a TestClock advanced one second per step, and every simulated minute: a
signal submitted through the signal desk, a resting limit order placed and the one before it cancelled, a market
order that opens or closes a position. A strategy runs throughout: the built-in first-hour breakout, loaded
through the strategy desk as the server loads a strategy file, on ES, its range window moved to 06:30-07:00 ET
(the soak starts at 06:06 ET) and its offsets narrowed to 1-5 points so that its ten bracket entries are placed
within the first simulated hour and fill while the market wanders. A bus subscriber drains quotes, trades and
candles as a client would.

Printed: ticks, orders, cancels, signals, errors (writer errors and dead letters, stage failures, commands that
raised, ticks dropped, strategy errors), the strategy's orders, fills and logged events, RSS every simulated
half hour with its growth after the first hour, and whether every writer drained. `python -m bench soak` runs
one simulated hour; VIGIL_SOAK_HOURS=8 the issue's eight. A line per simulated half hour shows the progress;
VIGIL_SOAK_MAX_WALL_S ends the simulation early past that many real seconds (then drains and reports as usual,
with the simulated hours reached).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import uuid
from decimal import Decimal
from typing import Any

import structlog

from bench.database import bench_database
from bench.machine import rss_mb
from bench.pipeline import CONTRACTS, START_NS, _NullFeed
from core_server.bus import Bus
from core_server.durable import DurableWriter
from core_server.execution.commands import CancelOrder, SubmitOrder
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId, OrderId, OrderSide, OrderType, TimeInForce
from core_server.feeds.simulated_market import SimulatedMarket
from core_server.kernel.assembly import KernelSettings
from core_server.live.assembly import LiveStores, build_live, restore_live
from core_server.live.restore import DefaultAccount
from core_server.market_data.candle_writer import CandleWriter
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.risk.days import MarketHours
from core_server.signals.model import SignalDirection, SignalInput
from core_server.storage.candles import CandleRepository
from core_server.storage.database import connect_pool
from core_server.storage.execution import ExecutionRepository
from core_server.storage.journal import JournalRepository
from core_server.storage.risk import RiskRepository
from core_server.storage.signals import SignalRepository
from core_server.storage.strategies import StrategyRepository
from core_server.storage.tick_writer import TickWriter
from core_server.storage.ticks import TickRepository
from core_server.storage.trades import TradeRepository

RATE = 2_000
FLUSH_EVERY_S = 5  # the tick and candle writers' own rhythm, in simulated seconds
SAMPLE_EVERY_S = 1_800
ACCOUNT = AccountId("paper")
STRATEGY = "soak-fhb"
# VIGIL_SOAK_START_H: start that many hours after 06:06 ET (the strategy's window moves with it); 6 runs 12:06-20:06
# ET over eight hours, through the CME trading-day roll at 17:00 CT, where finished orders leave memory.
START_H = int(os.environ.get("VIGIL_SOAK_START_H", "0"))
SOAK_START_NS = START_NS + START_H * 3_600 * NS_PER_SECOND
BREAKOUT = f"""
name = "{STRATEGY}"
kind = "first_hour_breakout"
account = "paper"
instrument = "ES"
enabled = true

[breakout]
window_start = "{6 + START_H:02d}:30"
window_end = "{7 + START_H:02d}:00"
offsets = [1, 2, 3, 4, 5]
"""


def _progress(second: int, started: float, rss: float, counts: dict[str, int], *writers: DurableWriter[Any]) -> None:
    """One line per sample as the soak goes, so a run cut short still shows how far it went."""
    queues = ", ".join(f"{w.name} {w.queued} queued/{w.status().errors} errors" for w in writers)
    print(
        f"soak: {second / 3600:.2f} simulated h after {time.perf_counter() - started:.0f} s real, load "
        f"{os.getloadavg()[0]:.1f}: RSS {rss:.0f} MB, {counts['ticks']:,} ticks, {counts['orders']} orders, "
        f"command errors {counts['command_errors']}; {queues}",
        flush=True,
    )


async def _run(hours: float, max_wall_s: float = 0.0) -> dict[str, object]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only
    seconds = int(hours * 3600)
    async with bench_database() as url:
        pool = await connect_pool(url, min_size=2, max_size=6)
        try:
            clock = TestClock(SOAK_START_NS)
            bus = Bus()
            ticks = TickWriter(TickRepository(pool), clock)
            candle_store = CandleRepository(pool)
            candles = CandleWriter(candle_store, clock)
            stores = LiveStores(
                JournalRepository(pool), ExecutionRepository(pool), RiskRepository(pool), TradeRepository(pool),
                SignalRepository(pool), candle_store, strategies=StrategyRepository(pool),
            )  # fmt: skip
            settings = KernelSettings(
                fill=FillSettings(seed=1, latency_min_ns=0, latency_max_ns=0, max_slippage_ticks=1),
                market_hours=MarketHours.DECLARED_OPEN,
            )
            core = build_live(
                clock, bus, stores, settings, CONTRACTS, ticks=ticks, candles=candles,
                id_factory=lambda: str(uuid.uuid4()),
            )  # fmt: skip
            await restore_live(core, stores, seed=1, default_account=DefaultAccount(ACCOUNT, "paper", Decimal(10**6)))
            binding = core.market.attach(_NullFeed(), CONTRACTS, realtime=True, quote_only=False)
            writer_task = asyncio.create_task(core.writer.run())
            await core.strategies.load(BREAKOUT, "toml")
            stream = bus.subscribe(["quotes.*", "trades.*", "candles.*"], maxsize=5_000, conflate=lambda m: id(m))
            market = SimulatedMarket(CONTRACTS, seed=7, rate=RATE)
            es = CONTRACTS[2]
            counts = {"ticks": 0, "orders": 0, "cancels": 0, "signals": 0, "command_errors": 0}
            samples: list[tuple[int, float]] = []
            resting: OrderId | None = None
            long = False
            started = time.perf_counter()
            for second in range(seconds):
                start = SOAK_START_NS + second * NS_PER_SECOND
                batch = market.next_ticks(RATE, start, start + NS_PER_SECOND)
                binding.on_ticks(batch)
                counts["ticks"] += len(batch)
                clock.set_ns(start + NS_PER_SECOND)
                core.shell.advance()
                core.market.publish_forming()
                await stream.next_batch(10_000)
                if second % FLUSH_EVERY_S == 0:
                    await ticks.flush()
                    await candles.flush()
                if second % 60 == 30:
                    try:
                        resting, long = await _minute(core, es.id, resting, long, counts)
                    except Exception:
                        counts["command_errors"] += 1
                last = second == seconds - 1 or (max_wall_s > 0 and time.perf_counter() - started > max_wall_s)
                if second % SAMPLE_EVERY_S == 0 or last:
                    gc.collect()
                    samples.append((second, rss_mb()))
                    _progress(second, started, samples[-1][1], counts, core.writer, ticks.writer, candles.writer)
                if last:
                    seconds = second + 1
                    break
            await core.writer.stop()
            writer_task.cancel()
            await ticks.close()
            drained = await candles.flush()
            elapsed = time.perf_counter() - started
            status = core.writer.status()
            store = ticks.status()
            runtime = core.strategies.host.get(STRATEGY)
            tag = runtime.tag
            own = [o for o in core.kernel.execution.orders(ACCOUNT) if o.tag == tag]
            events = await StrategyRepository(pool).events(STRATEGY, 1_000)
            return {
                **counts,
                "seconds": seconds,
                "elapsed": elapsed,
                "samples": samples,
                "writer_errors": status.errors,
                "dead_letters": status.dead_letters,
                "stage_failures": core.shell.stage_failures,
                "ticks_dropped": store.dropped_ticks,
                "strategy_errors": runtime.errors,
                "strategy_status": runtime.status.name.lower(),
                "strategy_orders": len(own),
                "strategy_fills": sum(1 for o in own if o.filled_qty),
                "strategy_events": [e.event.kind for e in events],
                "drained": drained and status.queued == 0 and store.buffered_ticks == 0,
            }
        finally:
            await pool.close()


async def _minute(
    core: object, contract_id: str, resting: OrderId | None, long: bool, counts: dict[str, int]
) -> tuple[OrderId | None, bool]:
    """One minute's activity: a signal, a resting limit (cancelling the previous one), a market order."""
    from core_server.live.assembly import LiveCore

    assert isinstance(core, LiveCore)
    quote = core.kernel.market.last_quote(contract_id)
    if quote is None:
        return resting, long
    spec = CONTRACTS[2].spec
    now = core.shell.clock.now_ns()
    direction = SignalDirection.BULLISH if counts["signals"] % 2 == 0 else SignalDirection.BEARISH
    await core.signals.submit(
        SignalInput(contract_id, direction, quote.bid, now, strategy="soak", source="bench"), authenticated=True
    )
    counts["signals"] += 1
    if resting is not None:
        await core.execution.execute(CancelOrder(ACCOUNT, resting))
        counts["cancels"] += 1
    limit = spec.price_from_ticks(quote.bid - 40)  # 10 points under the bid: rests
    placed = await core.execution.execute(
        SubmitOrder(ACCOUNT, contract_id, OrderSide.BUY, 1, OrderType.LIMIT, TimeInForce.GTC, limit_price=limit)
    )
    resting = next(iter(placed.orders), None)  # the order the command made
    side = OrderSide.SELL if long else OrderSide.BUY
    await core.execution.execute(SubmitOrder(ACCOUNT, contract_id, side, 1, OrderType.MARKET))
    counts["orders"] += 2
    return resting, not long


def main() -> None:
    hours = float(os.environ.get("VIGIL_SOAK_HOURS", "1"))
    max_wall_s = float(os.environ.get("VIGIL_SOAK_MAX_WALL_S", "0"))  # stop early (then drain and report) past it
    r = asyncio.run(_run(hours, max_wall_s))
    hours = int(r["seconds"]) / 3600  # type: ignore[call-overload]
    samples: list[tuple[int, float]] = r["samples"]  # type: ignore[assignment]
    series = ", ".join(f"{s / 3600:.1f}h {mb:.0f}" for s, mb in samples)
    settled = [mb for s, mb in samples if s >= 3600] or [samples[-1][1]]
    growth = (max(settled) - min(settled)) / min(settled) * 100
    kinds = ("writer_errors", "dead_letters", "stage_failures", "command_errors", "strategy_errors")
    errors = sum(int(r[k]) for k in kinds)  # type: ignore[call-overload]
    print(
        f"soak: {hours:g} simulated h at {RATE:,} ticks/s in {r['elapsed']:.0f} s real: {r['ticks']:,} ticks, "
        f"{r['orders']:,} orders, {r['cancels']:,} cancels, {r['signals']:,} signals; errors {errors} "
        f"(writer {r['writer_errors']}, dead letters {r['dead_letters']}, stage {r['stage_failures']}, "
        f"commands {r['command_errors']}, strategy {r['strategy_errors']}); strategy {r['strategy_status']}: "
        f"{r['strategy_orders']} orders ({r['strategy_fills']} filled), events {r['strategy_events']}; "
        f"ticks dropped {r['ticks_dropped']}; every writer drained: {r['drained']}; "
        f"RSS MB {series}; after the first hour it moved {growth:.1f} %"
    )
