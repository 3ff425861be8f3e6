"""Where a replay's ticks come from: a tick CSV file or the tick store, read in batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Protocol

from core_server.feeds.tick_csv import TickCsvReader
from core_server.model.errors import InvalidArgument
from core_server.model.market_data import Tick


class TickSource(Protocol):
    """Recorded ticks in ts_event order (per contract), delivered in batches.

    `batches` may be called again to replay from the start.
    """

    @property
    def contracts(self) -> tuple[str, ...]:
        """Canonical ids of the contracts the source holds (as far as known)."""

    def batches(self) -> AsyncIterator[list[Tick]]: ...


class TickHistory(Protocol):
    """The part of the tick repository a replay needs (TickRepository implements it)."""

    def iter_ticks(
        self, contract_ids: Sequence[str], start_ns: int, end_ns: int, batch_size: int = 10_000
    ) -> AsyncIterator[list[Tick]]: ...


class CsvTickSource:
    """Ticks from a tick CSV file (format in core_server.feeds.tick_csv), streamed.

    The header is checked at construction so a wrong file fails at start; a bad row raises
    TickCsvError with its line when the replay reaches it. `contracts` lists the contracts read so
    far: a CSV's contracts are only known by reading it.
    """

    def __init__(self, path: str | Path, *, batch_size: int = 2000) -> None:
        if batch_size < 1:
            raise InvalidArgument("batch_size", "must be at least 1")
        self.path = Path(path)
        self._batch_size = batch_size
        TickCsvReader(self.path).close()
        self._contracts: tuple[str, ...] = ()

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._contracts

    async def batches(self) -> AsyncIterator[list[Tick]]:
        with TickCsvReader(self.path) as reader:
            ticks = iter(reader)
            while batch := list(islice(ticks, self._batch_size)):
                self._contracts = tuple(sorted({*self._contracts, *reader.contracts}))
                yield batch
                # Parsing is CPU work on the loop thread; let others run between batches.
                await asyncio.sleep(0)


class DatabaseTickSource:
    """Ticks of some contracts over [start_ns, end_ns) from the tick store."""

    def __init__(
        self,
        repository: TickHistory,
        contract_ids: Sequence[str],
        start_ns: int,
        end_ns: int,
        *,
        batch_size: int = 10_000,
    ) -> None:
        if not contract_ids:
            raise InvalidArgument("contract_ids", "at least one contract is required")
        if end_ns <= start_ns:
            raise InvalidArgument("end_ns", "must be after start_ns")
        self._repository = repository
        self._contracts = tuple(contract_ids)
        self.start_ns = start_ns
        self.end_ns = end_ns
        self._batch_size = batch_size

    @property
    def contracts(self) -> tuple[str, ...]:
        return self._contracts

    async def batches(self) -> AsyncIterator[list[Tick]]:
        history = self._repository.iter_ticks(self._contracts, self.start_ns, self.end_ns, self._batch_size)
        try:
            async for batch in history:
                if batch:
                    yield list(batch)
        finally:
            await close_iterator(history)


async def close_iterator(iterator: AsyncIterator[object]) -> None:
    """Close an async generator at once (releasing its file or connection) rather than at GC."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
