"""Text for check details and waiting_for: exact prices, points, durations and exchange times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import EASTERN_TZ, EXCHANGE_TZ, InstrumentSpec
from core_server.model.market_data import Timeframe
from core_server.signals.model import SignalDirection


def points_text(points: Decimal) -> str:
    """A setting in points without exponent or trailing zeros: 5, 1.5, 25."""
    return f"{points.normalize():f}"


def half_ticks_text(spec: InstrumentSpec, half_ticks: int) -> str:
    """A price given in half ticks (a quote mid); exact, with one more decimal place when it is off the grid."""
    if half_ticks % 2 == 0:
        return spec.format_ticks(half_ticks // 2)
    return f"{spec.tick_size * half_ticks / 2}"


def seconds_text(ns: int) -> str:
    """A duration in seconds, exact to the nanosecond, without trailing zeros: 120, 120.000000001, -3.5."""
    sign = "-" if ns < 0 else ""
    whole, fraction = divmod(abs(ns), NS_PER_SECOND)
    if fraction == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:09d}".rstrip("0")


def exchange_text(ts_ns: int) -> str:
    """`ts_ns` in Chicago time to the second, e.g. 2025-11-14 08:31:00 CT."""
    moment = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    return f"{moment:%Y-%m-%d %H:%M:%S} CT"


def moment_text(ts_ns: int) -> str:
    """Like exchange_text, with the nanoseconds when the instant is not a whole second."""
    fraction = ts_ns % NS_PER_SECOND
    return exchange_text(ts_ns) if fraction == 0 else f"{exchange_text(ts_ns)} + {fraction} ns"


def eastern_clock_text(ts_ns: int) -> str:
    """`ts_ns` as a New York wall-clock time, e.g. 09:31:00 ET (the default windows are in ET)."""
    moment = datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EASTERN_TZ)
    return f"{moment:%H:%M:%S} ET"


def trigger_text(spec: InstrumentSpec, timeframe: Timeframe, direction: SignalDirection, level: int) -> str:
    """What confirms a signal: "5m close > 25341.25" (bullish) or "5m close < 25300.00" (bearish)."""
    op = ">" if direction is SignalDirection.BULLISH else "<"
    return f"{timeframe.label} close {op} {spec.format_ticks(level)}"
