"""The risk engine's trading days and market hours, from the CME session table (SPEC §1, §6).

A risk day is a CME trade date: it ends at 17:00 CT on that date, and the time between two sessions (a
weekend, a holiday) counts toward the next one, so Saturday is never a trading day and no rule fires on it.
Past the end of the session table the plain 17:00 CT rule stands in (the table is regenerated long before).
Flat-by is a wall-clock time on the trade date; on a session that closes early it comes as long before that
close as it would before the regular 16:00 CT close (15:10 on a 12:15 CT close: 11:25 CT).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from core_server.calendar.sessions import CalendarRangeError, TradingCalendar
from core_server.calendar.trading_day import trading_day_bounds
from core_server.model.clock import ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ
from core_server.risk.evaluation import NEVER
from core_server.risk.rules import RuleSet
from core_server.risk.state import flat_by_instant
from core_server.risk.wording import ct_time

REGULAR_CLOSE = time(16, 0)


class MarketHours(StrEnum):
    """What the market-hours rule checks orders against."""

    EXCHANGE = "exchange"  # CME Globex hours from the calendar: a real feed's market, closed when CME is
    DECLARED_OPEN = "declared_open"  # a simulated or replayed market streaming around the clock: declared open


class RiskDays:
    """Trade dates, day bounds, flat-by instants and market hours over one TradingCalendar."""

    __slots__ = ("calendar", "market_hours")

    def __init__(self, calendar: TradingCalendar, market_hours: MarketHours = MarketHours.EXCHANGE) -> None:
        self.calendar = calendar
        self.market_hours = market_hours

    def bounds(self, ts_ns: int) -> tuple[date, int, int]:
        """(trade date, start ns, end ns) of the trading day `ts_ns` counts toward."""
        try:
            return self.calendar.trade_date_bounds(ts_ns)
        except CalendarRangeError:
            return trading_day_bounds(ts_ns)

    def day_of(self, ts_ns: int) -> date:
        return self.bounds(ts_ns)[0]

    def flat_by_ns(self, rules: RuleSet, day: date) -> int:
        """The flat-by instant of trading day `day` (NEVER when the rule is off)."""
        at = flat_by_instant(rules, day)
        if at == NEVER:
            return at
        try:
            session = self.calendar.session_for(day)
        except CalendarRangeError:
            return at
        if session is None or not session.early_close:
            return at
        lead = max(0, ns_from_datetime(datetime.combine(day, REGULAR_CLOSE, EXCHANGE_TZ)) - at)
        return min(at, session.close_ns - lead)

    def exchange_open(self, ts_ns: int) -> bool:
        """Whether CME trades at `ts_ns` (outside the table: closed, the safe answer)."""
        try:
            return self.calendar.is_open(ts_ns)
        except CalendarRangeError:
            return False

    def allowed_reason(self, now_ns: int) -> str:
        """The reason of an allowed order: says when the market is only declared open (CME is closed)."""
        if self.market_hours is MarketHours.DECLARED_OPEN and not self.exchange_open(now_ns):
            closed = f"CME is closed at {ct_time(now_ns)}"
            return f"allowed; market hours: the simulated market is declared open ({closed})"
        return "allowed"

    def market_hours_now(self, now_ns: int) -> tuple[str, str]:
        """(current, limit) of the market-hours rule for the status: CME open or closed, and what orders obey."""
        current = "open" if self.exchange_open(now_ns) else "closed"
        if self.market_hours is MarketHours.DECLARED_OPEN:
            return (current if current == "open" else "closed (declared open)"), "declared open (simulated market)"
        return current, "CME Globex hours"
