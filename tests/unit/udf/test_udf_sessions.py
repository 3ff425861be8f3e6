"""TradingView session strings from the CME calendar: regular hours, holidays and corrections pinned to dates."""

from __future__ import annotations

from datetime import date

from clients.sdk import SessionCalendar, TradingSession
from clients.udf.sessions import REGULAR_SESSION, symbol_sessions
from core_server.calendar.session_table import load_trading_calendar
from tests.kit.time import ct


def core_calendar() -> SessionCalendar:
    """The server's committed table, as ListSessions would send it."""
    calendar = load_trading_calendar()
    sessions = tuple(
        TradingSession(s.trade_date, s.open_ns, s.close_ns, s.halts, s.early_close, s.note) for s in calendar.sessions
    )
    return SessionCalendar(sessions, (), calendar.first_trade_date, calendar.last_trade_date, "America/Chicago")


def corrections_by_date(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in text.split(";"):
        hours, _, dates = entry.rpartition(":")
        for day in dates.split(","):
            found[day] = hours
    return found


def test_the_regular_cme_session_is_1700_1600_with_holidays_and_corrections_from_the_calendar() -> None:
    sessions = symbol_sessions(core_calendar())
    assert sessions.session == REGULAR_SESSION == "1700-1600"
    holidays = sessions.holidays.split(",")
    assert holidays == sorted(holidays)
    assert {"20251225", "20260101", "20250418"} <= set(holidays)  # Christmas, New Year, Good Friday 2025
    assert "20251127" not in holidays  # Thanksgiving trades until 12:00 CT: a correction, not a holiday
    corrections = corrections_by_date(sessions.corrections)
    assert corrections["20251127"] == "1700-1200"  # Thanksgiving: Wednesday 17:00 to Thursday 12:00 CT
    assert corrections["20251128"] == "1700-1215"  # the day after: reopens Thursday 17:00, closes 12:15 CT
    assert corrections["20251224"] == "1700-1215"  # Christmas Eve early close
    assert corrections["20250109"] == "1700-0830"  # the 2025-01-09 closure at 08:30 CT
    assert corrections["20260403"] == "1700-0815"  # Good Friday 2026 with the jobs report
    assert corrections["20260703"] == "1700-1200"  # Independence Day observed; Monday 07-06 is regular
    assert "20260706" not in corrections and "20251126" not in corrections


def test_corrections_list_each_sessions_dates_latest_first() -> None:
    sessions = symbol_sessions(core_calendar())
    for entry in sessions.corrections.split(";"):
        dates = entry.rpartition(":")[2].split(",")
        assert dates == sorted(dates, reverse=True)


def test_a_halt_inside_a_session_gives_two_stretches_and_a_weekday_without_one_is_a_holiday() -> None:
    monday = TradingSession(
        date(2026, 11, 23),
        ct(2026, 11, 22, 17),
        ct(2026, 11, 23, 16),
        ((ct(2026, 11, 23, 10), ct(2026, 11, 23, 11)),),
        False,
        "drill",
    )
    wednesday = TradingSession(date(2026, 11, 25), ct(2026, 11, 24, 17), ct(2026, 11, 25, 16), (), False, "")
    calendar = SessionCalendar((monday, wednesday), (), date(2026, 11, 23), date(2026, 11, 25), "America/Chicago")

    sessions = symbol_sessions(calendar)

    assert sessions.holidays == "20261124"
    assert sessions.corrections == "1700-1000,1100-1600:20261123"
