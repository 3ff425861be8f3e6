"""DurableWriter: the one way the server writes what it decided: bounded, ordered, batched, retried, never silent.

Items are put synchronously (from the kernel's drain) and written in order by `run()` in batches; `commit(item)`
writes an item and everything queued before it now, for a caller that must not answer before it is stored.
After a batch is stored, `on_stored` runs for it in order (publishing on the bus). Failures:

- Unavailable (the store is down): the batch stays queued and is retried with backoff; the queue keeps
  growing up to `max_items`, past which the writer reports itself overloaded (`overflowing`) and the caller
  chooses (the tick path keeps items, a command is refused).
- Any other error (the rows themselves are refused: a bug): retried `poison_retries` times, then the batch is
  set aside in `dead_letters` (kept in memory, counted and logged with what it held) so later items still
  get written. It is never dropped without a trace, and the writer itself never exits.

Its status (queue depth, last error, dead letters, written) is what health and metrics show.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from core_server.backoff import Backoff
from core_server.model.clock import Clock
from core_server.model.errors import Unavailable

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriterStatus:
    name: str
    queued: int
    written: int
    failures: int  # consecutive failed attempts (0 once a write succeeds)
    last_error: str
    last_error_ns: int
    last_written_ns: int
    dead_letters: int
    available: bool
    errors: int = 0  # failed attempts since start


class DurableWriter(Generic[T]):
    def __init__(
        self,
        name: str,
        sink: Callable[[Sequence[T]], Awaitable[None]],
        clock: Clock,
        *,
        on_stored: Callable[[Sequence[T]], None] | None = None,
        interval_s: float = 0.02,
        max_batch: int = 5_000,
        max_items: int = 1_000_000,
        poison_retries: int = 3,
        backoff: Backoff | None = None,
    ) -> None:
        self.name = name
        self._sink = sink
        self._clock = clock
        self._on_stored = on_stored
        self._interval_s = interval_s
        self._max_batch = max_batch
        self._max_items = max_items
        self._poison_retries = poison_retries
        self._backoff = backoff or Backoff(initial_s=0.1, maximum_s=5.0)
        self._queue: deque[T] = deque()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._written = 0
        self._failures = 0
        self._errors = 0
        self._poison_attempts = 0
        self._last_error = ""
        self._last_error_ns = 0
        self._last_written_ns = 0
        self._available = True
        self.dead_letters: list[tuple[str, list[T]]] = []

    # -- putting --------------------------------------------------------------------------------------------

    def put(self, item: T) -> None:
        self._queue.append(item)
        self._wake.set()

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def overflowing(self) -> bool:
        return len(self._queue) >= self._max_items

    def status(self) -> WriterStatus:
        return WriterStatus(
            self.name, len(self._queue), self._written, self._failures, self._last_error, self._last_error_ns,
            self._last_written_ns, len(self.dead_letters), self._available, self._errors,
        )  # fmt: skip

    # -- writing --------------------------------------------------------------------------------------------

    async def commit(self, item: T) -> None:
        """Store `item` and everything queued before it, now. Unavailable (or the sink's error): the item is not
        kept (the caller undoes what it stands for) and the earlier items stay queued, in order."""
        async with self._lock:
            batch = [*self._queue, item]
            await self._sink(batch)
            self._queue.clear()
            self._stored(batch)

    async def flush(self) -> None:
        """Store everything queued so far; Unavailable (or the sink's error) leaves it queued."""
        async with self._lock:
            while self._queue:
                batch = list(self._queue)[: self._max_batch]
                await self._sink(batch)
                for _ in batch:
                    self._queue.popleft()
                self._stored(batch)

    async def run(self) -> None:
        """Write the queue as it fills, until cancelled; errors are retried or set aside, never raised."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval_s)  # gather a burst into one batch
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self._failed(exc)
                if delay is None:
                    await self._set_aside_poison()
                    delay = 0.0
                await asyncio.sleep(delay)
                self._wake.set()

    async def stop(self) -> None:
        """A last attempt to store what is queued (shutdown); what could not be stored is logged."""
        try:
            await self.flush()
        except Exception as exc:
            log.error("writer.unsaved_at_stop", writer=self.name, queued=len(self._queue), reason=str(exc))

    def _stored(self, batch: Sequence[T]) -> None:
        self._written += len(batch)
        self._last_written_ns = self._clock.now_ns()
        if not self._available:
            log.info("writer.recovered", writer=self.name, after_failures=self._failures)
        self._available = True
        self._failures = 0
        self._poison_attempts = 0
        self._backoff.reset()
        if self._on_stored is not None:
            try:
                self._on_stored(batch)
            except Exception:  # a subscriber's bug must not make a stored batch look unstored
                log.exception("writer.after_store_failed", writer=self.name)

    async def _set_aside_poison(self) -> None:
        """Write the head batch item by item: the items the store refuses go to `dead_letters`, the rest are
        stored in order."""
        async with self._lock:
            for _ in range(min(len(self._queue), self._max_batch)):
                item = self._queue[0]
                try:
                    await self._sink([item])
                except Unavailable:
                    return  # the store went away meanwhile: back to retrying
                except Exception as exc:
                    self._queue.popleft()
                    self.dead_letters.append((str(exc) or type(exc).__name__, [item]))
                    log.error("writer.item_set_aside", writer=self.name, reason=str(exc), item=repr(item)[:2000])
                    continue
                self._queue.popleft()
                self._stored([item])

    def _failed(self, exc: Exception) -> float | None:
        """The delay before the next attempt, or None when the head batch is to be written item by item."""
        self._failures += 1
        self._errors += 1
        self._last_error = str(exc) or type(exc).__name__
        self._last_error_ns = self._clock.now_ns()
        if isinstance(exc, Unavailable):
            if self._available:
                log.warning(
                    "writer.store_unavailable", writer=self.name, reason=self._last_error, queued=len(self._queue)
                )
            self._available = False
            return self._backoff.next_delay()
        self._poison_attempts += 1
        log.error(
            "writer.batch_refused", writer=self.name, reason=self._last_error, attempt=self._poison_attempts,
            exc_info=exc,
        )  # fmt: skip
        if self._poison_attempts >= self._poison_retries:
            self._poison_attempts = 0
            return None
        return self._backoff.next_delay()


async def stop_task(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
