"""Text forms of prices, changes, volumes, ages, times and ids for the screens."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from clients.sdk import Candle, ConnectionState, Timeframe

NS_PER_SECOND = 1_000_000_000
BLANK = "—"
EXCHANGE_TZ = ZoneInfo("America/Chicago")
DAY_ROLL = time(17, 0)  # a CME trading day starts at 17:00 CT the evening before its date

CONNECTION_TEXT = {
    ConnectionState.IDLE: "starting",
    ConnectionState.CONNECTING: "connecting…",
    ConnectionState.CONNECTED: "connected",
    ConnectionState.RECONNECTING: "disconnected, retrying",
    ConnectionState.CLOSED: "closed",
}


def price(value: Decimal | None) -> str:
    return BLANK if value is None else str(value)


def change(value: Decimal | None) -> str:
    if value is None:
        return BLANK
    return f"+{value}" if value > 0 else str(value)


def volume(value: int | None) -> str:
    return BLANK if value is None else f"{value:,}"


def age(ns: int) -> str:
    """A short age: 0.3s, 12s, 4m, 2h."""
    if ns <= 0:
        return BLANK
    seconds = ns / NS_PER_SECOND
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


def millis(ns: int) -> str:
    """A latency in milliseconds: 1.24ms; a blank when unknown."""
    return BLANK if ns <= 0 else f"{ns / 1_000_000:.2f}ms"


def rate(per_second: float) -> str:
    return f"{per_second:,.0f}"


def clock(ns: int) -> str:
    """A UTC time of day, 15:30:52; a blank for 0."""
    return BLANK if ns <= 0 else datetime.fromtimestamp(ns // NS_PER_SECOND, UTC).strftime("%H:%M:%S")


def short_id(signal_id: str) -> str:
    """The first eight characters of a signal id: enough to tell today's signals apart."""
    return signal_id[:8]


def money(value: Decimal | None) -> str:
    """Dollars with cents and thousands separators: $50,245.00, -$12.50."""
    if value is None:
        return BLANK
    text = f"${abs(value):,.2f}"
    return f"-{text}" if value < 0 else text


def signed(value: Decimal | int | None) -> str:
    """A number with its sign always shown: +3, -1.25, 0."""
    if value is None:
        return BLANK
    return f"+{value}" if value > 0 else str(value)


def r_multiple(value: Decimal | None) -> str:
    """An R multiple to two places with its sign: +1.25R."""
    return BLANK if value is None else f"{signed(value.quantize(Decimal('0.01')))}R"


def pnl_style(value: Decimal | int | None) -> str:
    if value is None or value == 0:
        return ""
    return "green" if value > 0 else "red"


def trading_day(ts_ns: int) -> date:
    """The CME trading day `ts_ns` belongs to: from 17:00 CT an instant counts toward the next date."""
    local = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, EXCHANGE_TZ)
    return local.date() + timedelta(days=1) if local.time() >= DAY_ROLL else local.date()


def trading_day_start_ns(day: date) -> int:
    """17:00 CT on the evening before `day`, in UTC ns."""
    opens = datetime.combine(day - timedelta(days=1), DAY_ROLL, EXCHANGE_TZ)
    return int(opens.timestamp()) * NS_PER_SECOND


def candle_label(candle: Candle, *, with_day: bool = False) -> str:
    """A candle's start as the screens show it: UTC time of day (`04 13:55` with the day), or for a 1d candle
    its trading day (`12-04`), which began at 17:00 CT the evening before."""
    if candle.timeframe is Timeframe.D1:
        return trading_day(candle.start_ns).strftime("%m-%d")
    return candle.time.strftime("%d %H:%M" if with_day else "%H:%M")
