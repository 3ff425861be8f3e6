"""The candle writer: the server's DurableWriter carrying closed candles to the store (upserts, once a second),
holding them in order through a database outage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core_server.durable import DurableWriter, Sealed, WriterStatus
from core_server.model.clock import Clock
from core_server.model.market_data import Candle

MAX_PENDING = 200_000  # candle versions held through an outage; later ones are counted as dropped


class CandleStore(Protocol):
    async def upsert(self, candles: Sequence[Candle]) -> None: ...


class CandleWriter:
    """Closed (or re-marked) candles, upserted in the order they were put: a later version of a candle wins."""

    def __init__(
        self, store: CandleStore, clock: Clock, *, interval_s: float = 1.0, max_pending: int = MAX_PENDING
    ) -> None:
        self._store = store
        self.writer: DurableWriter[Candle] = DurableWriter(
            "candles", self._upsert, clock, interval_s=interval_s, max_batch=10_000, max_items=max_pending
        )

    @property
    def pending(self) -> int:
        return self.writer.queued

    @property
    def available(self) -> bool:
        return self.writer.available

    def status(self) -> WriterStatus:
        return self.writer.status()

    def put(self, candles: Sequence[Candle]) -> None:
        offer = self.writer.offer
        for candle in candles:
            offer(candle)

    async def flush(self) -> bool:
        """Write what is pending; True when the store took it all."""
        return await self.writer.drain()

    async def run(self) -> None:
        await self.writer.run()

    async def close(self, timeout_s: float = 5.0) -> bool:
        """Stop `run()` and write what is pending, retrying for at most `timeout_s`."""
        return await self.writer.stop(timeout_s)

    async def _upsert(self, batch: Sealed[Candle]) -> None:
        await self._store.upsert(batch.items)
