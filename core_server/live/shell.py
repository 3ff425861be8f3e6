"""LiveKernel: the live server's shell around the one TradingKernel: ticks in, time passing, commands, and out.

- Ticks: feeds call `on_ticks` synchronously; the kernel runs its whole chain within the call, then the shell
  drains what it produced: market data is published and handed to the tick and candle writers at once, every
  trading record goes to the journal's DurableWriter and is published once stored.
- Time: a timer calls `advance` every `interval_s` (candles closing on time, arrivals, expiry, risk's day roll,
  strategy timers). At the CME trading-day roll (and once a restore is stored) finished orders leave the
  engine's memory; the store keeps them, and ListOrders reads them from there.
- Commands (`command(fn)`) run one at a time under a lock: `fn(kernel, now)` changes the kernel, its records are
  committed together with everything queued before them, and only then does the call return. If the store
  refuses, the kernel is put back to the rollback point taken just before, so nothing is half-applied, and the
  caller gets Unavailable. Ticks arriving while a command awaits its commit are held and applied right after,
  so a rollback never erases what the market did.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

import structlog

from core_server.calendar.trading_day import trading_day_bounds
from core_server.durable import DurableWriter
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import KernelOutput, StageFailure
from core_server.live.journal import KernelJournal
from core_server.live.ports import JournalBatch
from core_server.model.clock import Clock
from core_server.model.errors import Unavailable, VigilError
from core_server.model.market_data import Tick

log = structlog.get_logger(__name__)

T = TypeVar("T")
INTERVAL_S = 0.02
# A kept decision's broker calls go out before its commit, which waits for them at most this long (`sends_first`).
SENDS_FIRST_S = 0.006


class MarketSink(Protocol):
    """Where the market part of a drain goes (market_data.engine.MarketDataEngine in the server)."""

    def publish(self, output: KernelOutput) -> None: ...


class LiveKernel:
    def __init__(
        self,
        clock: Clock,
        kernel: TradingKernel,
        journal: KernelJournal,
        writer: DurableWriter[JournalBatch],
        market: MarketSink,
        *,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self.clock = clock
        self.kernel = kernel
        self.journal = journal
        self.writer = writer
        self.market = market
        self._interval_s = interval_s
        self._lock = asyncio.Lock()
        self._holding = False
        self._held: list[Tick] = []
        self._deferred: list[Callable[[TradingKernel, int], object]] = []
        self.stage_failures = 0
        self._roll_ns = 0  # the end of the current CME trading day (0: not known yet)
        # Called with every output once it is committed (or queued to be, for a tick or a kept decision): the
        # broker router sends what the kernel decided for LIVE accounts (live/broker_router.py).
        self.output_listeners: list[Callable[[KernelOutput], None]] = []
        # Awaited, at most SENDS_FIRST_S, between publishing a kept decision and committing it: until the broker
        # router's calls are answered (live/broker_router.py). A kept decision stands whether or not the store
        # takes it, so its orders need not wait for the store; the commit's work (rows, JSON, a transaction of
        # several statements whose answers the loop handles) would otherwise run in the core and in PostgreSQL
        # while a copy fan-out's requests are being written. The rows are stored about 1 ms later than when the
        # commit started at once (copy bench, BENCHMARKS.md); nothing else waits (the lock is held as before).
        self.sends_first: Callable[[], Awaitable[None]] | None = None

    # -- ticks ----------------------------------------------------------------------------------------------

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        if self._holding:
            self._held.extend(ticks)
            return
        on_tick = self.kernel.on_tick
        for tick in ticks:
            on_tick(tick)
        if ticks:
            self._drain(ticks[-1].ts_event)

    # -- time -----------------------------------------------------------------------------------------------

    def advance(self) -> None:
        if self._holding:
            return
        now = self.clock.now_ns()
        self.kernel.advance_to(now)
        self._drain(now)
        self.forget_stored_signals()
        if now >= self._roll_ns:
            if self._roll_ns:
                self.archive_finished(now)
            else:  # the first step (a shell not restored from the store): nothing to archive yet
                self._roll_ns = trading_day_bounds(now)[2]

    def archive_finished(self, now: int) -> None:
        """At the CME trading-day roll, and once a restore from the store is drained: finished orders leave the
        engine's memory (the step that ended them is drained, its records already built); the store keeps them."""
        archived = self.kernel.execution.archive_finished()
        self.journal.forget_orders(archived)
        self._roll_ns = trading_day_bounds(now)[2]
        if archived:
            log.info("execution.orders_archived", orders=len(archived), held=self.kernel.execution.held_orders())

    def forget_stored_signals(self) -> int:
        """Settled signals leave the validator's memory once everything decided so far is stored (nothing
        queued, nothing set aside): the store answers for them from then on. How many left."""
        validator = self.kernel.signals
        writer = self.writer
        if validator is None or writer.queued or writer.dead_letters:
            return 0
        return validator.forget_settled()

    async def run_timer(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self.advance()

    def apply(self, run: Callable[[TradingKernel, int], object]) -> None:
        """Run a step that needs no acknowledgement (a feed gap, a stopped feed) now, or right after the command
        in progress."""
        if self._holding:
            self._deferred.append(run)
            return
        now = self.clock.now_ns()
        run(self.kernel, now)
        self._drain(now)

    # -- commands -------------------------------------------------------------------------------------------

    async def command(
        self,
        run: Callable[[TradingKernel, int], T],
        *,
        extra: Callable[[JournalBatch], None] | None = None,
        keep: bool = False,
        actor: str = "",
    ) -> T:
        """Run `run(kernel, now)` as one command, stored before it returns. VigilError from `run`: refused, nothing
        changed (the risk decisions it caused are still journaled); Unavailable: not stored, nothing changed.
        `extra` adds records of the caller's own to the command's batch (new rules, the emergency stop flag).
        `keep`: a decision that stands even if the store is down (a signal's: a retry of the same alert finds
        it): on Unavailable it stays queued, to be stored in order once the store is back, instead of being
        undone. Shielded: a caller that goes away (a cancelled RPC) cannot leave a commit half-known.
        `actor`: who asked (the audit trail records it on the command's execution changes and risk entries)."""
        return await asyncio.shield(self._command(run, extra, keep, actor))

    async def _command(
        self,
        run: Callable[[TradingKernel, int], T],
        extra: Callable[[JournalBatch], None] | None,
        keep: bool,
        actor: str,
    ) -> T:
        async with self._lock:
            kernel = self.kernel
            point = None if keep else kernel.rollback_point()  # a kept decision is never undone
            self._holding = True
            try:
                now = self.clock.now_ns()
                try:
                    result = run(kernel, now)
                except VigilError:
                    self._drain(now, actor)
                    raise
                output = kernel.take_output()
                batch = self.journal.batch_of(output, now, actor)
                if extra is not None:
                    extra(batch)
                if keep:
                    self.writer.put(batch)
                    self._publish(output)
                    if output.execution and self.sends_first is not None:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self.sends_first(), SENDS_FIRST_S)
                    try:
                        await self.writer.flush()
                    except Unavailable:
                        raise
                    except Exception as exc:  # the rows are refused: the writer retries or sets them aside
                        raise Unavailable(f"decided, not stored yet: {exc}") from exc
                    return result
                try:
                    await self.writer.commit(batch)
                except BaseException:
                    assert point is not None
                    kernel.restore(point)
                    self.journal.forget_states(batch)
                    raise
                self._publish(output)
                self._log_failures(output.failures)
                return result
            finally:
                self._holding = False
                held, self._held = self._held, []
                if held:
                    self.on_ticks(held)
                deferred, self._deferred = self._deferred, []
                for step in deferred:
                    self.apply(step)

    # -- draining -------------------------------------------------------------------------------------------

    def _drain(self, ts_ns: int, actor: str = "") -> None:
        output = self.kernel.take_output()
        if not output:
            return
        self._publish(output)
        if output.failures:
            self._log_failures(output.failures)
        batch = self.journal.batch_of(output, ts_ns, actor)
        if not batch.empty:
            self.writer.put(batch)

    def _publish(self, output: KernelOutput) -> None:
        self.market.publish(output)
        for listener in self.output_listeners:
            listener(output)

    def _log_failures(self, failures: Sequence[StageFailure]) -> None:
        for failure in failures:
            self.stage_failures += 1
            log.error(
                "kernel.stage_failed", stage=failure.stage.value, ts_ns=failure.ts_ns, contract=failure.contract_id,
                held_accounts=list(failure.accounts), error=failure.error, traceback=failure.detail,
            )  # fmt: skip
