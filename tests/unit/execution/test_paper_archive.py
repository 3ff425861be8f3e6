"""archive_finished: finished orders leave the engine's memory (the live shell calls it at the trading-day roll),
open orders and the finished legs linked to an open one stay, and the engine keeps working exactly as before."""

from __future__ import annotations

from core_server.execution.commands import CancelOrder, SubmitOcoPair, SubmitOrder
from core_server.execution.model import OrderStatus, OrderType, TimeInForce
from core_server.model.errors import FailedPrecondition, NotFound
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MKT, MS, SELL, T0, D, Rig, fills, ticks
from tests.unit.execution.test_paper_open_index import assert_index_matches

DAY_MS = 24 * 3600 * 1000


def test_finished_orders_leave_and_linked_or_open_ones_stay() -> None:
    rig = Rig()
    rig.quote(ES, "5000.00", "5000.25", at=0)
    filled = rig.submit(ES, BUY, 1, MKT, at=0)
    cancelled = rig.submit(ES, BUY, 1, LMT, limit="4900.00", at=0)
    resting = rig.submit(ES, BUY, 1, LMT, limit="4990.00", at=0)
    entry, stop, target = rig.bracket(ES, BUY, 1, MKT, None, "4980.00", "5010.00", at=0)
    oco = rig.engine.execute(
        SubmitOcoPair(
            SubmitOrder(ACC, ES, SELL, 1, OrderType.LIMIT, TimeInForce.GTC, D("5100.00")),
            SubmitOrder(ACC, ES, SELL, 1, OrderType.LIMIT, TimeInForce.GTC, D("5200.00")),
        ),
        T0,
    )
    first_leg, second_leg = (e.order.order_id for e in oco)  # type: ignore[attr-defined]
    rig.quote(ES, "5000.00", "5000.25", at=200)  # arrivals: the market and the bracket entry fill
    rig.engine.execute(CancelOrder(ACC, cancelled), T0 + 300 * MS)  # type: ignore[arg-type]
    rig.engine.execute(CancelOrder(ACC, first_leg), T0 + 300 * MS)  # one leg cancelled, its sibling works
    assert rig.engine.order(entry).status is OrderStatus.FILLED  # type: ignore[arg-type]

    archived = rig.engine.archive_finished()

    assert archived == (filled, cancelled)
    assert rig.engine.held_orders() == 6
    assert not rig.engine.holds(filled) and rig.engine.holds(entry)  # type: ignore[arg-type]
    assert_index_matches(rig.engine)
    try:
        rig.engine.order(filled)  # type: ignore[arg-type]
    except NotFound:
        pass
    else:
        raise AssertionError("an archived order is not held")
    try:
        rig.engine.execute(CancelOrder(ACC, cancelled), T0 + 400 * MS)  # type: ignore[arg-type]
    except NotFound:
        pass
    else:
        raise AssertionError("an archived order cannot be cancelled")
    # The engine works on: the resting limit fills, the bracket's stop closes the entry's position.
    events = rig.trade(ES, "4989.75", at=500)
    assert (resting, 1, ticks(ES, "4990.00")) in fills(events)
    rig.quote(ES, "4979.00", "4979.25", at=600)
    assert rig.engine.order(stop).status is OrderStatus.FILLED  # type: ignore[arg-type]
    assert rig.engine.archive_finished() == (resting, entry, stop, target)
    assert [o.order_id for o in rig.engine.open_orders(ACC)] == [second_leg]
    try:
        rig.engine.execute(CancelOrder(ACC, first_leg), T0 + 700 * MS)
    except FailedPrecondition:
        pass  # its sibling still works, so the cancelled leg is held
    else:
        raise AssertionError("a cancelled leg is finished")
    assert_index_matches(rig.engine)


def test_memory_stays_bounded_over_many_days() -> None:
    rig = Rig()
    held: list[int] = []
    for day in range(30):
        at = day * DAY_MS
        rig.quote(ES, "5000.00", "5000.25", at=at)
        for i in range(10):
            rig.submit(ES, BUY if i % 2 == 0 else SELL, 1, MKT, at=at)  # round trips
        rig.submit(ES, BUY, 1, LMT, limit="4000.00", tif=TimeInForce.DAY, at=at)  # expires at the day's end
        rig.quote(ES, "5000.00", "5000.25", at=at + 200)
        rig.engine.advance_to(rig_ns(at + DAY_MS - 1))  # the DAY order expires at the roll
        rig.engine.archive_finished()
        held.append(rig.engine.held_orders())
    assert held == [0] * 30
    assert rig.engine.position(ACC, ES).net_qty == 0
    assert rig.engine.next_due_ns() > rig_ns(30 * DAY_MS)  # no stale arrival or expiry left behind


def rig_ns(at: int) -> int:
    return T0 + at * MS
