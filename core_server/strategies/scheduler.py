"""Session- and calendar-aware times, on exchange time from the kernel's clock: the same in live and backtests.

Everything is a pure function of an instant and the CME calendar: the next time a wall-clock time (in a time
zone, DST-correct) falls on a CME trading day while the market trades, the next regular-hours open, a flat-by
time pulled in to an early close. A strategy keeps the instant its next timer is due; the host asks for the
earliest and the kernel fires it on the first tick or time step at or after it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core_server.calendar.sessions import CalendarRangeError, TradingCalendar
from core_server.model.clock import NS_PER_MINUTE, datetime_from_ns, ns_from_datetime
from core_server.model.instruments import EASTERN_TZ

NEVER = 2**62
RTH_OPEN = time(9, 30)
_SEARCH_DAYS = 15


def next_daily(calendar: TradingCalendar, after_ns: int, at: time, tz: ZoneInfo = EASTERN_TZ) -> int:
    """The first instant strictly after `after_ns` that is `at` on a CME trade date (holidays and weekends have
    none) while the market trades; NEVER past the calendar's end."""
    day = datetime_from_ns(after_ns).astimezone(tz).date()
    for n in range(_SEARCH_DAYS):
        d = day + timedelta(days=n)
        instant = ns_from_datetime(datetime.combine(d, at, tzinfo=tz))
        if instant <= after_ns:
            continue
        try:
            if calendar.session_for(d) is not None and calendar.is_open(instant):
                return instant
        except CalendarRangeError:
            return NEVER
    return NEVER


def next_rth_open(calendar: TradingCalendar, after_ns: int) -> int:
    """The next 09:30 ET regular-hours open on a trade date after `after_ns`."""
    return next_daily(calendar, after_ns, RTH_OPEN)


def minutes_before_next_open(calendar: TradingCalendar, after_ns: int, minutes: int) -> int:
    """`minutes` before the first RTH open that is more than `minutes` after `after_ns`."""
    open_ns = next_rth_open(calendar, after_ns + minutes * NS_PER_MINUTE)
    return NEVER if open_ns == NEVER else open_ns - minutes * NS_PER_MINUTE


def next_flat_by(calendar: TradingCalendar, after_ns: int, at: time, tz: ZoneInfo = EASTERN_TZ) -> int:
    """The next flat-by instant after `after_ns`: `at` on each trade date, or one minute before the session's
    close when it closes earlier (an early close)."""
    day = datetime_from_ns(after_ns).astimezone(tz).date()
    for n in range(_SEARCH_DAYS):
        d = day + timedelta(days=n)
        try:
            session = calendar.session_for(d)
        except CalendarRangeError:
            return NEVER
        if session is None:
            continue
        instant = min(ns_from_datetime(datetime.combine(d, at, tzinfo=tz)), session.close_ns - NS_PER_MINUTE)
        if instant > after_ns:
            return instant
    return NEVER


def in_clock_range(ts_ns: int, start: time, end: time, tz: ZoneInfo) -> bool:
    """Whether the wall-clock time of `ts_ns` in `tz` lies in [start, end) (wrapping midnight if end <= start)."""
    clock = datetime_from_ns(ts_ns).astimezone(tz).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end
