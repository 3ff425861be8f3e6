"""A ModifyOrder that adds quantity passes the pre-trade checks (risk) like a new order; others need none."""

from __future__ import annotations

import pytest

from core_server.execution.commands import ModifyOrder
from core_server.execution.events import OrderModified
from core_server.execution.model import Order
from core_server.execution.ports import ExecutionView
from core_server.model.errors import FailedPrecondition
from core_server.risk import RiskEngine, RuleSet
from tests.unit.execution.execution_kit import ACC, BUY, ES, LMT, MS, T0, D, Rig


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Order] = []

    def check(self, order: Order, view: ExecutionView) -> str | None:
        self.seen.append(order)
        return None


def resting_buy(rig: Rig, qty: int) -> Order:
    rig.quote(ES, "6000.00", "6000.25", at=0)
    order_id = rig.submit(ES, BUY, qty, LMT, limit="5990.00", at=0)
    rig.quote(ES, "6000.00", "6000.25", at=150)
    return rig.engine.order(order_id)


def test_modify_increasing_quantity_over_max_contracts_is_denied_and_changes_nothing() -> None:
    risk = RiskEngine()
    rig = Rig(pre_trade_checks=[risk])
    risk.track_account(ACC, D("50000"), RuleSet(max_contracts=2), T0)
    order = resting_buy(rig, 2)
    before = rig.engine.snapshot()
    with pytest.raises(FailedPrecondition, match="modify denied: max contracts: 3 would exceed 2"):
        rig.engine.execute(ModifyOrder(ACC, order.order_id, quantity=3), T0 + 200 * MS)
    assert rig.engine.snapshot() == before
    denied = risk.take_pending().events[-1]
    assert denied.order_id == order.order_id and denied.number("quantity") == 1


def test_modify_within_the_limits_passes_the_check_with_only_the_added_quantity() -> None:
    recorder = Recorder()
    rig = Rig(pre_trade_checks=[recorder])
    order = resting_buy(rig, 2)
    events = rig.engine.execute(ModifyOrder(ACC, order.order_id, quantity=5), T0 + 200 * MS)
    assert isinstance(events[0], OrderModified) and events[0].quantity == 5
    checked = recorder.seen[-1]
    assert (checked.order_id, checked.leaves_qty, checked.submitted_ns) == (order.order_id, 3, T0 + 200 * MS)


def test_modify_reducing_quantity_or_moving_a_price_needs_no_check() -> None:
    recorder = Recorder()
    rig = Rig(pre_trade_checks=[recorder])
    order = resting_buy(rig, 3)
    seen = len(recorder.seen)
    rig.engine.execute(ModifyOrder(ACC, order.order_id, quantity=2), T0 + 200 * MS)
    rig.engine.execute(ModifyOrder(ACC, order.order_id, limit_price=D("5991.00")), T0 + 300 * MS)
    assert len(recorder.seen) == seen
