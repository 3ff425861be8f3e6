"""Every round trip is a trade: brackets, plain orders, flattens and reversals, with exact dollars and R."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from core_server.excursions.model import Direction, TradeStatus
from core_server.excursions.tracked import TradeSource
from core_server.execution.commands import ClosePosition, FlattenAccount, ReversePosition, SubmitBracket, SubmitOrder
from core_server.execution.model import OrderSide, OrderType
from core_server.trades.model import ExitReason
from tests.kit.kernel import ACC, ES, MS, T0, KernelRig, q, t

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MKT = OrderType.MARKET


def test_plain_round_trip_is_a_trade_with_points_and_dollars_but_no_r() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitOrder(ACC, ES.id, BUY, 2, MKT), T0 + 1 * MS)
    rig.ticks(q(10, "6004.00", "6004.25"), t(11, "6004.25"))
    rig.run(SubmitOrder(ACC, ES.id, SELL, 2, MKT), T0 + 20 * MS)
    (trip,) = rig.trips().values()
    assert trip.account_id == ACC and trip.direction is Direction.LONG and trip.source is TradeSource.MANUAL
    assert trip.closed_ns == T0 + 20 * MS and trip.exit_reason is ExitReason.ORDER
    # bought 2 at 6000.25, sold 2 at 6004.00: 3.75 points x $50 x 2 = $375 gross, 4 fills x $2.50 = $10 fees
    assert trip.gross == Decimal("375.00") and trip.commissions == Decimal("10.00") and trip.net == Decimal("365.00")
    assert trip.initial_stop is None and trip.result_r is None
    assert trip.excursion.mfe_r is None and trip.excursion.mfe_points == Decimal("4.00")  # the 6004.25 print


def test_bracket_entry_opens_a_tracked_trade_in_its_own_tick_and_the_stop_fill_ends_it() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitBracket(ACC, ES.id, BUY, 1, MKT, Decimal("5995.25"), Decimal("6010.25")), T0 + 1 * MS)
    opened = [c for c in rig.changes() if c.opened]
    assert len(opened) == 1
    trip = opened[0].trip
    assert trip.initial_stop == ES.spec.ticks_from_price(Decimal("5995.25"))  # 5 points under the 6000.25 fill
    assert trip.target == ES.spec.ticks_from_price(Decimal("6010.25"))
    rig.ticks(t(5, "5996.00"), q(6, "5995.00", "5995.25"), t(7, "5995.00"))
    (trip,) = rig.trips().values()
    assert trip.closed_ns is not None and trip.exit_reason is ExitReason.STOP
    assert trip.excursion.status is TradeStatus.STOPPED_OUT
    # the stop filled as a market sell at the 5995.00 bid: -5.25 points = -$262.50; R = -5.25 / 5 = -21/20
    assert trip.gross == Decimal("-262.50") and trip.result_r == Fraction(-21, 20)


def test_flatten_closes_every_trip_with_the_close_reason() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitOrder(ACC, ES.id, SELL, 1, MKT), T0 + 1 * MS)
    rig.ticks(q(5, "5999.00", "5999.25"))
    rig.run(FlattenAccount(ACC), T0 + 10 * MS)
    (trip,) = rig.trips().values()
    assert trip.direction is Direction.SHORT and trip.exit_reason is ExitReason.CLOSE
    assert trip.gross == Decimal("37.50")  # sold 6000.00, bought back 5999.25: 0.75 x $50


def test_reversal_closes_one_trip_and_opens_the_next_at_the_same_price() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitOrder(ACC, ES.id, BUY, 1, MKT), T0 + 1 * MS)
    rig.ticks(q(5, "6001.00", "6001.25"))
    rig.run(ReversePosition(ACC, ES.id), T0 + 10 * MS)
    first, second = sorted(rig.trips().values(), key=lambda trip: trip.opened_ns)
    assert first.exit_reason is ExitReason.REVERSE and first.gross == Decimal("37.50")
    assert second.direction is Direction.SHORT and second.is_open and second.open_qty == 1
    # the reverse fill (2 contracts, $5.00) pays $2.50 to close the first and $2.50 to open the second
    assert first.commissions == Decimal("5.00") and second.commissions == Decimal("2.50")
    rig.run(ClosePosition(ACC, ES.id), T0 + 20 * MS)
    assert not rig.trips()[second.trade_id].is_open


def test_no_open_trade_remains_on_a_flat_account() -> None:
    rig = KernelRig()
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitBracket(ACC, ES.id, BUY, 2, MKT, Decimal("5990.00"), Decimal("6010.00")), T0 + 1 * MS)
    rig.run(SubmitOrder(ACC, ES.id, SELL, 1, MKT), T0 + 2 * MS)
    assert rig.kernel.trades.open_trip(ACC, ES.id) is not None
    rig.run(FlattenAccount(ACC), T0 + 3 * MS)
    assert rig.kernel.execution.position(ACC, ES.id).net_qty == 0
    assert rig.kernel.trades.open_trip(ACC, ES.id) is None
    assert all(not trip.is_open for trip in rig.trips().values())
