"""TradingView session strings from the core's CME calendar: the regular session, holidays and corrections.

TradingView describes each trade date by the trading hours it holds, in the symbol's time zone. Vigil's candles
bucket by the pure 17:00 CT trading-day rule, so the hours of trade date D here are the trading segments (session
open to close, minus halts) that fall between 17:00 CT on D-1 and 17:00 CT on D. A regular date is `1700-1600`;
a weekday with no trading is a holiday; anything else is a correction. On Thanksgiving, for example, CME books
Wednesday 17:00 to Thursday 12:00 to Friday's trade date; by the 17:00 rule (and in Vigil's daily candles) it is
Thursday's short session `1700-1200`, and Friday is `1700-1215`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clients.sdk import SessionCalendar
from clients.udf.bars import EXCHANGE_TZ, NS_PER_SECOND, trading_day_of, trading_day_start_ns

REGULAR_SESSION = "1700-1600"  # CME Globex equity futures: Sunday-Friday 17:00-16:00 CT, start > end = overnight
TIME_ZONE = "America/Chicago"


@dataclass(frozen=True, slots=True)
class SymbolSessions:
    """What a UDF symbol says about its hours: `session`, `session_holidays`, `corrections`."""

    session: str
    holidays: str  # YYYYMMDD,YYYYMMDD ascending
    corrections: str  # SESSION:YYYYMMDD[,YYYYMMDD];... with each session's dates latest first
    first_trade_date: date
    last_trade_date: date


def symbol_sessions(calendar: SessionCalendar) -> SymbolSessions:
    """The session, holidays and corrections of every trade date the calendar covers."""
    pieces: dict[date, list[tuple[int, int]]] = defaultdict(list)
    for start, end in _trading_segments(calendar):
        for piece_start, piece_end in _split_at_day_starts(start, end):
            pieces[trading_day_of(piece_start)].append((piece_start, piece_end))
    holidays: list[date] = []
    corrections: dict[str, list[date]] = defaultdict(list)
    day = calendar.first_trade_date
    while day <= calendar.last_trade_date:
        found = pieces.get(day)
        if not found:
            if day.weekday() < 5:
                holidays.append(day)
        else:
            hours = ",".join(_hours(day, start, end) for start, end in found)
            if hours != REGULAR_SESSION or day.weekday() >= 5:
                corrections[hours].append(day)
        day += timedelta(days=1)
    return SymbolSessions(
        session=REGULAR_SESSION,
        holidays=",".join(_compact(d) for d in holidays),
        corrections=";".join(
            f"{hours}:{','.join(_compact(d) for d in sorted(days, reverse=True))}"
            for hours, days in corrections.items()
        ),
        first_trade_date=calendar.first_trade_date,
        last_trade_date=calendar.last_trade_date,
    )


def _trading_segments(calendar: SessionCalendar) -> Iterator[tuple[int, int]]:
    """[start, end) stretches of trading: each session's open to close, minus its halts."""
    for session in calendar.sessions:
        start = session.open_ns
        for halt_start, halt_end in session.halts:
            if halt_start > start:
                yield start, halt_start
            start = halt_end
        if session.close_ns > start:
            yield start, session.close_ns


def _split_at_day_starts(start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end:
        day_end = trading_day_start_ns(trading_day_of(start) + timedelta(days=1))
        yield start, min(end, day_end)
        start = day_end


def _hours(day: date, start_ns: int, end_ns: int) -> str:
    """One stretch as TradingView hours: HHMM-HHMM, where a start after the end means the evening before;
    `F`/`Fn` marks a start n days before the trade date when the times alone cannot say so."""
    start = datetime.fromtimestamp(start_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    end = datetime.fromtimestamp(end_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
    start_text, end_text = start.strftime("%H%M"), end.strftime("%H%M")
    days_before = (day - start.date()).days
    if days_before == 0 or (days_before == 1 and start_text >= end_text):
        return f"{start_text}-{end_text}"
    return f"{start_text}F{days_before if days_before > 1 else ''}-{end_text}"


def _compact(day: date) -> str:
    return day.strftime("%Y%m%d")
