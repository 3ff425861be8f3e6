"""Test kit: a replay source delivered in parts, each only when the test steps it, for deterministic servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from core_server.model.market_data import Tick


class SteppedTickSource:
    """Part 0 goes out at once; each `await step()` delivers the next part and returns once the engine has
    taken it (the feed asked for more). `paused` is set whenever a part has been taken."""

    def __init__(self, contracts: Sequence[str], parts: Sequence[Sequence[Tick]]) -> None:
        self._contracts = tuple(contracts)
        self._parts = [list(p) for p in parts]
        self._resume = asyncio.Event()
        self.paused = asyncio.Event()
        self.delivered = 0

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._contracts

    def add_part(self, ticks: Sequence[Tick]) -> None:
        self._parts.append(list(ticks))

    async def batches(self) -> AsyncIterator[list[Tick]]:
        i = 0
        while True:
            if i >= len(self._parts) or i:
                await self._resume.wait()
                self._resume.clear()
            if i >= len(self._parts):
                continue
            yield self._parts[i]
            i += 1
            self.delivered = i
            self.paused.set()

    async def step(self, ticks: Sequence[Tick] | None = None) -> None:
        if ticks is not None:
            self.add_part(ticks)
        self.paused.clear()
        self._resume.set()
        await self.paused.wait()
