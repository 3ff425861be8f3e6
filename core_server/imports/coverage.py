"""What the tick store holds per contract and CME trade date: counts, the first and last tick, and the silences.

Pure: the storage adapter (storage/coverage.py) reads counts and the long silences between consecutive ticks;
this module places them on each trade date's session. A gap is time the market was open (inside the session,
outside its halts) with no tick for at least `min_gap_ns`: from the open to the first tick, between two ticks,
or from the last tick to the close. A trade date with no tick at all is one gap over its whole session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core_server.calendar.sessions import Session


@dataclass(frozen=True, slots=True)
class DayCounts:
    ticks: int
    quotes: int
    trades: int
    anomalies: int
    first_ns: int
    last_ns: int


@dataclass(frozen=True, slots=True)
class CoverageGap:
    start_ns: int
    end_ns: int

    @property
    def length_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass(frozen=True, slots=True)
class DayCoverage:
    contract_id: str
    trade_date: date
    counts: DayCounts | None  # None: no tick on this trade date
    open_ns: int
    close_ns: int
    gaps: tuple[CoverageGap, ...]

    @property
    def ticks(self) -> int:
        return self.counts.ticks if self.counts is not None else 0

    @property
    def missing_ns(self) -> int:
        return sum(g.length_ns for g in self.gaps)


def trading_parts(session: Session, start_ns: int, end_ns: int) -> list[tuple[int, int]]:
    """[start, end) clipped to the session and with its halts taken out."""
    lo, hi = max(start_ns, session.open_ns), min(end_ns, session.close_ns)
    if lo >= hi:
        return []
    parts = [(lo, hi)]
    for halt_start, halt_end in session.halts:
        cut: list[tuple[int, int]] = []
        for a, b in parts:
            if halt_end <= a or halt_start >= b:
                cut.append((a, b))
                continue
            if a < halt_start:
                cut.append((a, halt_start))
            if halt_end < b:
                cut.append((halt_end, b))
        parts = cut
    return parts


def day_coverage(
    contract_id: str,
    session: Session,
    counts: DayCounts | None,
    silences: Iterable[tuple[int, int]],
    min_gap_ns: int,
) -> DayCoverage:
    """One trade date's coverage; `silences` are (previous tick, next tick) pairs at least `min_gap_ns` apart."""
    if counts is None:
        quiet = [(session.open_ns, session.close_ns)]
    else:
        quiet = [(session.open_ns, counts.first_ns), *silences, (counts.last_ns, session.close_ns)]
    parts = sorted(part for start, end in quiet for part in trading_parts(session, start, end))
    merged: list[tuple[int, int]] = []
    for a, b in parts:  # a silence that runs past the close is also "last tick to the close": count it once
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    gaps = [CoverageGap(a, b) for a, b in merged if b - a >= min_gap_ns]
    return DayCoverage(contract_id, session.trade_date, counts, session.open_ns, session.close_ns, tuple(gaps))


def coverage(
    contract_id: str,
    sessions: Sequence[Session],
    counts: dict[date, DayCounts],
    silences: Sequence[tuple[int, int]],
    min_gap_ns: int,
) -> list[DayCoverage]:
    """Every session's coverage for one contract; each silence goes to the sessions it overlaps."""
    out: list[DayCoverage] = []
    for session in sessions:
        inside = [(a, b) for a, b in silences if a < session.close_ns and b > session.open_ns]
        out.append(day_coverage(contract_id, session, counts.get(session.trade_date), inside, min_gap_ns))
    return out
