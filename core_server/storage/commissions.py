"""Commission overrides per paper account (table paper_commission_rates): written with the journal, loaded at start."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import asyncpg

from core_server.execution.commission_rates import StoredCommissionRates
from core_server.execution.model import AccountId
from core_server.storage.failures import unavailable_on_connection_failure

_DELETE = "DELETE FROM paper_commission_rates WHERE account_id = $1"
_INSERT = """
INSERT INTO paper_commission_rates (account_id, root, rate, updated_ns)
SELECT $1, root, rate, $4 FROM unnest($2::text[], $3::numeric[]) AS r(root, rate)
"""
_SELECT = "SELECT account_id, root, rate FROM paper_commission_rates ORDER BY account_id, root"


async def write_commission_rates(conn: asyncpg.Connection, stored: StoredCommissionRates, ts_ns: int) -> None:
    """Replace the account's overrides whole (inside the caller's transaction)."""
    await conn.execute(_DELETE, stored.account_id)
    if stored.rates:
        roots = [root for root, _ in stored.rates]
        rates = [rate for _, rate in stored.rates]
        await conn.execute(_INSERT, stored.account_id, roots, rates, ts_ns)


class CommissionRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self) -> Mapping[AccountId, Mapping[str, Decimal]]:
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(_SELECT)
        found: dict[AccountId, dict[str, Decimal]] = {}
        for row in rows:
            found.setdefault(AccountId(row["account_id"]), {})[row["root"]] = Decimal(row["rate"])
        return found
