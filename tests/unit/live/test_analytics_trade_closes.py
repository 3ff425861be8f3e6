"""The analytics desk learns from the bus that a trade closed, without buffering the trade updates themselves.

It used to keep a conflating subscription of 4,096 updates that only a query drained. With nobody asking, every
closed trade left one update there for good (conflation keys them apart from the open ones), so once 4,096 trades
had closed without a query each new update compacted the whole full buffer: about 30 ms of the event loop per
trade update, found as the stalls behind the copy fan-out's tail (bench/copy_brokers.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from core_server.bus import Bus
from core_server.calendar.session_table import packaged_trading_calendar
from core_server.live.analytics_desk import AnalyticsDesk
from core_server.live.journal import TRADES_TOPIC


def _update(trade_id: str, closed: bool) -> SimpleNamespace:
    return SimpleNamespace(trip=SimpleNamespace(trade_id=trade_id, closed_ns=1 if closed else None))


def _desk(bus: Bus) -> AnalyticsDesk:
    unused = cast(Any, None)  # the parts a query would use; the bus alone is exercised here
    return AnalyticsDesk(unused, unused, unused, unused, packaged_trading_calendar(), bus=bus)


async def test_thousands_of_closed_trades_without_a_query_leave_at_most_three_updates_buffered() -> None:
    bus = Bus()
    desk = _desk(bus)
    subscription = bus.subscribe(TRADES_TOPIC)  # an ordinary subscriber alongside, drained as it goes
    for number in range(10_000):
        bus.publish(TRADES_TOPIC, _update(f"T-{number}", closed=False))
        bus.publish(TRADES_TOPIC, _update(f"T-{number}", closed=True))
        await subscription.next_batch()
    assert desk.trade_updates_buffered() <= 3  # 4,096 before, compacted in full at every update
    assert await desk.closed_since_read()
    assert not await desk.closed_since_read()
    bus.publish(TRADES_TOPIC, _update("T-open", closed=False))  # an excursion of an open trade
    assert not await desk.closed_since_read()
