"""RuleSet validation (InvalidArgument naming the field; nothing half-applied) and the firm presets."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from core_server.model.errors import InvalidArgument, NotFound
from core_server.risk.engine import RiskEngine
from core_server.risk.events import RiskEventKind
from core_server.risk.presets import list_presets, preset
from core_server.risk.rules import BreachMode, DrawdownMode, RuleSet, ScalingTier
from tests.unit.risk.risk_kit import ACC, D, mar

BAD: list[tuple[dict[str, Any], str]] = [
    ({"daily_loss_limit": D("-1")}, "daily_loss_limit"),
    ({"daily_loss_limit": D("0")}, "daily_loss_limit"),
    ({"max_drawdown": 2000.0}, "max_drawdown"),
    ({"daily_loss_limit": D("2500"), "max_drawdown": D("2000")}, "daily_loss_limit"),
    ({"max_contracts": 0}, "max_contracts"),
    ({"max_position_size": -1}, "max_position_size"),
    ({"max_concurrent_positions": True}, "max_concurrent_positions"),
    ({"cooldown_after_loss_minutes": -5}, "cooldown_after_loss_minutes"),
    ({"micro_weight": D("0")}, "micro_weight"),
    ({"drawdown_lock_offset": D("-100")}, "drawdown_lock_offset"),
    ({"scaling_tiers": (ScalingTier(D("51000"), 2),)}, "scaling_tiers"),
    (
        {"max_contracts": 5, "scaling_tiers": (ScalingTier(D("52000"), 2), ScalingTier(D("51000"), 3))},
        "scaling_tiers[1].below_balance",
    ),
    (
        {"max_contracts": 5, "scaling_tiers": (ScalingTier(D("51000"), 3), ScalingTier(D("52000"), 3))},
        "scaling_tiers[1].max_contracts",
    ),
    ({"max_contracts": 2, "scaling_tiers": (ScalingTier(D("51000"), 3),)}, "scaling_tiers[0].max_contracts"),
    ({"session_windows": frozenset()}, "session_windows"),
    ({"consistency_limit": D("1.5")}, "consistency_limit"),
    ({"enforce_consistency": True}, "enforce_consistency"),
    ({"drawdown_mode": 2}, "drawdown_mode"),
]


@pytest.mark.parametrize(("changes", "field"), BAD)
def test_impossible_or_contradictory_rules_raise_invalid_argument_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        RuleSet(**changes)
    assert raised.value.field == field


def test_set_rules_when_invalid_then_previous_rules_stay_whole() -> None:
    engine = RiskEngine()
    rules = preset("topstep_50k").rules
    engine.track_account(ACC, D("50000"), rules, mar(10, 9))
    with pytest.raises(InvalidArgument) as raised:
        engine.set_rules(ACC, replace(rules, max_contracts=3, daily_loss_limit=D("5000")), mar(10, 9, 1))
    assert raised.value.field == "daily_loss_limit"
    with pytest.raises(InvalidArgument) as raised:
        engine.set_rules(ACC, replace(rules, session_windows=frozenset({"Tokyo"})), mar(10, 9, 1))
    assert raised.value.field == "session_windows"
    assert engine.rules(ACC) is rules
    with pytest.raises(NotFound):
        engine.set_rules("nobody", rules, mar(10, 9, 1))  # type: ignore[arg-type]


def test_set_rules_when_valid_then_event_names_the_changed_fields_and_applies() -> None:
    engine = RiskEngine()
    engine.track_account(ACC, D("50000"), preset("topstep_50k").rules, mar(10, 9))
    new = replace(preset("topstep_50k").rules, max_contracts=3, flat_by=time(15, 0))
    result = engine.set_rules(ACC, new, mar(10, 9, 1))
    assert result.events[0].kind is RiskEventKind.RULES_CHANGED
    assert result.events[0].reason == "rules changed: max_contracts, flat_by"
    assert engine.figures(ACC).contracts_allowed == 3


def test_presets_hold_the_documented_values() -> None:
    def key(name: str) -> tuple[Any, ...]:
        p = preset(name)
        r = p.rules
        return (p.starting_balance, r.daily_loss_limit, r.daily_loss_breach, r.max_drawdown, r.drawdown_mode,
                r.drawdown_lock_offset, r.max_contracts, r.micro_weight)  # fmt: skip

    soft, hard = BreachMode.SOFT, BreachMode.HARD
    eod, intraday = DrawdownMode.END_OF_DAY, DrawdownMode.INTRADAY_UNREALIZED
    tenth = Decimal("0.1")
    assert key("topstep_50k") == (D("50000"), D("1000"), soft, D("2000"), eod, D("0"), 5, tenth)
    assert key("topstep_100k") == (D("100000"), D("2000"), soft, D("3000"), eod, D("0"), 10, tenth)
    assert key("topstep_150k") == (D("150000"), D("3000"), soft, D("4500"), eod, D("0"), 15, tenth)
    assert key("apex_50k") == (D("50000"), None, soft, D("2500"), intraday, D("100"), 10, tenth)
    assert key("takeprofittrader_50k") == (D("50000"), D("1100"), soft, D("2000"), eod, D("0"), 6, tenth)
    assert preset("topstep_50k").rules.drawdown_breach is hard
    assert [p.name for p in list_presets()] == [
        "topstep_50k", "topstep_100k", "topstep_150k", "apex_50k", "takeprofittrader_50k",
    ]  # fmt: skip
    assert all(p.source for p in list_presets())


def test_unknown_preset_then_invalid_argument_on_preset() -> None:
    with pytest.raises(InvalidArgument) as raised:
        preset("ftmo_10k")
    assert raised.value.field == "preset"
