"""A restarted risk engine picks up where the saved state left it: locks hold within the day, lift after a roll."""

from __future__ import annotations

from dataclasses import replace

from core_server.risk.engine import RiskEngine
from core_server.risk.events import RiskEventKind, RiskStatus, Rule
from core_server.risk.presets import preset
from core_server.risk.saved import SavedAccount
from tests.unit.risk.risk_kit import ACC, BUY, NQ, SELL, Shell, mar


def locked_shell() -> Shell:
    shell = Shell(replace(preset("topstep_50k").rules, flat_by=None))
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "19950.25", mar(10, 9, 5))  # -$1,000.00 with fees: soft breach
    return shell


def restarted(shell: Shell, now: int) -> tuple[RiskEngine, tuple[RiskEventKind, ...]]:
    saved = SavedAccount.from_json(ACC, shell.risk.saved(ACC).to_json())
    assert saved == shell.risk.saved(ACC)
    fresh = RiskEngine()
    account = shell.exec.account(ACC)
    result = fresh.restore_account(account, shell.exec.positions(ACC), shell.risk.rules(ACC), saved, now)
    return fresh, tuple(e.kind for e in result.events)


def test_a_soft_lock_saved_then_restored_the_same_trading_day_still_denies_new_risk() -> None:
    shell = locked_shell()
    fresh, kinds = restarted(shell, mar(10, 10, 0))
    assert kinds == ()
    figures = fresh.figures(ACC)
    assert (figures.locked, figures.status, figures.daily_loss_used) == (True, RiskStatus.LOCKED, 1000)
    shell.exec._checks = [fresh]  # the restarted server's check
    assert shell.order(NQ, BUY, 1, mar(10, 10, 1)) == (
        "daily loss: locked until the next trading day (used $1,000.00 of $1,000.00)"
    )


def test_a_soft_lock_restored_after_the_roll_passed_while_down_is_lifted_with_an_unlocked_event() -> None:
    shell = locked_shell()
    fresh, kinds = restarted(shell, mar(11, 9, 0))
    assert RiskEventKind.UNLOCKED in kinds
    figures = fresh.figures(ACC)
    assert (figures.locked, str(figures.trading_day)) == (False, "2026-03-11")
    assert fresh.day_results(ACC)[-1][1] == -1000
    assert fresh.saved(ACC).lock_rule is None and shell.risk.saved(ACC).lock_rule is Rule.DAILY_LOSS
