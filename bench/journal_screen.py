"""The TUI's Journal screen alone: from the J key until the statistics, the calendar and a year of equity show, on
the TUI tests' fake SDK client (a year of 393 trades; its analytics are the real statistics code, ~40 ms of the
CPU), at 120x40, N runs (VIGIL_BENCH_RUNS, default 7), each in a new app. Wall and CPU ms of the process, with the
load average, since the machine the benchmarks share may be busy (`python -m bench analytics` measures the same
screen on a real server with 100,000 trades). Target (issue 12): < 1 s.
"""

from __future__ import annotations

import asyncio
import os
import time


async def _once() -> tuple[float, float]:
    from textual.widgets import DataTable

    from tests.tui.layout_kit import fake_app
    from tui.screens.analytics import AnalyticsScreen
    from tui.widgets.equity_chart import EquityChart
    from tui.widgets.pnl_month import PnlMonth

    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        start, cpu = time.perf_counter(), time.process_time()
        await pilot.press("J")
        while True:
            screen = app.screen
            if isinstance(screen, AnalyticsScreen) and screen.query(PnlMonth):
                stats = screen.query_one("#analytics-stats", DataTable)
                month = screen.query_one(PnlMonth)
                equity = screen.query_one("#analytics-equity", EquityChart)
                if stats.row_count and month.data.month is not None and len(equity.days) > 200:
                    break
            await asyncio.sleep(0.005)
        await pilot.pause()
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    runs = int(os.environ.get("VIGIL_BENCH_RUNS", "7"))
    results = []
    for _ in range(runs):
        results.append(asyncio.run(_once()))
    walls, cpus = sorted(r[0] for r in results), sorted(r[1] for r in results)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"journal screen (fake client, a year of 393 trades, 120x40), {runs} runs: wall median {walls[runs // 2]:,.0f} "
        f"ms (min {walls[0]:,.0f}, max {walls[-1]:,.0f}); CPU median {cpus[runs // 2]:,.0f} ms (min {cpus[0]:,.0f}, "
        f"max {cpus[-1]:,.0f}); load average {load}"
    )
