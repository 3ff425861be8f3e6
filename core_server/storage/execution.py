"""Paper execution storage: the append-only journal and the account, order, fill and position state tables."""

from __future__ import annotations

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
from core_server.execution.model import AccountId, Fill, OrderId
from core_server.storage.execution_rows import (
    ACCOUNT_COLUMNS,
    FILL_COLUMNS,
    ORDER_COLUMNS,
    POSITION_COLUMNS,
    account_from_record,
    account_row,
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


# One statement for all of a commit's journal rows (a round trip per row would dominate a command's latency).
_INSERT_JOURNAL = """
INSERT INTO execution_journal (ts_ns, account_id, kind, type, payload)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
"""
# A change made by a tick does not know the account's name: an empty name keeps the stored one.
_UPSERT_ACCOUNT = _upsert("paper_accounts", ACCOUNT_COLUMNS, ("id",)).replace(
    "name = EXCLUDED.name", "name = coalesce(nullif(EXCLUDED.name, ''), paper_accounts.name)"
)
_UPSERT_ORDER = _upsert("paper_orders", ORDER_COLUMNS, ("id",))
_UPSERT_POSITION = _upsert("paper_positions", POSITION_COLUMNS, ("account_id", "contract_id"), {"lots": "::jsonb"})
# Fills already stored are skipped, never updated: the table refuses UPDATE and DELETE.
_INSERT_FILL = (
    f"INSERT INTO paper_fills ({', '.join(FILL_COLUMNS)}) VALUES ({_values(FILL_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_SELECT_ACCOUNTS = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM paper_accounts ORDER BY ordinal"
_SELECT_ORDERS = f"SELECT {', '.join(ORDER_COLUMNS)} FROM paper_orders ORDER BY number"
_SELECT_POSITIONS = (
    f"SELECT {', '.join(c if c != 'lots' else 'lots::text AS lots' for c in POSITION_COLUMNS)} FROM paper_positions"
    " ORDER BY account_id, contract_id"
)
_SELECT_FILL_SEQ = "SELECT coalesce(max(number), 0) FROM paper_fills"
_SELECT_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM execution_journal"
_SELECT_FILLS = f"""
SELECT {", ".join(FILL_COLUMNS)} FROM paper_fills
WHERE account_id = $1 AND ($2::bigint = 0 OR ts_ns >= $2) AND ($3::bigint = 0 OR ts_ns < $3)
ORDER BY ts_ns DESC, number DESC
LIMIT $4
"""


class ExecutionRepository:
    """Reads and writes the paper execution tables; implements execution.ports.ExecutionStore."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def commit(self, changes: Sequence[ExecutionChange]) -> None:
        """One transaction: every change's journal rows in order, then the latest state of what they touched."""
        journal: list[tuple[int, str, str, str, str]] = []
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
            return
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_INSERT_JOURNAL, *(list(column) for column in zip(*journal, strict=True)))
                if accounts:
                    await _many(conn, _UPSERT_ACCOUNT, [account_row(a) for a in accounts.values()])
                if orders:
                    await _many(conn, _UPSERT_ORDER, [order_row(o) for o in orders.values()])
                if positions:
                    await _many(conn, _UPSERT_POSITION, [position_row(p) for p in positions.values()])
                if fills:
                    await _many(conn, _INSERT_FILL, [fill_row(f) for f in fills])

    async def load(self) -> StoredExecution:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                accounts = tuple(account_from_record(r) for r in await conn.fetch(_SELECT_ACCOUNTS))
                orders = tuple(order_from_record(r) for r in await conn.fetch(_SELECT_ORDERS))
                positions = tuple(position_from_record(r) for r in await conn.fetch(_SELECT_POSITIONS))
                fill_seq = await conn.fetchval(_SELECT_FILL_SEQ)
                last_seq = await conn.fetchval(_SELECT_LAST_SEQ)
        return StoredExecution(accounts, orders, positions, fill_seq, last_seq)

    async def list_fills(self, account_id: AccountId, from_ns: int, to_ns: int, limit: int) -> list[Fill]:
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_FILLS, account_id, from_ns, to_ns, limit)
        return [fill_from_record(r) for r in records]


async def _many(conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if len(rows) == 1:
        await conn.execute(sql, *rows[0])
    else:
        await conn.executemany(sql, rows)
