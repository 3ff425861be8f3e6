"""UTC-nanosecond clocks: the live wall clock and a settable test clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR


class Clock(Protocol):
    """Source of the current time as integer nanoseconds since the Unix epoch, UTC."""

    def now_ns(self) -> int: ...


class LiveClock:
    """The machine's wall clock."""

    def now_ns(self) -> int:
        return time.time_ns()


class TestClock:
    """A clock that only moves when told to; for deterministic tests and backtests."""

    __test__ = False  # not a pytest test class

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = start_ns

    def now_ns(self) -> int:
        return self._now_ns

    def set_ns(self, ts_ns: int) -> None:
        if ts_ns < self._now_ns:
            raise ValueError("TestClock cannot move backwards")
        self._now_ns = ts_ns

    def advance_ns(self, delta_ns: int) -> None:
        self.set_ns(self._now_ns + delta_ns)


def ns_from_datetime(moment: datetime) -> int:
    """Nanoseconds since the epoch for an aware datetime (edge conversion only)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: a timezone is required")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * NS_PER_US


def datetime_from_ns(ts_ns: int) -> datetime:
    """An aware UTC datetime for a nanosecond timestamp (microsecond precision)."""
    seconds, rem = divmod(ts_ns, NS_PER_SECOND)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rem // NS_PER_US)
