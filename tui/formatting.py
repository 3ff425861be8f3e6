"""Text forms of prices, changes, volumes, ages, times and ids for the screens."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from clients.sdk import ConnectionState

NS_PER_SECOND = 1_000_000_000
BLANK = "—"

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
