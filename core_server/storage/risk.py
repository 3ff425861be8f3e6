"""Risk storage: rules per account, saved risk state, the emergency stop flag, and the append-only audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog

from core_server.model.errors import InvalidArgument
from core_server.risk.audit import AuditEntry, AuditRecord, StoredRisk, StoredRules
from core_server.risk.saved import SavedAccount
from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.risk_rows import audit_columns, audit_from_record, rules_from_json, rules_to_json

log = structlog.get_logger(__name__)

_INSERT_AUDIT = """
INSERT INTO risk_audit (ts_ns, account_id, kind, rule, reason, numbers, state, order_id, status, actor)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[],
                     $8::text[], $9::jsonb[], $10::text[])
RETURNING seq
"""
_UPSERT_STATE = """
INSERT INTO risk_state (account_id, status, lock_rule, failed_rule, trading_day, state, updated_ns)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
ON CONFLICT (account_id) DO UPDATE SET status = EXCLUDED.status, lock_rule = EXCLUDED.lock_rule,
    failed_rule = EXCLUDED.failed_rule, trading_day = EXCLUDED.trading_day, state = EXCLUDED.state,
    updated_ns = EXCLUDED.updated_ns
"""
_UPSERT_RULES = """
INSERT INTO risk_rules (account_id, preset, rules, updated_ns) VALUES ($1, $2, $3::jsonb, $4)
ON CONFLICT (account_id) DO UPDATE SET preset = EXCLUDED.preset, rules = EXCLUDED.rules,
    updated_ns = EXCLUDED.updated_ns
"""
_UPSERT_STOP = """
INSERT INTO risk_emergency_stop (id, stopped, reason, updated_ns) VALUES (true, $1, $2, $3)
ON CONFLICT (id) DO UPDATE SET stopped = EXCLUDED.stopped, reason = EXCLUDED.reason, updated_ns = EXCLUDED.updated_ns
"""
_SELECT_RULES = "SELECT account_id, preset, rules::text AS rules FROM risk_rules ORDER BY account_id"
_SELECT_STATES = "SELECT account_id, state::text AS state FROM risk_state ORDER BY account_id"
_SELECT_STOP = "SELECT stopped FROM risk_emergency_stop"
_SELECT_SINCE = """
SELECT seq, ts_ns, account_id, kind, rule, reason, numbers::text AS numbers, state, order_id,
       status::text AS status, actor
FROM risk_audit
WHERE ($1::text = '' OR account_id = $1 OR account_id = '') AND seq > $2
ORDER BY seq LIMIT $3
"""

_SELECT_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM risk_audit"

_SELECT_RECENT = """
SELECT * FROM (
    SELECT seq, ts_ns, account_id, kind, rule, reason, numbers::text AS numbers, state, order_id,
           status::text AS status, actor
    FROM risk_audit
    WHERE $1::text = '' OR account_id = $1 OR account_id = ''
    ORDER BY seq DESC LIMIT $2
) newest ORDER BY seq
"""


async def write_audit(
    conn: Any, entries: Sequence[AuditEntry], states: Sequence[SavedAccount], ts_ns: int
) -> list[int]:
    """In the caller's transaction: the audit entries (their seqs, in order) and the changed saved states."""
    seqs: list[int] = []
    if entries:
        rows = await conn.fetch(_INSERT_AUDIT, *audit_columns(list(entries)))
        seqs = [r["seq"] for r in rows]
    if states:
        await conn.executemany(_UPSERT_STATE, [_state_row(s, ts_ns) for s in states])
    return seqs


async def write_rules(conn: Any, rules: StoredRules, ts_ns: int) -> None:
    await conn.execute(_UPSERT_RULES, rules.account_id, rules.preset, rules_to_json(rules.rules), ts_ns)


async def write_emergency_stop(conn: Any, stopped: bool, reason: str, ts_ns: int) -> None:
    await conn.execute(_UPSERT_STOP, stopped, reason, ts_ns)


def _stored_rules(row: asyncpg.Record) -> StoredRules | None:
    """A stored rule set, or None when it no longer passes validation (e.g. an amount beyond today's bounds,
    stored by an older version): the account then runs on the default rules and the log says why, rather
    than the server refusing to start."""
    try:
        return StoredRules(row["account_id"], rules_from_json(row["rules"]), row["preset"])
    except InvalidArgument as exc:
        log.error("risk.stored_rules_refused", account_id=row["account_id"], field=exc.field, reason=exc.reason)
        return None


class RiskRepository:
    """Reads and writes the risk tables; implements risk.audit.RiskStore."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self) -> StoredRisk:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                rules = tuple(kept for r in await conn.fetch(_SELECT_RULES) if (kept := _stored_rules(r)) is not None)
                states = tuple(
                    SavedAccount.from_json(r["account_id"], json.loads(r["state"]))
                    for r in await conn.fetch(_SELECT_STATES)
                )
                stopped = await conn.fetchval(_SELECT_STOP)
        return StoredRisk(rules, states, bool(stopped))

    async def append(self, entries: Sequence[AuditEntry], states: Sequence[SavedAccount], ts_ns: int) -> list[int]:
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                return await write_audit(conn, entries, states, ts_ns)

    async def save_rules(self, rules: StoredRules, ts_ns: int) -> None:
        with unavailable_on_connection_failure():
            await self._pool.execute(_UPSERT_RULES, rules.account_id, rules.preset, rules_to_json(rules.rules), ts_ns)

    async def save_emergency_stop(self, stopped: bool, reason: str, ts_ns: int) -> None:
        with unavailable_on_connection_failure():
            await self._pool.execute(_UPSERT_STOP, stopped, reason, ts_ns)

    async def since(self, account_id: str, seq: int, limit: int) -> list[AuditRecord]:
        """Up to `limit` entries after `seq`, oldest first (an account's, with the engine-wide ones)."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_SINCE, account_id, seq, limit)
        return [audit_from_record(r) for r in records]

    async def last_seq(self) -> int:
        """The audit log's last seq (0: empty)."""
        with unavailable_on_connection_failure():
            return int(await self._pool.fetchval(_SELECT_LAST_SEQ))

    async def recent(self, account_id: str, limit: int) -> list[AuditRecord]:
        if limit <= 0:
            return []
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_RECENT, account_id, limit)
        return [audit_from_record(r) for r in records]


def _state_row(s: SavedAccount, ts_ns: int) -> tuple[object, ...]:
    lock = s.lock_rule.label if s.lock_rule is not None else None
    failed = s.failed_rule.label if s.failed_rule is not None else None
    return (s.account_id, s.status.name.lower(), lock, failed, s.trading_day, json.dumps(s.to_json()), ts_ns)
