"""Bar times as UDF counts them: resolutions, Vigil's session-aligned buckets, and daily bars at 00:00 UTC.

Vigil's intraday buckets align to the CME trading-day start (17:00 America/Chicago) and the last bucket of a
day is cut at the day's end; a 1D bar is the trading day. UDF stamps intraday bars with their start (Unix
seconds) and daily bars with 00:00 UTC of the trade date (the Monday of the session that opened Sunday 17:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clients.sdk import Timeframe
from clients.udf.errors import UdfRequestError

EXCHANGE_TZ = ZoneInfo("America/Chicago")
DAY_ROLL = time(17, 0)
NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND

# UDF resolution text -> the Vigil timeframe that serves it natively.
RESOLUTIONS: dict[str, Timeframe] = {
    "1": Timeframe.M1,
    "5": Timeframe.M5,
    "15": Timeframe.M15,
    "60": Timeframe.H1,
    "240": Timeframe.H4,
    "1D": Timeframe.D1,
    "D": Timeframe.D1,
}
SUPPORTED_RESOLUTIONS = ("1", "5", "15", "60", "240", "1D")
INTRADAY_MULTIPLIERS = ("1", "5", "15", "60", "240")


def parse_resolution(text: str | None) -> Timeframe:
    if text is None or not text.strip():
        raise UdfRequestError("resolution", f"is required: one of {', '.join(SUPPORTED_RESOLUTIONS)}")
    found = RESOLUTIONS.get(text.strip().upper())
    if found is None:
        raise UdfRequestError("resolution", f"{text!r} is not served; use one of {', '.join(SUPPORTED_RESOLUTIONS)}")
    return found


def trading_day_of(ts_ns: int) -> date:
    """The CME trade date of `ts_ns`: 17:00 CT and later count toward the next date."""
    local = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    return local.date() + timedelta(days=1) if local.time() >= DAY_ROLL else local.date()


def trading_day_start_ns(trade_date: date) -> int:
    """17:00 CT on the evening before `trade_date`, in UTC ns."""
    start = datetime.combine(trade_date - timedelta(days=1), DAY_ROLL, EXCHANGE_TZ)
    return int(start.timestamp()) * NS_PER_SECOND


def midnight_utc_s(day: date) -> int:
    return int(datetime.combine(day, time(0), UTC).timestamp())


def bar_time_s(timeframe: Timeframe, start_ns: int) -> int:
    """The UDF time of the bar starting at `start_ns`: its start, or 00:00 UTC of its trade date for 1D."""
    if timeframe is Timeframe.D1:
        return midnight_utc_s(trading_day_of(start_ns))
    return start_ns // NS_PER_SECOND


def first_start_from(timeframe: Timeframe, udf_time_s: int) -> int:
    """The earliest bar start whose UDF time is `udf_time_s` or later (turns a UDF range into a start range)."""
    if timeframe is not Timeframe.D1:
        return udf_time_s * NS_PER_SECOND
    moment = datetime.fromtimestamp(udf_time_s, UTC)
    day = moment.date() if moment.time() == time(0) else moment.date() + timedelta(days=1)
    return trading_day_start_ns(day)


def bucket_start_ns(timeframe: Timeframe, ts_ns: int) -> int:
    """Start of the Vigil bucket of `timeframe` holding `ts_ns` (buckets count from the trading-day start)."""
    day_start = trading_day_start_ns(trading_day_of(ts_ns))
    if timeframe is Timeframe.D1:
        return day_start
    duration = timeframe.duration_ns
    return day_start + (ts_ns - day_start) // duration * duration


def bar_time_of_instant(timeframe: Timeframe, ts_ns: int) -> int:
    """The UDF time of the bar that holds `ts_ns` (marks must sit on a bar's time)."""
    return bar_time_s(timeframe, bucket_start_ns(timeframe, ts_ns))
