"""Signal actions are kernel commands: the same TradingKernel a backtest drives closes, reduces and refuses,
and records each decision in its output (what the live shell journals)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core_server.execution.commands import ClosePosition, SubmitOrder
from core_server.execution.model import OrderSide, OrderType
from core_server.kernel.kernel import SignalExecution
from core_server.kernel.output import Cause
from core_server.signals.model import SignalAction, SignalDirection, SignalInput, SignalStatus
from tests.kit.kernel import ACC, NQ, T0, KernelRig, q, t

NQ_ID = "NQZ2026"


def rig() -> KernelRig:
    kernel = KernelRig((NQ,), signal_execution=SignalExecution(True, ACC, Decimal(2)))
    kernel.ticks(q(0, "25339.75", "25340.00", NQ), t(1, "25340.00", NQ))
    return kernel


def exit_alert(key: str, quantity: int = 0, direction: SignalDirection = SignalDirection.NONE) -> SignalInput:
    return SignalInput(
        contract_id=NQ_ID,
        direction=direction,
        signal_price=0,
        signal_time_ns=T0,
        strategy="orb",
        quantity=quantity,
        source="webhook",
        idempotency_key=key,
        action=SignalAction.EXIT,
    )


def net(kernel: KernelRig) -> int:
    return kernel.kernel.execution.position(ACC, NQ_ID).net_qty


def test_an_exit_closes_the_position_as_a_signal_command_and_records_it() -> None:
    kernel = rig()
    kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.BUY, 2, OrderType.MARKET), T0 + 2)
    assert net(kernel) == 2

    result = kernel.kernel.submit_signal(exit_alert("k1"), authenticated=True, now_ns=T0 + 3)
    out = kernel.kernel.take_output()

    assert net(kernel) == 0
    assert result.signal.status is SignalStatus.EXECUTED
    steps = [s for s in out.execution if s.command is not None]
    assert [(type(s.command), s.cause, s.actor) for s in steps] == [
        (ClosePosition, Cause.SIGNAL, result.signal.signal_id)
    ]
    assert [u.event.kind.value for u in out.signals] == ["received", "executed"]
    assert any(change.trip.exit_qty == 2 for change in out.trades)  # type: ignore[attr-defined]


def test_a_partial_exit_is_one_reduce_only_market_order_and_a_repeat_acts_once() -> None:
    kernel = rig()
    kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.SELL, 3, OrderType.MARKET), T0 + 2)
    first = kernel.kernel.submit_signal(exit_alert("k2", quantity=1), authenticated=True, now_ns=T0 + 3)
    again = kernel.kernel.submit_signal(exit_alert("k2", quantity=1), authenticated=True, now_ns=T0 + 4)

    assert net(kernel) == -2
    assert again.duplicate and again.signal.signal_id == first.signal.signal_id
    orders = kernel.kernel.execution.orders(ACC)
    reduce = [o for o in orders if o.tag == f"signal:{first.signal.signal_id}"]
    assert [(o.side, o.quantity, o.reduce_only) for o in reduce] == [(OrderSide.BUY, 1, True)]


def test_an_exit_that_failed_authentication_is_recorded_and_acts_on_nothing() -> None:
    kernel = rig()
    kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 2)

    forged = kernel.kernel.submit_signal(exit_alert("k3"), authenticated=False, now_ns=T0 + 3)

    assert forged.signal.status is SignalStatus.REJECTED
    assert net(kernel) == 1
    genuine = kernel.kernel.submit_signal(exit_alert("k3"), authenticated=True, now_ns=T0 + 4)
    assert not genuine.duplicate and net(kernel) == 0  # the forgery never claimed the key


def test_exits_and_cancels_pass_the_pre_trade_risk_check_of_a_held_account() -> None:
    kernel = rig()
    kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.BUY, 2, OrderType.MARKET), T0 + 2)
    kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("25300.00")), T0 + 2)
    kernel.kernel.apply_risk(kernel.kernel.risk.hold(ACC, "stage failure", T0 + 2), T0 + 2)
    refused = kernel.run(SubmitOrder(ACC, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 3)
    assert any(type(e).__name__ == "OrderDenied" for e in refused)  # new risk is blocked

    reduced = kernel.kernel.submit_signal(exit_alert("k4", quantity=1), authenticated=True, now_ns=T0 + 4)
    cancel = replace(exit_alert("k5", quantity=1), action=SignalAction.CANCEL)
    cancelled = kernel.kernel.submit_signal(cancel, authenticated=True, now_ns=T0 + 5)

    assert (reduced.signal.status, cancelled.signal.status) == (SignalStatus.EXECUTED, SignalStatus.EXECUTED)
    assert net(kernel) == 1
    assert kernel.kernel.execution.open_orders(ACC, NQ_ID) == ()
