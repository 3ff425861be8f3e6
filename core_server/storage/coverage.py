"""Reads for the tick store's coverage: per-session counts and the long silences between consecutive ticks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import asyncpg

from core_server.calendar.sessions import Session
from core_server.imports.coverage import DayCounts

ANOMALY_FLAG = 1
_MONTH_CODES = "FGHJKMNQUVXZ"


def contract_pattern(root: str) -> str:
    """A POSIX regular expression for every contract of `root` in the store (NQ: NQZ2026, NQH2027, ...)."""
    return f"^{re.escape(root)}[{_MONTH_CODES}][0-9]{{4}}$"


class CoverageRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def contracts(self, pattern: str, start_ns: int, end_ns: int) -> list[str]:
        """Contracts matching `pattern` with at least one tick in [start_ns, end_ns)."""
        rows = await self._pool.fetch(
            """
            SELECT c.contract_id FROM (SELECT DISTINCT contract_id FROM ticks WHERE contract_id ~ $1) c
            WHERE EXISTS (SELECT 1 FROM ticks t WHERE t.contract_id = c.contract_id
                          AND t.ts_event_ns >= $2 AND t.ts_event_ns < $3)
            ORDER BY c.contract_id
            """,
            pattern,
            start_ns,
            end_ns,
        )
        return [r["contract_id"] for r in rows]

    async def day_counts(self, contract_id: str, sessions: Sequence[Session]) -> dict[date, DayCounts]:
        """Per session (open to close): ticks, quotes, trades, anomalies, first and last tick."""
        if not sessions:
            return {}
        rows = await self._pool.fetch(
            """
            SELECT s.d, count(*) AS ticks,
                   count(*) FILTER (WHERE t.kind = 1) AS quotes, count(*) FILTER (WHERE t.kind = 2) AS trades,
                   count(*) FILTER (WHERE t.flags & $5 <> 0) AS anomalies,
                   min(t.ts_event_ns) AS first_ns, max(t.ts_event_ns) AS last_ns
            FROM unnest($2::date[], $3::bigint[], $4::bigint[]) AS s(d, o, c)
            JOIN ticks t ON t.contract_id = $1 AND t.ts_event_ns >= s.o AND t.ts_event_ns < s.c
            GROUP BY s.d
            """,
            contract_id,
            [s.trade_date for s in sessions],
            [s.open_ns for s in sessions],
            [s.close_ns for s in sessions],
            ANOMALY_FLAG,
        )
        return {
            r["d"]: DayCounts(r["ticks"], r["quotes"], r["trades"], r["anomalies"], r["first_ns"], r["last_ns"])
            for r in rows
        }

    async def silences(self, contract_id: str, start_ns: int, end_ns: int, min_gap_ns: int) -> list[tuple[int, int]]:
        """(previous tick, next tick) pairs in [start_ns, end_ns) at least `min_gap_ns` apart, in time order."""
        rows = await self._pool.fetch(
            """
            SELECT prev, ts FROM (
                SELECT ts_event_ns AS ts, lag(ts_event_ns) OVER (ORDER BY ts_event_ns, id) AS prev
                FROM ticks WHERE contract_id = $1 AND ts_event_ns >= $2 AND ts_event_ns < $3
            ) x WHERE ts - prev >= $4 ORDER BY ts
            """,
            contract_id,
            start_ns,
            end_ns,
            min_gap_ns,
        )
        return [(r["prev"], r["ts"]) for r in rows]
