"""Max contracts (micros as a fraction of a mini, scaling tiers), max position size and concurrent positions."""

from __future__ import annotations

from dataclasses import replace

from core_server.execution.model import OrderType
from core_server.risk.presets import preset
from core_server.risk.rules import RuleSet, ScalingTier
from tests.unit.risk.risk_kit import BUY, ES, MNQ, NQ, SELL, D, Shell, mar

LMT = OrderType.LIMIT


def topstep_50k() -> RuleSet:
    return replace(preset("topstep_50k").rules, flat_by=None)


def test_ten_micros_count_as_one_mini_then_the_51st_micro_equivalent_is_denied() -> None:
    shell = Shell(topstep_50k(), commission="0")
    shell.trade(NQ, BUY, 4, "20000.00", mar(10, 9, 0))
    shell.trade(MNQ, BUY, 10, "20000.00", mar(10, 9, 1))  # 4 + 10 x 0.1 = 5
    assert shell.order(MNQ, BUY, 1, mar(10, 9, 2)) == "max contracts: 5.1 would exceed 5"
    assert shell.order(NQ, BUY, 1, mar(10, 9, 2)) == "max contracts: 6 would exceed 5"


def test_fifty_micros_alone_fill_the_five_contract_limit() -> None:
    shell = Shell(topstep_50k(), commission="0")
    shell.price(MNQ, "20000.00", mar(10, 9, 0))
    assert shell.order(MNQ, BUY, 51, mar(10, 9, 0)) == "max contracts: 5.1 would exceed 5"
    assert shell.order(MNQ, BUY, 50, mar(10, 9, 0)) is None
    assert shell.net(MNQ) == 50


def test_resting_orders_count_at_their_worst_case() -> None:
    shell = Shell(topstep_50k(), commission="0")
    shell.price(NQ, "20000.00", mar(10, 9, 0))
    assert shell.order(NQ, BUY, 3, mar(10, 9, 0), LMT, "19990.00") is None
    assert shell.order(NQ, BUY, 3, mar(10, 9, 0), LMT, "19980.00") == "max contracts: 6 would exceed 5"
    # Sells while flat are a short of their own: 3 short is within 5 (the buys are the other side).
    assert shell.order(NQ, SELL, 5, mar(10, 9, 0), LMT, "20010.00") is None


def test_scaling_tier_when_the_end_of_day_balance_rises_then_more_contracts_the_next_day() -> None:
    tiers = (ScalingTier(D("51500"), 2), ScalingTier(D("52000"), 3))
    shell = Shell(RuleSet(max_contracts=5, scaling_tiers=tiers), commission="0")
    assert shell.figures().contracts_allowed == 2
    shell.price(NQ, "20000.00", mar(10, 9, 0))
    assert shell.order(NQ, BUY, 3, mar(10, 9, 0)) == "max contracts: 3 would exceed 2"
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 1))
    shell.trade(NQ, SELL, 2, "20040.00", mar(10, 9, 30))  # +$1,600: 51,600
    assert shell.figures().contracts_allowed == 2  # tiers follow the end-of-day balance
    shell.advance(mar(10, 17, 0))
    assert shell.figures().contracts_allowed == 3
    shell.price(NQ, "20000.00", mar(11, 9, 0))
    assert shell.order(NQ, BUY, 4, mar(11, 9, 0)) == "max contracts: 4 would exceed 3"
    assert shell.order(NQ, BUY, 3, mar(11, 9, 0)) is None


def test_max_position_size_per_contract_counts_resting_orders_and_lets_reductions_through() -> None:
    shell = Shell(RuleSet(max_position_size=2), commission="0")
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 0))
    assert shell.order(NQ, BUY, 1, mar(10, 9, 1), LMT, "19990.00") == "max position size: 3 NQ would exceed 2"
    assert shell.order(NQ, SELL, 2, mar(10, 9, 1)) is None
    assert shell.net(NQ) == 0


def test_max_concurrent_positions_counts_contracts_with_a_position_or_an_opening_order() -> None:
    shell = Shell(RuleSet(max_concurrent_positions=1), commission="0")
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.price(ES, "5000.00", mar(10, 9, 1))
    assert shell.order(ES, BUY, 1, mar(10, 9, 1)) == "max concurrent positions: 2 would exceed 1"
    assert shell.order(NQ, BUY, 1, mar(10, 9, 1)) is None  # same contract: still one position
