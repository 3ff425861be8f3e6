"""Break-even on an executed trade moves the real stop order to entry; the trade's initial R does not move."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.excursions.model import ExcursionEventKind, TradeStatus
from core_server.execution.commands import ModifyOrder, SubmitBracket
from core_server.execution.model import OrderRole, OrderSide, OrderType
from core_server.trades.model import ExitReason
from tests.kit.kernel import ACC, ES, MS, T0, KernelRig, q, t


def _px(text: str) -> int:
    return ES.spec.ticks_from_price(Decimal(text))


def test_break_even_moves_the_stop_order_to_entry_and_its_fill_is_a_break_even_exit() -> None:
    rig = KernelRig(break_even=True)
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(
        SubmitBracket(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6020.25")), T0 + MS
    )
    rig.ticks(q(4, "6005.00", "6005.25"), t(5, "6005.25"))  # +1R: 20 ticks over the 6000.25 fill
    stop = next(o for o in rig.kernel.execution.open_orders(ACC, ES.id) if o.role is OrderRole.STOP_LOSS)
    assert stop.stop_price == _px("6000.25")
    rig.ticks(t(6, "6002.00"), q(7, "6000.00", "6000.25"), t(8, "6000.00"))
    (trip,) = rig.trips().values()
    assert trip.exit_reason is ExitReason.STOP and trip.excursion.status is TradeStatus.BREAK_EVEN
    kinds = [e.kind for c in rig.changes() for e in c.events]
    assert ExcursionEventKind.BREAK_EVEN_TRIGGERED in kinds
    assert trip.risk_ticks == 20 and trip.excursion.mfe_r == Fraction(1)
    # the stop (market) filled at the 6000.00 bid: one tick under entry
    assert trip.result_r == Fraction(-1, 20) and trip.gross == Decimal("-12.50")


def test_moving_the_stop_by_hand_moves_the_trade_stop_but_not_its_initial_r() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(
        SubmitBracket(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET, Decimal("5995.25"), Decimal("6020.25")), T0 + MS
    )
    stop = next(o for o in rig.kernel.execution.open_orders(ACC, ES.id) if o.role is OrderRole.STOP_LOSS)
    rig.run(ModifyOrder(ACC, stop.order_id, stop_price=Decimal("5998.25")), T0 + 2 * MS)
    trip = rig.kernel.trades.open_trip(ACC, ES.id)
    assert trip is not None and trip.excursion.stop == _px("5998.25")
    assert trip.initial_stop == _px("5995.25") and trip.risk_ticks == 20
