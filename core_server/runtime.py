"""Process-level tuning for a long-running, latency-sensitive server.

Garbage collection. CPython collects its young generation when the count of new container objects crosses a
threshold, which a burst of work crosses in its middle: a copy fan-out to 20 followers allocates thousands of
objects, so the collection (2-6 ms young, about 16 ms for the middle generation in the copy bench) landed inside
the very rounds whose latency matters. The server therefore runs its collections itself, between bursts
(`QuietCollector`): the same three generations and thresholds as CPython, the same rule for full collections
(only when what was promoted since the last one exceeds a quarter of the old generation), started when the event
loop has been quiet for 10 ms (30 ms for the longer middle and full collections), or after `longest_wait_s`
under sustained load. CPython's own collector stays on behind it, at a threshold only a long stretch of work
that never yields reaches.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# A young collection costs what is still alive in it: at 50,000 the server paused 8-18 ms; at 10,000 about a
# fifth of that (BENCHMARKS.md). The scheduled collector uses the same threshold.
GEN0_THRESHOLD = 10_000
GEN0_FALLBACK = 1_000_000  # CPython's own young threshold while the quiet collector runs: a safety net only
MIDDLE_EVERY = 10  # young collections per middle one, and middle ones per full one (CPython's defaults)


def tune_after_start() -> None:
    """Call once the process has started: move everything allocated so far out of the collector's
    view and make young-generation collections rarer, which shortens latency outliers."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


def tune_server() -> asyncio.Task[None]:
    """The server process's tuning: `tune_after_start`, then its collections run by a `QuietCollector` (cancel the
    task at shutdown). Call from inside the server's event loop, once it has started."""
    tune_after_start()
    return asyncio.create_task(QuietCollector().run(), name="quiet-gc")


class Collector(Protocol):
    """The parts of the `gc` module the quiet collector uses (tests pass a fake)."""

    def get_count(self) -> tuple[int, int, int]: ...
    def collect(self, generation: int = 2) -> int: ...
    def get_objects(self, generation: int | None = None) -> list[object]: ...
    def get_threshold(self) -> tuple[int, int, int]: ...
    def set_threshold(self, threshold0: int, threshold1: int = ..., threshold2: int = ..., /) -> None: ...


@dataclass
class QuietCollector:
    """Runs garbage collections between bursts of work (module docstring). `run` until cancelled; cancelling
    gives CPython its thresholds back."""

    check_s: float = 0.005  # how often the loop is looked at
    late_s: float = 0.001  # a check this late means the loop was busy
    quiet_checks: int = 2  # on-time checks in a row that make the loop quiet (10 ms) for a young collection
    # A middle or full collection takes longer (16-31 ms in the copy bench, against 2-8 ms for a young one), so it
    # waits for a longer quiet (30 ms) and, under load that never lets up, longer before it runs anyway.
    quiet_checks_older: int = 6
    longest_wait_s: float = 0.5  # a due young collection runs after this long even if the loop never goes quiet
    longest_wait_older_s: float = 2.0
    young: int = GEN0_THRESHOLD
    collector: Collector = gc
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], float] | None = None  # seconds; None: the event loop's clock
    long_lived: int = 0  # objects in the old generation after the last full collection (CPython's long_lived_total)
    promoted: int = 0  # objects moved there since (CPython's long_lived_pending)

    async def run(self) -> None:
        now = self.now or asyncio.get_running_loop().time
        saved = self.collector.get_threshold()
        self.collector.set_threshold(GEN0_FALLBACK, saved[1], saved[2])
        self.long_lived = len(self.collector.get_objects(2))
        quiet, due_since = 0, None
        try:
            while True:
                before = now()
                await self.sleep(self.check_s)
                woke = now()
                quiet = quiet + 1 if woke - before - self.check_s < self.late_s else 0
                if self.collector.get_count()[0] < self.young:
                    due_since = None
                    continue
                due_since = woke if due_since is None else due_since
                older = self.generation() > 0
                needed, longest = (
                    (self.quiet_checks_older, self.longest_wait_older_s) if older else
                    (self.quiet_checks, self.longest_wait_s)
                )  # fmt: skip
                if quiet >= needed or woke - due_since >= longest:
                    self.collect()
                    due_since = None
        finally:
            self.collector.set_threshold(*saved)

    def generation(self) -> int:
        """The generation CPython would collect now (0 young, 1 middle, 2 full)."""
        _, middle, old = self.collector.get_count()
        if old > MIDDLE_EVERY and self.promoted >= self.long_lived // 4:
            return 2
        return 1 if middle > MIDDLE_EVERY else 0

    def collect(self) -> int:
        """One collection of the generation CPython would pick now; the generation collected. The old generation's
        size is kept as CPython keeps it, from what each collection promoted and found unreachable, so no step
        walks the whole heap (only the young and middle generations are counted, before a middle or full one)."""
        generation = self.generation()
        younger = 0
        if generation:
            younger = len(self.collector.get_objects(0)) + len(self.collector.get_objects(1))
        found = self.collector.collect(generation)
        if generation == 1:  # the survivors move to the old generation
            self.promoted += max(0, younger - found)
        elif generation == 2:
            self.long_lived = max(0, self.long_lived + self.promoted + younger - found)
            self.promoted = 0
        return generation
