"""Pins the committed CME Globex equity session table and TradingCalendar lookups to real dates."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.calendar.session_table import load_trading_calendar
from core_server.calendar.sessions import CalendarRangeError, Session, TradingCalendar
from core_server.model.clock import NS_PER_SECOND, ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ

REPO = Path(__file__).resolve().parents[3]
CAL = load_trading_calendar()


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=EXCHANGE_TZ))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, tzinfo=UTC))


def session(trade_date: date) -> Session:
    found = CAL.session_for(trade_date)
    assert found is not None, trade_date
    return found


def test_table_covers_trade_dates_2024_through_2027() -> None:
    assert (CAL.first_trade_date, CAL.last_trade_date) == (date(2024, 1, 1), date(2027, 12, 31))
    assert CAL.start_ns == ct(2023, 12, 31, 17)
    assert CAL.end_ns == ct(2027, 12, 31, 17)


def test_normal_day_opens_1700_ct_the_evening_before_and_closes_1600_ct() -> None:
    wednesday = session(date(2025, 3, 5))
    assert (wednesday.open_ns, wednesday.close_ns) == (ct(2025, 3, 4, 17), ct(2025, 3, 5, 16))
    assert wednesday.halts == () and not wednesday.early_close and wednesday.note == ""
    assert CAL.is_open(ct(2025, 3, 4, 17))
    assert CAL.is_open(ct(2025, 3, 5, 15, 59, 59))
    assert CAL.session_at(ct(2025, 3, 5, 9, 30)) == wednesday


def test_daily_maintenance_break_1600_to_1700_ct_is_the_gap_between_sessions() -> None:
    for moment in (ct(2025, 3, 5, 16), ct(2025, 3, 5, 16, 30), ct(2025, 3, 5, 16, 59, 59)):
        assert not CAL.is_open(moment)
        assert CAL.session_at(moment) is None
    assert CAL.next_open_ns(ct(2025, 3, 5, 16, 30)) == ct(2025, 3, 5, 17)
    assert CAL.next_close_ns(ct(2025, 3, 5, 10)) == ct(2025, 3, 5, 16)
    after = CAL.session_at(ct(2025, 3, 5, 17))
    assert after is not None and after.trade_date == date(2025, 3, 6)


def test_weekend_is_closed_from_friday_1600_to_sunday_1700_ct() -> None:
    assert not CAL.is_open(ct(2025, 3, 7, 16))
    assert not CAL.is_open(ct(2025, 3, 8, 12))
    assert not CAL.is_open(ct(2025, 3, 9, 16, 59, 59))
    assert CAL.session_at(ct(2025, 3, 8, 12)) is None
    assert not CAL.is_trading_day(date(2025, 3, 8))
    assert not CAL.is_trading_day(date(2025, 3, 9))
    assert CAL.next_open_ns(ct(2025, 3, 7, 16)) == ct(2025, 3, 9, 17)


def test_sunday_1700_ct_opens_mondays_trade_date() -> None:
    monday = session(date(2025, 3, 3))
    assert monday.open_ns == ct(2025, 3, 2, 17)
    assert CAL.is_open(ct(2025, 3, 2, 17))
    assert CAL.session_at(ct(2025, 3, 2, 17)) == monday


def test_dst_weekends_shift_the_open_and_close_in_utc() -> None:
    assert session(date(2025, 3, 3)).open_ns == utc(2025, 3, 2, 23)  # CST, UTC-6
    assert session(date(2025, 3, 10)).open_ns == utc(2025, 3, 9, 22)  # DST began 03-09 02:00: CDT, UTC-5
    assert session(date(2025, 3, 10)).close_ns == utc(2025, 3, 10, 21)
    assert session(date(2025, 10, 31)).close_ns == utc(2025, 10, 31, 21)  # still CDT
    assert session(date(2025, 11, 3)).open_ns == utc(2025, 11, 2, 23)  # DST ended 11-02: CST again


def test_thanksgiving_2025_halts_1200_ct_and_resumes_1700_ct_booked_to_the_next_trade_date() -> None:
    assert CAL.is_open(ct(2025, 11, 27, 11, 59, 59))
    assert not CAL.is_open(ct(2025, 11, 27, 12))
    assert not CAL.is_open(ct(2025, 11, 27, 16, 59, 59))
    assert CAL.is_open(ct(2025, 11, 27, 17))
    assert CAL.next_open_ns(ct(2025, 11, 27, 12, 30)) == ct(2025, 11, 27, 17)
    assert CAL.next_close_ns(ct(2025, 11, 27, 9)) == ct(2025, 11, 27, 12)
    assert not CAL.is_trading_day(date(2025, 11, 27))
    friday = session(date(2025, 11, 28))
    assert friday.open_ns == ct(2025, 11, 26, 17)
    assert friday.halts == ((ct(2025, 11, 27, 12), ct(2025, 11, 27, 17)),)
    in_holiday_segment = CAL.session_at(ct(2025, 11, 27, 10))
    assert in_holiday_segment == friday
    assert CAL.session_at(ct(2025, 11, 27, 13)) == friday  # inside the halt, still that session
    assert CAL.trading_day(ct(2025, 11, 27, 10)) == date(2025, 11, 27)  # the pure 17:00 CT rule


def test_day_after_thanksgiving_2025_closes_early_at_1215_ct() -> None:
    friday = session(date(2025, 11, 28))
    assert friday.close_ns == ct(2025, 11, 28, 12, 15) and friday.early_close
    assert CAL.is_open(ct(2025, 11, 28, 12, 14, 59))
    assert not CAL.is_open(ct(2025, 11, 28, 12, 15))
    assert CAL.next_open_ns(ct(2025, 11, 28, 12, 15)) == ct(2025, 11, 30, 17)


def test_christmas_eve_2025_closes_1215_ct_and_christmas_day_is_closed() -> None:
    eve = session(date(2025, 12, 24))
    assert (eve.close_ns, eve.early_close) == (ct(2025, 12, 24, 12, 15), True)
    assert CAL.session_for(date(2025, 12, 25)) is None
    assert not CAL.is_open(ct(2025, 12, 25, 10))
    assert CAL.next_open_ns(ct(2025, 12, 24, 12, 15)) == ct(2025, 12, 25, 17)
    assert session(date(2025, 12, 26)).open_ns == ct(2025, 12, 25, 17)


def test_national_day_of_mourning_2025_01_09_closes_at_0830_ct() -> None:
    mourning = session(date(2025, 1, 9))
    assert (mourning.open_ns, mourning.close_ns) == (ct(2025, 1, 8, 17), ct(2025, 1, 9, 8, 30))
    assert mourning.early_close and "Carter" in mourning.note
    assert CAL.is_open(ct(2025, 1, 9, 8, 29, 59))
    assert not CAL.is_open(ct(2025, 1, 9, 8, 30))
    assert session(date(2025, 1, 10)).open_ns == ct(2025, 1, 9, 17)


def test_good_friday_2025_is_closed_with_no_thursday_evening_session() -> None:
    assert CAL.session_for(date(2025, 4, 18)) is None
    assert session(date(2025, 4, 17)).close_ns == ct(2025, 4, 17, 16)
    assert not CAL.is_open(ct(2025, 4, 17, 18))
    assert not CAL.is_open(ct(2025, 4, 18, 8))
    assert CAL.next_open_ns(ct(2025, 4, 17, 16)) == ct(2025, 4, 20, 17)


def test_good_friday_2026_trades_until_0815_ct_after_the_jobs_report() -> None:
    good_friday = session(date(2026, 4, 3))
    assert (good_friday.open_ns, good_friday.close_ns) == (ct(2026, 4, 2, 17), ct(2026, 4, 3, 8, 15))
    assert good_friday.early_close
    assert CAL.is_open(ct(2026, 4, 3, 7, 30))
    assert not CAL.is_open(ct(2026, 4, 3, 8, 15))
    assert CAL.next_open_ns(ct(2026, 4, 3, 8, 15)) == ct(2026, 4, 5, 17)


def test_good_friday_2024_is_closed() -> None:
    assert CAL.session_for(date(2024, 3, 29)) is None
    assert not CAL.is_open(ct(2024, 3, 29, 7))


def test_monday_holiday_mlk_2025_halts_1200_ct_and_is_booked_to_tuesday() -> None:
    assert not CAL.is_trading_day(date(2025, 1, 20))
    tuesday = session(date(2025, 1, 21))
    assert tuesday.open_ns == ct(2025, 1, 19, 17)
    assert tuesday.halts == ((ct(2025, 1, 20, 12), ct(2025, 1, 20, 17)),)
    assert tuesday.close_ns == ct(2025, 1, 21, 16) and not tuesday.early_close
    assert CAL.is_open(ct(2025, 1, 20, 11, 59))
    assert not CAL.is_open(ct(2025, 1, 20, 12))
    assert CAL.is_open(ct(2025, 1, 20, 17))


def test_friday_holiday_halt_runs_over_the_weekend_juneteenth_2026() -> None:
    assert not CAL.is_trading_day(date(2026, 6, 19))
    monday = session(date(2026, 6, 22))
    assert monday.open_ns == ct(2026, 6, 18, 17)
    assert monday.halts == ((ct(2026, 6, 19, 12), ct(2026, 6, 21, 17)),)
    assert CAL.next_open_ns(ct(2026, 6, 19, 12)) == ct(2026, 6, 21, 17)


def test_2025_non_trading_weekdays_are_exactly_the_holidays() -> None:
    weekdays = [date(2025, 1, 1) + timedelta(days=i) for i in range(365)]
    closed = {d for d in weekdays if d.weekday() < 5 and not CAL.is_trading_day(d)}
    assert closed == {
        date(2025, 1, 1),
        date(2025, 1, 20),
        date(2025, 2, 17),
        date(2025, 4, 18),
        date(2025, 5, 26),
        date(2025, 6, 19),
        date(2025, 7, 4),
        date(2025, 9, 1),
        date(2025, 11, 27),
        date(2025, 12, 25),
    }
    early = {s.trade_date for s in CAL.sessions_between(date(2025, 1, 1), date(2025, 12, 31)) if s.early_close}
    assert early == {date(2025, 1, 9), date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)}


def test_every_session_has_known_open_close_and_halt_times() -> None:
    for s in CAL.sessions:
        opened = datetime.fromtimestamp(s.open_ns // NS_PER_SECOND, EXCHANGE_TZ)
        closed = datetime.fromtimestamp(s.close_ns // NS_PER_SECOND, EXCHANGE_TZ)
        assert opened.strftime("%H:%M") == "17:00", s
        assert closed.strftime("%H:%M") in {"16:00", "12:15", "08:30", "08:15"}, s
        assert closed.date() == s.trade_date, s
        for start, end in s.halts:
            assert datetime.fromtimestamp(start // NS_PER_SECOND, EXCHANGE_TZ).strftime("%H:%M") == "12:00", s
            assert datetime.fromtimestamp(end // NS_PER_SECOND, EXCHANGE_TZ).strftime("%H:%M") == "17:00", s


def test_trading_day_rolls_at_1700_ct() -> None:
    assert CAL.trading_day(ct(2025, 3, 5, 16, 59, 59)) == date(2025, 3, 5)
    assert CAL.trading_day(ct(2025, 3, 5, 17)) == date(2025, 3, 6)
    assert CAL.trading_day(ct(2025, 3, 9, 16, 59)) == date(2025, 3, 9)
    assert CAL.trading_day(ct(2025, 3, 9, 17)) == date(2025, 3, 10)  # Sunday evening, across the DST switch


def test_times_and_dates_outside_the_table_raise_calendar_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        CAL.is_open(ct(2023, 12, 31, 16, 59, 59))
    assert not CAL.is_open(ct(2023, 12, 31, 17))  # first covered instant; New Year's Day 2024 is closed
    with pytest.raises(CalendarRangeError):
        CAL.is_open(ct(2027, 12, 31, 17))
    with pytest.raises(CalendarRangeError):
        CAL.session_at(ct(2030, 1, 2, 10))
    with pytest.raises(CalendarRangeError):
        CAL.session_for(date(2028, 1, 3))
    with pytest.raises(CalendarRangeError):
        CAL.is_trading_day(date(2023, 12, 29))
    with pytest.raises(CalendarRangeError):
        CAL.next_open_ns(ct(2027, 12, 31, 16, 30))  # the next open is beyond the table


def test_calendar_rejects_overlapping_or_out_of_range_sessions() -> None:
    first = Session(date(2025, 3, 5), ct(2025, 3, 4, 17), ct(2025, 3, 5, 16))
    overlapping = Session(date(2025, 3, 6), ct(2025, 3, 5, 15), ct(2025, 3, 6, 16))
    with pytest.raises(InvalidArgument):
        TradingCalendar([first, overlapping], date(2025, 3, 1), date(2025, 3, 31))
    with pytest.raises(InvalidArgument):
        TradingCalendar([first], date(2025, 3, 6), date(2025, 3, 31))
    bad_halt = Session(
        date(2025, 3, 5), ct(2025, 3, 4, 17), ct(2025, 3, 5, 16), ((ct(2025, 3, 5, 17), ct(2025, 3, 5, 18)),)
    )
    with pytest.raises(InvalidArgument):
        TradingCalendar([bad_halt], date(2025, 3, 1), date(2025, 3, 31))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=CAL.start_ns, max_value=CAL.end_ns - 1))
def test_bisect_lookups_agree_with_a_linear_scan(ts_ns: int) -> None:
    containing = [s for s in CAL.sessions if s.contains(ts_ns)]
    assert CAL.session_at(ts_ns) == (containing[0] if containing else None)
    assert CAL.is_open(ts_ns) == any(s.is_trading_at(ts_ns) for s in containing)


def test_loading_the_calendar_never_imports_pandas() -> None:
    code = (
        "import sys\n"
        "from core_server.calendar.session_table import load_trading_calendar\n"
        "from core_server.calendar.windows import SessionWindows\n"
        "load_trading_calendar(); SessionWindows().window_at(0)\n"
        "assert not {'pandas', 'numpy', 'pandas_market_calendars'} & set(sys.modules), sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize(
    ("at", "trade_date", "start", "end"),
    [
        # A regular Tuesday: 17:00 CT Monday to 17:00 CT Tuesday.
        (ct(2026, 3, 10, 9), date(2026, 3, 10), ct(2026, 3, 9, 17), ct(2026, 3, 10, 17)),
        (ct(2026, 3, 10, 16, 30), date(2026, 3, 10), ct(2026, 3, 9, 17), ct(2026, 3, 10, 17)),
        # The weekend counts toward Monday: the day runs from Friday 17:00 CT to Monday 17:00 CT.
        (ct(2026, 3, 13, 17), date(2026, 3, 16), ct(2026, 3, 13, 17), ct(2026, 3, 16, 17)),
        (ct(2026, 3, 14, 12), date(2026, 3, 16), ct(2026, 3, 13, 17), ct(2026, 3, 16, 17)),
        # Thanksgiving 2025-11-27 is no trade date: Wednesday 17:00 to Friday 17:00 is 11-28.
        (ct(2025, 11, 27, 10), date(2025, 11, 28), ct(2025, 11, 26, 17), ct(2025, 11, 28, 17)),
        (ct(2025, 11, 27, 14), date(2025, 11, 28), ct(2025, 11, 26, 17), ct(2025, 11, 28, 17)),
        # Christmas 2025 is closed: Christmas Eve 17:00 to 12-26 17:00 is 12-26.
        (ct(2025, 12, 25, 10), date(2025, 12, 26), ct(2025, 12, 24, 17), ct(2025, 12, 26, 17)),
    ],
)
def test_trade_date_bounds_roll_only_on_cme_trade_dates(at: int, trade_date: date, start: int, end: int) -> None:
    assert CAL.trade_date_bounds(at) == (trade_date, start, end)


def test_trade_date_bounds_outside_the_table_are_a_range_error() -> None:
    with pytest.raises(CalendarRangeError):
        CAL.trade_date_bounds(ct(2031, 1, 6, 9))


def test_closed_weekdays_are_the_holidays_without_a_session_of_their_own() -> None:
    # Thanksgiving's abbreviated trading is booked to Friday, so Thursday has no session; Christmas is closed.
    assert CAL.closed_weekdays(date(2025, 11, 24), date(2025, 12, 31)) == (date(2025, 11, 27), date(2025, 12, 25))
    assert CAL.closed_weekdays(date(2025, 11, 29), date(2025, 11, 30)) == ()  # a weekend is not a holiday
    with pytest.raises(CalendarRangeError):
        CAL.closed_weekdays(date(2027, 12, 1), date(2028, 1, 5))
