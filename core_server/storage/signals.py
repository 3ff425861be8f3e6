"""Signal Lab storage: signal snapshots, their append-only events and trades, written together atomically."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from core_server.signals.model import Signal, SignalEvent, SignalStatus, SignalUpdate
from core_server.signals.ports import LoggedSignalEvent
from core_server.signals.trade_record import TradeRecord
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.signal_rows import (
    EVENT_COLUMNS,
    JSONB_COLUMNS,
    SIGNAL_COLUMNS,
    TRADE_COLUMNS,
    event_from_record,
    event_rows,
    signal_from_record,
    signal_row,
    trade_from_record,
    trade_row,
)


def _placeholders(columns: Sequence[str]) -> str:
    return ", ".join(f"${n}::jsonb" if c in JSONB_COLUMNS else f"${n}" for n, c in enumerate(columns, 1))


_SIGNAL_SELECT = ", ".join(f"{c}::text AS {c}" if c in JSONB_COLUMNS else c for c in SIGNAL_COLUMNS)
# A snapshot replaces the stored one unless the stored one has seen more events (a late write never
# rolls a signal back).
_UPSERT_SIGNAL = f"""
INSERT INTO signals ({", ".join(SIGNAL_COLUMNS)})
VALUES ({_placeholders(SIGNAL_COLUMNS)})
ON CONFLICT (id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in SIGNAL_COLUMNS if c != "id")},
    updated_at = now()
WHERE signals.event_count <= EXCLUDED.event_count
"""
# Events already stored are skipped, never updated: the table refuses UPDATE and DELETE.
_INSERT_EVENT = f"""
INSERT INTO signal_events ({", ".join(EVENT_COLUMNS)}) VALUES ({_placeholders(EVENT_COLUMNS)})
ON CONFLICT (signal_id, seq) DO NOTHING
"""
_INSERT_TRADE = f"""
INSERT INTO trades ({", ".join(TRADE_COLUMNS)}) VALUES ({_placeholders(TRADE_COLUMNS)})
ON CONFLICT (id) DO NOTHING
"""
_SELECT_BY_ID = f"SELECT {_SIGNAL_SELECT} FROM signals WHERE id = $1"
_SELECT_BY_KEY = f"SELECT {_SIGNAL_SELECT} FROM signals WHERE idempotency_key = $1 AND claims_key"
_SELECT_LIVE = f"""
SELECT {_SIGNAL_SELECT} FROM signals WHERE status IN ('pending', 'awaiting_approval') ORDER BY received_ns, id
"""
_SELECT_LIST = f"""
SELECT {_SIGNAL_SELECT} FROM signals
WHERE (cardinality($1::text[]) = 0 OR status = ANY($1::text[]))
  AND ($2::text = '' OR contract_id = $2)
  AND ($3::text = '' OR strategy = $3)
  AND ($4::bigint = 0 OR received_ns >= $4)
  AND ($5::bigint = 0 OR received_ns < $5)
ORDER BY received_ns DESC, id DESC
LIMIT $6
"""
_SELECT_EVENTS = f"""
SELECT {", ".join(EVENT_COLUMNS)} FROM signal_events WHERE signal_id = ANY($1::text[]) ORDER BY signal_id, seq
"""
_SELECT_EVENTS_SINCE = """
SELECT stream_seq, signal_id, seq FROM signal_events WHERE stream_seq > $1 ORDER BY stream_seq LIMIT $2
"""
_SELECT_LAST_STREAM_SEQ = "SELECT coalesce(max(stream_seq), 0) FROM signal_events"
_SELECT_BY_IDS = f"SELECT {_SIGNAL_SELECT} FROM signals WHERE id = ANY($1::text[])"
_SELECT_TRADE = f"SELECT {', '.join(TRADE_COLUMNS)} FROM trades WHERE id = $1"


async def write_signals(conn: Any, updates: Sequence[SignalUpdate], trades: Sequence[TradeRecord] = ()) -> None:
    """In the caller's transaction: the latest snapshot of each signal, its events not stored yet, the trades."""
    latest: dict[str, Signal] = {}
    for update in updates:
        latest[update.signal.signal_id] = update.signal
    signals = list(latest.values())
    if signals:
        await conn.executemany(_UPSERT_SIGNAL, [signal_row(s) for s in signals])
        await conn.executemany(_INSERT_EVENT, [row for s in signals for row in event_rows(s)])
    if trades:
        await conn.executemany(_INSERT_TRADE, [trade_row(t) for t in trades])


