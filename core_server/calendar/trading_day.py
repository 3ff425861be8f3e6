"""Trading-day arithmetic: a CME trading day starts at 17:00 America/Chicago the evening before its date.

Pure time arithmetic, independent of holidays: candle buckets align to this boundary whether or not
the exchange is open, so the simulator and replays bucket the same way as live sessions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from core_server.model.clock import NS_PER_SECOND, ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ

DAY_ROLL = time(17, 0)


def trading_day_of(ts_ns: int) -> date:
    """The trade date that `ts_ns` belongs to (17:00 CT and later count toward the next date)."""
    local = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    return local.date() + timedelta(days=1) if local.time() >= DAY_ROLL else local.date()


def trading_day_start_ns(trade_date: date) -> int:
    """17:00 CT on the calendar day before `trade_date`, in UTC ns."""
    return ns_from_datetime(datetime.combine(trade_date - timedelta(days=1), DAY_ROLL, EXCHANGE_TZ))


_last_bounds: tuple[date, int, int] = (date.min, 0, 0)  # the latest day asked for: nearly every call is in it


def trading_day_bounds(ts_ns: int) -> tuple[date, int, int]:
    """(trade date, start ns, end ns) of the trading day containing `ts_ns`; length varies with DST.
    The last answer is kept: a day's bounds never change, and the kernel asks for the same day many times per
    command (risk days, order expiry), so the time-zone arithmetic runs once a day."""
    global _last_bounds
    last = _last_bounds
    if last[1] <= ts_ns < last[2]:
        return last
    day = trading_day_of(ts_ns)
    bounds = (day, trading_day_start_ns(day), trading_day_start_ns(day + timedelta(days=1)))
    _last_bounds = bounds
    return bounds
