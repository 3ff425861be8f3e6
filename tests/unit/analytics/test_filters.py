"""Filters and group-by: entry hour and session window in US Eastern, weekday of the booked trading day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core_server.analytics.filters import GroupBy, TradeQuery, group, select
from core_server.calendar.windows import SessionWindows
from core_server.excursions.model import Direction
from core_server.model.clock import ns_from_datetime
from tests.unit.analytics.kit import MINUTE_NS, fact

WINDOWS = SessionWindows()
# Tue 2025-03-04 09:45 ET (EST): NY AM, hour 09
NY_AM = ns_from_datetime(datetime(2025, 3, 4, 14, 45, tzinfo=UTC)) + MINUTE_NS
# Sun 2025-03-02 19:30 ET: Asia, hour 19, booked to Monday 2025-03-03
SUNDAY_EVENING = ns_from_datetime(datetime(2025, 3, 3, 0, 30, tzinfo=UTC)) + MINUTE_NS


def trades() -> list:  # type: ignore[type-arg]
    return [
        fact("105", n=1, closed_ns=NY_AM, day=date(2025, 3, 4), tags=("a+", "breakout"), setup="ORB"),
        fact("-95", n=2, closed_ns=SUNDAY_EVENING, day=date(2025, 3, 3), direction=Direction.SHORT,
             contract_id="ESH2025", source="imported", strategy_id="fhb", strategy_version=2),
    ]  # fmt: skip


def ids(query: TradeQuery) -> list[str]:
    return [t.trade_id for t in select(trades(), query, WINDOWS)]


def test_each_filter_narrows() -> None:
    assert ids(TradeQuery()) == ["T-001", "T-002"]
    assert ids(TradeQuery(hours=frozenset({9}))) == ["T-001"]
    assert ids(TradeQuery(hours=frozenset({19}))) == ["T-002"]
    assert ids(TradeQuery(session_windows=frozenset({"Asia"}))) == ["T-002"]
    assert ids(TradeQuery(weekdays=frozenset({0}))) == ["T-002"]  # Sunday evening is Monday's trading day
    assert ids(TradeQuery(roots=frozenset({"ES"}))) == ["T-002"]
    assert ids(TradeQuery(direction=Direction.LONG)) == ["T-001"]
    assert ids(TradeQuery(sources=frozenset({"imported"}))) == ["T-002"]
    assert ids(TradeQuery(strategy_id="fhb", strategy_version=2)) == ["T-002"]
    assert ids(TradeQuery(strategy_id="fhb", strategy_version=1)) == []
    assert ids(TradeQuery(tags=frozenset({"breakout"}))) == ["T-001"]
    assert ids(TradeQuery(tags=frozenset({"breakout", "missing"}))) == []
    assert ids(TradeQuery(setup="ORB")) == ["T-001"]
    assert ids(TradeQuery(from_date=date(2025, 3, 4))) == ["T-001"]
    assert ids(TradeQuery(to_date=date(2025, 3, 3))) == ["T-002"]
    assert ids(TradeQuery(account_ids=frozenset({"A-2"}))) == []


def test_group_by_labels() -> None:
    assert list(group(trades(), GroupBy.SESSION, WINDOWS)) == ["Asia", "NY AM"]
    assert list(group(trades(), GroupBy.HOUR, WINDOWS)) == ["09", "19"]
    assert list(group(trades(), GroupBy.WEEKDAY, WINDOWS)) == ["Mon", "Tue"]
    assert list(group(trades(), GroupBy.STRATEGY, WINDOWS)) == ["(none)", "fhb"]
    assert list(group(trades(), GroupBy.ROOT, WINDOWS)) == ["ES", "NQ"]
    assert list(group(trades(), GroupBy.DAY, WINDOWS)) == ["2025-03-03", "2025-03-04"]
