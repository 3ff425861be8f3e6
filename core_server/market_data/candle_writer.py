"""Batches candle upserts to the store once a second and holds them through a database outage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

import structlog

from core_server.model.errors import Unavailable
from core_server.model.market_data import Candle, Timeframe

log = structlog.get_logger(__name__)

MAX_PENDING = 200_000


class CandleStore(Protocol):
    async def upsert(self, candles: Sequence[Candle]) -> None: ...


class CandleWriter:
    """Keeps the newest version of each candle until the store has it; bounded by distinct candles."""

    def __init__(self, store: CandleStore, *, interval_s: float = 1.0) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: dict[tuple[str, Timeframe, int], Candle] = {}
        self.written = 0
        self.dropped = 0
        self.available = True

    @property
    def pending(self) -> int:
        return len(self._pending)

    def put(self, candles: Sequence[Candle]) -> None:
        pending = self._pending
        for candle in candles:
            key = (candle.contract_id, candle.timeframe, candle.start_ns)
            if key not in pending and len(pending) >= MAX_PENDING:
                self.dropped += 1
                continue
            pending[key] = candle

    async def flush(self) -> bool:
        """Write what is pending; True when the store took it all."""
        if not self._pending:
            return True
        batch = dict(self._pending)
        try:
            await self._store.upsert(list(batch.values()))
        except Unavailable as exc:
            if self.available:
                log.warning("candles.store_unavailable", reason=str(exc), pending=len(batch))
            self.available = False
            return False
        for key, candle in batch.items():
            if self._pending.get(key) is candle:  # a newer version may have arrived meanwhile
                del self._pending[key]
        if not self.available:
            log.info("candles.store_recovered", written=len(batch))
        self.available = True
        self.written += len(batch)
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.flush()
