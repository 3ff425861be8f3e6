"""Background tick writer: O(1) appends on the hot path, batched COPY, and buffering through store outages."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Literal, NamedTuple
from uuid import uuid4

import structlog

from core_server.backoff import Backoff
from core_server.model.clock import NS_PER_HOUR, NS_PER_SECOND, Clock
from core_server.model.market_data import Tick
from core_server.model.store_status import StoreStatus
from core_server.storage.failures import ROW_FAILURES, short_reason
from core_server.storage.ticks import TickRepository, TickRow, tick_row

log = structlog.get_logger(__name__)

StoreMode = Literal["embedded", "external"]

IDLE_PING_NS = 5 * NS_PER_SECOND  # notice an outage even when no ticks flow
WRITE_TIMEOUT_S = 30.0  # a hung server counts as down; a 100k-row batch takes well under a second
PING_TIMEOUT_S = 5.0
LEDGER_PRUNE_EVERY_NS = NS_PER_HOUR
LEDGER_KEEP_S = 24 * 3600.0  # a batch id only matters while its batch may still be retried


class _Batch(NamedTuple):
    """Rows sealed under one id. The id never changes, so a retry after an unknown outcome is a no-op."""

    batch_id: str
    rows: list[TickRow]


class TickWriter:
    """Buffers ticks from the feed and writes them in order, in batches, from `run()`.

    `append`/`extend` never block and never raise. While the store is down the writer keeps up to
    `max_buffer` ticks (later ones are counted as dropped), retries with exponential backoff, and on
    recovery writes everything it kept, in order, each tick exactly once.
    """

    def __init__(
        self,
        repository: TickRepository,
        clock: Clock,
        *,
        flush_interval_s: float = 0.25,
        max_batch: int = 100_000,
        max_buffer: int = 2_000_000,
        mode: StoreMode = "embedded",
        retry_min_s: float = 0.25,
        retry_max_s: float = 5.0,
    ) -> None:
        if flush_interval_s <= 0 or retry_min_s <= 0 or retry_max_s < retry_min_s:
            raise ValueError("flush interval and retry delays must be positive, retry_max_s >= retry_min_s")
        if max_batch < 1 or max_buffer < 1:
            raise ValueError("max_batch and max_buffer must be at least 1")
        self._repository = repository
        self._clock = clock
        self._flush_interval_s = flush_interval_s
        self._max_batch = max_batch
        self._max_buffer = max_buffer
        self._mode: StoreMode = mode
        self._retry_min_s = retry_min_s
        self._retry_max_s = retry_max_s

        self._tail: list[TickRow] = []
        self._sealed: deque[_Batch] = deque()
        self._buffered = 0
        self._written = 0
        self._dropped = 0
        self._episode_drops = 0  # since the buffer last filled up; logged once per episode
        self._rejected_logged = False
        self._available = True
        self._last_flush_ns = 0
        self._last_contact_ns = clock.now_ns()
        self._last_prune_ns = 0
        self._last_error = ""

        self._flush_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()

    # --- hot path -------------------------------------------------------------------------------

    def append(self, tick: Tick, flags: int = 0) -> None:
        """Queue one tick for writing; O(1), never blocks, never raises. `flags`: FLAG_ANOMALY or 0."""
        if self._buffered >= self._max_buffer:
            self._drop(1)
            return
        try:
            row = tick_row(tick, flags)
        except Exception:
            self._reject(tick)
            return
        tail = self._tail
        tail.append(row)
        self._buffered += 1
        if len(tail) >= self._max_batch:
            self._seal_tail()
            self._wake.set()

    def extend(self, ticks: Iterable[Tick]) -> None:
        """Queue ticks in order, as `append` does for each."""
        append = self.append
        for tick in ticks:
            append(tick)

    def status(self) -> StoreStatus:
        return StoreStatus(
            available=self._available,
            mode=self._mode,
            buffered_ticks=self._buffered,
            written_ticks=self._written,
            dropped_ticks=self._dropped,
            last_flush_ns=self._last_flush_ns,
            last_error=self._last_error,
        )

    # --- background -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Flush every `flush_interval_s` (sooner when a batch fills) until `close()`; back off while the
        store is down. Returns soon after `close()`."""
        backoff = self._backoff()
        while not self._closing.is_set():
            if self._available:
                await _wait(self._wake, self._flush_interval_s)
                self._wake.clear()
            else:
                await _wait(self._closing, backoff.next_delay())
            if self._closing.is_set():
                return
            if await self._attempt():
                backoff.reset()

    async def flush(self) -> bool:
        """Write everything buffered, oldest first. Returns False when the store is down; nothing is lost
        then, it stays buffered for the next attempt. Never raises (except cancellation)."""
        async with self._flush_lock:
            while True:
                if not self._sealed:
                    if not self._tail:
                        return True
                    self._seal_tail()
                batch = self._sealed[0]
                try:
                    discarded = await self._write(batch)
                except Exception as exc:
                    self._mark_down(exc)
                    return False
                self._sealed.popleft()
                self._buffered -= len(batch.rows)
                self._written += len(batch.rows) - discarded
                self._last_flush_ns = self._last_contact_ns = self._clock.now_ns()
                self._mark_up()

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop `run()` and write what is buffered, retrying for at most `timeout_s`."""
        self._closing.set()
        self._wake.set()
        backoff = self._backoff()
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    if await self.flush():
                        break
                    await asyncio.sleep(backoff.next_delay())
        except TimeoutError:
            pass
        if self._buffered:
            log.error("store.ticks_lost_at_shutdown", count=self._buffered, reason=self._last_error)

    # --- internals ------------------------------------------------------------------------------

    def _backoff(self) -> Backoff:
        return Backoff(initial_s=self._retry_min_s, maximum_s=self._retry_max_s, jitter=0.0)

    async def _attempt(self) -> bool:
        if self._buffered:
            written = await self.flush()
        else:
            written = await self._ping_when_idle()
        if written:
            await self._prune_ledger_now_and_then()
        return written

    async def _ping_when_idle(self) -> bool:
        now = self._clock.now_ns()
        if self._available and now - self._last_contact_ns < IDLE_PING_NS:
            return True
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await self._repository.ping()
        except Exception as exc:
            self._mark_down(exc)
            return False
        self._last_contact_ns = now
        self._mark_up()
        return True

    async def _prune_ledger_now_and_then(self) -> None:
        now = self._clock.now_ns()
        if now - self._last_prune_ns < LEDGER_PRUNE_EVERY_NS:
            return
        self._last_prune_ns = now
        try:
            await self._repository.prune_batch_ledger(LEDGER_KEEP_S)
        except Exception as exc:
            log.info("store.ledger_prune_failed", reason=short_reason(exc))

    async def _write(self, batch: _Batch) -> int:
        """COPY one batch; returns how many of its rows had to be discarded as unwritable.

        A row the database refuses would block every later tick, so a refused batch is split in halves
        (each with its own derived, stable id) until the bad rows are alone and can be dropped.
        """
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await self._repository.copy_ticks(batch.batch_id, batch.rows)
            return 0
        except ROW_FAILURES as exc:
            if len(batch.rows) == 1:
                self._dropped += 1
                log.error("store.tick_unwritable", row=repr(batch.rows[0]), reason=short_reason(exc))
                return 1
        middle = len(batch.rows) // 2
        first = await self._write(_Batch(f"{batch.batch_id}.0", batch.rows[:middle]))
        return first + await self._write(_Batch(f"{batch.batch_id}.1", batch.rows[middle:]))

    def _seal_tail(self) -> None:
        if self._tail:
            self._sealed.append(_Batch(uuid4().hex, self._tail))
            self._tail = []

    def _drop(self, count: int) -> None:
        self._dropped += count
        if self._episode_drops == 0:
            log.warning(
                "store.buffer_full_dropping_ticks",
                max_buffer=self._max_buffer,
                available=self._available,
                reason=self._last_error,
            )
        self._episode_drops += count

    def _reject(self, tick: object) -> None:
        self._dropped += 1
        if not self._rejected_logged:
            self._rejected_logged = True
            log.error("store.tick_rejected", tick=repr(tick)[:200])

    def _mark_down(self, exc: Exception) -> None:
        reason = short_reason(exc)
        if self._available:
            log.warning("store.unavailable", reason=reason, buffered=self._buffered)
        self._available = False
        self._last_error = reason

    def _mark_up(self) -> None:
        if not self._available:
            self._available = True
            log.info("store.recovered", buffered=self._buffered, dropped=self._dropped)
        if self._episode_drops and self._buffered == 0:
            log.warning("store.ticks_dropped", count=self._episode_drops, max_buffer=self._max_buffer)
            self._episode_drops = 0


async def _wait(event: asyncio.Event, timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        pass
