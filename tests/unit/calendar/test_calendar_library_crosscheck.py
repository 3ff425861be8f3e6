"""Cross-checks the committed session table against pandas-market-calendars (a dev-only dependency)."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise
from typing import Any

import pytest

from core_server.calendar.overrides import read_overrides
from core_server.calendar.session_table import (
    OVERRIDES_FILE,
    TABLE_FILE,
    encode_session_table,
    load_trading_calendar,
    packaged_path,
)
from core_server.calendar.sessions import exchange_time
from core_server.model.clock import ns_from_datetime

mcal: Any = pytest.importorskip("pandas_market_calendars")


def library_2025() -> dict[date, tuple[int, int]]:
    schedule = mcal.get_calendar("CME Globex Equity").schedule("2024-12-01", "2026-01-31", tz="UTC")
    return {
        label.date(): (
            ns_from_datetime(row.market_open.to_pydatetime()),
            ns_from_datetime(row.market_close.to_pydatetime()),
        )
        for label, row in schedule.iterrows()
    }


def test_2025_table_equals_the_library_outside_overrides_with_holiday_halt_days_folded() -> None:
    library = library_2025()
    overridden = {o.trade_date for o in read_overrides(packaged_path(OVERRIDES_FILE))}
    calendar = load_trading_calendar()
    library_dates = sorted(library)
    previous = {later: earlier for earlier, later in pairwise(library_dates)}
    checked = 0
    day = date(2025, 1, 1)
    while day <= date(2025, 12, 31):
        session = calendar.session_for(day)
        if day in overridden:
            pass
        elif day not in library:
            assert session is None, day
        elif exchange_time(library[day][1]).time() == time(12, 0):
            assert session is None, f"{day} is a holiday halt day, booked to the next trade date"
        else:
            assert session is not None, day
            expected_open, expected_close = library[day]
            halts: tuple[tuple[int, int], ...] = ()
            before = previous[day]
            if exchange_time(library[before][1]).time() == time(12, 0) and before not in overridden:
                expected_open, halts = library[before][0], ((library[before][1], library[day][0]),)
            assert (session.open_ns, session.close_ns, session.halts) == (expected_open, expected_close, halts), day
            checked += 1
        day += timedelta(days=1)
    assert checked > 240


def test_committed_table_is_what_the_generator_produces_today() -> None:
    from core_server.calendar.generate_sessions import build_session_table

    table = build_session_table(overrides=read_overrides(packaged_path(OVERRIDES_FILE)))
    committed = packaged_path(TABLE_FILE).read_text(encoding="utf-8")
    assert encode_session_table(table) == committed, "stale: run python -m core_server.calendar.generate_sessions"
