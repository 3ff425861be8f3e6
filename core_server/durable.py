"""DurableWriter: the one way the server writes: bounded, ordered, batched, retried, never silent.

Every store write goes through one: the journal (execution, trades, signals, strategies, risk, as the kernel's
journal batches), ticks and candles.

Items are put synchronously (`put`, or `offer` for a producer that drops rather than grows past the bound) and
written in order by `run()` in batches; `commit(item)` writes an item and everything queued before it now, for a
caller that must not answer before it is stored. After a batch is stored, `on_stored` runs for it in order
(publishing on the bus).

Batches are sealed once formed: a batch is retried exactly as it was first tried, with the same `key`, so a sink
that remembers keys (the ticks' batch ledger) writes an item exactly once even when an acknowledgement was lost.

Failures:

- Unavailable (the store is down): the batch stays queued and is retried with the shared backoff; the queue keeps
  growing up to `max_items`, past which the writer reports itself overloaded (`overflowing`) and the caller
  chooses (a command is refused; `offer` drops the item and counts it).
- Any other error (the rows themselves are refused: a bug): retried `poison_retries` times, then the batch is
  split in halves until the refused items are alone; those are set aside in `dead_letters` (kept in memory,
  counted and logged with what they held) so later items still get written. Nothing is dropped without a trace,
  and the writer itself never exits (until `stop()`).
- With a `probe`, an idle writer checks the store every `probe_every_s`, so an outage shows while nothing is
  written.

Its status (queue depth, last error, dead letters, dropped, written) is what health and metrics show.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, overload
from uuid import uuid4

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
    dropped: int = 0  # items offered past the bound (or refused by the producer's own checks)


class Sealed(Sequence[T]):
    """One batch as the sink gets it: its items in order and a key that stays the same on every retry."""

    __slots__ = ("items", "key")

    def __init__(self, items: list[T], key: str) -> None:
        self.items = items
        self.key = key

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.items[index]

    def halves(self) -> tuple[Sealed[T], Sealed[T]]:
        middle = len(self.items) // 2
        return Sealed(self.items[:middle], f"{self.key}.0"), Sealed(self.items[middle:], f"{self.key}.1")


class DurableWriter(Generic[T]):
    def __init__(
        self,
        name: str,
        sink: Callable[[Sealed[T]], Awaitable[object]],
        clock: Clock,
        *,
        on_stored: Callable[[Sequence[T]], None] | None = None,
        interval_s: float = 0.02,
        max_batch: int = 5_000,
        max_items: int = 1_000_000,
        poison_retries: int = 3,
        backoff: Backoff | None = None,
        probe: Callable[[], Awaitable[object]] | None = None,
        probe_every_s: float = 5.0,
    ) -> None:
        if interval_s <= 0 or probe_every_s <= 0:
            raise ValueError("interval_s and probe_every_s must be positive")
        if max_batch < 1 or max_items < 1 or poison_retries < 1:
            raise ValueError("max_batch, max_items and poison_retries must be at least 1")
        self.name = name
        self._sink = sink
        self._clock = clock
        self._on_stored = on_stored
        self._interval_s = interval_s
        self._max_batch = max_batch
        self._max_items = max_items
        self._poison_retries = poison_retries
        self._backoff = backoff or Backoff(initial_s=0.1, maximum_s=5.0)
        self._probe = probe
        self._probe_every_s = probe_every_s
        self._queue: deque[T] = deque()
        self._sealed: deque[Sealed[T]] = deque()  # formed batches, front first: retried exactly as tried
        self._sealed_items = 0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._woken = False  # mirrors _wake, read on the hot path without a call
        self._closing = asyncio.Event()
        self._written = 0
        self._failures = 0
        self._errors = 0
        self._dropped = 0
        self._episode_drops = 0  # since the queue last filled up; logged once per episode
        self._poison_attempts = 0
        self._last_error = ""
        self._last_error_ns = 0
        self._last_written_ns = 0
        self._available = True
        self.dead_letters: list[tuple[str, list[T]]] = []

    # -- putting --------------------------------------------------------------------------------------------

    def put(self, item: T) -> None:
        self._queue.append(item)
        if not self._woken:
            self._woken = True
            self._wake.set()

    def offer(self, item: T) -> bool:
        """Queue `item` unless the writer already holds `max_items`: then it is dropped and counted (logged once
        per episode). O(1), never blocks, never raises."""
        if len(self._queue) + self._sealed_items >= self._max_items:
            self._drop()
            return False
        self._queue.append(item)
        if not self._woken:
            self._woken = True
            self._wake.set()
        return True

    @property
    def queued(self) -> int:
        return len(self._queue) + self._sealed_items

    @property
    def overflowing(self) -> bool:
        return len(self._queue) + self._sealed_items >= self._max_items

    @property
    def available(self) -> bool:
        return self._available

    def status(self) -> WriterStatus:
        return WriterStatus(
            self.name, self.queued, self._written, self._failures, self._last_error, self._last_error_ns,
            self._last_written_ns, len(self.dead_letters), self._available, self._errors, self._dropped,
        )  # fmt: skip

    # -- writing --------------------------------------------------------------------------------------------

    async def commit(self, item: T) -> None:
        """Store `item` and everything queued before it, now. Unavailable (or the sink's error): the item is not
        kept (the caller undoes what it stands for) and the earlier items stay queued, in order."""
        async with self._lock:
            await self._write_sealed()
            earlier = len(self._queue)
            batch = Sealed([*self._queue, item], uuid4().hex)
            await self._sink(batch)
            popleft = self._queue.popleft
            for _ in range(earlier):  # what was put while the sink ran stays queued
                popleft()
            self._stored(batch)

    async def flush(self) -> None:
        """Store everything queued so far; Unavailable (or the sink's error) leaves it queued."""
        async with self._lock:
            await self._write_sealed()
            while self._queue:
                self._seal()
                await self._write_sealed()

    async def drain(self) -> bool:
        """Store what is queued now under the failure rules (a batch refused `poison_retries` times is split and
        its refused items set aside): True when everything is stored, False when some is still queued (the store
        is unavailable, or a refused batch awaits its retry). Never raises (except cancellation)."""
        return await self._attempt() is None

    async def run(self) -> None:
        """Write the queue as it fills until `stop()` (or cancelled); errors are retried or set aside, never
        raised."""
        while not self._closing.is_set():
            if not await self._wait_for_items():
                continue
            await self._sleep(self._interval_s)  # gather a burst into one batch
            self._woken = False
            self._wake.clear()
            if self._closing.is_set():
                return
            delay = await self._attempt()
            if delay is not None:
                await self._sleep(delay)
                self._woken = True
                self._wake.set()

    async def stop(self, timeout_s: float = 0.0) -> bool:
        """Stop `run()` and store what is queued, retrying with backoff for at most `timeout_s` (one attempt with
        0); what could not be stored is logged. True when everything was stored."""
        self._closing.set()
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s if timeout_s > 0 else None):
                while True:
                    delay = await self._attempt()
                    if delay is None or timeout_s <= 0:
                        break
                    await asyncio.sleep(delay)
        except TimeoutError:
            pass
        if self.queued:
            log.error("writer.unsaved_at_stop", writer=self.name, queued=self.queued, reason=self._last_error)
            return False
        return True

    # -- internals ------------------------------------------------------------------------------------------

    async def _wait_for_items(self) -> bool:
        """Wait until items are put; False when the probe interval passed first (the store was probed)."""
        if self._probe is None:
            await self._wake.wait()
            return True
        try:
            async with asyncio.timeout(self._probe_every_s):
                await self._wake.wait()
            return True
        except TimeoutError:
            pass
        if not self.queued and not self._closing.is_set():
            try:
                await self._probe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self._failed(exc if isinstance(exc, Unavailable) else Unavailable(str(exc) or "probe failed"))
                await self._sleep(delay or 0.0)
                return False
            self._recovered()
        return False

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._closing.wait()

    async def _attempt(self) -> float | None:
        """Write what is queued; None when all of it is stored, else the delay before the next attempt."""
        while True:
            try:
                await self.flush()
                return None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = self._failed(exc)
                if delay is not None:
                    return delay
                await self._set_aside_poison()  # then on with the rest at once

    def _seal(self) -> None:
        queue = self._queue
        if len(queue) <= self._max_batch:
            items = list(queue)
            queue.clear()
        else:
            popleft = queue.popleft
            items = [popleft() for _ in range(self._max_batch)]
        self._sealed.append(Sealed(items, uuid4().hex))
        self._sealed_items += len(items)

    async def _write_sealed(self) -> None:
        sealed = self._sealed
        while sealed:
            batch = sealed[0]
            await self._sink(batch)
            sealed.popleft()
            self._sealed_items -= len(batch)
            self._stored(batch)

    def _stored(self, batch: Sequence[T]) -> None:
        self._written += len(batch)
        self._last_written_ns = self._clock.now_ns()
        self._recovered()
        self._poison_attempts = 0
        if self._on_stored is not None:
            try:
                self._on_stored(batch)
            except Exception:  # a subscriber's bug must not make a stored batch look unstored
                log.exception("writer.after_store_failed", writer=self.name)

    def _recovered(self) -> None:
        if not self._available:
            log.info("writer.recovered", writer=self.name, after_failures=self._failures, queued=self.queued)
        self._available = True
        self._failures = 0
        self._backoff.reset()
        if self._episode_drops and not self.overflowing:
            log.warning("writer.items_dropped", writer=self.name, count=self._episode_drops, bound=self._max_items)
            self._episode_drops = 0

    def _drop(self) -> None:
        self._dropped += 1
        if self._episode_drops == 0:
            log.warning(
                "writer.full_dropping", writer=self.name, bound=self._max_items, available=self._available,
                reason=self._last_error,
            )  # fmt: skip
        self._episode_drops += 1

    async def _set_aside_poison(self) -> None:
        """Split the head batch in halves until the items the store refuses are alone: those go to
        `dead_letters`, the rest are stored in order. Unavailable meanwhile: what is left stays at the front
        (each part with its own key) for the next attempt."""
        async with self._lock:
            sealed = self._sealed
            if not sealed:
                return
            refused = sealed[0].key
            self._split_or_set_aside(sealed.popleft(), self._last_error)
            while sealed and (sealed[0].key == refused or sealed[0].key.startswith(refused + ".")):
                part = sealed[0]
                try:
                    await self._sink(part)
                except Unavailable:
                    return  # the store went away meanwhile: back to retrying
                except Exception as exc:
                    self._split_or_set_aside(sealed.popleft(), str(exc) or type(exc).__name__)
                    continue
                sealed.popleft()
                self._sealed_items -= len(part)
                self._stored(part)

    def _split_or_set_aside(self, part: Sealed[T], reason: str) -> None:
        """A refused part goes back to the front as its two halves, or, alone, to `dead_letters`."""
        if len(part) > 1:
            first, second = part.halves()
            self._sealed.appendleft(second)
            self._sealed.appendleft(first)
            return
        self._sealed_items -= len(part)
        self.dead_letters.extend((reason, [item]) for item in part)
        for item in part:
            log.error("writer.item_set_aside", writer=self.name, reason=reason, item=repr(item)[:2000])

    def _failed(self, exc: Exception) -> float | None:
        """The delay before the next attempt, or None when the head batch is to be split."""
        self._failures += 1
        self._errors += 1
        self._last_error = str(exc) or type(exc).__name__
        self._last_error_ns = self._clock.now_ns()
        if isinstance(exc, Unavailable):
            if self._available:
                log.warning("writer.store_unavailable", writer=self.name, reason=self._last_error, queued=self.queued)
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
