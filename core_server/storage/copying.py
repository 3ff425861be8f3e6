"""Copy groups and follower outcomes (tables copy_groups, copy_outcomes): written with the journal, read at start
and by the CopyService."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from core_server.copying.model import (
    CopyAction,
    CopyGroup,
    CopyOutcome,
    CopyStatus,
    Follower,
    GroupChange,
    Sizing,
    SizingKind,
    SourceKind,
)
from core_server.execution.model import AccountId, OrderId
from core_server.storage.failures import unavailable_on_connection_failure

_UPSERT = """
INSERT INTO copy_groups (group_id, name, source_kind, source, paused, followers, created_ns, updated_ns)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
ON CONFLICT (group_id) DO UPDATE SET name = EXCLUDED.name, source_kind = EXCLUDED.source_kind,
    source = EXCLUDED.source, paused = EXCLUDED.paused, followers = EXCLUDED.followers, updated_ns = EXCLUDED.updated_ns
"""
_DELETE = "DELETE FROM copy_groups WHERE group_id = $1"
_INSERT_OUTCOMES = """
INSERT INTO copy_outcomes (group_id, account_id, source_ref, source_order_ids, action, status, contract_id, quantity,
                           order_ids, detail, ts_ns)
SELECT g, a, r, string_to_array(so, ' '), act, st, c, q, string_to_array(o, ' '), d, ts
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
            $9::text[], $10::text[], $11::bigint[]) AS x(g, a, r, so, act, st, c, q, o, d, ts)
"""
_OUTCOME_COLUMNS = (
    "group_id, account_id, source_ref, source_order_ids, action, status, contract_id, quantity, order_ids, detail,"
    " ts_ns"
)


def followers_json(followers: Sequence[Follower]) -> str:
    return json.dumps(
        [
            {
                "account_id": f.account_id,
                "sizing": f.sizing.kind.value,
                "quantity": f.sizing.quantity,
                "multiplier": format(f.sizing.multiplier, "f"),
                "risk_dollars": format(f.sizing.risk_dollars, "f"),
                "micros_only": f.micros_only,
            }
            for f in followers
        ]
    )


def followers_of(text: str) -> tuple[Follower, ...]:
    return tuple(
        Follower(
            AccountId(item["account_id"]),
            Sizing(
                SizingKind(item["sizing"]),
                int(item["quantity"]),
                Decimal(item["multiplier"]),
                Decimal(item["risk_dollars"]),
            ),
            bool(item["micros_only"]),
        )
        for item in json.loads(text)
    )


def _group_of(row: Any) -> CopyGroup:
    return CopyGroup(
        row["group_id"], row["name"], SourceKind(row["source_kind"]), row["source"], followers_of(row["followers"]),
        row["paused"], row["created_ns"], row["updated_ns"],
    )  # fmt: skip


def _outcome_of(row: Any) -> CopyOutcome:
    return CopyOutcome(
        row["group_id"], AccountId(row["account_id"]), row["source_ref"],
        tuple(OrderId(i) for i in row["source_order_ids"] if i), CopyAction(row["action"]), CopyStatus(row["status"]),
        row["contract_id"], row["quantity"], tuple(OrderId(i) for i in row["order_ids"] if i), row["detail"],
        row["ts_ns"],
    )  # fmt: skip


async def write_copying(
    conn: asyncpg.Connection, changes: Sequence[GroupChange], outcomes: Sequence[CopyOutcome]
) -> None:
    """Group changes in order, then the outcomes (inside the caller's transaction)."""
    for change in changes:
        group = change.group
        if change.deleted:
            await conn.execute(_DELETE, group.group_id)
        else:
            await conn.execute(
                _UPSERT, group.group_id, group.name, group.source_kind.value, group.source, group.paused,
                followers_json(group.followers), group.created_ns, group.updated_ns,
            )  # fmt: skip
    if outcomes:
        await conn.execute(
            _INSERT_OUTCOMES,
            [o.group_id for o in outcomes],
            [o.account_id for o in outcomes],
            [o.source_ref for o in outcomes],
            [" ".join(o.source_order_ids) for o in outcomes],
            [o.action.value for o in outcomes],
            [o.status.value for o in outcomes],
            [o.contract_id for o in outcomes],
            [o.quantity for o in outcomes],
            [" ".join(o.order_ids) for o in outcomes],
            [o.detail for o in outcomes],
            [o.ts_ns for o in outcomes],
        )


class CopyRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def groups(self) -> list[CopyGroup]:
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch("SELECT * FROM copy_groups ORDER BY group_id")
        return [_group_of(r) for r in rows]

    async def open_entries(self, limit: int = 50_000) -> list[CopyOutcome]:
        """The latest placed entries and exits, oldest first (a restart links the follower orders still open)."""
        query = (
            f"SELECT {_OUTCOME_COLUMNS} FROM (SELECT * FROM copy_outcomes WHERE action IN ('entry', 'exit')"
            " AND status = 'placed'"
            " ORDER BY seq DESC LIMIT $1) AS recent ORDER BY seq"
        )
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(query, limit)
        return [_outcome_of(r) for r in rows]

    async def latest(self) -> list[CopyOutcome]:
        """Each follower's last outcome in each group (what the TUI shows next to it)."""
        query = (
            f"SELECT DISTINCT ON (group_id, account_id) {_OUTCOME_COLUMNS} FROM copy_outcomes"
            " ORDER BY group_id, account_id, seq DESC"
        )
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(query)
        return [_outcome_of(r) for r in rows]

    async def outcomes(
        self, *, group_id: str = "", account_id: str = "", source_ref: str = "", limit: int = 100
    ) -> list[CopyOutcome]:
        """Outcomes newest first, filtered by any of group, follower account and source ('' = any)."""
        query = (
            f"SELECT {_OUTCOME_COLUMNS} FROM copy_outcomes WHERE ($1 = '' OR group_id = $1)"
            " AND ($2 = '' OR account_id = $2) AND ($3 = '' OR source_ref = $3) ORDER BY seq DESC LIMIT $4"
        )
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(query, group_id, account_id, source_ref, limit)
        return [_outcome_of(r) for r in rows]
