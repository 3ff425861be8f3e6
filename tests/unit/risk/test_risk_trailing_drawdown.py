"""Trailing drawdown: end-of-day vs intraday on the same trades, static, and the lock levels (start, start + $100)."""

from __future__ import annotations

from dataclasses import replace

from core_server.risk.events import RiskEventKind, Rule
from core_server.risk.presets import preset
from core_server.risk.rules import DrawdownMode, RuleSet
from tests.unit.risk.risk_kit import BUY, NQ, SELL, D, Shell, mar

K = RiskEventKind
TRAIL_2000 = RuleSet(max_drawdown=D("2000"), drawdown_lock_offset=D("0"))


def same_two_days(mode: DrawdownMode) -> Shell:
    """Day 1: +75 points open at best, closed +25 (balance $50,495). Day 2: long 1 NQ, down 49.75 points."""
    shell = Shell(replace(TRAIL_2000, drawdown_mode=mode))
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))  # fee $2.50: balance 49,997.50
    shell.price(NQ, "20075.00", mar(10, 9, 30))  # +$1,500 open: equity 51,497.50
    shell.trade(NQ, SELL, 1, "20025.00", mar(10, 10, 0))  # +$500 - $5: balance 50,495.00
    shell.advance(mar(10, 17, 0))
    shell.trade(NQ, BUY, 1, "20000.00", mar(11, 9, 0))  # balance 50,492.50
    shell.price(NQ, "19950.25", mar(11, 9, 5))  # -$995 open: equity 49,497.50
    return shell


def test_intraday_trailing_on_the_unrealised_peak_then_the_second_day_fails_the_account() -> None:
    shell = same_two_days(DrawdownMode.INTRADAY_UNREALIZED)
    figures = shell.figures()
    # Peak 51,497.50 on day 1's open profit: threshold 49,497.50, touched exactly.
    assert (figures.peak, figures.drawdown_threshold) == (D("51497.50"), D("49497.50"))
    assert figures.failed and shell.net(NQ) == 0
    breach = next(e for e in shell.log if e.kind is K.BREACH)
    assert breach.rule is Rule.TRAILING_DRAWDOWN
    assert breach.reason == "trailing drawdown: equity $49,497.50 reached the threshold $49,497.50"
    assert shell.order(NQ, BUY, 1, mar(11, 9, 6)) == "trailing drawdown: account failed"


def test_end_of_day_trailing_on_the_same_trades_then_survives_with_1002_50_left() -> None:
    shell = same_two_days(DrawdownMode.END_OF_DAY)
    figures = shell.figures()
    # Peak = day 1's closing balance 50,495.00 (open profit never counts): threshold 48,495.00.
    assert (figures.peak, figures.drawdown_threshold, figures.equity) == (D("50495"), D("48495"), D("49497.50"))
    assert figures.drawdown_distance == D("1002.50") and not figures.failed and shell.net(NQ) == 1


def test_static_drawdown_on_the_same_trades_then_threshold_never_moves() -> None:
    figures = same_two_days(DrawdownMode.STATIC).figures()
    assert (figures.drawdown_threshold, figures.drawdown_distance) == (D("48000"), D("1497.50"))


def test_topstep_eod_threshold_when_the_close_reaches_start_plus_drawdown_then_stops_at_the_starting_balance() -> None:
    shell = Shell(replace(preset("topstep_50k").rules, flat_by=None))
    assert shell.figures().drawdown_threshold == D("48000")
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))
    shell.trade(NQ, SELL, 1, "20100.25", mar(10, 9, 30))  # +$2,005 - $5: balance 52,000
    assert shell.figures().drawdown_threshold == D("48000")  # end of day only
    shell.advance(mar(10, 17, 0))
    figures = shell.figures()
    assert (figures.peak, figures.drawdown_threshold, figures.drawdown_locked) == (D("52000"), D("50000"), True)
    shell.trade(NQ, BUY, 1, "20000.00", mar(11, 9, 0))
    shell.trade(NQ, SELL, 1, "20050.25", mar(11, 9, 30))  # +$1,005 - $5: balance 53,000
    shell.advance(mar(11, 17, 0))
    assert (shell.figures().peak, shell.figures().drawdown_threshold) == (D("53000"), D("50000"))


def test_apex_intraday_threshold_stops_at_start_plus_100_and_fails_on_touching_it() -> None:
    shell = Shell(replace(preset("apex_50k").rules, flat_by=None))
    assert shell.figures().drawdown_threshold == D("47500")
    shell.trade(NQ, BUY, 1, "20000.00", mar(10, 9, 0))  # balance 49,997.50
    shell.price(NQ, "20130.00", mar(10, 9, 10))  # +$2,600 open: peak 52,597.50
    figures = shell.figures()
    assert (figures.drawdown_threshold, figures.drawdown_locked) == (D("50097.50"), False)
    shell.price(NQ, "20130.25", mar(10, 9, 11))  # +$2,605 open: peak 52,602.50, threshold capped
    figures = shell.figures()
    assert (figures.peak, figures.drawdown_threshold, figures.drawdown_locked) == (D("52602.50"), D("50100"), True)
    shell.price(NQ, "20200.00", mar(10, 9, 12))
    assert shell.figures().drawdown_threshold == D("50100")
    shell.price(NQ, "20005.25", mar(10, 9, 20))  # equity 50,102.50
    assert shell.figures().drawdown_distance == D("2.50") and not shell.figures().failed
    shell.price(NQ, "20005.00", mar(10, 9, 21))  # equity 50,097.50 <= 50,100
    assert shell.figures().failed and shell.net(NQ) == 0
