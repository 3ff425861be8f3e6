"""Loss streaks and cooldowns, the flat-by time, trading hours, consistency and the emergency stop."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from core_server.calendar.session_table import load_trading_calendar
from core_server.execution.commands import CancelAllOrders, FlattenAccount
from core_server.model.clock import NS_PER_MINUTE
from core_server.risk.engine import RiskEngine
from core_server.risk.events import RiskEventKind, RiskStatus, Rule
from core_server.risk.presets import preset
from core_server.risk.rules import RuleSet
from tests.unit.risk.risk_kit import ACC, BUY, NQ, SELL, D, Shell, mar

K = RiskEventKind


def test_cooldown_after_a_loss_then_denied_until_it_ends() -> None:
    shell = Shell(RuleSet(cooldown_after_loss_minutes=5))
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 10, 30))
    shell.trade(NQ, SELL, 1, "19999.00", mar(10, 10, 37))  # -$20 - $5
    assert shell.figures().cooldown_until_ns == mar(10, 10, 42)
    assert shell.order(NQ, BUY, 1, mar(10, 10, 41, 59)) == "cooldown after a loss until 10:42 CT"
    assert shell.order(NQ, BUY, 1, mar(10, 10, 42)) is None


def test_a_winning_trip_resets_the_streak_and_fees_turn_a_scratch_into_a_loss() -> None:
    shell = Shell(RuleSet(max_consecutive_losses=2))
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "20000.00", mar(10, 9, 1))  # scratch, -$5 fees: a loss
    assert shell.figures().consecutive_losses == 1
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 2))
    shell.trade(NQ, SELL, 1, "20001.00", mar(10, 9, 3))  # +$20 - $5
    assert shell.figures().consecutive_losses == 0


def test_max_consecutive_losses_locks_until_the_next_trading_day() -> None:
    shell = Shell(RuleSet(max_consecutive_losses=2))
    for minute in (0, 10):
        shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, minute))
        shell.trade(NQ, SELL, 1, "19999.00", mar(10, 9, minute + 1))  # a partial exit ends no trip
        shell.trade(NQ, SELL, 1, "19998.00", mar(10, 9, minute + 2))
    assert shell.figures().consecutive_losses == 2 and shell.figures().status is RiskStatus.LOCKED
    locked = next(e for e in shell.log if e.kind is K.LOCKED)
    assert locked.rule is Rule.CONSECUTIVE_LOSSES
    assert shell.order(NQ, BUY, 1, mar(10, 9, 30)) == "consecutive losses: 2 of 2; locked until the next trading day"
    shell.advance(mar(10, 17, 0))
    assert shell.figures().consecutive_losses == 0
    assert shell.order(NQ, BUY, 1, mar(10, 17, 5)) is None


def test_flat_by_time_then_closes_out_and_blocks_new_risk_until_the_next_day() -> None:
    shell = Shell(preset("topstep_50k").rules)
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 15, 0))
    shell.price(NQ, "20001.00", mar(10, 15, 9, 59))
    assert shell.net(NQ) == 1 and shell.actions == []
    shell.price(NQ, "20001.00", mar(10, 15, 10))
    assert shell.net(NQ) == 0 and shell.actions == [CancelAllOrders(ACC), FlattenAccount(ACC)]
    assert [e.rule for e in shell.log if e.kind is K.LOCKED] == [Rule.FLAT_BY]
    assert shell.order(NQ, BUY, 1, mar(10, 15, 11)) == "flat-by 15:10 CT passed"
    shell.advance(mar(10, 17, 0))
    assert shell.order(NQ, BUY, 1, mar(10, 17, 30)) is None


def test_session_windows_and_market_hours_when_outside_then_denied() -> None:
    calendar = load_trading_calendar()
    rules = RuleSet(session_windows=frozenset({"NY AM"}))
    shell = Shell(rules, risk=RiskEngine(calendar=calendar))
    shell.price(NQ, "20000.00", mar(10, 8, 29))
    reason = shell.order(NQ, BUY, 1, mar(10, 8, 29))  # 09:29 ET
    assert reason == "trading hours: 08:29 CT is outside the enabled session windows (NY AM)"
    assert shell.order(NQ, BUY, 1, mar(10, 8, 30)) is None  # 09:30 ET
    assert shell.order(NQ, BUY, 1, mar(10, 16, 30)) == "trading hours: the market is closed at 16:30 CT"


def test_consistency_share_reported_and_enforced_only_when_asked() -> None:
    def two_days(rules: RuleSet) -> Shell:
        shell = Shell(rules, commission="0")
        shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
        shell.trade(NQ, SELL, 1, "20050.00", mar(10, 9, 1))  # +$1,000
        shell.advance(mar(10, 17, 0))
        shell.trade(NQ, BUY, 1, "20000.00", mar(11, 9, 0))
        shell.trade(NQ, SELL, 1, "20025.00", mar(11, 9, 1))  # +$500: 500 of 1,500 is within 50 %
        shell.trade(NQ, BUY, 1, "20000.00", mar(11, 9, 2))
        shell.trade(NQ, SELL, 1, "20027.50", mar(11, 9, 3))  # +$550: today 1,050 of 2,050
        return shell

    reported = two_days(RuleSet(consistency_limit=D("0.5")))
    assert reported.figures().consistency == D(1050) / D(2050)
    assert reported.order(NQ, BUY, 1, mar(11, 9, 4)) is None
    enforced = two_days(RuleSet(consistency_limit=D("0.5"), enforce_consistency=True))
    reason = enforced.order(NQ, BUY, 1, mar(11, 9, 4))
    assert reason == "consistency: today's profit $1,050.00 is 51.2% of the total profit $2,050.00, above 50.0%"


def test_emergency_stop_blocks_new_risk_lets_reductions_out_and_resume_restores() -> None:
    shell = Shell(RuleSet())
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 0))
    result = shell.risk.emergency_stop(mar(10, 9, 1), "trader pressed stop")
    assert [e.kind for e in result.events] == [K.EMERGENCY_STOP]
    assert result.actions == (CancelAllOrders(ACC), FlattenAccount(ACC))
    assert shell.order(NQ, BUY, 1, mar(10, 9, 1)) == "emergency stop: new risk is blocked until resumed"
    assert shell.order(NQ, SELL, 1, mar(10, 9, 1)) is None
    shell.risk.resume(mar(10, 9, 2))
    assert shell.order(NQ, BUY, 1, mar(10, 9, 2)) is None


def test_every_decision_is_an_event_with_order_and_numbers() -> None:
    shell = Shell(RuleSet(max_contracts=1))
    shell.price(NQ, "20000.00", mar(10, 9, 0))
    shell.order(NQ, BUY, 2, mar(10, 9, 0))
    shell.order(NQ, BUY, 1, mar(10, 9, 0) + NS_PER_MINUTE)
    decisions = [e for e in shell.log if e.kind in (K.ORDER_ALLOWED, K.ORDER_DENIED)]
    assert [(e.kind, e.rule, e.number("would_be")) for e in decisions] == [
        (K.ORDER_DENIED, Rule.MAX_CONTRACTS, D(2)), (K.ORDER_ALLOWED, Rule.NONE, None),
    ]  # fmt: skip
    assert all(e.order_id is not None and e.account_id == ACC for e in decisions)


def test_flat_by_after_17_ct_falls_on_the_evening_the_trading_day_starts() -> None:
    shell = Shell(replace(RuleSet(), flat_by=time(18, 0)), start=mar(10, 17, 30))
    assert shell.order(NQ, BUY, 1, mar(10, 18, 1)) == "flat-by 18:00 CT passed"
