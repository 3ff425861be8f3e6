"""Rule bounds (issue 9 §2): amounts and counts no evaluation can take are refused before anything changes, and
the per-order size limit (the account's max_order_size, else the server default) denies fat fingers."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

import pytest

from core_server.execution.commands import ModifyOrder, SubmitOrder
from core_server.execution.events import OrderAccepted
from core_server.execution.model import OrderType, TimeInForce
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.risk.engine import RiskEngine
from core_server.risk.evaluation import NEVER, ticks_within
from core_server.risk.presets import preset
from core_server.risk.rules import RuleSet, ScalingTier
from tests.unit.risk.risk_kit import ACC, BUY, MNQ, NQ, SELL, D, Shell, mar

OUT_OF_BOUNDS: list[tuple[dict[str, Any], str]] = [
    ({"daily_loss_limit": D("1e30")}, "daily_loss_limit"),
    ({"daily_loss_limit": D("100000000.01")}, "daily_loss_limit"),
    ({"daily_loss_limit": D("500.005")}, "daily_loss_limit"),
    ({"max_drawdown": D("1E+28")}, "max_drawdown"),
    ({"max_drawdown": D("2000"), "drawdown_lock_offset": D("1e30")}, "drawdown_lock_offset"),
    ({"max_contracts": 5, "scaling_tiers": (ScalingTier(D("1e30"), 2),)}, "scaling_tiers[0].below_balance"),
    ({"max_contracts": 10_001}, "max_contracts"),
    ({"max_position_size": 2**31 - 1}, "max_position_size"),
    ({"max_order_size": 0}, "max_order_size"),
    ({"max_order_size": 10_001}, "max_order_size"),
    ({"max_concurrent_positions": 101}, "max_concurrent_positions"),
    ({"max_consecutive_losses": 1001}, "max_consecutive_losses"),
    ({"cooldown_after_loss_minutes": 24 * 60 + 1}, "cooldown_after_loss_minutes"),
    ({"micro_weight": D("0.10001")}, "micro_weight"),
    ({"consistency_limit": D("1e-40")}, "consistency_limit"),
    ({"session_windows": frozenset(f"w{i}" for i in range(17))}, "session_windows"),
    ({"session_windows": frozenset({"x" * 65})}, "session_windows"),
    ({"max_contracts": 30, "scaling_tiers": tuple(ScalingTier(D(50_000 + i), i + 1) for i in range(21))},
     "scaling_tiers"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field"), OUT_OF_BOUNDS)
def test_values_beyond_the_documented_bounds_raise_invalid_argument_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        RuleSet(**changes)
    assert raised.value.field == field


def test_the_largest_allowed_values_are_accepted_and_evaluate() -> None:
    rules = RuleSet(
        daily_loss_limit=D("100000000"), max_drawdown=D("100000000"), drawdown_lock_offset=D("100000000"),
        max_contracts=10_000, max_position_size=10_000, max_order_size=10_000, max_concurrent_positions=100,
        max_consecutive_losses=1000, cooldown_after_loss_minutes=1440, micro_weight=D("0.0001"),
        consistency_limit=D("0.0001"), flat_by=time(15, 0),
    )  # fmt: skip
    shell = Shell(rules, commission="0")
    shell.trade(NQ, BUY, 3, "20000.00", mar(10, 9, 0))
    shell.price(NQ, "19990.00", mar(10, 9, 1))
    assert shell.figures().daily_loss_used == D("600")


def test_ticks_within_an_unreachable_distance_is_never_rather_than_a_division_error() -> None:
    assert ticks_within(D("1e30"), D("5")) == NEVER
    assert ticks_within(D("12.50"), D("5")) == 3


def test_an_order_above_the_default_max_order_size_is_denied_and_the_rule_overrides_it() -> None:
    shell = Shell(RuleSet(), commission="0", risk=RiskEngine(default_max_order_size=100))
    shell.price(MNQ, "20000.00", mar(10, 9, 0))
    assert shell.order(MNQ, BUY, 101, mar(10, 9, 0)) == "max order size: 101 MNQ exceeds 100 contracts per order"
    assert shell.order(MNQ, BUY, 100, mar(10, 9, 0)) is None
    shell.risk.set_rules(ACC, RuleSet(max_order_size=5), mar(10, 9, 1))
    assert shell.order(MNQ, SELL, 6, mar(10, 9, 2)) is None  # reduces the long 100: never refused
    assert shell.order(MNQ, BUY, 6, mar(10, 9, 2)) == "max order size: 6 MNQ exceeds 5 contracts per order"
    denied = [e for e in shell.log if e.reason.startswith("max order size: 6")]
    assert denied[0].numbers[-2:] == (("quantity", 6), ("limit", 5))


def test_a_modify_counts_its_new_total_against_the_max_order_size() -> None:
    shell = Shell(replace(preset("topstep_50k").rules, flat_by=None, max_order_size=4), commission="0")
    shell.price(NQ, "20000.00", mar(10, 9, 0))
    events = shell.run(SubmitOrder(ACC, NQ, BUY, 3, OrderType.LIMIT, TimeInForce.GTC, D("19990.00")), mar(10, 9, 0))
    placed = events[0]
    assert isinstance(placed, OrderAccepted)
    with pytest.raises(FailedPrecondition, match="max order size: 5 NQ exceeds 4"):
        shell.run(ModifyOrder(ACC, placed.order.order_id, 5, None, None), mar(10, 9, 1))
    shell.run(ModifyOrder(ACC, placed.order.order_id, 4, None, None), mar(10, 9, 1))
    assert shell.exec.order(placed.order.order_id).quantity == 4
