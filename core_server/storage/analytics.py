"""What analytics reads from the store: every closed, executed trade as TradeFacts, in one lean query.

Signal-only trades (never executed: no account) have no money and are left out. A change fingerprint (how many
closed trades, the last exit) lets the caller keep the facts in memory until a trade closes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import asyncpg

from core_server.analytics.facts import TradeFacts
from core_server.analytics.imports import ImportedTrip
from core_server.excursions.model import Direction, TradeStatus
from core_server.model.instruments import INSTRUMENTS
from core_server.storage.failures import unavailable_on_connection_failure

_DIRECTIONS = {"bullish": Direction.LONG, "bearish": Direction.SHORT}
_LABELS = {d: label for label, d in _DIRECTIONS.items()}
_SELECT_CLOSED = """
SELECT id, account_id, contract_id, direction, source, strategy_id, strategy_version, created_ns, closed_ns,
       entry_qty, quantity, gross, commissions, risk_ticks, realised_ticks, mfe_ticks, mae_ticks, status,
       tags, setup, notes, rating
FROM trades WHERE closed_ns IS NOT NULL AND account_id IS NOT NULL AND closed_ns >= $1
ORDER BY closed_ns, id
"""
# Slippage paid per trade, in ticks x contracts: each fill against its order's reference price (Order.
# slippage_reference: a market order's stored reference_price, a stop or stop-limit's stop; a limit has none),
# adverse positive, improvement negative (analytics/slippage.py defines it for one fill). Imported trades have no
# orders of their own: the paper fills of an account that happens to share their name are not theirs.
_SLIPPAGE = """
SELECT t.id, sum((f.price - CASE o.order_type WHEN 'market' THEN o.reference_price ELSE o.stop_price END)
                 * f.quantity * CASE f.side WHEN 'buy' THEN 1 ELSE -1 END) AS ticks
FROM trades t
JOIN paper_fills f ON f.account_id = t.account_id AND f.contract_id = t.contract_id
                  AND f.ts_ns >= t.created_ns AND f.ts_ns <= t.closed_ns
JOIN paper_orders o ON o.id = f.order_id
WHERE t.closed_ns IS NOT NULL AND t.closed_ns >= $1 AND t.source <> 'imported'
  AND o.order_type <> 'limit'
  AND CASE o.order_type WHEN 'market' THEN o.reference_price ELSE o.stop_price END IS NOT NULL
GROUP BY t.id
"""
_EXISTING = "SELECT id FROM trades WHERE id = ANY($1::text[])"
# An imported trip: closed, no stop (no R), no excursion observed, never open, so nothing restores it into the kernel.
_INSERT_IMPORTED = """
INSERT INTO trades (id, contract_id, direction, quantity, entry, status, created_ns, source, account_id, mfe_ticks,
    mae_ticks, mfe_ns, mae_ns, result_ticks, exit_price, closed_ns, open_qty, max_qty, entry_qty, entry_cost, exit_qty,
    exit_cost, realised_ticks, gross, commissions, break_even)
VALUES ($1, $2, $3, $4, $5, 'closed', $6, 'imported', $7, 0, 0, $6, $6, $8, $9, $10, 0, $4, $11, $12, $13, $14, $15,
    $16, $17, false)
ON CONFLICT (id) DO NOTHING
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

    async def save_imported(self, trips: Sequence[ImportedTrip]) -> list[str]:
        """Store the trips not stored yet (by their stable ids), in one transaction; the ids newly stored."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction():
                existing = {r["id"] for r in await conn.fetch(_EXISTING, [t.trade_id for t in trips])}
                new = [t for t in trips if t.trade_id not in existing]
                await conn.executemany(_INSERT_IMPORTED, [imported_row(t) for t in new])
        return [t.trade_id for t in new]

    async def closed_trades(self, book: Callable[[int], date], since_ns: int = 0) -> list[TradeFacts]:
        """Every closed, executed trade (that closed at or after `since_ns`) in exit order, booked with `book`
        (exit ns -> trading day)."""
        return facts_from_rows(await self.closed_rows(since_ns), book)

    async def closed_rows(self, since_ns: int = 0) -> ClosedRows:
        """The stored rows of `closed_trades`, not yet converted (a caller may convert them off the event loop)."""
        with unavailable_on_connection_failure():
            records = await self._pool.fetch(_SELECT_CLOSED, since_ns)
            slippage = {r["id"]: int(r["ticks"]) for r in await self._pool.fetch(_SLIPPAGE, since_ns)}
        return ClosedRows(records, slippage)


@dataclass(frozen=True, slots=True)
class ClosedRows:
    records: list[asyncpg.Record]
    slippage: dict[str, int]  # trade id -> slippage ticks x contracts (trades with no measured fill left out)


def facts_from_rows(rows: ClosedRows, book: Callable[[int], date]) -> list[TradeFacts]:
    return [facts_from_record(r, book, rows.slippage.get(r["id"], 0)) for r in rows.records]


def imported_row(t: ImportedTrip) -> tuple[Any, ...]:
    entry = round(Fraction(t.entry_cost, t.entry_qty))
    exit_price = round(Fraction(t.exit_cost, t.exit_qty))
    return (
        t.trade_id, t.contract_id, _LABELS[t.direction], t.max_qty, entry, t.opened_ns, t.account,
        (exit_price - entry) * t.direction.sign, exit_price, t.closed_ns, t.entry_qty, t.entry_cost, t.exit_qty,
        t.exit_cost, t.realised_ticks, t.gross, t.commissions,
    )  # fmt: skip


def facts_from_record(r: Mapping[str, Any], book: Callable[[int], date], slippage_ticks: int = 0) -> TradeFacts:
    contract_id: str = r["contract_id"]
    tick_value = INSTRUMENTS[contract_id[:-5]].tick_value
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
        tick_value=tick_value,
        slippage=slippage_ticks * tick_value,
        break_even_exit=r["status"] == TradeStatus.BREAK_EVEN.value,
        excursion_known=r["source"] != "imported",
        strategy_id=r["strategy_id"],
        strategy_version=r["strategy_version"],
        tags=tuple(r["tags"] or ()),
        setup=r["setup"] or "",
        notes=r["notes"] or "",
        rating=r["rating"],
    )
