"""Modify, cancel, cancel-all, close, flatten, reverse, reset, several accounts and the pre-trade check hook."""

from __future__ import annotations

from core_server.execution.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    FlattenAccount,
    ModifyOrder,
    OpenAccount,
    ResetAccount,
    ReversePosition,
    SubmitBracket,
)
from core_server.execution.events import (
    AccountBalanceChanged,
    AccountReset,
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderModified,
    PositionChanged,
)
from core_server.execution.model import AccountId, CancelReason, Order, OrderRole, OrderStatus, OrderType
from core_server.execution.ports import ExecutionView
from tests.unit.execution.execution_kit import (
    ACC,
    BUY,
    ES,
    LMT,
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


def at(ms: int) -> int:
    return T0 + ms * MS


def long_es(rig: Rig, qty: int = 2) -> None:
    rig.quote(ES, "5999.75", "6000.00", at=0)
    rig.submit(ES, BUY, qty, at=0)
    rig.quote(ES, "5999.75", "6000.00", at=100)


def test_modify_moves_a_resting_limit_and_it_fills_at_the_new_price() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.engine.execute(ModifyOrder(ACC, order, quantity=2, limit_price=D("5995.00")), at(150))
    assert events == (OrderModified(ACC, order, 2, ticks(ES, "5995.00"), None, at(150)),)
    assert fills(rig.trade(ES, "5994.75", at=200)) == [(order, 2, ticks(ES, "5995.00"))]


def test_modifying_a_limit_to_a_marketable_price_fills_it_at_once() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)
    events = rig.engine.execute(ModifyOrder(ACC, order, limit_price=D("6000.50")), at(150))
    assert kinds(events)[:2] == ["OrderModified", "OrderFilled"]
    assert fills(events) == [(order, 1, ticks(ES, "6000.25"))]


