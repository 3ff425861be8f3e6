"""Analytics over 100,000 closed trades (a year of NQ/ES round trips in PostgreSQL), through a real server:

- GetStatistics (every figure, overall and per session window) and GetCalendar (a month) over gRPC: the first
  call after a trade closed (facts read from the store and computed), a new filter on the facts in memory
  (computed), and the same request again (remembered);
- the TUI's Journal screen showing that year (statistics, calendar, equity and drawdown charts) on a real server.

Target (issue 12): statistics and calendar for 100,000 trades with filters < 200 ms over gRPC; the screen < 1 s.
The figures print with a calibration: how long this machine takes for a bare 1,000,000-step Python loop (about
0.05 s on a quiet core), since the machine the benchmarks share may be busy.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from decimal import Decimal

from bench.database import bench_database
from core_server.analytics.pnl_calendar import trading_dates
from core_server.app import start
from core_server.config import Config
from core_server.model.clock import ns_from_datetime
from core_server.storage.database import connect_pool

TRADES = 100_000
FIRST, LAST = date(2025, 12, 1), date(2026, 11, 30)
COLUMNS = (
    "id", "contract_id", "direction", "quantity", "entry", "stop", "risk_ticks", "status", "created_ns", "source",
    "account_id", "current_stop", "mfe_ticks", "mae_ticks", "mfe_ns", "mae_ns", "result_ticks", "exit_price",
    "closed_ns", "open_qty", "max_qty", "entry_qty", "entry_cost", "exit_qty", "exit_cost", "realised_ticks", "gross",
    "commissions", "break_even", "tags",
)  # fmt: skip


def _rows() -> list[tuple[object, ...]]:
    rng = random.Random(12)
    days = trading_dates(FIRST, LAST)
    rows: list[tuple[object, ...]] = []
    for i in range(TRADES):
        day = days[i * len(days) // TRADES]
        opened = ns_from_datetime(datetime.combine(day, clock_time(13, 0), UTC)) + rng.randrange(0, 7 * 3600) * 10**9
        closed = opened + rng.randrange(30, 3600) * 10**9
        root, tick_value = ("NQZ2026", Decimal(5)) if i % 3 else ("ESZ2026", Decimal("12.50"))
        qty, risk = rng.choice((1, 1, 2, 3)), rng.choice((20, 40, 80))
        result = rng.choice((-risk, -risk, 0, risk, 2 * risk, rng.randint(-risk, 3 * risk)))
        mfe, mae = max(result, 0) + rng.randint(0, risk), min(result, 0) - rng.randint(0, risk // 2)
        direction, sign = ("bullish", 1) if i % 2 else ("bearish", -1)
        entry = 100_000 + rng.randint(-2000, 2000)
        exit_price = entry + result * sign
        status = "stopped_out" if result == -risk else "closed"
        rows.append((
            f"B-{i}", root, direction, qty, entry, entry - risk * sign, risk, status, opened, "manual", "paper",
            entry - risk * sign, mfe, mae, opened, opened, result, exit_price, closed, 0, qty, qty, entry * qty, qty,
            exit_price * qty, result * qty, result * qty * tick_value, Decimal("2.50") * 2 * qty, False,
            ["a"] if i % 5 == 0 else [],
        ))  # fmt: skip
    return rows


def _calibration() -> float:
    start = time.perf_counter()
    x = 0
    for i in range(1_000_000):
        x += i
    return time.perf_counter() - start


async def _timed(call: object) -> float:
    start = time.perf_counter()
    await call  # type: ignore[misc]
    return (time.perf_counter() - start) * 1000


async def _run() -> list[str]:
    from clients.sdk import VigilClient
    from clients.sdk.analytics import AnalyticsFilter, GroupBy

    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    lines: list[str] = []
    async with bench_database() as url:
        pool = await connect_pool(url)
        try:
            await pool.copy_records_to_table("trades", records=_rows(), columns=COLUMNS)
        finally:
            await pool.close()
        config = Config(listen="127.0.0.1:0", database_url=url, sim_rate=10.0, log_level="warning", log_format="json")
        server = await start(config)
        try:
            warm_ms, stall_ms = await _warm_up(server.service_tasks)
            async with VigilClient(server.address, timeout=60) as client:
                everything = AnalyticsFilter()
                cold = await _timed(client.get_statistics(everything, GroupBy.SESSION))
                month = await _timed(client.get_calendar("2026-06", None, everything))
                filtered = AnalyticsFilter(roots=("NQ",), hours=(9, 10), sources=("manual",))
                computed = []
                for hour in range(8, 16):  # a new filter each time: computed, not remembered
                    f = AnalyticsFilter(roots=("NQ",), hours=(hour,), sources=("manual",))
                    computed.append(await _timed(client.get_statistics(f, GroupBy.SESSION)))
                all_computed = []
                for weekday in range(1, 6):
                    f = AnalyticsFilter(weekdays=(weekday, (weekday % 5) + 1, ((weekday + 1) % 5) + 1))
                    all_computed.append(await _timed(client.get_statistics(f)))
                calendars = [await _timed(client.get_calendar(f"2026-{m:02d}", None, filtered)) for m in range(1, 12)]
                warm = [await _timed(client.get_statistics(filtered, GroupBy.SESSION)) for _ in range(10)]
                selected = (await client.get_statistics(filtered)).overall.trades
            screen = await _screen(server.address)  # the server computes the screen's answers
            again = sorted([await _screen(server.address) for _ in range(3)])  # remembered: the TUI's own time
        finally:
            await server.stop()
    computed.sort()
    all_computed.sort()
    calendars.sort()
    warm.sort()
    lines.append(
        f"analytics server start: the background read of {TRADES:,} closed trades took {warm_ms:,.0f} ms; the event "
        f"loop's longest stall meanwhile {stall_ms:,.0f} ms"
    )
    lines.append(
        f"analytics gRPC, {TRADES:,} closed trades: first GetStatistics after the start (computed, all trades, per "
        f"session) {cold:,.0f} ms; GetCalendar of a month {month:,.0f} ms"
    )
    lines.append(
        f"analytics gRPC, new filter each call (computed): statistics over ~60,000 trades (3 weekdays) median "
        f"{all_computed[len(all_computed) // 2]:,.0f} ms, max {all_computed[-1]:,.0f} ms; root+hour+source "
        f"(~{selected // 2:,}-trade slices) median {computed[len(computed) // 2]:,.0f} ms; calendar with a filter "
        f"median {calendars[len(calendars) // 2]:,.0f} ms"
    )
    lines.append(f"analytics gRPC, same request again (remembered): median {warm[len(warm) // 2]:,.1f} ms")
    lines.append(
        f"analytics TUI: Journal screen showing a year ({TRADES:,} trades) on a real server: {screen[0]:,.0f} ms "
        f"({screen[1]:,.0f} ms CPU of the process, server included); opened again in a new app, the server's "
        f"answers remembered: median {again[1][0]:,.0f} ms ({again[1][1]:,.0f} ms CPU)"
    )
    return lines


async def _warm_up(tasks: list[asyncio.Task[None]]) -> tuple[float, float]:
    """How long the server's background read of the trades takes from the start, and the longest the event loop
    (the kernel's) went without running a 10 ms ticker meanwhile (beyond the 10 ms)."""
    warm = next(t for t in tasks if t.get_name() == "analytics-warm")
    start = last = time.perf_counter()
    stall = 0.0
    while not warm.done():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        stall = max(stall, now - last - 0.01)
        last = now
    return (time.perf_counter() - start) * 1000, stall * 1000


async def _screen(address: str) -> tuple[float, float]:
    """Wall and CPU ms from the J key until the screen shows the year (statistics, calendar, equity)."""
    from textual.widgets import DataTable

    from tui.app import VigilApp
    from tui.screens.analytics import AnalyticsScreen
    from tui.widgets.equity_chart import EquityChart
    from tui.widgets.pnl_month import PnlMonth

    now = ns_from_datetime(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    app = VigilApp(address, clock=lambda: now)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        start, cpu = time.perf_counter(), time.process_time()
        await pilot.press("J")
        while True:
            screen = app.screen
            if isinstance(screen, AnalyticsScreen):
                stats = screen.query_one("#analytics-stats", DataTable)
                month = screen.query_one(PnlMonth)
                equity = screen.query_one("#analytics-equity", EquityChart)
                if stats.row_count and month.data.month is not None and len(equity.days) > 200:
                    break
            await asyncio.sleep(0.005)
        await pilot.pause()
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    from core_server.log_config import configure_logging

    configure_logging("warning", "json")
    loop = _calibration()
    for line in asyncio.run(_run()):
        print(line)
    print(f"analytics calibration: a bare 1,000,000-step Python loop took {loop * 1000:,.0f} ms on this machine now")
