"""Coverage of one trade date, hand-computed: gaps from the open, between ticks and to the close, halts left out."""

from __future__ import annotations

from datetime import date

from core_server.calendar.sessions import Session
from core_server.imports.coverage import CoverageGap, DayCounts, coverage, day_coverage, trading_parts

M = 60_000_000_000  # a minute in ns
OPEN, CLOSE = 0, 23 * 60 * M
SESSION = Session(date(2025, 10, 7), OPEN, CLOSE)
HALTED = Session(date(2025, 10, 7), OPEN, CLOSE, halts=((600 * M, 615 * M),))


def test_a_day_without_ticks_is_one_gap_over_its_session() -> None:
    day = day_coverage("ESZ2025", SESSION, None, [], M)
    assert day.gaps == (CoverageGap(OPEN, CLOSE),) and day.missing_ns == 23 * 60 * M and day.ticks == 0


def test_gaps_from_the_open_between_ticks_and_to_the_close() -> None:
    counts = DayCounts(ticks=4, quotes=1, trades=3, anomalies=0, first_ns=10 * M, last_ns=CLOSE - 30 * M)
    silences = [(11 * M, 16 * M)]  # five quiet minutes between two ticks
    day = day_coverage("ESZ2025", SESSION, counts, silences, M)
    assert day.gaps == (
        CoverageGap(0, 10 * M),
        CoverageGap(11 * M, 16 * M),
        CoverageGap(CLOSE - 30 * M, CLOSE),
    )
    assert day.missing_ns == 45 * M


def test_a_silence_shorter_than_the_minimum_is_not_a_gap_and_halts_never_are() -> None:
    counts = DayCounts(ticks=2, quotes=0, trades=2, anomalies=0, first_ns=OPEN, last_ns=CLOSE - 1)
    # 16 quiet minutes that hold the 15-minute halt: one minute of open market is left, below 2 minutes
    day = day_coverage("ESZ2025", HALTED, counts, [(599 * M, 615 * M)], 2 * M)
    assert day.gaps == ()
    # 20 quiet minutes around the halt: 1 minute before it, 4 after it
    day = day_coverage("ESZ2025", HALTED, counts, [(599 * M, 619 * M)], M)
    assert day.gaps == (CoverageGap(599 * M, 600 * M), CoverageGap(615 * M, 619 * M))


def test_trading_parts_clip_to_the_session_and_cut_the_halts() -> None:
    assert trading_parts(HALTED, -5 * M, 700 * M) == [(0, 600 * M), (615 * M, 700 * M)]
    assert trading_parts(HALTED, 601 * M, 610 * M) == []


def test_a_silence_over_two_sessions_counts_in_each() -> None:
    second = Session(date(2025, 10, 8), CLOSE + 60 * M, 2 * CLOSE + 60 * M)
    counts = {
        date(2025, 10, 7): DayCounts(1, 0, 1, 0, 5 * M, 5 * M),
        date(2025, 10, 8): DayCounts(1, 0, 1, 0, CLOSE + 70 * M, CLOSE + 70 * M),
    }
    days = coverage("ESZ2025", [SESSION, second], counts, [(5 * M, CLOSE + 70 * M)], M)
    assert [d.gaps for d in days] == [
        (CoverageGap(0, 5 * M), CoverageGap(5 * M, CLOSE)),
        (CoverageGap(CLOSE + 60 * M, CLOSE + 70 * M), CoverageGap(CLOSE + 70 * M, 2 * CLOSE + 60 * M)),
    ]
