"""Reduce-only exits: bracket children, CLOSE orders and flagged orders only ever reduce their position."""

from __future__ import annotations

import pytest

from core_server.execution.commands import (
    CancelOrder,
    ClosePosition,
    ModifyOrder,
    ReversePosition,
    SubmitOcoPair,
    SubmitOrder,
)
from core_server.execution.events import OrderAccepted, OrderCancelled, OrderModified
from core_server.execution.model import CancelReason, ModifyCause, OrderStatus
from core_server.model.errors import FailedPrecondition
from tests.unit.execution.execution_kit import (
    ACC,
    BUY,
    ES,
    LMT,
    MKT,
    MS,
    SELL,
    STP,
    T0,
    TICKS,
    D,
    Rig,
    fills,
    ticks,
)


def cancelled(events: tuple[object, ...]) -> list[tuple[str, CancelReason]]:
    return [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)]


def resized(events: tuple[object, ...]) -> list[tuple[str, int, ModifyCause]]:
    return [(e.order_id, e.quantity, e.cause) for e in events if isinstance(e, OrderModified)]


def short_one(rig: Rig) -> None:
    rig.quote(ES, "6000.00", "6000.25", at=0)
    rig.submit(ES, SELL, 1, at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    assert rig.engine.position(ACC, ES).net_qty == -1


def long_n(rig: Rig, n: int) -> None:
    rig.quote(ES, "6000.00", "6000.25", at=0)
    rig.submit(ES, BUY, n, at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    assert rig.engine.position(ACC, ES).net_qty == n


def test_a_bracket_that_merely_closes_an_opposite_position_leaves_no_exit_working() -> None:
    rig = Rig()
    short_one(rig)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl="5995.00", tp="6010.00", at=200)
    events = rig.quote(ES, "6000.00", "6000.25", at=300)
    assert rig.engine.order(entry).status is OrderStatus.FILLED
    assert rig.engine.position(ACC, ES).is_flat
    assert cancelled(events) == [(sl, CancelReason.POSITION_FLAT), (tp, CancelReason.POSITION_FLAT)]
    assert not rig.engine.open_orders(ACC, ES)
    for at, (bid, ask) in enumerate((("5994.75", "5995.00"), ("5990.00", "5990.25"), ("6011.00", "6011.25"))):
        rig.quote(ES, bid, ask, at=400 + 100 * at)
        rig.trade(ES, bid, at=450 + 100 * at)
    assert rig.engine.position(ACC, ES).is_flat
    # sold 6000.00, bought back 6000.25: -1 tick x $12.50, two sides of $2.50
    assert rig.balance() == D("49982.50")


def test_the_flip_part_of_a_bracket_is_protected_and_only_that() -> None:
    rig = Rig()
    short_one(rig)
    entry, sl, tp = rig.bracket(ES, BUY, 2, MKT, None, sl="5995.00", tp="6010.00", at=200)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    assert rig.engine.position(ACC, ES).net_qty == 1
    assert [(rig.engine.order(o).status, rig.engine.order(o).quantity) for o in (sl, tp)] == [
        (OrderStatus.WORKING, 1),
        (OrderStatus.WORKING, 1),
    ]
    events = rig.quote(ES, "5994.75", "5995.00", at=400)  # the stop sells the one long, the target goes with it
    assert fills(events) == [(sl, 1, ticks(ES, "5994.75"))]
    assert cancelled(events) == [(tp, CancelReason.OCO)]
    assert rig.engine.position(ACC, ES).is_flat and not rig.engine.open_orders(ACC, ES)


def test_partial_entry_fills_first_close_the_short_then_grow_the_exits_never_beyond_the_position() -> None:
    rig = Rig(fill={"partial_fills": True})
    short_one(rig)
    entry, sl, tp = rig.bracket(ES, BUY, 3, LMT, "5999.00", sl=TICKS(8), tp=TICKS(16), at=200)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    rig.trade(ES, "5998.75", at=400, size=1)  # buys back the short: nothing to protect yet
    assert rig.engine.position(ACC, ES).is_flat
    assert [rig.engine.order(o).status for o in (sl, tp)] == [OrderStatus.HELD, OrderStatus.HELD]
    rig.trade(ES, "5998.75", at=500, size=1)
    assert rig.engine.position(ACC, ES).net_qty == 1
    assert [(rig.engine.order(o).status, rig.engine.order(o).quantity) for o in (sl, tp)] == [
        (OrderStatus.WORKING, 1),
        (OrderStatus.WORKING, 1),
    ]
    assert (rig.engine.order(sl).stop_price, rig.engine.order(tp).limit_price) == (
        ticks(ES, "5997.00"),
        ticks(ES, "6003.00"),
    )
    events = rig.trade(ES, "5998.75", at=600, size=5)
    assert rig.engine.position(ACC, ES).net_qty == 2
    assert resized(events) == [(sl, 2, ModifyCause.LINKED), (tp, 2, ModifyCause.LINKED)]
    events = rig.trade(ES, "6003.25", at=700, size=1)  # the target takes one; the stop follows
    assert fills(events) == [(tp, 1, ticks(ES, "6003.00"))]
    assert rig.engine.order(sl).quantity == 1 and rig.engine.position(ACC, ES).net_qty == 1
    rig.trade(ES, "6003.25", at=800, size=5)
    assert rig.engine.position(ACC, ES).is_flat and not rig.engine.open_orders(ACC, ES)


def test_an_entry_that_ends_after_only_closing_the_opposite_side_cancels_its_held_exits() -> None:
    rig = Rig(fill={"partial_fills": True})
    short_one(rig)
    entry, sl, tp = rig.bracket(ES, BUY, 3, LMT, "5999.00", sl=TICKS(8), tp=TICKS(16), at=200)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    rig.trade(ES, "5998.75", at=400, size=1)
    events = rig.engine.execute(CancelOrder(ACC, entry), T0 + 500 * MS)
    assert cancelled(events) == [
        (entry, CancelReason.REQUESTED),
        (sl, CancelReason.POSITION_FLAT),
        (tp, CancelReason.POSITION_FLAT),
    ]


def test_a_reduce_only_order_larger_than_the_position_is_cut_to_it_and_never_flips() -> None:
    rig = Rig()
    long_n(rig, 2)
    order = rig.submit(ES, SELL, 3, at=200, reduce_only=True)
    placed = rig.engine.order(order)
    assert (placed.quantity, placed.reduce_only) == (2, True)
    events = rig.quote(ES, "6000.00", "6000.25", at=300)
    assert fills(events) == [(order, 2, ticks(ES, "6000.00"))]
    assert rig.engine.position(ACC, ES).is_flat


def test_a_reduce_only_order_with_nothing_to_reduce_is_refused_and_changes_nothing() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    before = rig.engine.snapshot()
    with pytest.raises(FailedPrecondition, match="nothing to reduce: account acc-1 is flat in ESM2026"):
        rig.submit(ES, SELL, 1, at=0, reduce_only=True)
    assert rig.engine.snapshot() == before
    long_n(rig, 1)
    with pytest.raises(FailedPrecondition, match="reduce-only buy has nothing to reduce: account acc-1 is long 1"):
        rig.submit(ES, BUY, 1, at=200, reduce_only=True)
    first = SubmitOrder(ACC, ES, SELL, 1, LMT, limit_price=D("6010.00"), reduce_only=True)
    wrong = SubmitOrder(ACC, ES, BUY, 1, STP, stop_price=D("6010.00"), reduce_only=True)
    with pytest.raises(FailedPrecondition, match="second leg: a reduce-only buy"):
        rig.engine.execute(SubmitOcoPair(first, wrong), T0 + 300 * MS)


def test_reduce_only_orders_are_cut_when_the_position_shrinks_and_cancelled_when_it_is_flat() -> None:
    rig = Rig()
    long_n(rig, 3)
    target = rig.submit(ES, SELL, 3, LMT, at=200, limit="6010.00", reduce_only=True)
    protect = rig.submit(ES, SELL, 3, STP, at=200, stop="5990.00", reduce_only=True)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    rig.submit(ES, SELL, 2, at=400)  # a plain sell takes two off
    events = rig.quote(ES, "6000.00", "6000.25", at=500)
    assert resized(events) == [(target, 1, ModifyCause.REDUCE_ONLY), (protect, 1, ModifyCause.REDUCE_ONLY)]
    rig.submit(ES, SELL, 1, at=600)
    events = rig.quote(ES, "6000.00", "6000.25", at=700)
    assert cancelled(events) == [(target, CancelReason.POSITION_FLAT), (protect, CancelReason.POSITION_FLAT)]
    rig.quote(ES, "5989.00", "5989.25", at=800)
    assert rig.engine.position(ACC, ES).is_flat


def test_two_reduce_only_orders_racing_for_the_same_contracts_fill_only_the_position() -> None:
    rig = Rig()
    long_n(rig, 2)
    first = rig.submit(ES, SELL, 2, LMT, at=200, limit="6005.00", reduce_only=True)
    second = rig.submit(ES, SELL, 2, LMT, at=200, limit="6005.00", reduce_only=True)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    events = rig.trade(ES, "6005.25", at=400, size=10)
    assert fills(events) == [(first, 2, ticks(ES, "6005.00"))]
    assert cancelled(events) == [(second, CancelReason.POSITION_FLAT)]
    assert rig.engine.position(ACC, ES).is_flat


def test_reduce_only_oco_legs_protect_a_position_and_go_when_it_is_closed_by_hand() -> None:
    rig = Rig()
    long_n(rig, 1)
    pair = SubmitOcoPair(
        SubmitOrder(ACC, ES, SELL, 1, LMT, limit_price=D("6010.00"), reduce_only=True),
        SubmitOrder(ACC, ES, SELL, 1, STP, stop_price=D("5990.00"), reduce_only=True),
    )
    first, second = (e.order.order_id for e in rig.engine.execute(pair, T0 + 200 * MS) if isinstance(e, OrderAccepted))
    assert rig.engine.order(first).reduce_only and rig.engine.order(second).reduce_only
    rig.quote(ES, "6000.00", "6000.25", at=300)
    rig.submit(ES, SELL, 1, at=400)
    events = rig.quote(ES, "6000.00", "6000.25", at=500)
    assert cancelled(events) == [(first, CancelReason.POSITION_FLAT), (second, CancelReason.POSITION_FLAT)]


def test_modifying_a_reduce_only_order_larger_cuts_it_to_the_position() -> None:
    rig = Rig()
    long_n(rig, 2)
    order = rig.submit(ES, SELL, 1, LMT, at=200, limit="6010.00", reduce_only=True)
    rig.engine.execute(ModifyOrder(ACC, order, quantity=5), T0 + 300 * MS)
    assert rig.engine.order(order).quantity == 2


def test_close_orders_are_reduce_only_and_reverse_orders_are_not() -> None:
    rig = Rig()
    long_n(rig, 1)
    close = next(
        e.order for e in rig.engine.execute(ClosePosition(ACC, ES), T0 + 200 * MS) if isinstance(e, OrderAccepted)
    )
    assert close.reduce_only
    rig.quote(ES, "6000.00", "6000.25", at=300)
    long_n(rig, 1)
    reverse = next(
        e.order for e in rig.engine.execute(ReversePosition(ACC, ES), T0 + 400 * MS) if isinstance(e, OrderAccepted)
    )
    assert not reverse.reduce_only and reverse.quantity == 2


def test_mnq_bracket_against_a_short_of_two_protects_only_the_one_it_opens() -> None:
    mnq = "MNQM2026"
    rig = Rig()
    rig.quote(mnq, "21000.00", "21000.25", at=0)
    rig.submit(mnq, SELL, 2, at=0)
    rig.quote(mnq, "21000.00", "21000.25", at=100)  # short 2 at 21000.00
    entry, sl, tp = rig.bracket(mnq, BUY, 3, MKT, None, sl=TICKS(20), tp=TICKS(40), at=200)
    rig.quote(mnq, "21000.00", "21000.25", at=300)  # bought 3 at 21000.25: long 1
    assert rig.engine.position(ACC, mnq).net_qty == 1
    assert [(rig.engine.order(o).quantity, rig.engine.order(o).status) for o in (sl, tp)] == [
        (1, OrderStatus.WORKING),
        (1, OrderStatus.WORKING),
    ]
    assert (rig.engine.order(sl).stop_price, rig.engine.order(tp).limit_price) == (
        ticks(mnq, "20995.25"),
        ticks(mnq, "21010.25"),
    )
    events = rig.trade(mnq, "21010.50", at=400)
    assert fills(events) == [(tp, 1, ticks(mnq, "21010.25"))]
    assert rig.engine.position(ACC, mnq).is_flat and not rig.engine.open_orders(ACC, mnq)
    # short 2 bought back 1 tick worse: -2 x $0.50; the long 1 made 40 ticks: +$20.00; 6 contracts x $2.50
    assert rig.balance() == D("50004.00")


def test_a_restored_engine_keeps_cutting_and_cancelling_its_reduce_only_orders() -> None:
    rig = Rig()
    long_n(rig, 2)
    order = rig.submit(ES, SELL, 2, LMT, at=200, limit="6010.00", reduce_only=True)
    rig.quote(ES, "6000.00", "6000.25", at=300)
    restored = Rig()
    restored.engine.restore(rig.engine.snapshot())
    restored.quote(ES, "6000.00", "6000.25", at=300)
    restored.submit(ES, SELL, 2, at=400)
    events = restored.quote(ES, "6000.00", "6000.25", at=500)
    assert cancelled(events) == [(order, CancelReason.POSITION_FLAT)]
