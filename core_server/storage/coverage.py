"""Reads for the tick store's coverage: per-session counts and the long silences between consecutive ticks.

Both sources of stored ticks count: the live rows (`ticks`, aggregated in SQL) and the imported blocks
(tick_blocks), whose stored per-block counts serve every block that lies inside one session; only a block that
straddles a session's open or close, or holds a long silence, is decoded (its timestamps alone for silences).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from datetime import date

import asyncpg
import numpy as np

from core_server.calendar.sessions import Session
from core_server.imports.coverage import DayCounts
from core_server.storage.tick_blocks import load_blocks, load_timestamps

ANOMALY_FLAG = 1
_BLOCKS = """
SELECT seq, first_ts_ns, last_ts_ns, tick_count, quotes, trades, anomalies, max_gap_ns FROM tick_blocks
WHERE contract_id = $1 AND first_ts_ns < $3 AND first_ts_ns > $2 - 3600000000000 AND last_ts_ns >= $2
ORDER BY first_ts_ns, seq
"""
_MONTH_CODES = "FGHJKMNQUVXZ"


def contract_pattern(root: str) -> str:
    """A POSIX regular expression for every contract of `root` in the store (NQ: NQZ2026, NQH2027, ...)."""
    return f"^{re.escape(root)}[{_MONTH_CODES}][0-9]{{4}}$"


class CoverageRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def contracts(self, pattern: str, start_ns: int, end_ns: int) -> list[str]:
        """Contracts matching `pattern` with at least one tick in [start_ns, end_ns)."""
        found = {r[0] for r in await self._pool.fetch(
            """
            SELECT DISTINCT contract_id FROM tick_blocks WHERE contract_id ~ $1
            AND ((first_ts_ns >= $2 AND first_ts_ns < $3) OR (last_ts_ns >= $2 AND last_ts_ns < $3))
            """,
            pattern, start_ns, end_ns,
        )}  # fmt: skip
        # a block that starts before the range and ends after it may or may not hold a tick inside it
        straddling = await self._pool.fetch(
            "SELECT contract_id, seq FROM tick_blocks WHERE contract_id ~ $1 AND first_ts_ns < $2 AND last_ts_ns >= $3"
            " AND first_ts_ns > $2 - 3600000000000",
            pattern, start_ns, end_ns,
        )  # fmt: skip
        if straddling:
            async with self._pool.acquire() as conn:
                times = await load_timestamps(conn, [r[1] for r in straddling])
            for r in straddling:
                ts = times[r[1]]
                if np.searchsorted(ts, end_ns) > np.searchsorted(ts, start_ns):
                    found.add(r[0])
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
        return sorted(found | {r["contract_id"] for r in rows})

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
        out = {
            r["d"]: DayCounts(r["ticks"], r["quotes"], r["trades"], r["anomalies"], r["first_ns"], r["last_ns"])
            for r in rows
        }
        for day, counts in (await self._block_day_counts(contract_id, sessions)).items():
            out[day] = _add(out.get(day), counts)
        return out

    async def _block_day_counts(self, contract_id: str, sessions: Sequence[Session]) -> dict[date, DayCounts]:
        ordered = sorted(sessions, key=lambda s: s.open_ns)
        opens = [s.open_ns for s in ordered]
        blocks = await self._pool.fetch(_BLOCKS, contract_id, opens[0], max(s.close_ns for s in ordered))
        out: dict[date, DayCounts] = {}
        split: list[int] = []
        for b in blocks:
            at = bisect.bisect_right(opens, b["first_ts_ns"]) - 1
            if at >= 0 and b["last_ts_ns"] < ordered[at].close_ns:  # inside one session: its stored counts
                counts = DayCounts(b["tick_count"], b["quotes"], b["trades"], b["anomalies"], b["first_ts_ns"],
                                   b["last_ts_ns"])  # fmt: skip
                out[ordered[at].trade_date] = _add(out.get(ordered[at].trade_date), counts)
            else:
                split.append(b["seq"])
        if split:
            async with self._pool.acquire() as conn:
                decoded = await load_blocks(conn, split)
            for block in decoded.values():
                for session in ordered:
                    lo, hi = np.searchsorted(block.ts, [session.open_ns, session.close_ns]).tolist()
                    if hi <= lo:
                        continue
                    kind, flags = block.kind[lo:hi], block.flags[lo:hi]
                    counts = DayCounts(hi - lo, int((kind == 1).sum()), int((kind == 2).sum()),
                                       int(((flags & ANOMALY_FLAG) != 0).sum()), int(block.ts[lo]),
                                       int(block.ts[hi - 1]))  # fmt: skip
                    out[session.trade_date] = _add(out.get(session.trade_date), counts)
        return out

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
        row_silences = [(r["prev"], r["ts"]) for r in rows]
        blocks = await self._pool.fetch(_BLOCKS, contract_id, start_ns, end_ns)
        if not blocks:
            return row_silences
        # Every source as "solid" spans (first tick, last tick) with no silence inside; the silences of all
        # the ticks together are the gaps of at least min_gap_ns between the spans, once overlapping ones merge.
        spans: list[tuple[int, int]] = []
        low, high = await self._pool.fetchrow(
            "SELECT min(ts_event_ns), max(ts_event_ns) FROM ticks WHERE contract_id = $1 AND ts_event_ns >= $2"
            " AND ts_event_ns < $3",
            contract_id, start_ns, end_ns,
        )  # fmt: skip
        if low is not None:
            edges = [low, *(x for pair in row_silences for x in pair), high]
            spans += list(zip(edges[0::2], edges[1::2], strict=True))
        decode: list[int] = []
        for b in blocks:
            inside = b["first_ts_ns"] >= start_ns and b["last_ts_ns"] < end_ns
            if inside and b["max_gap_ns"] < min_gap_ns:
                spans.append((b["first_ts_ns"], b["last_ts_ns"]))
            else:
                decode.append(b["seq"])
        if decode:
            async with self._pool.acquire() as conn:
                times = await load_timestamps(conn, decode)
            for ts in times.values():
                ts = ts[np.searchsorted(ts, start_ns) : np.searchsorted(ts, end_ns)]
                if not len(ts):
                    continue
                cuts = (np.flatnonzero(np.diff(ts) >= min_gap_ns) + 1).tolist()
                starts, ends = [0, *cuts], [*cuts, len(ts)]
                spans += [(int(ts[a]), int(ts[b - 1])) for a, b in zip(starts, ends, strict=True)]
        spans.sort()
        silences: list[tuple[int, int]] = []
        current_end = spans[0][1]
        for first, last in spans[1:]:
            if first - current_end >= min_gap_ns:
                silences.append((current_end, first))
            current_end = max(current_end, last)
        return silences


def _add(counts: DayCounts | None, more: DayCounts) -> DayCounts:
    if counts is None:
        return more
    return DayCounts(
        counts.ticks + more.ticks, counts.quotes + more.quotes, counts.trades + more.trades,
        counts.anomalies + more.anomalies, min(counts.first_ns, more.first_ns), max(counts.last_ns, more.last_ns),
    )  # fmt: skip
