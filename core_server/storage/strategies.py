"""StrategyRepository: strategy versions, current rows and the event log. Writes happen inside the journal's
transaction (write_strategies), so a strategy's state is stored with the orders and fills it caused."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import asyncpg

from core_server.storage.failures import unavailable_on_connection_failure
from core_server.storage.trades import TradeFilter, TradeRepository
from core_server.strategies.events import (
    LoggedEvent,
    Status,
    StrategyEvent,
    StrategyRecord,
    StrategyVersion,
    VersionPnl,
    VersionResult,
)
from core_server.trades.model import RoundTrip

RESULT_TRADES = 1000


@dataclass(frozen=True, slots=True)
class StoredStrategy:
    """A strategy as stored: its running version's text and its current row."""

    version: StrategyVersion
    record: StrategyRecord


_INSERT_VERSION = """
INSERT INTO strategy_versions (strategy_id, version, source, format, created_ns) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (strategy_id, version) DO NOTHING
"""
_UPSERT = """
INSERT INTO strategies (strategy_id, version, status, account_id, contract_id, state, position, cost_ticks, realised,
                        trade_date, realised_today, trades_today, trades, errors, last_error, updated_ns, mark_ticks)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (strategy_id) DO UPDATE SET
    version = EXCLUDED.version, status = EXCLUDED.status, account_id = EXCLUDED.account_id,
    contract_id = EXCLUDED.contract_id, state = EXCLUDED.state, position = EXCLUDED.position,
    cost_ticks = EXCLUDED.cost_ticks, realised = EXCLUDED.realised, trade_date = EXCLUDED.trade_date,
    realised_today = EXCLUDED.realised_today, trades_today = EXCLUDED.trades_today, trades = EXCLUDED.trades,
    errors = EXCLUDED.errors, last_error = EXCLUDED.last_error, updated_ns = EXCLUDED.updated_ns,
    mark_ticks = EXCLUDED.mark_ticks
"""
_UPSERT_PNL = """
INSERT INTO strategy_version_pnl (strategy_id, version, realised_r, realised_r_today, unrealised_r, open_qty, trades,
                                  r_trades)
SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::integer[],
                     $8::integer[])
ON CONFLICT (strategy_id, version) DO UPDATE SET
    realised_r = EXCLUDED.realised_r, realised_r_today = EXCLUDED.realised_r_today,
    unrealised_r = EXCLUDED.unrealised_r, open_qty = EXCLUDED.open_qty, trades = EXCLUDED.trades,
    r_trades = EXCLUDED.r_trades
"""
_SELECT_PNL = """
SELECT strategy_id, version, realised_r, realised_r_today, unrealised_r, open_qty, trades, r_trades
FROM strategy_version_pnl ORDER BY strategy_id, version
"""
_INSERT_EVENTS = """
INSERT INTO strategy_events (strategy_id, version, ts_ns, kind, message)
SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[])
RETURNING seq
"""
_SELECT_CURRENT = """
SELECT s.*, v.source, v.format, v.created_ns FROM strategies s
JOIN strategy_versions v ON v.strategy_id = s.strategy_id AND v.version = s.version
ORDER BY s.strategy_id
"""
_SELECT_VERSIONS = """
SELECT strategy_id, version, source, format, created_ns FROM strategy_versions WHERE strategy_id = $1
ORDER BY version
"""
_SELECT_EVENTS = """
SELECT seq, strategy_id, version, ts_ns, kind, message FROM strategy_events
WHERE ($1 = '' OR strategy_id = $1) AND ($2 = 0 OR seq < $2)
ORDER BY seq DESC LIMIT $3
"""


async def write_strategies(conn: Any, records: Sequence[object]) -> list[int]:
    """In the caller's transaction, in order: new versions, event log lines (their seqs), current rows."""
    versions = [r for r in records if isinstance(r, StrategyVersion)]
    events = [r for r in records if isinstance(r, StrategyEvent)]
    latest: dict[str, StrategyRecord] = {}
    for r in records:
        if isinstance(r, StrategyRecord):
            latest[r.strategy_id] = r
    if versions:
        await conn.executemany(
            _INSERT_VERSION, [(v.strategy_id, v.version, v.source, v.fmt, v.created_ns) for v in versions]
        )
    seqs: list[int] = []
    if events:
        columns = (
            [e.strategy_id for e in events],
            [e.version for e in events],
            [e.ts_ns for e in events],
            [e.kind for e in events],
            [e.message for e in events],
        )
        seqs = [row["seq"] for row in await conn.fetch(_INSERT_EVENTS, *columns)]
    if latest:
        await conn.executemany(_UPSERT, [_row(r) for r in latest.values()])
        pnl = [(r.strategy_id, v) for r in latest.values() for v in r.versions]
        if pnl:
            await conn.execute(
                _UPSERT_PNL,
                [sid for sid, _ in pnl],
                [v.version for _, v in pnl],
                [str(v.realised_r) for _, v in pnl],
                [str(v.realised_r_today) for _, v in pnl],
                ["" if v.unrealised_r is None else str(v.unrealised_r) for _, v in pnl],
                [v.open_qty for _, v in pnl],
                [v.trades for _, v in pnl],
                [v.r_trades for _, v in pnl],
            )
    return seqs


