"""Named session windows: boundaries, the midnight wrap, DST and configuration."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_server.calendar.windows import (
    DEFAULT_SESSION_WINDOWS,
    SessionWindow,
    SessionWindows,
    parse_session_windows,
)
from core_server.model.clock import NS_PER_SECOND, ns_from_datetime
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import EASTERN_TZ, EXCHANGE_TZ

WINDOWS = SessionWindows()


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=EASTERN_TZ))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, tzinfo=UTC))


@pytest.mark.parametrize(
    ("hour", "minute", "second", "expected"),
    [
        (2, 59, 59, "Asia"),
        (3, 0, 0, "London"),
        (9, 29, 59, "London"),
        (9, 30, 0, "NY AM"),
        (11, 59, 59, "NY AM"),
        (12, 0, 0, "NY Lunch"),
        (13, 29, 59, "NY Lunch"),
        (13, 30, 0, "NY PM"),
        (15, 59, 59, "NY PM"),
        (16, 0, 0, "Close"),
        (16, 59, 59, "Close"),
        (17, 0, 0, None),
        (17, 59, 59, None),
        (18, 0, 0, "Asia"),
        (23, 59, 59, "Asia"),
    ],
)
def test_default_windows_at_each_boundary_in_new_york_time(hour: int, minute: int, second: int, expected: str) -> None:
    assert WINDOWS.window_at(et(2025, 3, 5, hour, minute, second)) == expected


def test_asia_wraps_midnight() -> None:
    assert WINDOWS.window_at(et(2025, 3, 4, 23, 59, 59)) == "Asia"
    assert WINDOWS.window_at(et(2025, 3, 5, 0, 0)) == "Asia"
    assert WINDOWS.window_at(et(2025, 3, 5, 1, 0)) == "Asia"


def test_windows_follow_new_york_daylight_saving_time() -> None:
    assert WINDOWS.window_at(utc(2025, 3, 5, 14, 30)) == "NY AM"  # EST: 09:30 ET is 14:30 UTC
    assert WINDOWS.window_at(utc(2025, 3, 5, 14, 29)) == "London"
    assert WINDOWS.window_at(utc(2025, 3, 12, 13, 30)) == "NY AM"  # EDT: 09:30 ET is 13:30 UTC
    assert WINDOWS.window_at(utc(2025, 3, 12, 13, 29)) == "London"


def test_spring_forward_night_shortens_asia() -> None:
    # 2025-03-09: 02:00 EST jumps to 03:00 EDT; Asia runs 18:00 EST Sat to 03:00 EDT Sun, 8 hours.
    assert WINDOWS.window_at(utc(2025, 3, 8, 23, 0)) == "Asia"
    assert WINDOWS.window_at(utc(2025, 3, 9, 6, 59)) == "Asia"  # 01:59 EST
    assert WINDOWS.window_at(utc(2025, 3, 9, 7, 0)) == "London"  # 03:00 EDT


def test_fall_back_night_lengthens_asia() -> None:
    # 2025-11-02: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice, both in Asia; London at 03:00 EST.
    assert WINDOWS.window_at(utc(2025, 11, 2, 5, 30)) == "Asia"  # 01:30 EDT
    assert WINDOWS.window_at(utc(2025, 11, 2, 6, 30)) == "Asia"  # 01:30 EST
    assert WINDOWS.window_at(utc(2025, 11, 2, 7, 59)) == "Asia"  # 02:59 EST
    assert WINDOWS.window_at(utc(2025, 11, 2, 8, 0)) == "London"
    assert WINDOWS.window_at(utc(2025, 11, 2, 22, 0)) is None  # 17:00 EST
    assert WINDOWS.window_at(utc(2025, 11, 2, 23, 0)) == "Asia"  # 18:00 EST


def test_in_any_checks_an_enabled_set_of_windows() -> None:
    enabled = WINDOWS.check_names(["NY AM", "NY PM"])
    assert WINDOWS.in_any(et(2025, 3, 5, 10), enabled)
    assert not WINDOWS.in_any(et(2025, 3, 5, 12, 30), enabled)
    assert WINDOWS.in_any(et(2025, 3, 5, 15), enabled)
    assert not WINDOWS.in_any(et(2025, 3, 5, 17, 30), enabled)
    with pytest.raises(InvalidArgument, match="Lunchtime"):
        WINDOWS.check_names(["NY AM", "Lunchtime"])


def test_lookups_answer_correctly_when_time_jumps_backwards() -> None:
    assert WINDOWS.window_at(et(2025, 3, 5, 10)) == "NY AM"
    assert WINDOWS.window_at(et(2024, 7, 1, 4)) == "London"
    assert WINDOWS.window_at(et(2025, 3, 5, 10, 1)) == "NY AM"


def test_configured_windows_in_other_time_zones_and_overlaps() -> None:
    windows = SessionWindows(
        parse_session_windows(
            [
                ("Tokyo", "09:00", "15:00", "Asia/Tokyo"),
                ("Globex night", "17:00", "08:30", "America/Chicago"),
                ("Opening drive", "08:30", "09:00", "America/Chicago"),
            ]
        )
    )
    assert windows.names == ("Tokyo", "Globex night", "Opening drive")
    tokyo_ten = ns_from_datetime(datetime(2025, 3, 5, 10, tzinfo=ZoneInfo("Asia/Tokyo")))  # 19:00 CT 03-04
    assert windows.windows_at(tokyo_ten) == ("Tokyo", "Globex night")
    assert windows.window_at(tokyo_ten) == "Tokyo"
    assert windows.window_at(ns_from_datetime(datetime(2025, 3, 5, 8, 45, tzinfo=EXCHANGE_TZ))) == "Opening drive"
    assert windows.window_at(ns_from_datetime(datetime(2025, 3, 5, 12, tzinfo=EXCHANGE_TZ))) is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Asia", "18:00", "25:00")], "HH:MM"),
        ([("Asia", "18:00", "03:00", "Mars/Olympus")], "time zone"),
        ([("", "18:00", "03:00")], "empty"),
        ([("Asia", "18:00")], "expected"),
    ],
)
def test_bad_window_config_is_rejected(rows: list[tuple[str, ...]], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_session_windows(rows)


def test_duplicate_or_empty_windows_are_rejected() -> None:
    with pytest.raises(InvalidArgument, match="unique"):
        SessionWindows([*DEFAULT_SESSION_WINDOWS, SessionWindow("Asia", time(1), time(2))])
    with pytest.raises(InvalidArgument, match="differ"):
        SessionWindows([SessionWindow("Never", time(9), time(9))])


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=1_704_067_200, max_value=1_830_297_600))  # 2024-01-01 .. 2028-01-01 UTC
def test_default_windows_agree_with_new_york_wall_clock_time(seconds: int) -> None:
    local = datetime.fromtimestamp(seconds, EASTERN_TZ).time()
    expected = None
    for window in DEFAULT_SESSION_WINDOWS:
        inside = (
            window.start <= local or local < window.end if window.wraps_midnight else window.start <= local < window.end
        )
        if inside:
            expected = window.name
            break
    assert WINDOWS.window_at(seconds * NS_PER_SECOND) == expected
