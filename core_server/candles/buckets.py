"""Candle bucket arithmetic: buckets align to the 17:00 CT trading-day start and stop at the day's end.

Trading days are 23 or 25 hours long on DST weekends, so buckets are counted from the day start in
UTC ns (never from midnight or the epoch) and the last bucket of a day is cut at the day end.
"""

from __future__ import annotations

from core_server.calendar.trading_day import trading_day_bounds
from core_server.model.clock import NS_PER_DAY
from core_server.model.market_data import Timeframe


def is_whole_day(timeframe: Timeframe) -> bool:
    """True when one bucket of `timeframe` is the whole trading day (1d), whatever its length."""
    return timeframe.duration_ns >= NS_PER_DAY


def bucket_in_day(duration_ns: int, whole_day: bool, ts_ns: int, day_start_ns: int, day_end_ns: int) -> tuple[int, int]:
    """[start, end) of the bucket holding `ts_ns`, given the bounds of the trading day that holds it."""
    if whole_day:
        return day_start_ns, day_end_ns
    start = day_start_ns + (ts_ns - day_start_ns) // duration_ns * duration_ns
    end = start + duration_ns
    return start, end if end < day_end_ns else day_end_ns


def bucket_of(timeframe: Timeframe, ts_ns: int) -> tuple[int, int]:
    """[start, end) in UTC ns of the `timeframe` bucket that holds `ts_ns`."""
    _, day_start, day_end = trading_day_bounds(ts_ns)
    return bucket_in_day(timeframe.duration_ns, is_whole_day(timeframe), ts_ns, day_start, day_end)
