"""Fakes for driving feeds in virtual time: a recording sink and a sleep that advances a TestClock."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from core_server.model.market_data import FeedGap, Tick

START_NS = 1_764_000_000 * NS_PER_SECOND  # 2025-11-24, a Monday


class RecordingSink:
    """A FeedSink that keeps everything it is given."""

    def __init__(self) -> None:
        self.batches: list[list[Tick]] = []
        self.states: list[tuple[FeedState, str]] = []
        self.gaps: list[FeedGap] = []

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        self.batches.append(list(ticks))

    def on_gap(self, gap: FeedGap) -> None:
        self.gaps.append(gap)

    def on_state(self, state: FeedState, detail: str) -> None:
        self.states.append((state, detail))

    @property
    def ticks(self) -> list[Tick]:
        return [tick for batch in self.batches for tick in batch]


class VirtualSleep:
    """An injectable sleep: records each delay, moves the clock by it, and cancels the running task
    once the clock reaches `stop_at_ns` (as a shutdown would)."""

    def __init__(self, clock: TestClock, stop_at_ns: int | None = None) -> None:
        self.clock = clock
        self.stop_at_ns = stop_at_ns
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.advance_ns(round(delay * NS_PER_SECOND))
        if self.stop_at_ns is not None and self.clock.now_ns() >= self.stop_at_ns:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        await asyncio.sleep(0)
