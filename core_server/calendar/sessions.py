"""CME Globex trading sessions: the Session value and the TradingCalendar lookups over a session table.

A session is one CME trade date: it opens (usually 17:00 CT the evening before) and closes (usually 16:00 CT),
and may contain halts. The 16:00-17:00 CT maintenance break is the gap between two sessions, not a halt.
On exchange holidays CME halts at 12:00 CT and books that abbreviated trading to the *next* trade date, so
such a holiday has no session of its own: its trading is the first segment of the next session, followed
by a halt (e.g. trade date 2025-11-28 opens Wed 17:00 CT, halts Thu 12:00-17:00 CT, closes Fri 12:15 CT).
`trading_day()` stays the pure 17:00 CT rule of trading_day.py; `session_at(ts).trade_date` is CME's
booking, and the two differ only inside such folded holiday segments.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core_server.calendar.trading_day import trading_day_of, trading_day_start_ns
from core_server.model.clock import NS_PER_SECOND
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.instruments import EXCHANGE_TZ

REGULAR_OPEN = time(17, 0)
REGULAR_CLOSE = time(16, 0)


class CalendarRangeError(FailedPrecondition):
    """A time or date outside the session table; the table must be regenerated to cover it."""

    def __init__(self, what: str, first_trade_date: date, last_trade_date: date) -> None:
        super().__init__(
            f"{what} is outside the CME session table ({first_trade_date} to {last_trade_date}); "
            "regenerate it with python -m core_server.calendar.generate_sessions"
        )
        self.first_trade_date = first_trade_date
        self.last_trade_date = last_trade_date


@dataclass(frozen=True, slots=True)
class Session:
    """One CME trade date: trading in [open_ns, close_ns) except inside each [start, end) halt."""

    trade_date: date
    open_ns: int
    close_ns: int
    halts: tuple[tuple[int, int], ...] = ()
    early_close: bool = False
    note: str = ""

    def contains(self, ts_ns: int) -> bool:
        """Whether `ts_ns` lies between this session's open and close (halts included)."""
        return self.open_ns <= ts_ns < self.close_ns

    def is_trading_at(self, ts_ns: int) -> bool:
        """Whether the market is open at `ts_ns` in this session (inside it and not in a halt)."""
        if not self.open_ns <= ts_ns < self.close_ns:
            return False
        return not any(start <= ts_ns < end for start, end in self.halts)


def is_early_close(close_ns: int) -> bool:
    """Whether a session closing at `close_ns` closes before the regular 16:00 CT."""
    return exchange_time(close_ns).time() < REGULAR_CLOSE


def exchange_time(ts_ns: int) -> datetime:
    """`ts_ns` as an aware America/Chicago datetime (second precision; for notes and edges only)."""
    return datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)


def check_session(session: Session) -> None:
    """Raise InvalidArgument unless open < close and the halts are ordered, disjoint and inside the session."""
    where = f"session {session.trade_date}"
    if session.open_ns >= session.close_ns:
        raise InvalidArgument(where, "opens at or after its close")
    previous_end = session.open_ns
    for start, end in session.halts:
        if not previous_end <= start < end <= session.close_ns:
            raise InvalidArgument(where, "halts must be ordered, disjoint and inside the session")
        previous_end = end


