"""BacktestJobs: queued backtests run in worker processes (spawned, so the live server's event loop and kernel are
never shared or blocked), with progress, cancellation, sweeps and results stored in the database.

At most `workers` runs at once; the rest wait in order. A run's progress lives in memory while it runs (the
store has its status transitions and, once done, its summary and the report JSON byte for byte as the worker
made it). Cancelling a running job kills its process. Runs left queued or running by a stopped server are
marked failed at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import multiprocessing
import queue
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from core_server.backtest_jobs.settings import RunSettings
from core_server.backtest_jobs.strategies import BUILT_IN, strategy_stage
from core_server.backtest_jobs.worker import worker_main
from core_server.model.clock import Clock
from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.storage.backtests import BacktestRepository, RunRow

log = structlog.get_logger(__name__)

MAX_WAITING = 2000
MAX_SWEEP_RUNS = 1000
POLL_S = 0.05
REPORT_CACHE = 4


@dataclass(slots=True)
class _Running:
    process: BaseProcess
    out: Any  # multiprocessing.Queue
    task: asyncio.Task[None] | None = None


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class BacktestJobs:
    def __init__(
        self,
        store: BacktestRepository,
        dsn: str,
        clock: Clock,
        *,
        workers: int = 1,
        id_factory: Callable[[str], str] = _new_id,
        stored: Callable[[str], tuple[str, int] | None] | None = None,
        commission: Callable[[str], Decimal] | None = None,
    ) -> None:
        """`stored(strategy_id)`: a strategy loaded in the server, as (definition text, current version);
        `commission(root)`: the server's rate per contract per side, for runs that name none."""
        self.store = store
        self.dsn = dsn
        self.clock = clock
        self.workers = max(1, workers)
        self._new_id = id_factory
        self._ctx = multiprocessing.get_context("spawn")
        self._active: dict[str, RunRow] = {}
        self._waiting: deque[str] = deque()
        self._running: dict[str, _Running] = {}
        self._changed = asyncio.Condition()
        self._reports: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._closed = False
        self._stored = stored
        self._commission = commission

    async def recover(self) -> None:
        count = await self.store.mark_interrupted(self.clock.now_ns())
        if count:
            log.warning("backtests.interrupted", runs=count)

    # -- starting -------------------------------------------------------------------------------------------

    def _resolve(self, settings: RunSettings) -> RunSettings:
        """What the server fills in: its commission rate for the contract when the run names none (a backtest pays
        what live trading pays), and for a strategy loaded in the server, its current definition."""
        if not settings.commission.strip() and self._commission is not None:
            settings = replace(settings, commission=str(self._commission(settings.contract().root)))
        name = settings.strategy.strip()
        if not name or settings.definition.strip() or name in BUILT_IN or self._stored is None:
            return settings
        found = self._stored(name)
        if found is None:
            return settings
        definition, version = found
        return replace(settings, definition=definition, stored_version=version)

    def _check(self, settings: RunSettings) -> str:
        config = settings.config()
        strategy_stage(settings, config)  # a bad strategy or parameter is refused now, not in the worker
        return config.contracts[0].id

    async def start(self, settings: RunSettings) -> RunRow:
        (row,) = await self._queue([(settings, {})], "")
        return row

    async def start_sweep(
        self, base: RunSettings, grid: Sequence[tuple[str, Sequence[str]]]
    ) -> tuple[str, list[RunRow]]:
        if not grid:
            raise InvalidArgument("grid", "name at least one parameter with values")
        names = [name for name, _ in grid]
        if len(set(names)) != len(names):
            raise InvalidArgument("grid", "each parameter once")
        total = 1
        for name, values in grid:
            if not values:
                raise InvalidArgument(f"grid.{name[:40]}", "give at least one value")
            total *= len(values)
            if total > MAX_SWEEP_RUNS:
                raise InvalidArgument("grid", f"at most {MAX_SWEEP_RUNS} combinations")
        points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(v for _, v in grid))]
        sweep_id = self._new_id("sw")
        rows = await self._queue([(base.with_params(p), p) for p in points], sweep_id)
        return sweep_id, rows

    async def _queue(self, runs: list[tuple[RunSettings, dict[str, str]]], sweep_id: str) -> list[RunRow]:
        if self._closed:
            raise FailedPrecondition("backtests", "the server is stopping")
        if len(self._waiting) + len(runs) > MAX_WAITING:
            raise FailedPrecondition("backtests", f"at most {MAX_WAITING} runs may wait; cancel some or try later")
        runs = [(self._resolve(s), params) for s, params in runs]
        now = self.clock.now_ns()
        rows = [
            RunRow(self._new_id("bt"), sweep_id, "queued", json.loads(s.to_json()), params, self._check(s), now)
            for s, params in runs
        ]
        await self.store.insert(rows)
        for row in rows:
            self._active[row.run_id] = row
            self._waiting.append(row.run_id)
        answer = [replace(r) for r in rows]  # as queued
        await self._notify()
        self._pump()
        return answer

    # -- running --------------------------------------------------------------------------------------------

    def _pump(self) -> None:
        while self._waiting and len(self._running) < self.workers and not self._closed:
            run_id = self._waiting.popleft()
            row = self._active[run_id]
            out = self._ctx.Queue()
            process = self._ctx.Process(
                target=worker_main, args=(json.dumps(row.settings), self.dsn, out), name=f"backtest-{run_id}",
                daemon=True,
            )  # fmt: skip
            process.start()
            running = _Running(process, out)
            self._running[run_id] = running
            row.status, row.started_ns = "running", self.clock.now_ns()
            running.task = asyncio.get_running_loop().create_task(self._watch(row, running), name=f"watch-{run_id}")
            log.info("backtest.started", run_id=run_id, pid=process.pid)

    async def _watch(self, row: RunRow, running: _Running) -> None:
        report: str | None = None
        try:
            await self._save(row)
            while row.status == "running":
                messages = _drain(running.out)
                if not messages and not running.process.is_alive():
                    messages = _drain(running.out)
                    if not messages:
                        row.status, row.error = "failed", f"the worker exited ({running.process.exitcode})"
                for message in messages:
                    kind = message[0]
                    if kind == "progress":
                        row.ticks_done, row.ticks_total, row.reached_ns = message[1], message[2], message[3]
                    elif kind == "done":
                        report = message[1]
                        parsed = json.loads(report)
                        row.status, row.summary = "done", parsed["summary"]
                        row.ticks_done = max(row.ticks_done, int(parsed["data"]["ticks"]))
                        row.ticks_total = max(row.ticks_total, row.ticks_done)
                        self._remember(row.run_id, parsed)
                    elif kind == "failed":
                        row.status, row.error = "failed", message[1]
                        if len(message) > 2:
                            log.error("backtest.failed", run_id=row.run_id, detail=message[2])
                if row.status == "running":
                    await self._notify()
                    await asyncio.sleep(POLL_S)
        finally:
            self._running.pop(row.run_id, None)
            if running.process.is_alive():
                running.process.kill()
            running.process.join(timeout=1)
            if row.status == "running":  # the watcher itself was cancelled (shutdown)
                row.status, row.error = "failed", "the server stopped before the run finished"
            row.finished_ns = self.clock.now_ns()
            with contextlib.suppress(Exception):
                await self._save(row, report)
            self._active.pop(row.run_id, None)
            log.info("backtest.finished", run_id=row.run_id, status=row.status, ticks=row.ticks_done)
            await self._notify()
            if not self._closed:
                self._pump()

    async def _save(self, row: RunRow, report: str | None = None) -> None:
        await self.store.update(row, report)
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- cancelling -----------------------------------------------------------------------------------------

    async def cancel(self, run_id: str) -> RunRow:
        row = self._active.get(run_id)
        if row is None:
            stored = await self.get(run_id)
            raise FailedPrecondition("run_id", f"run {run_id} is already {stored.status}")
        running = self._running.get(run_id)
        row.status, row.error = "cancelled", "cancelled"
        if running is None:
            with contextlib.suppress(ValueError):
                self._waiting.remove(run_id)
            row.finished_ns = self.clock.now_ns()
            self._active.pop(run_id, None)
            await self._save(row)
        else:
            running.process.kill()
            if running.task is not None:
                await asyncio.shield(running.task)
        return replace(row)

    async def close(self) -> None:
        self._closed = True
        for run_id in list(self._waiting):
            row = self._active.pop(run_id)
            row.status, row.error, row.finished_ns = "failed", "the server stopped before the run started", 0
            with contextlib.suppress(Exception):
                await self.store.update(row)
        self._waiting.clear()
        tasks = [r.task for r in self._running.values() if r.task is not None]
        for r in list(self._running.values()):
            r.process.kill()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- reading --------------------------------------------------------------------------------------------

    async def get(self, run_id: str) -> RunRow:
        active = self._active.get(run_id)
        if active is not None:
            return replace(active)
        row = await self.store.get(run_id)
        if row is None:
            raise NotFound("run_id", f"no backtest run {run_id[:40]!r}")
        return row

    async def list(self, sweep_id: str = "", limit: int = 50) -> list[RunRow]:
        rows = await self.store.list(sweep_id, limit)
        return [replace(self._active[r.run_id]) if r.run_id in self._active else r for r in rows]

    async def report(self, run_id: str) -> tuple[RunRow, dict[str, Any], str]:
        """A finished run's report (values and the stored JSON text)."""
        row = await self.get(run_id)
        if row.status != "done":
            raise FailedPrecondition("run_id", f"run {run_id} is {row.status}; a report exists once it is done")
        text = await self.store.report(run_id)
        if text is None:
            raise NotFound("run_id", f"run {run_id} has no stored report")
        parsed = self._reports.get(run_id)
        if parsed is None:
            parsed = json.loads(text)
            self._remember(run_id, parsed)
        return row, parsed, text

    def _remember(self, run_id: str, report: dict[str, Any]) -> None:
        self._reports[run_id] = report
        self._reports.move_to_end(run_id)
        while len(self._reports) > REPORT_CACHE:
            self._reports.popitem(last=False)

    async def follow(self, run_id: str) -> AsyncIterator[RunRow]:
        """The run now, then each change, until it has finished."""
        last: tuple[object, ...] | None = None
        while True:
            async with self._changed:
                row = await self.get(run_id)
                state = (row.status, row.ticks_done, row.ticks_total, row.reached_ns)
                if state == last:
                    await self._changed.wait()
                    continue
            last = state
            yield row
            if row.finished:
                return


def _drain(out: Any) -> list[tuple[Any, ...]]:
    messages = []
    with contextlib.suppress(queue.Empty, OSError, ValueError):
        while True:
            messages.append(out.get_nowait())
    return messages
