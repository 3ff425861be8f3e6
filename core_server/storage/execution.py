"""Paper execution storage: the append-only journal and the account, order, fill and position state tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from core_server.execution.changes import (
    AccountState,
    ExecutionChange,
    OrderState,
    PositionState,
    StoredExecution,
)
from core_server.execution.events import ExecutionEvent
from core_server.execution.model import AccountId, Fill, OrderId
from core_server.storage.execution_rows import (
    ACCOUNT_COLUMNS,
    FILL_COLUMNS,
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    account_from_record,
    account_row,
    event_from_journal,
    fill_from_record,
    fill_row,
    journal_rows,
    order_from_record,
    order_row,
    position_from_record,
    position_row,
)
from core_server.storage.failures import unavailable_on_connection_failure


def _values(columns: Sequence[str], casts: dict[str, str] | None = None) -> str:
    casts = casts or {}
    return ", ".join(f"${n}{casts.get(c, '')}" for n, c in enumerate(columns, 1))


def _upsert(table: str, columns: Sequence[str], key: Sequence[str], casts: dict[str, str] | None = None) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_values(columns, casts)}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


# A command's commit is ONE statement (data-modifying CTEs run as one atomic transaction): the journal
# rows, then the latest state of every account, order, position and fill the change touched. One round
# trip instead of five (begin, journal, upserts, commit) halved the submit -> acknowledged latency.
# Foreign keys are checked at the end of the statement, so parents and children may arrive together.
_COLUMN_TYPES = {
    "paper_accounts": "id text, name text, starting_balance numeric, realised_pnl numeric, commissions numeric,"
    " updated_ns bigint",
    "paper_orders": "id text, number bigint, account_id text, contract_id text, side text, order_type text,"
    " quantity integer, time_in_force text, status text, role text, submitted_ns bigint, arrival_ns bigint,"
    " expire_ns bigint, limit_price bigint, stop_price bigint, filled_qty integer, filled_cost bigint,"
    " triggered boolean, bracket_id text, linked_ids text[], tag text, rest_kind smallint, rest_price bigint,"
    " rest_seq bigint, reason text, updated_ns bigint, reduce_only boolean, offset_ticks bigint, target_r numeric,"
    " actor text, reference_price bigint",
    "paper_positions": "account_id text, contract_id text, net_qty integer, open_cost bigint, realised_ticks bigint,"
    " realised_pnl numeric, commissions numeric, lots text, updated_ns bigint",
    "paper_fills": "id text, number bigint, order_id text, account_id text, contract_id text, side text,"
    " quantity integer, price bigint, commission numeric, liquidity text, ts_ns bigint",
}


def _from_json(table: str, columns: Sequence[str], param: int) -> str:
    selected = ", ".join("lots::jsonb" if c == "lots" else c for c in columns)
    return f"SELECT {selected} FROM jsonb_to_recordset(${param}::jsonb) AS r({_COLUMN_TYPES[table]})"


def _on_conflict(columns: Sequence[str], key: Sequence[str]) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"


def _insert(table: str, columns: Sequence[str], param: int) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) {_from_json(table, columns, param)}"


_COMMIT = f"""
WITH journal AS (
    INSERT INTO execution_journal (ts_ns, account_id, kind, type, payload, actor)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[])
    RETURNING seq, kind
), accounts AS (
    {_insert("paper_accounts", ACCOUNT_COLUMNS, 7)}
    {
    _on_conflict(ACCOUNT_COLUMNS, ("id",)).replace(
        "name = EXCLUDED.name", "name = coalesce(nullif(EXCLUDED.name, ''), paper_accounts.name)"
    )
}
), orders AS (
    {_insert("paper_orders", ORDER_COLUMNS, 8)}
    {_on_conflict(ORDER_COLUMNS, ("id",)).replace("actor = EXCLUDED.actor", "actor = paper_orders.actor")}
), positions AS (
    {_insert("paper_positions", POSITION_COLUMNS, 9)} {_on_conflict(POSITION_COLUMNS, ("account_id", "contract_id"))}
), fills AS (
    {_insert("paper_fills", FILL_COLUMNS, 10)} ON CONFLICT DO NOTHING
)
SELECT seq FROM journal WHERE kind = 'event' ORDER BY seq
"""
# (A change made by a tick does not know the account's name: an empty name keeps the stored one. An order keeps
# the actor that placed it. Fills already stored are skipped, never updated: the table refuses UPDATE and DELETE.)


def _json_rows(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> str:
    # Decimals travel as strings and become numeric exactly; never floats.
    return json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str)


_SELECT_ACCOUNTS = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM paper_accounts ORDER BY ordinal"
_SELECT_ORDERS = f"SELECT {', '.join(ORDER_COLUMNS)} FROM paper_orders ORDER BY number"
_SELECT_POSITIONS = (
    f"SELECT {', '.join(c if c != 'lots' else 'lots::text AS lots' for c in POSITION_COLUMNS)} FROM paper_positions"
    " ORDER BY account_id, contract_id"
)
_SELECT_FILL_SEQ = "SELECT coalesce(max(number), 0) FROM paper_fills"
_SELECT_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM execution_journal"
_SELECT_ACCOUNT_LAST_SEQ = (
    "SELECT coalesce(max(seq), 0) FROM execution_journal WHERE account_id = $1 AND kind = 'event'"
)
_SELECT_EVENTS_SINCE = """
SELECT seq, type, payload::text AS payload FROM execution_journal
WHERE kind = 'event' AND seq > $2 AND ($1::text = '' OR account_id = $1) AND type = ANY($3::text[])
ORDER BY seq LIMIT $4
"""
_SELECT_FILLS = f"""
SELECT {", ".join(FILL_COLUMNS)} FROM paper_fills
WHERE account_id = $1 AND ($2::bigint = 0 OR ts_ns >= $2) AND ($3::bigint = 0 OR ts_ns < $3)
ORDER BY ts_ns DESC, number DESC
LIMIT $4
"""

_SELECT_ACCOUNT_ORDERS = f"""
SELECT {", ".join(ORDER_COLUMNS)} FROM paper_orders
WHERE account_id = $1 AND ($2::text = '' OR contract_id = $2)
ORDER BY number DESC
LIMIT $3
"""
_SELECT_ORDER = f"SELECT {', '.join(ORDER_COLUMNS)} FROM paper_orders WHERE id = $1"


async def write_execution(conn: Any, changes: Sequence[ExecutionChange]) -> list[int]:
    """One statement (atomic by itself, or part of the caller's transaction): the journal rows in order, then
    the latest state of every account, order, position and fill the changes touched. Returns the journal seqs
    of the changes' events, in order (the seq each is streamed with)."""
    journal: list[tuple[int, str, str, str, str, str]] = []
    accounts: dict[AccountId, AccountState] = {}
    orders: dict[OrderId, OrderState] = {}
    positions: dict[tuple[AccountId, str], PositionState] = {}
    fills: list[Fill] = []
    for change in changes:
        journal += journal_rows(change)
        accounts.update(change.accounts)
        orders.update(change.orders)
        positions.update(change.positions)
        fills += change.fills
    if not journal:
        return []
    rows = await conn.fetch(
        _COMMIT,
        *(list(column) for column in zip(*journal, strict=True)),
        _json_rows(ACCOUNT_COLUMNS, [account_row(a) for a in accounts.values()]),
        _json_rows(ORDER_COLUMNS, [order_row(o) for o in orders.values()]),
        _json_rows(POSITION_COLUMNS, [position_row(p) for p in positions.values()]),
        _json_rows(FILL_COLUMNS, [fill_row(f) for f in fills]),
    )
    return [r["seq"] for r in rows]


class ExecutionRepository:
    """Reads and writes the paper execution tables; implements execution.ports.ExecutionStore."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def commit(self, changes: Sequence[ExecutionChange]) -> None:
        """One transaction: every change's journal rows in order, then the latest state of what they touched."""
        with unavailable_on_connection_failure():
            await write_execution(self._pool, changes)

    async def load(self) -> StoredExecution:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                accounts = tuple(account_from_record(r) for r in await conn.fetch(_SELECT_ACCOUNTS))
                orders = tuple(order_from_record(r) for r in await conn.fetch(_SELECT_ORDERS))
                positions = tuple(position_from_record(r) for r in await conn.fetch(_SELECT_POSITIONS))
                fill_seq = await conn.fetchval(_SELECT_FILL_SEQ)
                last_seq = await conn.fetchval(_SELECT_LAST_SEQ)
        return StoredExecution(accounts, orders, positions, fill_seq, last_seq)

    async def last_seq(self, account_id: str = "") -> int:
        """The journal's last seq (0: empty); of one account's events when given."""
        with unavailable_on_connection_failure():
            if account_id:
                return int(await self._pool.fetchval(_SELECT_ACCOUNT_LAST_SEQ, account_id))
            return int(await self._pool.fetchval(_SELECT_LAST_SEQ))

    async def events_since(
        self, account_id: str, seq: int, limit: int, types: Sequence[str]
    ) -> list[tuple[int, ExecutionEvent]]:
        """Up to `limit` stored events (of the classes named `types`) after `seq`, oldest first, with their seq;
        of one account when given."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_EVENTS_SINCE, account_id, seq, list(types), limit)
        return [(r["seq"], event_from_journal(r["type"], r["payload"])) for r in records]

    async def list_fills(self, account_id: AccountId, from_ns: int, to_ns: int, limit: int) -> list[Fill]:
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_FILLS, account_id, from_ns, to_ns, limit)
        return [fill_from_record(r) for r in records]

    async def list_orders(self, account_id: AccountId, contract_id: str | None, limit: int) -> list[OrderState]:
        """The account's newest `limit` orders as stored (of one contract if given), newest first."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_ACCOUNT_ORDERS, account_id, contract_id or "", limit)
        return [order_from_record(r) for r in records]

    async def get_order(self, order_id: OrderId) -> OrderState | None:
        with unavailable_on_connection_failure():
            record = await self._pool.fetchrow(_SELECT_ORDER, order_id)
        return None if record is None else order_from_record(record)
