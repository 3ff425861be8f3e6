"""Backtest driver throughput (issue 11 target: >= 1,000,000 ticks/s on one core, data loading included).

Generated ES ticks: `DAYS` weekdays of the regular session (08:30-15:00 CT), quotes and trades alternating, the
price wandering one tick at a time, `TICKS` in all. One account, BracketADay (a market bracket 20 ticks either
side at 09:00 CT every day), the ideal fill model, commissions, excursions and risk on (Topstep 50K preset), all
six candle timeframes; then the first-hour breakout (SPEC §7) through the StrategyHost on the same ticks. Prints
ticks per CPU second of the driver's run (the ticks already in memory; CPU time, not wall time, so a machine
shared with other work still gives the one core's figure) and the trades it made; and the bracket-a-day run once
more on the plain path (every tick through the kernel's full chain, the quiet fast path off) for comparison.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import numpy as np

from bench.database import bench_database
from bench.machine import pin_to_core
from core_server.backtest.bracket_a_day import BracketADay
from core_server.backtest.config import BacktestConfig, FillModel
from core_server.backtest.driver import Backtest
from core_server.backtest.source import TickList
from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.store_source import StoreTicks
from core_server.backtest_jobs.strategies import strategy_stage
from core_server.imports.chunk import KIND_QUOTE, KIND_TRADE, Ticks
from core_server.model.clock import ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ, Contract
from core_server.model.market_data import Aggressor, Quote, Tick, Trade
from core_server.runtime import tune_after_start
from core_server.storage.database import connect_pool
from core_server.storage.tick_blocks import BLOCK_COLUMNS, block_records
from core_server.storage.ticks import TickRepository, tick_row

ES = Contract("ES", 2025, 12)
FIRST_DAY = date(2025, 10, 6)  # a Monday
DAYS = 10
TICKS = 2_000_000
BASE = 26_800  # 6700.00


def weekdays(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def generate(count: int = TICKS, days: int = DAYS, seed: int = 7) -> list[Tick]:
    """`count` ticks spread evenly over the regular sessions of `days` weekdays from FIRST_DAY."""
    rng = random.Random(seed)
    per_day = count // days
    session_ns = 6 * 3_600_000_000_000 + 30 * 60_000_000_000
    step = session_ns // per_day
    out: list[Tick] = []
    price = BASE
    cid = ES.id
    choice = rng.choice
    for day in weekdays(FIRST_DAY, days):
        ts = ns_from_datetime(datetime.combine(day, clock_time(8, 30), tzinfo=EXCHANGE_TZ))
        for i in range(per_day):
            ts += step
            if i % 2:
                out.append(Trade(cid, ts, ts, price + choice((0, 1)), 1, Aggressor.NONE))
            else:
                price += choice((-1, 0, 1))
                out.append(Quote(cid, ts, ts, price, price + 1, 10, 10))
    return out


def config() -> BacktestConfig:
    start = ns_from_datetime(datetime.combine(FIRST_DAY, clock_time(0, 0), tzinfo=EXCHANGE_TZ))
    end = ns_from_datetime(datetime.combine(FIRST_DAY + timedelta(days=14), clock_time(0, 0), tzinfo=EXCHANGE_TZ))
    return BacktestConfig((ES,), start, end, fill=FillModel.ideal(), preset="topstep_50k")


def breakout_backtest(fast: bool = True) -> tuple[Backtest, BacktestConfig]:
    """The first-hour breakout (SPEC §7, ten brackets a day) through the StrategyHost, as a backtest job runs it."""
    first, last = weekdays(FIRST_DAY, DAYS)[0], weekdays(FIRST_DAY, DAYS)[-1]
    settings = RunSettings(ES.id, first.isoformat(), last.isoformat(), "first-hour-breakout", preset="topstep_50k")
    cfg = settings.config()
    stage, _, setup = strategy_stage(settings, cfg)
    backtest = Backtest(cfg, strategies=stage, fast=fast)
    setup(backtest)
    return backtest, cfg


def run_breakout(ticks: list[Tick]) -> tuple[float, int]:
    """The first-hour breakout through the StrategyHost, ticks in memory."""
    backtest, _ = breakout_backtest()
    started = time.process_time()
    record = backtest.run(TickList(ticks))
    return time.process_time() - started, len(record.closed_trips())


def run_once(ticks: list[Tick], fast: bool = True) -> tuple[float, int]:
    """`fast=False`: every tick through the kernel's full chain (the quiet fast path off), for comparison."""
    cfg = config()
    backtest = Backtest(cfg, strategies=BracketADay(cfg.account_id, ES.id, cfg.start_ns), fast=fast)
    started = time.process_time()
    record = backtest.run(TickList(ticks))
    elapsed = time.process_time() - started
    return elapsed, len(record.closed_trips())


