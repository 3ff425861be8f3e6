"""Daily loss limit (fees counted, CME trading day), its statuses and the soft/hard breach, to the cent."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core_server.execution.commands import CancelAllOrders, FlattenAccount
from core_server.risk.evaluation import status_of
from core_server.risk.events import RiskEventKind, RiskStatus, Rule
from core_server.risk.presets import preset
from core_server.risk.rules import BreachMode, RuleSet
from tests.unit.risk.risk_kit import ACC, BUY, NQ, SELL, D, Shell, mar

K = RiskEventKind


def topstep_50k() -> RuleSet:
    return replace(preset("topstep_50k").rules, flat_by=None)


def test_status_of_when_at_each_boundary_then_half_open_bands_and_locked_only_above_90() -> None:
    limit = D("1000")
    assert [status_of(D(used), limit) for used in ("0", "499.99", "500", "699.99", "700", "900", "900.01")] == [
        RiskStatus.SAFE, RiskStatus.SAFE, RiskStatus.WARNING, RiskStatus.WARNING, RiskStatus.DANGER,
        RiskStatus.DANGER, RiskStatus.LOCKED,
    ]  # fmt: skip
    assert status_of(D("5000"), None) is RiskStatus.SAFE


def test_realised_loss_plus_fees_at_exactly_the_limit_when_soft_then_breach_locks_and_closes_out() -> None:
    shell = Shell(topstep_50k())
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    # -49.75 points x $20 = -$995 realised, plus $2.50 x 2 sides = $5 fees: exactly -$1,000.00.
    shell.trade(NQ, SELL, 1, "19950.25", mar(10, 9, 5))
    figures = shell.figures()
    assert (figures.day_pnl, figures.daily_loss_used, figures.balance) == (D("-1000"), D("1000"), D("49000"))
    assert figures.status is RiskStatus.LOCKED and figures.locked and not figures.failed
    breach = next(e for e in shell.log if e.kind is K.BREACH)
    assert (breach.rule, breach.reason) == (Rule.DAILY_LOSS, "daily loss: used $1,000.00 of $1,000.00")
    assert K.LOCKED in shell.kinds()
    assert shell.actions == [CancelAllOrders(ACC), FlattenAccount(ACC)]
    reason = shell.order(NQ, BUY, 1, mar(10, 9, 6))
    assert reason == "daily loss: locked until the next trading day (used $1,000.00 of $1,000.00)"


def test_loss_one_tick_short_of_the_limit_then_no_breach_but_new_risk_blocked_above_90_percent() -> None:
    shell = Shell(topstep_50k())
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "19950.50", mar(10, 9, 5))  # -$990 - $5 = -$995
    figures = shell.figures()
    assert figures.daily_loss_used == D("995") and figures.status is RiskStatus.LOCKED and not figures.locked
    assert K.BREACH not in shell.kinds()
    reason = shell.order(NQ, BUY, 1, mar(10, 9, 6))
    assert reason == "daily loss: 99.5% of the limit used ($995.00 of $1,000.00); new risk is blocked above 90%"


def test_unrealised_loss_when_it_reaches_the_limit_then_the_same_tick_closes_out() -> None:
    shell = Shell(topstep_50k())
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))  # $2.50 entry fee
    shell.price(NQ, "19950.25", mar(10, 9, 1))  # -$995 open - $2.50 = -$997.50
    assert shell.figures().daily_loss_used == D("997.50") and shell.net(NQ) == 1
    shell.price(NQ, "19950.00", mar(10, 9, 2))  # -$1,000 open - $2.50: breach, flattened at 19950.00
    assert shell.net(NQ) == 0
    assert shell.actions == [CancelAllOrders(ACC), FlattenAccount(ACC)]
    figures = shell.figures()
    assert figures.balance == D("48995.00") and figures.daily_loss_used == D("1005.00")  # exit fee after the breach


def test_soft_lock_when_the_trading_day_rolls_at_17_ct_then_unlocks_and_allows_new_risk() -> None:
    shell = Shell(topstep_50k())
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "19950.25", mar(10, 9, 5))
    assert shell.order(NQ, BUY, 1, mar(10, 16, 59, 59)) is not None
    shell.advance(mar(10, 17, 0))
    unlocked = [e for e in shell.log if e.kind is K.UNLOCKED]
    assert [(e.rule, e.ts_event) for e in unlocked] == [(Rule.DAILY_LOSS, mar(10, 17, 0))]
    figures = shell.figures()
    assert (figures.status, figures.locked, figures.day_pnl, figures.trading_day.isoformat()) == (
        RiskStatus.SAFE, False, D("0"), "2026-03-11",
    )  # fmt: skip
    shell.price(NQ, "19950.25", mar(10, 17, 1))
    assert shell.order(NQ, BUY, 1, mar(10, 17, 1)) is None


def test_hard_daily_breach_then_account_failed_for_good() -> None:
    shell = Shell(replace(topstep_50k(), daily_loss_breach=BreachMode.HARD))
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "19950.25", mar(10, 9, 5))
    assert shell.figures().failed and shell.figures().status is RiskStatus.FAILED and K.FAILED in shell.kinds()
    shell.advance(mar(10, 17, 0))
    assert shell.figures().failed
    assert shell.order(NQ, BUY, 1, mar(11, 9, 0)) == "daily loss: account failed"


def test_status_changes_at_50_70_and_above_90_percent_of_unrealised_loss() -> None:
    shell = Shell(topstep_50k(), commission="0")
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    seen = []
    for minute, price in enumerate(("19975.25", "19975.00", "19965.25", "19965.00", "19955.00", "19954.75"), 1):
        shell.price(NQ, price, mar(10, 9, minute))
        seen.append(shell.figures().status)
    # -$495, -$500, -$695, -$700, -$900, -$905
    assert seen == [
        RiskStatus.SAFE, RiskStatus.WARNING, RiskStatus.WARNING, RiskStatus.DANGER, RiskStatus.DANGER,
        RiskStatus.LOCKED,
    ]  # fmt: skip
    changes = [(e.number("from"), e.number("to")) for e in shell.log if e.kind is K.STATUS_CHANGED]
    assert changes == [("safe", "warning"), ("warning", "danger"), ("danger", "locked")]
    shell.price(NQ, "19990.00", mar(10, 9, 30))  # back to -$200
    assert shell.figures().status is RiskStatus.SAFE


def test_reducing_order_when_locked_then_still_allowed() -> None:
    shell = Shell(topstep_50k(), commission="0")
    shell.trade(NQ, BUY, 2, "20000.00", mar(10, 9, 0))
    shell.price(NQ, "19977.25", mar(10, 9, 1))  # -$910: locked status, not breached
    assert shell.figures().status is RiskStatus.LOCKED
    assert shell.order(NQ, BUY, 1, mar(10, 9, 2)) is not None
    assert shell.order(NQ, SELL, 1, mar(10, 9, 2)) is None
    assert shell.net(NQ) == 1
    assert shell.order(NQ, SELL, 2, mar(10, 9, 3)) is not None  # would go short 1: new risk
    assert Decimal(shell.figures().daily_loss_used) == D("910")
