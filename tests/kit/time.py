"""Test kit: readable instants in exchange and UTC time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core_server.model.clock import ns_from_datetime

CT = ZoneInfo("America/Chicago")
ET = ZoneInfo("America/New_York")


def ct(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """UTC ns of a wall-clock time in Chicago."""
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=CT))


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=ET))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return ns_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=UTC))