def test_modify_a_stop_loss_child_to_break_even() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    entry, sl, tp = rig.bracket(ES, BUY, 1, OrderType.MARKET, None, sl="5990.00", tp="6010.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=100)  # bought at 6000.25
    rig.quote(ES, "6004.00", "6004.25", at=120)
    rig.engine.execute(ModifyOrder(ACC, sl, stop_price=D("6000.25")), at(150))
    assert fills(rig.quote(ES, "6000.25", "6000.50", at=300)) == [(sl, 1, ticks(ES, "6000.25"))]
    assert rig.engine.account(ACC).realised_pnl == 0


def test_cancel_stops_a_resting_order_from_filling() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    events = rig.engine.execute(CancelOrder(ACC, order), at(150))
    assert events == (OrderCancelled(ACC, order, CancelReason.REQUESTED, at(150)),)
    assert rig.trade(ES, "5980.00", at=200) == ()


def test_cancel_all_per_contract_and_for_the_whole_account() -> None:
    rig = Rig()
    es_order = rig.submit(ES, BUY, 1, LMT, limit="5990.00", at=0)
    nq_order = rig.submit(NQ, BUY, 1, LMT, limit="20000.00", at=0)
    events = rig.engine.execute(CancelAllOrders(ACC, ES), at(10))
    assert [e.order_id for e in events if isinstance(e, OrderCancelled)] == [es_order]
    assert rig.engine.order(nq_order).is_open
    events = rig.engine.execute(CancelAllOrders(ACC), at(20))
    assert [e.order_id for e in events if isinstance(e, OrderCancelled)] == [nq_order]
    assert rig.engine.execute(CancelAllOrders(ACC), at(30)) == ()


def test_close_position_cancels_the_contracts_orders_and_sells_the_net_quantity_at_market() -> None:
    rig = Rig()
    long_es(rig)
    target = rig.submit(ES, SELL, 2, LMT, limit="6010.00", at=150)
    events = rig.engine.execute(ClosePosition(ACC, ES), at(200))
    assert kinds(events) == ["OrderCancelled", "OrderAccepted"]
    assert events[0] == OrderCancelled(ACC, target, CancelReason.CLOSE, at(200))
    close = events[1]
    assert isinstance(close, OrderAccepted)
    assert (close.order.side, close.order.quantity, close.order.role) == (SELL, 2, OrderRole.CLOSE)
    assert fills(rig.quote(ES, "6002.00", "6002.25", at=300)) == [(close.order.order_id, 2, ticks(ES, "6002.00"))]
    assert rig.engine.position(ACC, ES).is_flat
    assert rig.balance() == D("50000") + D("200.00") - D("10.00")


def test_flatten_cancels_everything_and_closes_every_position() -> None:
    rig = Rig()
    long_es(rig, 1)
    rig.quote(NQ, "21000.00", "21000.25", at=0)
    rig.submit(NQ, SELL, 3, at=0)
    rig.quote(NQ, "21000.00", "21000.25", at=100)
    rig.submit(NQ, SELL, 1, LMT, limit="21100.00", at=120)
    events = rig.engine.execute(FlattenAccount(ACC), at(200))
    assert kinds(events) == ["OrderCancelled", "OrderAccepted", "OrderAccepted"]
    rig.quote(ES, "6000.00", "6000.25", at=300)
    rig.quote(NQ, "20999.75", "21000.00", at=300)
    assert all(p.is_flat for p in rig.engine.positions(ACC))
    assert rig.engine.open_orders(ACC) == ()
    assert rig.engine.account(ACC).realised_pnl == 0  # ES 0 points, NQ 0 points


def test_reverse_turns_a_long_into_a_short_of_the_same_size() -> None:
    rig = Rig()
    long_es(rig, 2)
    events = rig.engine.execute(ReversePosition(ACC, ES), at(200))
    order = events[-1]
    assert isinstance(order, OrderAccepted) and (order.order.quantity, order.order.role) == (4, OrderRole.REVERSE)
    events = rig.quote(ES, "6001.00", "6001.25", at=300)
    changed = next(e for e in events if isinstance(e, PositionChanged))
    assert changed.position.net_qty == -2 and changed.realised_pnl == D("100.00")  # 2 x 1 point x $50


def test_reset_cancels_orders_clears_positions_and_restores_the_starting_balance() -> None:
    rig = Rig()
    long_es(rig, 2)
    working = rig.submit(ES, SELL, 1, LMT, limit="6050.00", at=150)
    events = rig.engine.execute(ResetAccount(ACC), at(200))
    assert kinds(events) == ["OrderCancelled", "PositionChanged", "AccountBalanceChanged", "AccountReset"]
    assert events[0] == OrderCancelled(ACC, working, CancelReason.RESET, at(200))
    balance = events[2]
    assert isinstance(balance, AccountBalanceChanged) and balance.commission == D("-5.00")
    assert isinstance(events[3], AccountReset) and events[3].account.balance == D("50000")
    assert rig.engine.position(ACC, ES).is_flat and rig.balance() == D("50000")


def test_accounts_are_independent() -> None:
    rig = Rig()
    other = AccountId("acc-2")
    rig.engine.execute(OpenAccount(other, D("100000")), T0)
    rig.quote(ES, "5999.75", "6000.00", at=0)
    rig.submit(ES, BUY, 1, at=0, account=other)
    rig.quote(ES, "5999.75", "6000.00", at=100)
    assert rig.engine.position(other, ES).net_qty == 1 and rig.engine.position(ACC, ES).is_flat
    assert rig.engine.account(other).balance == D("99997.50") and rig.balance() == D("50000")


class MaxContracts:
    """A fake risk rule: deny new risk above `limit` contracts, always let closing orders out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: list[Order] = []

    def check(self, order: Order, view: ExecutionView) -> str | None:
        self.seen.append(order)
        if order.role in (OrderRole.CLOSE, OrderRole.REVERSE):
            return None
        held = abs(view.position(order.account_id, order.contract_id).net_qty)
        if held + order.quantity > self.limit:
            return f"max contracts {self.limit}"
        return None


def test_a_pre_trade_check_denies_an_order_as_an_event_and_nothing_is_placed() -> None:
    check = MaxContracts(2)
    rig = Rig(pre_trade_checks=[check])
    rig.quote(ES, "6000.00", "6000.25", at=0)
    events = rig.engine.execute(
        SubmitBracket(ACC, ES, BUY, 3, OrderType.LIMIT, D("5980.00"), D("6010.00"), D("5990.00")), T0
    )
    assert [type(e) for e in events] == [OrderDenied] * 3
    assert all(e.reason == "max contracts 2" for e in events if isinstance(e, OrderDenied))
    assert [rig.engine.order(e.order.order_id).status for e in events] == [OrderStatus.DENIED] * 3  # type: ignore[union-attr]
    assert rig.engine.snapshot().arrivals == ()
    accepted = rig.engine.execute(
        SubmitBracket(ACC, ES, BUY, 2, OrderType.LIMIT, D("5980.00"), D("6010.00"), D("5990.00")), T0
    )
    assert [type(e) for e in accepted] == [OrderAccepted] * 3
    assert check.seen[-1].role is OrderRole.BRACKET_ENTRY and check.seen[-1].quantity == 2


def test_a_stop_order_can_be_placed_then_cancelled_before_it_arrives() -> None:
    rig = Rig()
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order = rig.submit(ES, BUY, 1, STP, stop="6005.00", at=0)
    rig.engine.execute(CancelOrder(ACC, order), at(50))
    assert rig.quote(ES, "6010.00", "6010.25", at=200) == ()
