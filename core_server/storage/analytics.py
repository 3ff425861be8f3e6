"""What analytics reads from the store: every closed, executed trade as TradeFacts, in one lean query.

Signal-only trades (never executed: no account) have no money and are left out. A change fingerprint (how many
closed trades, the last exit) lets the caller keep the facts in memory until a trade closes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from core_server.analytics.facts import TradeFacts
from core_server.excursions.model import Direction, TradeStatus
from core_server.model.instruments import INSTRUMENTS
from core_server.storage.failures import unavailable_on_connection_failure

_DIRECTIONS = {"bullish": Direction.LONG, "bearish": Direction.SHORT}
_SELECT_CLOSED = """
SELECT id, account_id, contract_id, direction, source, strategy_id, strategy_version, created_ns, closed_ns,
       entry_qty, quantity, gross, commissions, risk_ticks, realised_ticks, mfe_ticks, mae_ticks, status,
       tags, setup, rating
FROM trades WHERE closed_ns IS NOT NULL AND account_id IS NOT NULL
ORDER BY closed_ns, id
"""
_FINGERPRINT = """
SELECT count(*), coalesce(max(closed_ns), 0) FROM trades WHERE closed_ns IS NOT NULL AND account_id IS NOT NULL
"""


class AnalyticsRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fingerprint(self) -> tuple[int, int]:
        """(closed trades, last exit ns): changes whenever a trade closes."""
        with unavailable_on_connection_failure():
            row = await self._pool.fetchrow(_FINGERPRINT)
        assert row is not None
        return int(row[0]), int(row[1])

    async def closed_trades(self, book: Callable[[int], date]) -> list[TradeFacts]:
        """Every closed, executed trade in exit order, booked with `book` (exit ns -> trading day)."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_CLOSED)
        return [facts_from_record(r, book) for r in records]


def facts_from_record(r: Mapping[str, Any], book: Callable[[int], date]) -> TradeFacts:
    contract_id: str = r["contract_id"]
    return TradeFacts(
        trade_id=r["id"],
        account_id=r["account_id"],
        contract_id=contract_id,
        direction=_DIRECTIONS[r["direction"]],
        source=r["source"],
        opened_ns=r["created_ns"],
        closed_ns=r["closed_ns"],
        trade_date=book(r["closed_ns"]),
        quantity=r["entry_qty"] or r["quantity"],
        gross=Decimal(r["gross"]),
        commissions=Decimal(r["commissions"]),
        risk_ticks=r["risk_ticks"],
        realised_ticks=r["realised_ticks"],
        mfe_ticks=r["mfe_ticks"],
        mae_ticks=r["mae_ticks"],
        tick_value=INSTRUMENTS[contract_id[:-5]].tick_value,
        break_even_exit=r["status"] == TradeStatus.BREAK_EVEN.value,
        strategy_id=r["strategy_id"],
        strategy_version=r["strategy_version"],
        tags=tuple(r["tags"] or ()),
        setup=r["setup"] or "",
        rating=r["rating"],
    )
