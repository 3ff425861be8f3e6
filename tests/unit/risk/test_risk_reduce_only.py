"""Reduce-only orders pass the pre-trade checks as risk-reducing, even when nothing else may."""

from __future__ import annotations

from core_server.execution.commands import SubmitOrder
from core_server.execution.events import OrderAccepted, OrderDenied
from core_server.execution.model import OrderType, TimeInForce
from core_server.risk.rules import RuleSet
from tests.unit.risk.risk_kit import ACC, BUY, NQ, SELL, D, Shell, mar


def test_a_reduce_only_order_passes_an_emergency_stop_where_a_plain_reduction_would_not() -> None:
    shell = Shell(RuleSet())
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 0))
    protect = SubmitOrder(ACC, NQ, SELL, 2, OrderType.STOP, TimeInForce.GTC, stop_price=D("19900.00"))
    assert isinstance(shell.run(protect, mar(10, 9, 0))[0], OrderAccepted)
    shell.risk.emergency_stop(mar(10, 9, 1), "stepping away")
    # with the stop counted, one more plain sell could end short: new risk, blocked
    assert shell.order(NQ, SELL, 1, mar(10, 9, 1)) == "emergency stop: new risk is blocked until resumed"
    target = SubmitOrder(
        ACC, NQ, SELL, 1, OrderType.LIMIT, TimeInForce.GTC, limit_price=D("20100.00"), reduce_only=True
    )
    assert isinstance(shell.run(target, mar(10, 9, 1))[0], OrderAccepted)
    assert not [e for e in shell.exec.execute(target, mar(10, 9, 2)) if isinstance(e, OrderDenied)]
