"""A routed (LIVE) account in the pure engine: its orders pass the pre-trade checks and are kept, working, but never
matched on the simulated market; a broker fill naming one fills it, and a bracket's exits follow as on paper."""

from __future__ import annotations

from core_server.execution.commands import BookBrokerFill, CancelOrder, SubmitBracket
from core_server.execution.events import OrderAccepted
from core_server.execution.model import OrderStatus
from tests.unit.execution.execution_kit import ACC, BUY, LMT, NQ, SELL, T0, D, Rig, fills, kinds, ticks


def routed() -> Rig:
    rig = Rig()
    rig.engine.route_to_broker(ACC, True)
    rig.quote(NQ, "25000.00", "25000.25", at=0)
    return rig


def test_a_routed_order_is_working_at_once_and_the_market_never_fills_it() -> None:
    rig = routed()
    order_id = rig.submit(NQ, BUY, 2)
    assert rig.engine.order(order_id).status is OrderStatus.WORKING
    assert rig.quote(NQ, "25000.00", "25000.25", at=500) == ()  # no latency, no matching: it works at the broker
    assert rig.trade(NQ, "24990.00", at=600) == ()
    events = rig.engine.execute(BookBrokerFill(ACC, NQ, BUY, 2, D("25000.50"), "b-1", order_id), T0 + 700 * 1_000_000)
    assert fills(events) == [(order_id, 2, ticks(NQ, "25000.50"))]
    assert rig.engine.order(order_id).status is OrderStatus.FILLED
    assert rig.engine.position(ACC, NQ).net_qty == 2
    assert kinds(events)[0] == "OrderFilled"  # the order's own fill, not a new order


def test_a_broker_fill_of_a_routed_bracket_entry_puts_its_exits_to_work_and_the_target_ends_the_stop() -> None:
    rig = routed()
    command = SubmitBracket(ACC, NQ, BUY, 1, LMT, D("24980.00"), D("25010.00"), D("24990.00"))
    events = rig.engine.execute(command, T0)
    assert kinds(events) == ["OrderAccepted", "OrderAccepted", "OrderAccepted", "OrderWorking"]
    entry, stop_loss, take_profit = (e.order.order_id for e in events if isinstance(e, OrderAccepted))
    assert [rig.engine.order(o).status for o in (entry, stop_loss, take_profit)] == [
        OrderStatus.WORKING,
        OrderStatus.HELD,
        OrderStatus.HELD,
    ]
    rig.engine.execute(BookBrokerFill(ACC, NQ, BUY, 1, D("24990.00"), "b-1", entry), T0 + 1_000_000)
    assert rig.engine.order(stop_loss).status is OrderStatus.WORKING
    assert rig.trade(NQ, "24970.00", at=5) == ()  # the stop works at the broker, not here
    rig.engine.execute(BookBrokerFill(ACC, NQ, SELL, 1, D("25010.00"), "b-2", take_profit), T0 + 9_000_000)
    assert rig.engine.order(take_profit).status is OrderStatus.FILLED
    assert rig.engine.order(stop_loss).status is OrderStatus.CANCELLED
    assert rig.engine.position(ACC, NQ).net_qty == 0


def test_a_routed_order_is_cancelled_by_command_and_routing_off_trades_on_paper_again() -> None:
    rig = routed()
    order_id = rig.submit(NQ, BUY, 1, LMT, limit="24990.00")
    rig.engine.execute(CancelOrder(ACC, order_id), T0 + 1_000_000)
    assert rig.engine.order(order_id).status is OrderStatus.CANCELLED
    rig.engine.route_to_broker(ACC, False)
    paper = rig.submit(NQ, BUY, 1, at=10)
    assert rig.engine.order(paper).status is OrderStatus.PENDING  # the simulated latency again
    assert fills(rig.quote(NQ, "25000.00", "25000.25", at=200)) == [(paper, 1, ticks(NQ, "25000.25"))]
