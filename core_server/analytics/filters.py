"""Which trades a statistic covers (TradeQuery) and how they are grouped (GroupBy).

Time-of-day filters read the entry: the session window and the hour (US Eastern) the trade opened in. The day of
the week and the date range read the trading day the trade is booked on (its exit's CME trade date), so a Sunday
evening trade counts toward Monday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from core_server.analytics.facts import TradeFacts
from core_server.calendar.windows import SessionWindows
from core_server.excursions.model import Direction
from core_server.model.clock import NS_PER_SECOND
from core_server.model.instruments import EASTERN_TZ

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_WINDOW = "(none)"
NO_STRATEGY = "(none)"


@dataclass(frozen=True, slots=True)
class TradeQuery:
    """Every set field narrows; an empty set or None leaves that dimension open."""

    account_ids: frozenset[str] = frozenset()
    strategy_id: str = ""
    strategy_version: int | None = None
    roots: frozenset[str] = frozenset()
    direction: Direction | None = None
    session_windows: frozenset[str] = frozenset()  # the window the entry fell in
    hours: frozenset[int] = frozenset()  # 0-23, US Eastern hour of the entry
    weekdays: frozenset[int] = frozenset()  # 0 = Monday, of the booked trading day
    from_date: date | None = None  # booked trading day, inclusive
    to_date: date | None = None  # inclusive
    sources: frozenset[str] = frozenset()  # paper, manual, strategy, signal, imported, backtest
    tags: frozenset[str] = frozenset()  # every one of them
    setup: str = ""


class GroupBy(StrEnum):
    STRATEGY = "strategy"
    ROOT = "root"
    SESSION = "session"
    HOUR = "hour"
    WEEKDAY = "weekday"
    DAY = "day"


def entry_hour(t: TradeFacts) -> int:
    return entry_hour_at(t.opened_ns)


def entry_hour_at(ts_ns: int) -> int:
    """The US Eastern hour of an instant."""
    return datetime.fromtimestamp(ts_ns // NS_PER_SECOND, tz=EASTERN_TZ).hour


class EntryClock:
    """The US Eastern hour and the session window of each trade's entry, remembered per trade (a desk keeps one
    for its trades, so repeated queries do not convert times again)."""

    def __init__(self, windows: SessionWindows) -> None:
        self.windows = windows
        self._hours: dict[str, int] = {}
        self._windows: dict[str, str] = {}

    def hour(self, t: TradeFacts) -> int:
        found = self._hours.get(t.trade_id)
        if found is None:
            found = self._hours[t.trade_id] = entry_hour(t)
        return found

    def window(self, t: TradeFacts) -> str:
        found = self._windows.get(t.trade_id)
        if found is None:
            found = self._windows[t.trade_id] = self.windows.window_at(t.opened_ns) or NO_WINDOW
        return found


def _clock(windows: SessionWindows | EntryClock) -> EntryClock:
    return windows if isinstance(windows, EntryClock) else EntryClock(windows)


def matches(t: TradeFacts, q: TradeQuery, windows: SessionWindows | EntryClock) -> bool:
    return _matches(t, q, _clock(windows))


def _matches(t: TradeFacts, q: TradeQuery, clock: EntryClock) -> bool:
    if q.account_ids and t.account_id not in q.account_ids:
        return False
    if q.strategy_id and t.strategy_id != q.strategy_id:
        return False
    if q.strategy_version is not None and t.strategy_version != q.strategy_version:
        return False
    if q.roots and t.root not in q.roots:
        return False
    if q.direction is not None and t.direction is not q.direction:
        return False
    if q.from_date is not None and t.trade_date < q.from_date:
        return False
    if q.to_date is not None and t.trade_date > q.to_date:
        return False
    if q.sources and t.source not in q.sources:
        return False
    if q.tags and not q.tags.issubset(t.tags):
        return False
    if q.setup and t.setup != q.setup:
        return False
    if q.weekdays and t.trade_date.weekday() not in q.weekdays:
        return False
    if q.hours and clock.hour(t) not in q.hours:
        return False
    return not (q.session_windows and clock.window(t) not in q.session_windows)


def select(trades: Iterable[TradeFacts], query: TradeQuery, windows: SessionWindows | EntryClock) -> list[TradeFacts]:
    if query == TradeQuery():
        return list(trades)
    clock = _clock(windows)
    return [t for t in trades if _matches(t, query, clock)]


def group_key(by: GroupBy, windows: SessionWindows | EntryClock) -> Callable[[TradeFacts], str]:
    """The label a trade is grouped under: strategy id, root, session window, "09" hour, "Mon", or ISO date."""
    clock = _clock(windows)
    if by is GroupBy.STRATEGY:
        return lambda t: t.strategy_id or NO_STRATEGY
    if by is GroupBy.ROOT:
        return lambda t: t.root
    if by is GroupBy.SESSION:
        return clock.window
    if by is GroupBy.HOUR:
        return lambda t: f"{clock.hour(t):02d}"
    if by is GroupBy.WEEKDAY:
        return lambda t: WEEKDAYS[t.trade_date.weekday()]
    return lambda t: t.trade_date.isoformat()


def group(
    trades: Iterable[TradeFacts], by: GroupBy, windows: SessionWindows | EntryClock
) -> dict[str, list[TradeFacts]]:
    """Trades per label, labels in sorted order (weekdays Monday first, session windows in configured order)."""
    key = group_key(by, windows)
    groups: dict[str, list[TradeFacts]] = defaultdict(list)
    for t in trades:
        groups[key(t)].append(t)
    return {label: groups[label] for label in label_order(by, groups, windows)}


def label_order(by: GroupBy, labels: Iterable[str], windows: SessionWindows | EntryClock) -> list[str]:
    """Group labels in display order: weekdays Monday first, session windows as configured, the rest sorted."""
    if by is GroupBy.WEEKDAY:
        order = {name: i for i, name in enumerate(WEEKDAYS)}
        return sorted(labels, key=order.__getitem__)
    if by is GroupBy.SESSION:
        order = {name: i for i, name in enumerate((*_clock(windows).windows.names, NO_WINDOW))}
        return sorted(labels, key=lambda n: order.get(n, len(order)))
    return sorted(labels)
