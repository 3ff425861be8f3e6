"""The P&L calendar books on the CME trade date of the exit; weekly and monthly totals; the daily equity history."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

from core_server.analytics.facts import cme_booking
from core_server.analytics.pnl_calendar import equity_history, pnl_calendar, trading_dates, week_of
from core_server.calendar.session_table import packaged_trading_calendar
from core_server.model.clock import ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ
from core_server.risk.rules import DrawdownMode, RuleSet
from tests.unit.analytics.kit import fact

D = Decimal
BOOK = cme_booking(packaged_trading_calendar())


def ct(y: int, m: int, d: int, hh: int, mm: int) -> int:
    return ns_from_datetime(datetime.combine(date(y, m, d), time(hh, mm), EXCHANGE_TZ))


def test_exit_at_1659_ct_books_today_and_1701_ct_books_tomorrow() -> None:
    assert BOOK(ct(2025, 3, 4, 15, 59)) == date(2025, 3, 4)
    assert BOOK(ct(2025, 3, 4, 16, 59)) == date(2025, 3, 4)  # in the daily halt: still today's trading day
    assert BOOK(ct(2025, 3, 4, 17, 1)) == date(2025, 3, 5)


def test_weekend_exits_book_to_monday() -> None:
    assert BOOK(ct(2025, 3, 7, 15, 30)) == date(2025, 3, 7)  # Friday
    assert BOOK(ct(2025, 3, 7, 17, 1)) == date(2025, 3, 10)  # Friday evening, market shut: Monday
    assert BOOK(ct(2025, 3, 9, 17, 1)) == date(2025, 3, 10)  # Sunday evening open: Monday


def test_holiday_shortened_day_books_to_the_next_trade_date() -> None:
    # Thanksgiving 2025-11-27: CME trades until 12:00 CT and books it to Friday 2025-11-28.
    assert BOOK(ct(2025, 11, 26, 15, 0)) == date(2025, 11, 26)
    assert BOOK(ct(2025, 11, 27, 11, 0)) == date(2025, 11, 28)
    assert BOOK(ct(2025, 11, 28, 12, 0)) == date(2025, 11, 28)  # Friday's early close


def test_calendar_days_weeks_and_months_net_of_commissions() -> None:
    trades = [
        fact("105", n=1, day=date(2025, 3, 28)),  # Fri: +100
        fact("-95", n=2, day=date(2025, 3, 28)),  # Fri: -100
        fact("55", n=3, day=date(2025, 3, 31)),  # Mon (week of 3/31, month March): +50
        fact("205", n=4, day=date(2025, 4, 1)),  # Tue, April: +200
        fact("5", n=5, day=date(2025, 4, 1)),  # scratch
    ]
    cal = pnl_calendar(trades)
    assert [(d.start, d.net, d.trades, d.win_rate) for d in cal.days] == [
        (date(2025, 3, 28), D(0), 2, Fraction(1, 2)),
        (date(2025, 3, 31), D(50), 1, 1),
        (date(2025, 4, 1), D(200), 2, 1),
    ]
    assert [(w.start, w.net, w.trades) for w in cal.weeks] == [
        (date(2025, 3, 24), D(0), 2),
        (date(2025, 3, 31), D(250), 3),
    ]
    assert [(m.start, m.net, m.commissions) for m in cal.months] == [
        (date(2025, 3, 1), D(50), D(15)),
        (date(2025, 4, 1), D(200), D(10)),
    ]
    assert cal.total.net == D(250) and cal.total.gross == D(275) and cal.total.trades == 5
    april = pnl_calendar(trades, date(2025, 4, 1), date(2025, 4, 30))
    assert april.total.net == D(200) and len(april.days) == 1
    assert week_of(date(2025, 4, 6)) == date(2025, 3, 31)


def test_equity_history_end_of_day_trailing_floor_stops_at_the_lock() -> None:
    rules = RuleSet(max_drawdown=D(2000), drawdown_mode=DrawdownMode.END_OF_DAY, drawdown_lock_offset=D(100))
    days = trading_dates(date(2025, 3, 3), date(2025, 3, 7))
    trades = [
        fact("1005", n=1, day=days[0]),  # +1000
        fact("-495", n=2, day=days[1]),  # -500
        fact("1505", n=3, day=days[3]),  # +1500
        fact("-2995", n=4, day=days[4]),  # -3000
    ]
    h = equity_history(trades, D(50_000), days, rules)
    assert [(e.start_balance, e.end_balance, e.high_water, e.floor, e.drawdown, e.trades) for e in h] == [
        (D(50_000), D(51_000), D(51_000), D(49_000), D(0), 1),
        (D(51_000), D(50_500), D(51_000), D(49_000), D(500), 1),
        (D(50_500), D(50_500), D(51_000), D(49_000), D(500), 0),  # no trades: flat day
        (D(50_500), D(52_000), D(52_000), D(50_000), D(0), 1),
        (D(52_000), D(49_000), D(52_000), D(50_000), D(3_000), 1),
    ]
    # 52,000 - 2,000 = 50,000 is still under the lock level (50,000 + 100); a higher peak stops at it:
    higher = equity_history([fact("3005", n=1, day=days[0])], D(50_000), days[:1], rules)
    assert higher[0].floor == D(50_100)  # 53,000 - 2,000 = 51,000 capped at the lock level


def test_equity_history_intraday_peak_and_static_floor_and_no_rules() -> None:
    days = [date(2025, 3, 3)]
    trades = [fact("1005", n=1), fact("-995", n=2)]  # +1000 then -1000 in one day
    intraday = RuleSet(max_drawdown=D(2000), drawdown_mode=DrawdownMode.INTRADAY_UNREALIZED, drawdown_lock_offset=None)
    assert equity_history(trades, D(50_000), days, intraday)[0].floor == D(49_000)  # peak 51,000 after trade 1
    eod = RuleSet(max_drawdown=D(2000), drawdown_mode=DrawdownMode.END_OF_DAY, drawdown_lock_offset=None)
    assert equity_history(trades, D(50_000), days, eod)[0].floor == D(48_000)
    static = RuleSet(max_drawdown=D(2000), drawdown_mode=DrawdownMode.STATIC)
    assert equity_history(trades, D(50_000), days, static)[0].floor == D(48_000)
    bare = equity_history(trades, D(50_000), days)[0]
    assert bare.floor is None and bare.end_balance == D(50_000) and bare.net == 0


def test_trades_before_the_first_day_count_into_the_start_balance() -> None:
    h = equity_history([fact("105", n=1, day=date(2025, 2, 28))], D(1000), [date(2025, 3, 3)])
    assert h[0].start_balance == D(1100) and h[0].high_water == D(1100)