_SET_ACTOR = """
UPDATE signals SET actor = a.actor FROM unnest($1::text[], $2::text[]) AS a(id, actor)
WHERE signals.id = a.id AND signals.actor = ''
"""


async def write_signal_actors(conn: Any, actors: Sequence[tuple[str, str]]) -> None:
    """Who submitted each signal (signal id, actor), once: the first command that touched it names it."""
    if actors:
        await conn.execute(_SET_ACTOR, [i for i, _ in actors], [a for _, a in actors])


class SignalRepository:
    """Reads and writes `signals`, `signal_events` and `trades`. A lost store raises Unavailable."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save(self, update: SignalUpdate) -> None:
        """Store one update: the signal row as it stands and the events it has that are not stored yet."""
        await self.save_batch([update])

    async def save_batch(self, updates: Sequence[SignalUpdate], trades: Sequence[TradeRecord] = ()) -> None:
        """Store several updates and trades in one transaction; per signal the latest snapshot is written."""
        if not updates and not trades:
            return
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await write_signals(conn, updates, trades)

    async def get(self, signal_id: str) -> Signal | None:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                record = await conn.fetchrow(_SELECT_BY_ID, signal_id)
                found = await self._with_events(conn, [] if record is None else [record])
        return found[0] if found else None

    async def find_by_key(self, key: str) -> Signal | None:
        """The signal that claimed an idempotency key (deliveries that failed authentication never do)."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                record = await conn.fetchrow(_SELECT_BY_KEY, key)
                found = await self._with_events(conn, [] if record is None else [record])
        return found[0] if found else None

    async def live(self) -> builtins.list[Signal]:
        """Pending and approval-waiting signals, oldest first: what a restarted server resumes."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                return await self._with_events(conn, await conn.fetch(_SELECT_LIVE))

    async def last_event_seq(self) -> int:
        """The newest event's place in the log of every signal event (0: none yet)."""
        with unavailable_on_connection_failure():
            return int(await self._pool.fetchval(_SELECT_LAST_STREAM_SEQ))

    async def events_since(self, stream_seq: int, limit: int) -> builtins.list[LoggedSignalEvent]:
        """Up to `limit` events stored after `stream_seq`, in the order they were stored, each with its signal as
        it stands now."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                rows = await conn.fetch(_SELECT_EVENTS_SINCE, stream_seq, limit)
                if not rows:
                    return []
                ids = builtins.list(dict.fromkeys(r["signal_id"] for r in rows))
                signals = {s.signal_id: s for s in await self._with_events(conn, await conn.fetch(_SELECT_BY_IDS, ids))}
        logged: builtins.list[LoggedSignalEvent] = []
        for row in rows:
            signal = signals[row["signal_id"]]
            logged.append(LoggedSignalEvent(row["stream_seq"], signal, signal.events[row["seq"]], row["seq"]))
        return logged

    async def get_trade(self, trade_id: str) -> TradeRecord | None:
        with unavailable_on_connection_failure():
            record = await self._pool.fetchrow(_SELECT_TRADE, trade_id)
        return None if record is None else trade_from_record(record)

    async def list(
        self,
        *,
        statuses: Iterable[SignalStatus] = (),
        contract_id: str = "",
        strategy: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
    ) -> builtins.list[Signal]:
        """Signals received in [from_ns, to_ns) (0: unbounded), newest first; empty filters match all."""
        if limit <= 0:
            return []
        labels = [s.label for s in statuses]
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn:
                records = await conn.fetch(_SELECT_LIST, labels, contract_id, strategy, from_ns, to_ns, limit)
                return await self._with_events(conn, records)

    @staticmethod
    async def _with_events(conn: Any, records: Sequence[Any]) -> builtins.list[Signal]:
        """The signals of `records` (in their order) with their events, read in one more query."""
        if not records:
            return []
        events: dict[str, builtins.list[SignalEvent]] = {r["id"]: [] for r in records}
        for row in await conn.fetch(_SELECT_EVENTS, builtins.list(events)):
            events[row["signal_id"]].append(event_from_record(row))
        return [signal_from_record(r, events[r["id"]]) for r in records]
