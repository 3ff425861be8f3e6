"""BacktestJobs against the store: a running run cancelled (its worker killed, nothing reported), and runs left
queued or running by a stopped server marked failed at the next start."""

from __future__ import annotations

import asyncpg

from bench.backtest import ES as BENCH_ES
from bench.backtest import generate
from core_server.backtest_jobs.jobs import BacktestJobs
from core_server.backtest_jobs.settings import RunSettings
from core_server.model.clock import TestClock
from core_server.model.errors import FailedPrecondition
from core_server.storage.backtests import BacktestRepository, RunRow
from core_server.storage.ticks import TickRepository, tick_row


async def test_a_running_run_is_cancelled_and_reports_nothing(pg_pool: asyncpg.Pool, database_url: str) -> None:
    ticks = generate(400_000, days=2)
    repo = TickRepository(pg_pool)
    for i in range(0, len(ticks), 100_000):
        await repo.copy_ticks(f"b{i}", [tick_row(t) for t in ticks[i : i + 100_000]])
    jobs = BacktestJobs(BacktestRepository(pg_pool), database_url, TestClock(1))
    try:
        run = await jobs.start(RunSettings(BENCH_ES.id, "2025-10-06", "2025-10-07", "bracket-a-day"))
        async for row in jobs.follow(run.run_id):
            if row.status == "running" and row.ticks_done > 0:
                break
        cancelled = await jobs.cancel(run.run_id)
        assert cancelled.status == "cancelled"
        stored = await BacktestRepository(pg_pool).get(run.run_id)
        assert stored is not None and stored.status == "cancelled" and stored.summary == {}
        try:
            await jobs.report(run.run_id)
        except FailedPrecondition as refused:
            assert "cancelled" in str(refused)
        else:
            raise AssertionError("a cancelled run has no report")
    finally:
        await jobs.close()


async def test_runs_left_unfinished_by_a_stopped_server_are_marked_failed(pg_pool: asyncpg.Pool) -> None:
    store = BacktestRepository(pg_pool)
    settings = {"symbol": "ES"}
    await store.insert([RunRow("bt-a", "", "running", settings, {}, "ESZ2026", 1),
                        RunRow("bt-b", "", "queued", settings, {}, "ESZ2026", 2),
                        RunRow("bt-c", "", "done", settings, {}, "ESZ2026", 3)])  # fmt: skip
    jobs = BacktestJobs(store, "", TestClock(99))
    await jobs.recover()
    statuses = {r.run_id: (r.status, r.error) for r in await store.list()}
    assert statuses["bt-a"] == statuses["bt-b"] == ("failed", "the server stopped before the run finished")
    assert statuses["bt-c"] == ("done", "")