def tick_columns(ticks: list[Tick]) -> Ticks:
    """Quote/Trade values as the importer's tick columns (one contract)."""
    n = len(ticks)
    cols = {name: np.zeros(n, dtype=np.int64) for name in Ticks.__slots__}
    for i, tick in enumerate(ticks):
        cols["ts"][i] = tick.ts_event
        if type(tick) is Quote:
            cols["kind"][i] = KIND_QUOTE
            cols["bid"][i], cols["ask"][i], cols["bid_size"][i], cols["ask_size"][i] = tick[3:7]
        else:
            cols["kind"][i] = KIND_TRADE
            cols["price"][i], cols["size"][i], cols["aggressor"][i] = tick[3], tick[4], int(tick[5])
    cols["line"][:] = np.arange(n)
    return Ticks(**cols)


async def store(dsn: str, ticks: list[Tick], as_blocks: bool) -> None:
    """Rows through the live writer's COPY, or blocks as the importer writes them (100k ticks a transaction)."""
    pool = await connect_pool(dsn)
    try:
        repo = TickRepository(pool)
        for i in range(0, len(ticks), 100_000):
            part = ticks[i : i + 100_000]
            if not as_blocks:
                await repo.copy_ticks(f"bench-{i}", [tick_row(t) for t in part])
                continue
            async with pool.acquire() as conn, conn.transaction():
                records = await block_records(conn, ES.id, tick_columns(part))
                await conn.copy_records_to_table("tick_blocks", records=records, columns=BLOCK_COLUMNS)
    finally:
        await pool.close()


async def _store_run(ticks: list[Tick], as_blocks: bool, breakout: bool = False) -> tuple[float, float, int, int]:
    """The same run reading its ticks from PostgreSQL (StoreTicks, as a backtest job does): loading included.
    Best of 3 by CPU time."""
    async with bench_database() as dsn:
        await store(dsn, ticks, as_blocks)
        best: tuple[float, float, int, int] | None = None
        for _ in range(3):
            if breakout:
                backtest, cfg = breakout_backtest()
            else:
                cfg = config()
                backtest = Backtest(cfg, strategies=BracketADay(cfg.account_id, ES.id, cfg.start_ns))
            source = StoreTicks(dsn, [ES.id], cfg.start_ns, cfg.end_ns)
            started, cpu = time.perf_counter(), time.process_time()
            record = await asyncio.to_thread(backtest.run, source)
            run = (time.perf_counter() - started, time.process_time() - cpu, record.ticks, len(record.closed_trips()))
            best = run if best is None or run[1] < best[1] else best
        assert best is not None
        return best


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.backtest [TICKS] [--memory-only]`: also (unless --memory-only) the same runs reading their
    ticks from PostgreSQL, loading included: imported blocks and live rows."""
    argv = argv or []
    pin_to_core(0)
    numbers = [a for a in argv if a.isdigit()]
    count = int(numbers[0]) if numbers else TICKS
    ticks = generate(count)
    best, trades = min(run_once(ticks) for _ in range(3))
    print(
        f"backtest: {count:,} ES ticks over {DAYS} days, bracket a day, 6 timeframes, excursions, risk "
        f"(topstep_50k): {count / best:,.0f} ticks per CPU second ({best * 1e9 / count:.0f} ns/tick, {trades} trades; "
        "best of 3)"
    )
    best, trades = min(run_once(ticks, fast=False) for _ in range(3))
    print(
        f"backtest, plain path (every tick through the full chain, fast=False), same ticks and strategy: "
        f"{count / best:,.0f} ticks per CPU second ({best * 1e9 / count:.0f} ns/tick, {trades} trades; best of 3)"
    )
    best, trades = min(run_breakout(ticks) for _ in range(3))
    print(
        f"backtest: {count:,} ES ticks over {DAYS} days, first-hour breakout (10 brackets a day) through the "
        f"StrategyHost, 6 timeframes, excursions, risk (topstep_50k): {count / best:,.0f} ticks per CPU second "
        f"({best * 1e9 / count:.0f} ns/tick, {trades} trades; best of 3)"
    )
    if "--memory-only" in argv:
        return
    tune_after_start()  # as the backtest worker process does (core_server/backtest_jobs/worker.py)
    for as_blocks, label in ((True, "imported blocks"), (False, "live rows")):
        for breakout in (False, True):
            elapsed, cpu, done, trades = asyncio.run(_store_run(ticks, as_blocks, breakout))
            what = "first-hour breakout" if breakout else "bracket a day"
            print(
                f"backtest from the store, loading included ({label}; StoreTicks + driver, {what}): "
                f"{done / cpu:,.0f} ticks per CPU second of this process, {done / elapsed:,.0f} ticks/s wall "
                f"({done:,} ticks in {elapsed:.2f} s, {trades} trades; best of 3 by CPU; PostgreSQL runs in its own "
                "process)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
