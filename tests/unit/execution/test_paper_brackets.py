"""Brackets (children activate on the entry's fills, one-cancels-other), OCO pairs and batches of brackets."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.commands import CancelOrder, SubmitBracket, SubmitBracketBatch, SubmitOcoPair, SubmitOrder
from core_server.execution.events import OrderAccepted, OrderCancelled, OrderModified, OrderWorking
from core_server.execution.model import CancelReason, OrderRole, OrderStatus, OrderType
from tests.unit.execution.execution_kit import (
    ACC,
    BUY,
    ES,
    LMT,
    MES,
    MKT,
    MS,
    NQ,
    SELL,
    STP,
    T0,
    D,
    Rig,
    fills,
    kinds,
    ticks,
)


def status(rig: Rig, order_id: str) -> OrderStatus:
    return rig.engine.order(order_id).status  # type: ignore[arg-type]


def test_long_limit_bracket_activates_children_on_the_entry_fill_and_the_target_cancels_the_stop() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, LMT, "5990.00", sl="5985.00", tp="6000.00", at=0)
    assert [status(rig, o) for o in (entry, sl, tp)] == [OrderStatus.PENDING, OrderStatus.HELD, OrderStatus.HELD]
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.trade(ES, "5989.75", at=200)
    assert fills(events) == [(entry, 1, ticks(ES, "5990.00"))]
    working = [e for e in events if isinstance(e, OrderWorking)]
    assert [(e.order_id, e.quantity) for e in working] == [(sl, 1), (tp, 1)]
    assert rig.engine.order(sl).stop_price == ticks(ES, "5985.00") and rig.engine.order(sl).side is SELL
    events = rig.trade(ES, "6000.25", at=300)
    assert fills(events) == [(tp, 1, ticks(ES, "6000.00"))]
    cancelled = [e for e in events if isinstance(e, OrderCancelled)]
    assert [(e.order_id, e.reason) for e in cancelled] == [(sl, CancelReason.OCO)]
    assert rig.balance() == D("50495.00")  # 10 points x $50 - 2 x $2.50


def test_short_market_bracket_on_nq_stopped_out_on_two_contracts_loses_410_net() -> None:
    rig = Rig()
    rig.quote(NQ, "21000.00", "21000.25", at=0)
    entry, sl, tp = rig.bracket(NQ, SELL, 2, MKT, None, sl="21010.00", tp="20980.00", at=0)
    assert fills(rig.quote(NQ, "21000.00", "21000.25", at=100)) == [(entry, 2, ticks(NQ, "21000.00"))]
    assert rig.quote(NQ, "21009.50", "21009.75", at=200) is not None
    events = rig.quote(NQ, "21009.75", "21010.00", at=300)
    assert kinds(events)[:2] == ["OrderTriggered", "OrderFilled"]
    assert fills(events) == [(sl, 2, ticks(NQ, "21010.00"))]
    assert status(rig, tp) is OrderStatus.CANCELLED
    account = rig.engine.account(ACC)
    assert (account.realised_pnl, account.commissions, account.balance) == (D("-400.00"), D("10.00"), D("49590.00"))


def test_stop_entry_bracket_on_mes() -> None:
    rig = Rig()
    rig.quote(MES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(MES, BUY, 1, STP, "6002.00", sl="5999.00", tp="6008.00", at=0)
    rig.quote(MES, "6000.00", "6000.25", at=100)
    events = rig.quote(MES, "6001.75", "6002.00", at=200)
    assert fills(events) == [(entry, 1, ticks(MES, "6002.00"))]
    assert fills(rig.trade(MES, "6008.25", at=300)) == [(tp, 1, ticks(MES, "6008.00"))]
    assert rig.balance() == D("50025.00")  # 6 points x $5 - $5


def test_cancelling_an_unfilled_entry_cancels_its_held_children() -> None:
    rig = Rig()
    entry, sl, tp = rig.bracket(ES, BUY, 1, LMT, "5990.00", sl="5985.00", tp="6000.00", at=0)
    events = rig.engine.execute(CancelOrder(ACC, entry), T0 + 50 * MS)
    assert [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)] == [
        (entry, CancelReason.REQUESTED),
        (sl, CancelReason.BRACKET),
        (tp, CancelReason.BRACKET),
    ]


def test_partial_entry_fills_grow_the_children_and_a_child_fill_cancels_the_entry_remainder() -> None:
    rig = Rig(fill={"partial_fills": True})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 3, LMT, "5990.00", sl="5985.00", tp="6000.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    rig.trade(ES, "5989.75", at=200, size=1)
    assert [rig.engine.order(o).quantity for o in (sl, tp)] == [1, 1]
    events = rig.trade(ES, "5989.75", at=300, size=1)
    grown = [(e.order_id, e.quantity) for e in events if isinstance(e, OrderModified)]
    assert grown == [(sl, 2), (tp, 2)]
    events = rig.trade(ES, "6000.25", at=400, size=1)  # the target takes one of the two
    assert fills(events) == [(tp, 1, ticks(ES, "6000.00"))]
    assert [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)] == [(entry, CancelReason.BRACKET)]
    assert [(e.order_id, e.quantity) for e in events if isinstance(e, OrderModified)] == [(sl, 1)]
    assert rig.engine.position(ACC, ES).net_qty == 1
    events = rig.trade(ES, "6000.25", at=500, size=5)
    assert fills(events) == [(tp, 1, ticks(ES, "6000.00"))]
    assert status(rig, sl) is OrderStatus.CANCELLED and rig.engine.position(ACC, ES).is_flat


def test_oco_pair_fill_of_one_leg_cancels_the_other() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    target = SubmitOrder(ACC, ES, SELL, 1, LMT, limit_price=D("6010.00"))
    protect = SubmitOrder(ACC, ES, SELL, 1, STP, stop_price=D("5990.00"))
    events = rig.engine.execute(SubmitOcoPair(target, protect), T0)
    first, second = (e.order.order_id for e in events if isinstance(e, OrderAccepted))
    assert rig.engine.order(first).linked_ids == (second,) and rig.engine.order(first).role is OrderRole.OCO
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.quote(ES, "6010.25", "6010.50", at=200)
    assert fills(events) == [(first, 1, ticks(ES, "6010.00"))]
    assert [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)] == [(second, CancelReason.OCO)]


def test_oco_partial_fill_shrinks_the_other_leg() -> None:
    rig = Rig(fill={"partial_fills": True})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    pair = SubmitOcoPair(
        SubmitOrder(ACC, ES, BUY, 3, LMT, limit_price=D("5990.00")),
        SubmitOrder(ACC, ES, BUY, 3, STP, stop_price=D("6010.00")),
    )
    first, second = (e.order.order_id for e in rig.engine.execute(pair, T0) if isinstance(e, OrderAccepted))
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.trade(ES, "5989.75", at=200, size=2)
    assert [(e.order_id, e.quantity) for e in events if isinstance(e, OrderModified)] == [(second, 1)]
    rig.trade(ES, "5989.75", at=300, size=5)
    assert status(rig, second) is OrderStatus.CANCELLED and rig.engine.position(ACC, ES).net_qty == 3


def test_first_hour_breakout_batch_places_ten_brackets_at_the_specs_prices() -> None:
    high, low = Decimal("6774.25"), Decimal("6772.50")
    offsets = [Decimal(9 * k) for k in range(1, 6)]
    sells = [
        SubmitBracket(ACC, ES, SELL, 1, OrderType.LIMIT, high + o + 5, high + o - 5, entry_price=high + o)
        for o in offsets
    ]
    buys = [
        SubmitBracket(ACC, ES, BUY, 1, OrderType.LIMIT, low - o - 5, low - o + 5, entry_price=low - o) for o in offsets
    ]
    rig = Rig()
    rig.quote(ES, "6773.00", "6773.25", at=0)
    events = rig.engine.execute(SubmitBracketBatch(tuple(sells + buys)), T0)
    accepted = [e.order for e in events if isinstance(e, OrderAccepted)]
    assert len(accepted) == 30
    entries = [o for o in accepted if o.role is OrderRole.BRACKET_ENTRY]
    prices = [ES_SPEC_FORMAT(o.limit_price) for o in entries]
    assert prices[:5] == ["6783.25", "6792.25", "6801.25", "6810.25", "6819.25"]
    assert prices[5:] == ["6763.50", "6754.50", "6745.50", "6736.50", "6727.50"]
    rig.quote(ES, "6773.00", "6773.25", at=100)
    events = rig.quote(ES, "6783.50", "6783.75", at=200)  # the bid goes through the first sell
    first_sell = entries[0]
    assert fills(events) == [(first_sell.order_id, 1, ticks(ES, "6783.25"))]
    children = [rig.engine.order(o.order_id) for o in accepted[1:3]]
    assert [(c.role, c.status, c.side) for c in children] == [
        (OrderRole.STOP_LOSS, OrderStatus.WORKING, BUY),
        (OrderRole.TAKE_PROFIT, OrderStatus.WORKING, BUY),
    ]
    assert (children[0].stop_price, children[1].limit_price) == (ticks(ES, "6788.25"), ticks(ES, "6778.25"))
    assert fills(rig.trade(ES, "6778.00", at=300)) == [(children[1].order_id, 1, ticks(ES, "6778.25"))]
    assert rig.balance() == D("50245.00")  # 5 points x $50 - $5


def ES_SPEC_FORMAT(ticks_value: int | None) -> str:
    from core_server.model.instruments import INSTRUMENTS

    assert ticks_value is not None
    return INSTRUMENTS["ES"].format_ticks(ticks_value)
