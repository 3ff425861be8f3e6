"""Candle storage: idempotent upserts and range reads by contract and timeframe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from core_server.model.market_data import Candle, Timeframe
from core_server.storage.failures import unavailable_on_connection_failure

_COLUMNS = "contract_id, timeframe, start_ns, end_ns, open, high, low, close, volume, tick_count, closed, complete"
_UPSERT = f"""
INSERT INTO candles ({_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (contract_id, timeframe, start_ns) DO UPDATE SET
    end_ns = EXCLUDED.end_ns,
    open = EXCLUDED.open,
    high = EXCLUDED.high,
    low = EXCLUDED.low,
    close = EXCLUDED.close,
    volume = EXCLUDED.volume,
    tick_count = EXCLUDED.tick_count,
    closed = EXCLUDED.closed,
    complete = EXCLUDED.complete,
    updated_at = now()
"""
_SELECT_RANGE = f"""
SELECT {_COLUMNS} FROM candles
WHERE contract_id = $1 AND timeframe = $2 AND start_ns >= $3 AND start_ns < $4
ORDER BY start_ns DESC
LIMIT $5
"""
_SELECT_LATEST = f"""
SELECT {_COLUMNS} FROM candles
WHERE contract_id = $1 AND timeframe = $2
ORDER BY start_ns DESC
LIMIT 1
"""

_TIMEFRAMES = {tf.label: tf for tf in Timeframe}


def _candle_from_record(record: Any) -> Candle:
    return Candle(
        record[0],
        _TIMEFRAMES[record[1]],
        record[2],
        record[3],
        record[4],
        record[5],
        record[6],
        record[7],
        record[8],
        record[9],
        record[10],
        record[11],
    )


class CandleRepository:
    """Reads and writes the `candles` table. A lost store raises Unavailable with a short reason."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def upsert(self, candles: Sequence[Candle]) -> None:
        """Insert or replace candles by (contract, timeframe, start), atomically; a later duplicate in
        `candles` wins over an earlier one."""
        if not candles:
            return
        rows = [(c.contract_id, c.timeframe.label, *c[2:]) for c in candles]
        with unavailable_on_connection_failure():
            await self._pool.executemany(_UPSERT, rows)

    async def list_range(
        self,
        contract_id: str,
        timeframe: Timeframe,
        start_ns: int,
        end_ns: int,
        limit: int,
    ) -> list[Candle]:
        """Candles starting in [start_ns, end_ns): the newest `limit` of them, oldest first."""
        if limit <= 0 or start_ns >= end_ns:
            return []
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_RANGE, contract_id, timeframe.label, start_ns, end_ns, limit)
        return [_candle_from_record(record) for record in reversed(records)]

    async def latest(self, contract_id: str, timeframe: Timeframe) -> Candle | None:
        with unavailable_on_connection_failure():
            record = await self._pool.fetchrow(_SELECT_LATEST, contract_id, timeframe.label)
        return None if record is None else _candle_from_record(record)
