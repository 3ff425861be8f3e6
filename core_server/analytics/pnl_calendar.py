"""The P&L calendar: realised net P&L booked on the CME trading day of each trade's exit fill, with day, week and
month totals, and the daily equity history (start and end balance, high-water mark, trailing-drawdown floor).

Booking is the caller's `TradeFacts.trade_date` (the CME calendar's trade date of the exit: 17:00 CT roll, a
weekend counts toward Monday, a holiday's shortened trading toward the next trade date). Weeks run Monday to
Sunday and are named by their Monday; with CME booking they hold Monday-to-Friday trade dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from core_server.analytics.facts import TradeFacts
from core_server.risk.evaluation import drawdown_threshold
from core_server.risk.rules import DrawdownMode, RuleSet

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PnlTotal:
    """Realised results over a day, week or month; `start` is that period's first date."""

    start: date
    net: Decimal = _ZERO
    gross: Decimal = _ZERO
    commissions: Decimal = _ZERO
    trades: int = 0
    wins: int = 0
    losses: int = 0

    @property
    def win_rate(self) -> Fraction | None:
        """wins / (wins + losses); None without either."""
        decided = self.wins + self.losses
        return Fraction(self.wins, decided) if decided else None

    def add(self, t: TradeFacts) -> PnlTotal:
        net = t.net
        return PnlTotal(
            self.start,
            self.net + net,
            self.gross + t.gross,
            self.commissions + t.commissions,
            self.trades + 1,
            self.wins + (net > 0),
            self.losses + (net < 0),
        )


@dataclass(frozen=True, slots=True)
class PnlCalendar:
    days: tuple[PnlTotal, ...]  # only days with trades, in order
    weeks: tuple[PnlTotal, ...]  # Monday-named, only weeks with trades
    months: tuple[PnlTotal, ...]  # first-of-month named
    total: PnlTotal


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def pnl_calendar(trades: Iterable[TradeFacts], first: date | None = None, last: date | None = None) -> PnlCalendar:
    """Totals of the trades booked in [first, last] (None: unbounded)."""
    days: dict[date, PnlTotal] = {}
    weeks: dict[date, PnlTotal] = {}
    months: dict[date, PnlTotal] = {}
    total = PnlTotal(first or date.min)
    for t in trades:
        d = t.trade_date
        if (first is not None and d < first) or (last is not None and d > last):
            continue
        days[d] = days.get(d, PnlTotal(d)).add(t)
        w = week_of(d)
        weeks[w] = weeks.get(w, PnlTotal(w)).add(t)
        m = d.replace(day=1)
        months[m] = months.get(m, PnlTotal(m)).add(t)
        total = total.add(t)
    return PnlCalendar(
        tuple(days[k] for k in sorted(days)),
        tuple(weeks[k] for k in sorted(weeks)),
        tuple(months[k] for k in sorted(months)),
        total,
    )


@dataclass(frozen=True, slots=True)
class EquityDay:
    """One trading day of an account's realised equity."""

    day: date
    start_balance: Decimal
    end_balance: Decimal
    net: Decimal
    high_water: Decimal  # highest balance so far (end of day, or after any trade for intraday trailing)
    floor: Decimal | None  # the trailing-drawdown threshold in force at the day's end; None without that rule
    drawdown: Decimal  # high-water mark - end balance (>= 0)
    trades: int


def equity_history(
    trades: Iterable[TradeFacts],
    starting_balance: Decimal,
    days: Sequence[date],
    rules: RuleSet | None = None,
    *,
    presorted: bool = False,
) -> tuple[EquityDay, ...]:
    """Every day of `days` (in order; the account's trading days) with its realised balances. The floor follows
    the account's trailing drawdown rule: end-of-day mode trails the highest end-of-day balance; intraday mode the
    highest balance after any trade (realised: an unrealised peak is not in closed trades); static never moves.
    Trades booked before the first day count into the first day's start balance."""
    per_day: dict[date, list[TradeFacts]] = defaultdict(list)
    earlier = _ZERO
    first = days[0] if days else None
    for t in trades if presorted else sorted(trades, key=lambda x: (x.closed_ns, x.trade_id)):
        if first is not None and t.trade_date < first:
            earlier += t.net
        else:
            per_day[t.trade_date].append(t)
    balance = starting_balance + earlier
    high = max(starting_balance, balance)
    intraday = rules is not None and rules.drawdown_mode is DrawdownMode.INTRADAY_UNREALIZED
    history: list[EquityDay] = []
    for day in days:
        start = balance
        for t in per_day.get(day, ()):
            balance += t.net
            if intraday:
                high = max(high, balance)
        high = max(high, balance)
        floor = None if rules is None else drawdown_threshold(rules, starting_balance, high)
        net = balance - start
        history.append(EquityDay(day, start, balance, net, high, floor, high - balance, len(per_day.get(day, ()))))
    return tuple(history)


def trading_dates(first: date, last: date, closed: Iterable[date] = ()) -> list[date]:
    """Monday-to-Friday dates in [first, last] except `closed` ones (a fallback when no session table covers them)."""
    shut = set(closed)
    count = (last - first).days + 1
    return [d for d in (first + timedelta(n) for n in range(count)) if d.weekday() < 5 and d not in shut]