def _row(r: StrategyRecord) -> tuple[object, ...]:
    return (
        r.strategy_id, r.version, r.status.value, r.account_id, r.contract_id, json.dumps(dict(r.state)),
        r.position, r.cost_ticks, r.realised, r.trade_date, r.realised_today, r.trades_today, r.trades, r.errors,
        r.last_error, r.updated_ns, r.mark,
    )  # fmt: skip


def _pnl(row: asyncpg.Record) -> VersionPnl:
    unrealised = row["unrealised_r"]
    return VersionPnl(
        row["version"], Fraction(row["realised_r"]), Fraction(row["realised_r_today"]),
        Fraction(unrealised) if unrealised else None, row["open_qty"], row["trades"], row["r_trades"],
    )  # fmt: skip


def _record(row: asyncpg.Record, versions: tuple[VersionPnl, ...] = ()) -> StrategyRecord:
    return StrategyRecord(
        row["strategy_id"], row["version"], Status(row["status"]), row["account_id"], row["contract_id"],
        json.loads(row["state"]), row["position"], row["cost_ticks"], Decimal(row["realised"]), row["trade_date"],
        Decimal(row["realised_today"]), row["trades_today"], row["trades"], row["errors"], row["last_error"],
        row["updated_ns"], row["mark_ticks"], versions,
    )  # fmt: skip


def _version(row: asyncpg.Record) -> StrategyVersion:
    return StrategyVersion(row["strategy_id"], row["version"], row["source"], row["format"], row["created_ns"])


def results_of(trips: Sequence[RoundTrip]) -> list[VersionResult]:
    by_version: dict[int, list[RoundTrip]] = {}
    for trip in trips:
        by_version.setdefault(trip.strategy_version or 0, []).append(trip)
    out = []
    for version in sorted(by_version):
        group = by_version[version]
        rs = [r for r in (t.result_r for t in group) if r is not None]
        out.append(
            VersionResult(
                version,
                len(group),
                sum(1 for t in group if t.net > 0),
                sum((t.net for t in group), Decimal(0)),
                sum(rs, Fraction(0)),
                len(rs),
            )
        )
    return out


class StrategyRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._trades = TradeRepository(pool)

    async def load(self) -> list[StoredStrategy]:
        """Every strategy with the text of its running version and its current row."""
        with unavailable_on_connection_failure():
            async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                rows = await conn.fetch(_SELECT_CURRENT)
                pnl_rows = await conn.fetch(_SELECT_PNL)
        pnl: dict[str, list[VersionPnl]] = {}
        for p in pnl_rows:
            pnl.setdefault(p["strategy_id"], []).append(_pnl(p))
        return [StoredStrategy(_version(r), _record(r, tuple(pnl.get(r["strategy_id"], ())))) for r in rows]

    async def versions(self, strategy_id: str) -> list[StrategyVersion]:
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(_SELECT_VERSIONS, strategy_id)
        return [_version(r) for r in rows]

    async def results(self, strategy_id: str) -> list[VersionResult]:
        """Its latest RESULT_TRADES closed trades, summed per version."""
        trips = await self._trades.list(TradeFilter(is_open=False, strategy_id=strategy_id, limit=RESULT_TRADES))
        return results_of(trips)

    async def events(self, strategy_id: str, limit: int, before_seq: int = 0) -> list[LoggedEvent]:
        """The newest `limit` events (of one strategy, or of all for ""), oldest first."""
        if limit <= 0:
            return []
        with unavailable_on_connection_failure():
            rows = await self._pool.fetch(_SELECT_EVENTS, strategy_id, before_seq, limit)
        return [
            LoggedEvent(r["seq"], StrategyEvent(r["strategy_id"], r["version"], r["ts_ns"], r["kind"], r["message"]))
            for r in reversed(rows)
        ]
