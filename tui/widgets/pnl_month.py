"""The P&L calendar of one month: Monday-to-Friday cells with each day's net and trade count, green for a winning
day and red for a losing one, each week's total on the right, and a cursor day moved with the arrow keys."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from clients.sdk.analytics import PnlPeriod

CELL = 11  # columns per day cell
WEEK_CELL = 11


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _weekday(day: date) -> date:
    """The nearest Monday-to-Friday date (a weekend cursor moves to the Friday before or the Monday after)."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def _signed(value: object) -> str:
    text = str(value)
    return text if text.startswith("-") or text in {"0", "0.00"} else f"+{text}"


@dataclass(frozen=True, slots=True)
class MonthData:
    days: dict[date, PnlPeriod]
    weeks: dict[date, PnlPeriod]
    month: PnlPeriod | None


class PnlMonth(Widget, can_focus=True):
    """Arrow keys move the cursor day (and the month with it), [ and ] move a month, Enter opens the day."""

    DEFAULT_CSS = """
    PnlMonth { height: auto; min-height: 9; }
    """
    BINDINGS = [  # noqa: RUF012  (Textual reads BINDINGS as a class attribute)
        Binding("left", "move(-1)", "Day -", show=False),
        Binding("right", "move(1)", "Day +", show=False),
        Binding("up", "move(-7)", "Week -", show=False),
        Binding("down", "move(7)", "Week +", show=False),
        Binding("left_square_bracket", "month(-1)", "Month -", key_display="["),
        Binding("right_square_bracket", "month(1)", "Month +", key_display="]"),
        Binding("enter", "open_day", "Day's trades"),
    ]

    cursor: reactive[date] = reactive(date(2000, 1, 3), init=False)

    class MonthChanged(Message):
        def __init__(self, month: date) -> None:
            super().__init__()
            self.month = month

    class DayOpened(Message):
        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    def __init__(self, today: date, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(PnlMonth.cursor, _weekday(today))
        self.data = MonthData({}, {}, None)

    @property
    def month(self) -> date:
        return month_start(self.cursor)

    def show(self, data: MonthData) -> None:
        self.data = data
        self.refresh(layout=True)

    def watch_cursor(self, old: date, new: date) -> None:
        if month_start(old) != month_start(new):
            self.post_message(self.MonthChanged(month_start(new)))
        self.refresh()

    def action_move(self, days: int) -> None:
        step = 1 if days > 0 else -1
        target = self.cursor + timedelta(days=days)
        while target.weekday() > 4:
            target += timedelta(days=step)
        self.cursor = target

    def action_month(self, months: int) -> None:
        self.cursor = _weekday(add_months(self.cursor, months))

    def action_open_day(self) -> None:
        self.post_message(self.DayOpened(self.cursor))

    def render(self) -> Text:
        month = self.month
        text = Text()
        text.append(f"{calendar.month_name[month.month]} {month.year}".center(CELL * 5 + WEEK_CELL), "bold")
        text.append("\n")
        text.append("".join(h.rjust(CELL) for h in ("Mon", "Tue", "Wed", "Thu", "Fri")) + "Week".rjust(WEEK_CELL))
        for week in calendar.Calendar().monthdatescalendar(month.year, month.month):
            top, bottom = Text("\n"), Text("\n")
            for day in week[:5]:
                self._cell(day, top, bottom)
            total = self.data.weeks.get(week[0])
            top.append(_signed(total.net_pnl).rjust(WEEK_CELL) if total else "".rjust(WEEK_CELL), _style(total))
            bottom.append(f"{total.trades} tr".rjust(WEEK_CELL) if total else "".rjust(WEEK_CELL), "dim")
            text.append_text(top)
            text.append_text(bottom)
        if self.data.month is not None:
            m = self.data.month
            text.append(f"\nmonth {_signed(m.net_pnl)}  {m.trades} trades", _style(m))
        return text

    def _cell(self, day: date, top: Text, bottom: Text) -> None:
        if day.month != self.month.month:
            top.append("".rjust(CELL))
            bottom.append("".rjust(CELL))
            return
        period = self.data.days.get(day)
        chosen = day == self.cursor
        label = f"{day.day:>2}" + (f"{_signed(period.net_pnl):>8}" if period else "       ·")
        style = _style(period) + (" reverse" if chosen else "")
        top.append(label.rjust(CELL - 1).ljust(CELL), style.strip())
        detail = f"{period.trades} tr {_rate(period)}" if period else ""
        bottom.append(detail.rjust(CELL - 1).ljust(CELL), "dim")


def _style(period: PnlPeriod | None) -> str:
    if period is None or period.trades == 0:
        return ""
    if period.net_pnl > 0:
        return "green"
    if period.net_pnl < 0:
        return "red"
    return "blue"


def _rate(period: PnlPeriod) -> str:
    if period.win_rate is None:
        return ""
    return f"{int(period.win_rate * 100)}%"
