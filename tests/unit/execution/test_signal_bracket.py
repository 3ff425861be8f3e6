"""A confirmed signal's bracket: stop at the signal's absolute pivot stop, target `target_r` R from the fill."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.commands import ExitOffset, OffsetUnit
from core_server.execution.events import OrderFilled
from core_server.execution.signal_orders import bracket_for
from core_server.signals.model import SignalDirection
from core_server.signals.trade_record import TradeRecord
from tests.unit.execution.execution_kit import ACC, NQ, T0, Rig, ticks


def _trade(direction: SignalDirection, entry: str, stop: str) -> TradeRecord:
    entry_ticks, stop_ticks = ticks(NQ, entry), ticks(NQ, stop)
    return TradeRecord("t-1", "s-1", NQ, direction, 1, entry_ticks, stop_ticks, abs(entry_ticks - stop_ticks), 0)


def test_the_target_is_r_times_the_risk_measured_from_the_actual_fill_not_the_signals_entry() -> None:
    # the signal computed entry 25346.50 with its pivot stop at 25285.00 (61.50 points of risk)
    command = bracket_for(_trade(SignalDirection.BULLISH, "25346.50", "25285.00"), ACC, Decimal("2"))
    assert (command.stop_loss, command.take_profit) == (Decimal("25285.00"), ExitOffset(Decimal("2"), OffsetUnit.R))
    assert command.tag == "signal:s-1"
    rig = Rig(fill={"max_slippage_ticks": 2, "seed": 2})  # O-1's first fill slips 1 tick
    rig.quote(NQ, "25350.00", "25350.25", at=0)
    entry, sl, tp = (e.order.order_id for e in rig.engine.execute(command, T0))  # type: ignore[union-attr]
    events = rig.quote(NQ, "25350.00", "25350.25", at=100)
    (fill,) = [e.fill.price for e in events if isinstance(e, OrderFilled)]
    assert fill == ticks(NQ, "25350.50")  # the ask plus one tick of slippage
    # 65.50 points of risk from the fill: target 25350.50 + 131.00
    assert rig.engine.order(sl).stop_price == ticks(NQ, "25285.00")
    assert rig.engine.order(tp).limit_price == ticks(NQ, "25481.50")


def test_a_bearish_signal_mirrors_it() -> None:
    command = bracket_for(_trade(SignalDirection.BEARISH, "25300.00", "25320.00"), ACC, Decimal("1.5"))
    rig = Rig()
    rig.quote(NQ, "25298.00", "25298.25", at=0)
    entry, sl, tp = (e.order.order_id for e in rig.engine.execute(command, T0))  # type: ignore[union-attr]
    rig.quote(NQ, "25298.00", "25298.25", at=100)  # sold at the bid: 22 points of risk
    assert rig.engine.order(tp).limit_price == ticks(NQ, "25265.00")  # 25298.00 - 1.5 x 22.00
