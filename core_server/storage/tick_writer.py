"""The tick writer: O(1) appends on the hot path, batched binary COPY, buffering through store outages.

It is the server's DurableWriter (bounded, ordered, batched, retried with the shared backoff, never silent)
carrying tick rows, with a sink that COPYs each sealed batch under its key through the `tick_batches` ledger:
a batch retried after an unknown outcome (a lost acknowledgement) is written exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

import structlog

from core_server.backoff import Backoff
from core_server.durable import DurableWriter, Sealed, WriterStatus
from core_server.model.clock import NS_PER_HOUR, Clock
from core_server.model.errors import Unavailable
from core_server.model.market_data import Tick
from core_server.model.store_status import StoreStatus
from core_server.storage.failures import ROW_FAILURES, short_reason
from core_server.storage.ticks import TickRepository, TickRow, tick_row

log = structlog.get_logger(__name__)

StoreMode = Literal["embedded", "external"]

IDLE_PING_S = 5.0  # notice an outage even when no ticks flow
WRITE_TIMEOUT_S = 30.0  # a hung server counts as down; a 100k-row batch takes well under a second
PING_TIMEOUT_S = 5.0
LEDGER_PRUNE_EVERY_NS = NS_PER_HOUR
LEDGER_KEEP_S = 24 * 3600.0  # a batch id only matters while its batch may still be retried


class TickWriter:
    """Buffers ticks from the feed and writes them in order, in batches, from `run()`.

    `append`/`extend` never block and never raise. While the store is down the writer keeps up to
    `max_buffer` ticks (later ones are counted as dropped), retries with exponential backoff, and on
    recovery writes everything it kept, in order, each tick exactly once. A row the database refuses is
    isolated (its batch split in halves, each with a key derived from its batch's) and counted as dropped.
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
        self._mode: StoreMode = mode
        self._rejected = 0
        self._last_prune_ns = 0
        self.writer: DurableWriter[TickRow] = DurableWriter(
            "ticks", self._copy, clock, interval_s=flush_interval_s, max_batch=max_batch, max_items=max_buffer,
            poison_retries=1,  # a refused row is refused again: isolate it at once
            backoff=Backoff(initial_s=retry_min_s, maximum_s=retry_max_s, jitter=0.0),
            probe=self._ping, probe_every_s=IDLE_PING_S,
        )  # fmt: skip
        self._offer = self.writer.offer

    # --- hot path -------------------------------------------------------------------------------

    def append(self, tick: Tick, flags: int = 0) -> None:
        """Queue one tick for writing; O(1), never blocks, never raises. `flags`: FLAG_ANOMALY or 0."""
        try:
            row = tick_row(tick, flags)
        except Exception:
            self._reject(tick)
            return
        self._offer(row)

    def extend(self, ticks: Iterable[Tick]) -> None:
        """Queue ticks in order, as `append` does for each."""
        append = self.append
        for tick in ticks:
            append(tick)

    def status(self) -> StoreStatus:
        s = self.writer.status()
        return StoreStatus(
            available=s.available,
            mode=self._mode,
            buffered_ticks=s.queued,
            written_ticks=s.written,
            dropped_ticks=s.dropped + self._rejected + s.dead_letters,
            last_flush_ns=s.last_written_ns,
            last_error=s.last_error,
        )

    def writer_status(self) -> WriterStatus:
        """The writer's status with the ticks refused before queueing (malformed) counted as dropped."""
        s = self.writer.status()
        return replace(s, dropped=s.dropped + self._rejected)

    # --- background -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Flush every `flush_interval_s` until `close()`; back off while the store is down."""
        await self.writer.run()

    async def flush(self) -> bool:
        """Write everything buffered, oldest first. Returns False when the store is down; nothing is lost
        then, it stays buffered for the next attempt. Never raises (except cancellation)."""
        return await self.writer.drain()

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop `run()` and write what is buffered, retrying for at most `timeout_s`."""
        if not await self.writer.stop(timeout_s):
            log.error("store.ticks_lost_at_shutdown", count=self.writer.queued, reason=self.writer.status().last_error)

    # --- the sink -------------------------------------------------------------------------------

    async def _copy(self, batch: Sealed[TickRow]) -> None:
        """COPY one sealed batch under its key. A refused row raises as it is (the writer isolates it); any
        other failure means the store is down (Unavailable: retried with the same key)."""
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await self._repository.copy_ticks(batch.key, batch.items)
        except ROW_FAILURES:
            raise
        except Unavailable:
            raise
        except Exception as exc:
            raise Unavailable(short_reason(exc)) from exc
        await self._prune_ledger_now_and_then()

    async def _ping(self) -> None:
        async with asyncio.timeout(PING_TIMEOUT_S):
            await self._repository.ping()

    async def _prune_ledger_now_and_then(self) -> None:
        now = self._clock.now_ns()
        if now - self._last_prune_ns < LEDGER_PRUNE_EVERY_NS:
            return
        self._last_prune_ns = now
        try:
            await self._repository.prune_batch_ledger(LEDGER_KEEP_S)
        except Exception as exc:
            log.info("store.ledger_prune_failed", reason=short_reason(exc))

    def _reject(self, tick: object) -> None:
        self._rejected += 1
        if self._rejected == 1:
            log.error("store.tick_rejected", tick=repr(tick)[:200])
