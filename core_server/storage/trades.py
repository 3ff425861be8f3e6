"""Trade storage: every round trip's row as it stands, its append-only excursion history, and its journal fields."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.trade_rows import (
    EVENT_COLUMNS,
    JOURNAL_COLUMNS,
    TRADE_COLUMNS,
    UPDATE_COLUMNS,
    event_rows,
    trade_from_record,
    trade_row,
)
from core_server.trades.model import JournalNotes, RoundTrip, TradeChange


def _placeholders(columns: Sequence[str]) -> str:
    return ", ".join(f"${n}" for n in range(1, len(columns) + 1))


_COLUMNS = ", ".join(TRADE_COLUMNS + JOURNAL_COLUMNS)
_UPSERT_TRADE = f"""
INSERT INTO trades ({", ".join(TRADE_COLUMNS)}) VALUES ({_placeholders(TRADE_COLUMNS)})
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATE_COLUMNS)}
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
  AND ($5::text = '' OR account_id = $5)
  AND ($6::text = '' OR strategy_id = $6)
ORDER BY created_ns DESC, id DESC
LIMIT $7
"""
_SELECT_CLOSED = f"""
SELECT {_COLUMNS} FROM trades
WHERE closed_ns IS NOT NULL AND ($1::bigint = 0 OR closed_ns >= $1) AND ($2::bigint = 0 OR closed_ns < $2)
ORDER BY closed_ns, id
"""
_SELECT_EVENTS = f"""
SELECT {", ".join(EVENT_COLUMNS)} FROM trade_events WHERE trade_id = ANY($1::text[]) ORDER BY trade_id, seq
"""
_INSERT_UPDATES = """
INSERT INTO trade_updates (trade_id, event_seq)
SELECT * FROM unnest($1::text[], $2::integer[])
RETURNING seq
"""
_SELECT_UPDATES_SINCE = "SELECT seq, trade_id, event_seq FROM trade_updates WHERE seq > $1 ORDER BY seq LIMIT $2"
_SELECT_LAST_UPDATE = "SELECT coalesce(max(seq), 0) FROM trade_updates"
_SELECT_BY_IDS = f"SELECT {_COLUMNS} FROM trades WHERE id = ANY($1::text[])"
_UPDATE_JOURNAL = "UPDATE trades SET tags = $2, setup = $3, notes = $4, rating = $5 WHERE id = $1 RETURNING id"


@dataclass(frozen=True, slots=True)
class TradeFilter:
    is_open: bool | None = None  # True: open only, False: closed only, None: both
    contract_id: str = ""
    account_id: str = ""
    strategy_id: str = ""
    from_ns: int = 0  # opened in [from_ns, to_ns); 0 is unbounded
    to_ns: int = 0
    limit: int = 100


async def write_trades(conn: Any, changes: Sequence[TradeChange]) -> list[int]:
    """In the caller's transaction: each trade's row as it stands now (the latest change wins), then its events,
    then the update log StreamTradeUpdates resumes from: one entry per event of a change (one for a change
    without events). Returns the log's seqs, in that order."""
    latest: dict[str, RoundTrip] = {}
    events: list[tuple[Any, ...]] = []
    updates: list[tuple[str, int | None]] = []
    for change in changes:
        trade_id = change.trip.trade_id
        latest[trade_id] = change.trip
        events += event_rows(trade_id, change.events, change.first_seq)
        if change.events:
            updates += [(trade_id, change.first_seq + i) for i in range(len(change.events))]
        else:
            updates.append((trade_id, None))
    if not latest:
        return []
    await conn.executemany(_UPSERT_TRADE, [trade_row(t) for t in latest.values()])
    if events:
        await conn.executemany(_INSERT_EVENT, events)
    rows = await conn.fetch(_INSERT_UPDATES, *(list(column) for column in zip(*updates, strict=True)))
    return [r["seq"] for r in rows]


class TradeRepository:
    """Reads and writes `trades` and `trade_events`. A lost store raises Unavailable."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save(self, changes: Sequence[TradeChange]) -> None:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await write_trades(conn, changes)

    async def get(self, trade_id: str) -> RoundTrip | None:
        """One trade with its whole history."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                record = await conn.fetchrow(_SELECT_BY_ID, trade_id)
                found = await self._with_events(conn, [] if record is None else [record])
        return found[0] if found else None

    async def list(self, query: TradeFilter) -> builtins.list[RoundTrip]:
        """Trades opened in [from_ns, to_ns), newest first, without their histories."""
        if query.limit <= 0:
            return []
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(
                _SELECT_LIST, query.is_open, query.contract_id, query.from_ns, query.to_ns, query.account_id,
                query.strategy_id, query.limit,
            )  # fmt: skip
        return [trade_from_record(r) for r in records]

    async def closed_between(self, from_ns: int, to_ns: int) -> builtins.list[RoundTrip]:
        """Trades closed in [from_ns, to_ns) (0: unbounded), oldest exit first, without histories."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_CLOSED, from_ns, to_ns)
        return [trade_from_record(r) for r in records]

    async def open_trades(self) -> builtins.list[RoundTrip]:
        """Every open trade with its history, oldest first: what a restarted server continues."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                return await self._with_events(conn, await conn.fetch(_SELECT_OPEN))

    async def last_update_seq(self) -> int:
        """The update log's last seq (0: empty)."""
        with unavailable_on_connection_failure():
            return int(await self._pool.fetchval(_SELECT_LAST_UPDATE))

    async def updates_since(self, seq: int, limit: int) -> builtins.list[tuple[int, RoundTrip, int | None]]:
        """Up to `limit` entries of the update log after `seq`, oldest first: (seq, the trade as stored now with
        its history, the position of the event the entry announces in that history, or None)."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(_SELECT_UPDATES_SINCE, seq, limit)
                ids = builtins.list(dict.fromkeys(r["trade_id"] for r in rows))
                records = await conn.fetch(_SELECT_BY_IDS, ids)
                trips = {t.trade_id: t for t in await self._with_events(conn, records)}
        return [(r["seq"], trips[r["trade_id"]], r["event_seq"]) for r in rows]

    async def set_journal(self, trade_id: str, notes: JournalNotes) -> bool:
        """Replace a trade's journal fields; False when there is no such trade."""
        with unavailable_on_connection_failure():
            found = await self._pool.fetchval(
                _UPDATE_JOURNAL, trade_id, list(notes.tags), notes.setup, notes.notes, notes.rating
            )
        return found is not None

    @staticmethod
    async def _with_events(conn: Any, records: Sequence[Any]) -> builtins.list[RoundTrip]:
        """The trades of `records` (in their order) with their events, read in one more query."""
        if not records:
            return []
        events: dict[str, builtins.list[Any]] = {r["id"]: [] for r in records}
        for row in await conn.fetch(_SELECT_EVENTS, builtins.list(events)):
            events[row["trade_id"]].append(row)
        return [trade_from_record(r, events[r["id"]]) for r in records]
