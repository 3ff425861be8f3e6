"""Where a backtest's ticks come from: anything that yields time-ordered batches of ticks.

`TickList` holds them in memory; the job runner reads the store (backtest_jobs) and a tick-import cache the
same way. Batches keep memory bounded for long ranges and let the driver report progress between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from core_server.model.market_data import Tick

BATCH = 65_536


class TickSource(Protocol):
    def total_hint(self) -> int:
        """How many ticks to expect (0 when unknown), for progress."""
        ...

    def batches(self) -> Iterator[Sequence[Tick]]:
        """The ticks in event-time order (ties in recorded order), in batches."""
        ...


class TickList:
    def __init__(self, ticks: Iterable[Tick], batch: int = BATCH) -> None:
        self.ticks = list(ticks)
        self.batch = batch

    def total_hint(self) -> int:
        return len(self.ticks)

    def batches(self) -> Iterator[Sequence[Tick]]:
        ticks, size = self.ticks, self.batch
        for i in range(0, len(ticks), size):
            yield ticks[i : i + size]
