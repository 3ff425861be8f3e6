"""Bracket exits measured from the entry's fill (ticks, points, R), checked at fill time, bounded, and modifiable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core_server.execution.commands import ModifyOrder, SubmitBracket
from core_server.execution.events import OrderAccepted, OrderCancelled, OrderModified, OrderWorking
from core_server.execution.model import CancelReason, ModifyCause, OrderRole, OrderStatus
from core_server.model.errors import InvalidArgument
from tests.unit.execution.execution_kit import (
    ACC,
    BUY,
    ES,
    LMT,
    MKT,
    MS,
    NQ,
    POINTS,
    SELL,
    STP,
    T0,
    TICKS,
    D,
    R,
    Rig,
    fills,
    level,
    ticks,
)


def cancelled(events: tuple[object, ...]) -> list[tuple[str, CancelReason]]:
    return [(e.order_id, e.reason) for e in events if isinstance(e, OrderCancelled)]


def prices(rig: Rig, sl: str, tp: str) -> tuple[int | None, int | None]:
    return rig.engine.order(sl).stop_price, rig.engine.order(tp).limit_price  # type: ignore[arg-type]


def test_tick_distances_are_measured_from_the_market_entrys_fill_including_slippage() -> None:
    rig = Rig(fill={"max_slippage_ticks": 2, "seed": 1})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl=TICKS(20), tp=TICKS(40), at=0)
    assert prices(rig, sl, tp) == (None, None)  # set when the entry fills
    events = rig.quote(ES, "6000.00", "6000.25", at=100)
    assert fills(events) == [(entry, 1, ticks(ES, "6000.75"))]  # this seed slips the fill 2 ticks
    assert prices(rig, sl, tp) == (ticks(ES, "5995.75"), ticks(ES, "6010.75"))
    working = [(e.order_id, e.quantity) for e in events if isinstance(e, OrderWorking)]
    assert working == [(entry, 1), (sl, 1), (tp, 1)]


def test_a_marketable_limit_entry_measures_from_its_fill_not_from_its_limit() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, LMT, "6005.00", sl=TICKS(20), tp=TICKS(40), at=0)
    events = rig.quote(ES, "6000.00", "6000.25", at=100)
    assert fills(events) == [(entry, 1, ticks(ES, "6000.25"))]
    assert prices(rig, sl, tp) == (ticks(ES, "5995.25"), ticks(ES, "6010.25"))
    events = rig.quote(ES, "5995.00", "5995.25", at=200)
    assert fills(events) == [(sl, 1, ticks(ES, "5995.00"))]
    assert rig.balance() == D("49732.50")  # bought 6000.25, sold 5995.00: 21 ticks x $12.50 + 2 x $2.50


def test_short_points_stop_and_r_target_on_nq() -> None:
    rig = Rig()
    rig.quote(NQ, "21000.00", "21000.25", at=0)
    entry, sl, tp = rig.bracket(NQ, SELL, 2, MKT, None, sl=POINTS("10"), tp=R("1.5"), at=0)
    assert rig.engine.order(tp).target_r == Decimal("1.5") and rig.engine.order(sl).offset_ticks == 40
    rig.quote(NQ, "21002.00", "21002.25", at=100)  # sold 2 at the bid 21002.00
    assert prices(rig, sl, tp) == (ticks(NQ, "21012.00"), ticks(NQ, "20987.00"))
    events = rig.quote(NQ, "20986.50", "20986.75", at=200)
    assert fills(events) == [(tp, 2, ticks(NQ, "20987.00"))]
    # 15 points x $20 x 2 = $600, commissions 4 x $2.50
    assert rig.balance() == D("50590.00")


def test_partial_fills_anchor_on_the_first_fill_and_re_anchor_on_the_new_average() -> None:
    rig = Rig(fill={"partial_fills": True})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 3, MKT, None, sl=TICKS(8), tp=TICKS(16), at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100, ask_size=1)  # 1 @ 6000.25
    assert prices(rig, sl, tp) == (ticks(ES, "5998.25"), ticks(ES, "6004.25"))
    events = rig.quote(ES, "6000.25", "6000.50", at=200, ask_size=5)  # 2 @ 6000.50: average 6000.41666...
    modified = [(e.order_id, e.quantity, e.stop_price, e.limit_price, e.cause) for e in events
                if isinstance(e, OrderModified)]  # fmt: skip
    # stop 8 ticks under the average rounds down (away from the entry: it stays), target 16 over rounds up
    assert modified == [
        (sl, 3, ticks(ES, "5998.25"), None, ModifyCause.LINKED),
        (tp, 3, None, ticks(ES, "6004.50"), ModifyCause.ANCHORED),
    ]
    assert rig.engine.position(ACC, ES).net_qty == 3


def test_an_absolute_stop_already_hit_by_the_fill_exits_the_trade_at_market_at_once() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl="5995.00", tp="6010.00", at=0)
    events = rig.quote(ES, "5994.00", "5994.25", at=100)  # the market fell through the stop before arrival
    assert cancelled(events) == [(sl, CancelReason.STOP_THROUGH), (tp, CancelReason.BRACKET)]
    (close,) = [e.order for e in events if isinstance(e, OrderAccepted)]
    assert (close.role, close.side, close.quantity, close.reduce_only) == (OrderRole.CLOSE, SELL, 1, True)
    assert fills(events) == [(entry, 1, ticks(ES, "5994.25")), (close.order_id, 1, ticks(ES, "5994.00"))]
    assert rig.engine.position(ACC, ES).is_flat and not rig.engine.open_orders(ACC, ES)
    assert rig.balance() == D("49982.50")  # 1 tick x $12.50 and two sides of $2.50


def test_a_target_already_through_at_the_fill_fills_as_a_marketable_limit() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl="5995.00", tp="6010.00", at=0)
    events = rig.quote(ES, "6012.00", "6012.25", at=100)  # the market jumped past the target
    assert fills(events) == [(entry, 1, ticks(ES, "6012.25")), (tp, 1, ticks(ES, "6012.00"))]
    assert cancelled(events) == [(sl, CancelReason.OCO)]
    assert rig.balance() == D("49982.50")


def test_a_short_stop_entry_with_an_r_target_anchors_on_its_triggered_fill() -> None:
    rig = Rig(fill={"max_slippage_ticks": 2, "seed": 1})
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, SELL, 1, STP, "5998.00", sl="6003.00", tp=R("2"), at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.quote(ES, "5997.75", "5998.00", at=200)
    ((_, _, fill),) = fills(events)
    assert fill <= ticks(ES, "5997.75")
    risk = ticks(ES, "6003.00") - fill
    assert prices(rig, sl, tp) == (ticks(ES, "6003.00"), fill - 2 * risk)


@pytest.mark.parametrize(
    ("sl", "tp", "field", "reason"),
    [
        (TICKS("1000000000"), TICKS(40), "stop_loss", "250000000 points is beyond the 600-point bound for ES"),
        ("4000.00", TICKS(40), "stop_loss", "more than 600 points from the entry"),
        (TICKS(20), "9000.00", "take_profit", "more than 600 points from the entry"),
        (TICKS("20.5"), TICKS(40), "stop_loss", "whole number of ticks"),
        (POINTS("2.1"), TICKS(40), "stop_loss", "not a multiple of the ES tick"),
        (R("1"), TICKS(40), "stop_loss", "R measures from the stop-loss"),
        (TICKS(20), R("1000"), "take_profit", "beyond the 100R ceiling"),
        (TICKS(2000), R("2"), "take_profit", "2R of a 500-point risk is beyond the 600-point bound"),
        (TICKS(0), TICKS(40), "stop_loss", "must be positive"),
        ("6001.00", TICKS(40), "stop_loss", "must be below the entry 6000.25"),
    ],
)
def test_absurd_or_wrong_sided_exits_are_refused_naming_the_field(sl: str, tp: str, field: str, reason: str) -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    before = rig.engine.snapshot()
    command = SubmitBracket(ACC, ES, BUY, 1, MKT, level(sl), level(tp))
    with pytest.raises(InvalidArgument) as caught:
        rig.engine.execute(command, T0)
    assert caught.value.field == field and reason in caught.value.reason
    assert rig.engine.snapshot() == before


def test_moving_the_stop_keeps_the_bracket_linked_so_the_target_still_cancels_it() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl=TICKS(20), tp=TICKS(40), at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.engine.execute(ModifyOrder(ACC, sl, stop_price=D("5998.00")), T0 + 200 * MS)
    modified = [(e.order_id, e.stop_price, e.cause) for e in events if isinstance(e, OrderModified)]
    assert modified == [(sl, ticks(ES, "5998.00"), ModifyCause.REQUESTED)]
    assert rig.engine.order(sl).offset_ticks is None  # placed by hand: absolute from now on
    events = rig.trade(ES, "6010.50", at=300)
    assert fills(events) == [(tp, 1, ticks(ES, "6010.25"))]
    assert cancelled(events) == [(sl, CancelReason.OCO)]


def test_moving_the_target_keeps_the_bracket_linked_so_the_stop_still_cancels_it() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl=TICKS(20), tp=TICKS(40), at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    rig.engine.execute(ModifyOrder(ACC, tp, limit_price=D("6020.00")), T0 + 200 * MS)
    events = rig.quote(ES, "5995.00", "5995.25", at=300)
    assert fills(events) == [(sl, 1, ticks(ES, "5995.00"))]
    assert cancelled(events) == [(tp, CancelReason.OCO)]
    assert rig.engine.order(tp).limit_price == ticks(ES, "6020.00")


def test_a_held_distance_leg_moved_by_hand_keeps_its_price_when_the_entry_fills() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, LMT, "5999.00", sl=TICKS(20), tp=TICKS(40), at=0)
    rig.engine.execute(ModifyOrder(ACC, sl, stop_price=D("5990.00")), T0 + 10 * MS)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    rig.trade(ES, "5998.75", at=200)
    assert rig.engine.order(entry).status is OrderStatus.FILLED
    assert prices(rig, sl, tp) == (ticks(ES, "5990.00"), ticks(ES, "6009.00"))


def test_a_moved_leg_is_bounded_too() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, MKT, None, sl=TICKS(20), tp=TICKS(40), at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    with pytest.raises(InvalidArgument) as caught:
        rig.engine.execute(ModifyOrder(ACC, tp, limit_price=D("9000.00")), T0 + 200 * MS)
    assert caught.value.field == "limit_price"