class TradingCalendar:
    """Bisect lookups over a sorted session table covering trade dates first..last (inclusive).

    The covered time range runs from 17:00 CT before `first_trade_date` to 17:00 CT on `last_trade_date`;
    asking about anything outside it raises CalendarRangeError rather than answering "closed".
    """

    def __init__(self, sessions: Iterable[Session], first_trade_date: date, last_trade_date: date) -> None:
        ordered = tuple(sorted(sessions, key=lambda s: s.open_ns))
        self._first = first_trade_date
        self._last = last_trade_date
        self._start_ns = trading_day_start_ns(first_trade_date)
        self._end_ns = trading_day_start_ns(last_trade_date + timedelta(days=1))
        self._check(ordered)
        self._sessions = ordered
        self._opens = [s.open_ns for s in ordered]
        self._closes = [s.close_ns for s in ordered]
        self._by_date = {s.trade_date: s for s in ordered}
        # Each session's trading day ends at 17:00 CT on its trade date (after its close, before the next open).
        self._day_ends = [trading_day_start_ns(s.trade_date + timedelta(days=1)) for s in ordered]
        # Trading segments flattened to [start0, end0, start1, end1, ...]: is_open is one bisect.
        edges: list[int] = []
        for session in ordered:
            start = session.open_ns
            for halt_start, halt_end in (*session.halts, (session.close_ns, session.close_ns)):
                if halt_start > start:
                    if edges and edges[-1] == start:
                        edges[-1] = halt_start  # touching segments merge
                    else:
                        edges += (start, halt_start)
                start = halt_end
        self._edges = edges
        self._resumes = edges[0::2]
        self._stops = edges[1::2]

    def _check(self, ordered: tuple[Session, ...]) -> None:
        seen: set[date] = set()
        previous_close = self._start_ns
        for session in ordered:
            check_session(session)
            where = f"session {session.trade_date}"
            if not self._first <= session.trade_date <= self._last:
                raise InvalidArgument(where, f"trade date outside {self._first}..{self._last}")
            if session.trade_date in seen:
                raise InvalidArgument(where, "duplicate trade date")
            if session.open_ns < previous_close:
                raise InvalidArgument(where, "overlaps the previous session or starts before the covered range")
            if session.close_ns > self._end_ns:
                raise InvalidArgument(where, "ends after the covered range")
            seen.add(session.trade_date)
            previous_close = session.close_ns

    @property
    def first_trade_date(self) -> date:
        return self._first

    @property
    def last_trade_date(self) -> date:
        return self._last

    @property
    def start_ns(self) -> int:
        """First covered instant: 17:00 CT on the evening before `first_trade_date`."""
        return self._start_ns

    @property
    def end_ns(self) -> int:
        """End of the covered range (exclusive): 17:00 CT on `last_trade_date`."""
        return self._end_ns

    @property
    def sessions(self) -> tuple[Session, ...]:
        return self._sessions

    def covers(self, ts_ns: int) -> bool:
        return self._start_ns <= ts_ns < self._end_ns

    def is_open(self, ts_ns: int) -> bool:
        """Whether CME equity futures trade at `ts_ns`: inside a session and not in one of its halts."""
        if not self._start_ns <= ts_ns < self._end_ns:
            raise self._range_error(ts_ns)
        return bisect_right(self._edges, ts_ns) & 1 == 1

    def session_at(self, ts_ns: int) -> Session | None:
        """The session whose [open, close) contains `ts_ns` (even inside a halt); None between sessions."""
        if not self._start_ns <= ts_ns < self._end_ns:
            raise self._range_error(ts_ns)
        i = bisect_right(self._opens, ts_ns) - 1
        if i >= 0 and ts_ns < self._closes[i]:
            return self._sessions[i]
        return None

    def session_for(self, trade_date: date) -> Session | None:
        """The session booked to `trade_date`; None when CME does not trade that date (weekend, holiday)."""
        if not self._first <= trade_date <= self._last:
            raise CalendarRangeError(f"trade date {trade_date}", self._first, self._last)
        return self._by_date.get(trade_date)

    def is_trading_day(self, trade_date: date) -> bool:
        return self.session_for(trade_date) is not None

    def next_open_ns(self, ts_ns: int) -> int:
        """The first instant strictly after `ts_ns` at which trading starts: a session open or a halt's end."""
        if not self._start_ns <= ts_ns < self._end_ns:
            raise self._range_error(ts_ns)
        i = bisect_right(self._resumes, ts_ns)
        if i == len(self._resumes):
            raise CalendarRangeError(f"the next open after {exchange_time(ts_ns)}", self._first, self._last)
        return self._resumes[i]

    def next_close_ns(self, ts_ns: int) -> int:
        """The first instant strictly after `ts_ns` at which trading stops: a halt's start or a session close."""
        if not self._start_ns <= ts_ns < self._end_ns:
            raise self._range_error(ts_ns)
        i = bisect_right(self._stops, ts_ns)
        if i == len(self._stops):
            raise CalendarRangeError(f"the next close after {exchange_time(ts_ns)}", self._first, self._last)
        return self._stops[i]

    def trading_day(self, ts_ns: int) -> date:
        """The 17:00 CT trading day of `ts_ns` (pure time rule; see the module note on holiday bookings)."""
        return trading_day_of(ts_ns)

    def trade_date_bounds(self, ts_ns: int) -> tuple[date, int, int]:
        """(trade date, start ns, end ns) of the CME trading day that `ts_ns` counts toward.

        A trading day ends at 17:00 CT on its trade date and starts where the previous one ended, so the time
        between sessions belongs to the next session: a weekend counts toward Monday, Thanksgiving's afternoon
        and Christmas Day toward the next trade date, and a date without a session is never a trading day.
        Unlike the pure 17:00 CT rule (`trading_day`), days roll only on trade dates CME has.
        """
        if not self._start_ns <= ts_ns < self._end_ns:
            raise self._range_error(ts_ns)
        i = bisect_right(self._day_ends, ts_ns)
        if i == len(self._day_ends):
            raise CalendarRangeError(f"the trade date of {exchange_time(ts_ns)}", self._first, self._last)
        start = self._day_ends[i - 1] if i else self._start_ns
        return self._sessions[i].trade_date, start, self._day_ends[i]

    def sessions_between(self, first: date, last: date) -> tuple[Session, ...]:
        """Sessions with trade dates in [first, last], in order."""
        for bound in (first, last):
            if not self._first <= bound <= self._last:
                raise CalendarRangeError(f"trade date {bound}", self._first, self._last)
        return tuple(s for s in self._sessions if first <= s.trade_date <= last)

    def closed_weekdays(self, first: date, last: date) -> tuple[date, ...]:
        """Monday-to-Friday dates in [first, last] without a session of their own: the exchange holidays."""
        self.sessions_between(first, last)  # the same range check
        days = ((first + timedelta(days=n)) for n in range((last - first).days + 1))
        return tuple(d for d in days if d.weekday() < 5 and d not in self._by_date)

    def _range_error(self, ts_ns: int) -> CalendarRangeError:
        return CalendarRangeError(f"time {exchange_time(ts_ns).isoformat()}", self._first, self._last)
