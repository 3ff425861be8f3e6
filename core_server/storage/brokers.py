"""Broker bindings and their audit trail (tables broker_bindings, broker_audit). Never a credential."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from core_server.brokers.model import AuditEntry, Binding, BrokerKind
from core_server.storage.failures import unavailable_on_connection_failure

_COLUMNS = (
    "account_id, broker, environment, broker_account, live_enabled, bound_by, bound_ns, live_changed_by, "
    "live_changed_ns"
)
_UPSERT = f"""
INSERT INTO broker_bindings ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (account_id) DO UPDATE SET broker = $2, environment = $3, broker_account = $4, live_enabled = $5,
    bound_by = $6, bound_ns = $7, live_changed_by = $8, live_changed_ns = $9
"""
_AUDIT = "INSERT INTO broker_audit (account_id, ts_ns, actor, kind, detail) VALUES ($1, $2, $3, $4, $5::jsonb)"


class BrokerRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self) -> list[Binding]:
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM broker_bindings ORDER BY account_id")
        return [
            Binding(
                row["account_id"],
                BrokerKind(row["broker"]),
                row["environment"],
                row["broker_account"],
                row["live_enabled"],
                row["bound_by"],
                row["bound_ns"],
                row["live_changed_by"],
                row["live_changed_ns"],
            )
            for row in rows
        ]

    async def save(self, binding: Binding, kind: str, detail: Mapping[str, Any]) -> None:
        """Store the binding and its audit record together."""
        b = binding
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    _UPSERT, b.account_id, b.broker.value, b.environment, b.broker_account, b.live_enabled,
                    b.bound_by, b.bound_ns, b.live_changed_by, b.live_changed_ns,
                )  # fmt: skip
                actor = b.live_changed_by or b.bound_by
                ts_ns = max(b.bound_ns, b.live_changed_ns)
                await conn.execute(_AUDIT, b.account_id, ts_ns, actor, kind, json.dumps(dict(detail), default=str))

    async def delete(self, account_id: str, ts_ns: int, actor: str) -> None:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("DELETE FROM broker_bindings WHERE account_id = $1", account_id)
                await conn.execute(_AUDIT, account_id, ts_ns, actor, "unbound", "{}")

    async def write_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Store a batch of audit lines in one transaction (the desk's DurableWriter calls this)."""
        rows = [(e.account_id, e.ts_ns, e.actor, e.kind, json.dumps(e.detail, default=str)) for e in entries]
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.executemany(_AUDIT, rows)

    async def audit_trail(self, account_id: str, limit: int = 100) -> list[tuple[int, str, str, dict[str, Any]]]:
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(
                "SELECT ts_ns, actor, kind, detail FROM broker_audit WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                account_id, limit,
            )  # fmt: skip
        return [(r["ts_ns"], r["actor"], r["kind"], json.loads(r["detail"])) for r in rows]
