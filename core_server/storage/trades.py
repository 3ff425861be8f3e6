"""Tracked-trade storage: each trade's excursion row and its append-only event history, saved together."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import asyncpg

from core_server.excursions.tracked import TrackedTrade, TradeWrite
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.trade_rows import (
    EVENT_COLUMNS,
    EXCURSION_COLUMNS,
    TRADE_COLUMNS,
    event_rows,
    trade_from_record,
    trade_row,
)


def _placeholders(columns: Sequence[str]) -> str:
    return ", ".join(f"${n}" for n in range(1, len(columns) + 1))


_COLUMNS = ", ".join(TRADE_COLUMNS)
# A trade new to the store is inserted whole; a stored one (the Signal Lab writes a confirmed signal's trade
# first) only has its excursion rewritten.
_UPSERT_TRADE = f"""
INSERT INTO trades ({_COLUMNS}) VALUES ({_placeholders(TRADE_COLUMNS)})
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in EXCURSION_COLUMNS)}
"""
# Events already stored are skipped, never updated: the table refuses UPDATE and DELETE.
_INSERT_EVENT = f"""
INSERT INTO trade_events ({", ".join(EVENT_COLUMNS)}) VALUES ({_placeholders(EVENT_COLUMNS)})
ON CONFLICT (trade_id, seq) DO NOTHING
"""
_SELECT_BY_ID = f"SELECT {_COLUMNS} FROM trades WHERE id = $1"
_SELECT_OPEN = f"SELECT {_COLUMNS} FROM trades WHERE status = 'open' ORDER BY created_ns, id"
_SELECT_LIST = f"""
SELECT {_COLUMNS} FROM trades
WHERE ($1::boolean IS NULL OR (status = 'open') = $1)
  AND ($2::text = '' OR contract_id = $2)
  AND ($3::bigint = 0 OR created_ns >= $3)
  AND ($4::bigint = 0 OR created_ns < $4)
ORDER BY created_ns DESC, id DESC
LIMIT $5
"""
_SELECT_EVENTS = f"""
SELECT {", ".join(EVENT_COLUMNS)} FROM trade_events WHERE trade_id = ANY($1::text[]) ORDER BY trade_id, seq
"""


class TradeRepository:
    """Reads and writes `trades` and `trade_events`. A lost store raises Unavailable."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save(self, writes: Sequence[TradeWrite]) -> None:
        """In one transaction: each trade's row as it stands (inserted if new) and its events not stored yet."""
        if not writes:
            return
        events = [row for write in writes for row in event_rows(write)]
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.executemany(_UPSERT_TRADE, [trade_row(w.trade) for w in writes])
                if events:
                    await conn.executemany(_INSERT_EVENT, events)

    async def get(self, trade_id: str) -> TrackedTrade | None:
        """One trade with its whole history."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                record = await conn.fetchrow(_SELECT_BY_ID, trade_id)
                found = await self._with_events(conn, [] if record is None else [record])
        return found[0] if found else None

    async def list(
        self,
        *,
        is_open: bool | None = None,
        contract_id: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> builtins.list[TrackedTrade]:
        """Trades opened in [from_ns, to_ns) (0: unbounded), newest first, open (True), ended (False) or both
        (None); without their histories (events=())."""
        if limit <= 0:
            return []
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_LIST, is_open, contract_id, from_ns, to_ns, limit)
        return [trade_from_record(r) for r in records]

    async def open_trades(self) -> builtins.list[TrackedTrade]:
        """Every open trade with its history, oldest first: what a restarted server continues."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                return await self._with_events(conn, await conn.fetch(_SELECT_OPEN))

    @staticmethod
    async def _with_events(conn: Any, records: Sequence[Any]) -> builtins.list[TrackedTrade]:
        """The trades of `records` (in their order) with their events, read in one more query."""
        if not records:
            return []
        events: dict[str, builtins.list[Any]] = {r["id"]: [] for r in records}
        for row in await conn.fetch(_SELECT_EVENTS, builtins.list(events)):
            events[row["trade_id"]].append(row)
        return [trade_from_record(r, events[r["id"]]) for r in records]
