"""The risk audit log is append-only in the database itself: updates, deletes and truncation are refused."""

from __future__ import annotations

import asyncpg
import pytest

from core_server.risk.audit import AuditEntry
from core_server.storage.database import connect_pool
from core_server.storage.risk import RiskRepository


async def test_the_database_refuses_to_change_or_remove_audit_entries(database_url: str) -> None:
    pool = await connect_pool(database_url, min_size=1, max_size=2)
    try:
        entry = AuditEntry(1, "acc", "order_denied", "max_contracts", "max contracts: 6 would exceed 5",
                           (("would_be", "6"), ("limit", "5")), "safe", "O-1")  # fmt: skip
        (seq,) = await RiskRepository(pool).append([entry], [], 1)
        for sql in (
            "UPDATE risk_audit SET reason = 'edited'",
            "DELETE FROM risk_audit",
            "TRUNCATE risk_audit",
        ):
            with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
                await pool.execute(sql)
        [record] = await RiskRepository(pool).recent("acc", 10)
        assert (record.seq, record.entry.reason, dict(record.entry.numbers)) == (seq, entry.reason, dict(entry.numbers))
    finally:
        await pool.close()
