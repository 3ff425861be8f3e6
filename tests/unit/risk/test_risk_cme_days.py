"""Risk on CME trading days (the session table): weekends, Thanksgiving and Christmas 2025, early closes, hours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from core_server.config import Config
from core_server.risk.engine import MarketHours, RiskEngine
from core_server.risk.events import RiskEventKind, Rule
from core_server.risk.presets import preset
from core_server.risk.rules import RuleSet
from tests.kit.time import ct
from tests.unit.risk.risk_kit import BUY, NQ, SELL, D, Shell

K = RiskEventKind
NQH6 = "NQH2026"
NQZ5 = "NQZ2025"
FLAT_BY_1510 = RuleSet(flat_by=time(15, 10))


def flat_by_times(shell: Shell) -> list[int]:
    return [e.ts_event for e in shell.log if e.kind is K.LOCKED and e.rule is Rule.FLAT_BY]


def test_a_weekend_is_no_trading_day_and_flat_by_never_fires_on_it() -> None:
    # Friday 2026-03-13 to Monday 2026-03-16.
    shell = Shell(replace(preset("topstep_50k").rules, daily_loss_limit=None), start=ct(2026, 3, 13, 8, 30))
    shell.trade(NQ, BUY, 1, "20000.00", ct(2026, 3, 13, 9, 0))
    shell.trade(NQ, SELL, 1, "20010.00", ct(2026, 3, 13, 9, 5))  # +$200 - $5
    shell.advance(ct(2026, 3, 13, 17, 0))  # Friday's roll: the next trading day is Monday

    assert shell.figures().trading_day == date(2026, 3, 16)
    for day in (14, 15):  # Saturday, Sunday: no flat-by, no roll, the day stays Monday
        for hour, minute in ((15, 10), (15, 59), (17, 0)):
            shell.advance(ct(2026, 3, day, hour, minute))
        assert shell.figures().trading_day == date(2026, 3, 16)
    assert flat_by_times(shell) == [ct(2026, 3, 13, 15, 10)]  # Friday's only
    shell.advance(ct(2026, 3, 16, 15, 10))
    shell.advance(ct(2026, 3, 16, 17, 0))
    assert flat_by_times(shell) == [ct(2026, 3, 13, 15, 10), ct(2026, 3, 16, 15, 10)]
    assert shell.risk.day_results(shell.account) == (
        (date(2026, 3, 13), D("195.00")),
        (date(2026, 3, 16), D(0)),
    )
    assert shell.figures().trading_day == date(2026, 3, 17)


def test_apex_flat_by_at_15_59_fires_on_friday_and_monday_not_on_saturday() -> None:
    shell = Shell(preset("apex_50k").rules, start=ct(2026, 3, 13, 8, 30))
    for day in (13, 14, 15, 16):
        shell.advance(ct(2026, 3, day, 15, 59))
        shell.advance(ct(2026, 3, day, 17, 0))
    assert flat_by_times(shell) == [ct(2026, 3, 13, 15, 59), ct(2026, 3, 16, 15, 59)]


def test_thanksgiving_2025_books_thursday_to_friday_which_closes_early_with_an_earlier_flat_by() -> None:
    shell = Shell(FLAT_BY_1510, start=ct(2025, 11, 26, 8, 30))
    shell.advance(ct(2025, 11, 26, 17, 0))
    assert shell.figures().trading_day == date(2025, 11, 28)  # Thursday 11-27 is no trade date

    # Thursday: CME trades until its 12:00 CT holiday halt; that trading is Friday's.
    shell.price(NQZ5, "20000.00", ct(2025, 11, 27, 10, 0))
    assert shell.order(NQZ5, BUY, 1, ct(2025, 11, 27, 10, 0)) is None
    assert shell.order(NQZ5, SELL, 2, ct(2025, 11, 27, 13, 0)) == "trading hours: the market is closed at 13:00 CT"
    shell.advance(ct(2025, 11, 27, 17, 0))
    assert shell.figures().trading_day == date(2025, 11, 28) and flat_by_times(shell) == [ct(2025, 11, 26, 15, 10)]

    # Friday closes at 12:15 CT: the 15:10 flat-by comes as early before it as before a 16:00 close (50 min).
    shell.advance(ct(2025, 11, 28, 11, 24, 59))
    assert shell.net(NQZ5) == 1
    shell.price(NQZ5, "20001.00", ct(2025, 11, 28, 11, 25))
    assert flat_by_times(shell)[-1] == ct(2025, 11, 28, 11, 25) and shell.net(NQZ5) == 0
    assert shell.order(NQZ5, BUY, 1, ct(2025, 11, 28, 12, 30)) == "trading hours: the market is closed at 12:30 CT"
    shell.advance(ct(2025, 11, 28, 17, 0))
    days = [day for day, _ in shell.risk.day_results(shell.account)]
    assert days == [date(2025, 11, 26), date(2025, 11, 28)]
    assert shell.figures().trading_day == date(2025, 12, 1)


def test_christmas_2025_is_closed_and_christmas_eve_closes_early() -> None:
    shell = Shell(FLAT_BY_1510, start=ct(2025, 12, 23, 17, 0))
    assert shell.figures().trading_day == date(2025, 12, 24)
    shell.advance(ct(2025, 12, 24, 11, 25))
    assert flat_by_times(shell) == [ct(2025, 12, 24, 11, 25)]  # 50 minutes before the 12:15 CT close
    shell.advance(ct(2025, 12, 24, 17, 0))
    assert shell.figures().trading_day == date(2025, 12, 26)  # no 12-25

    shell.price(NQH6, "20000.00", ct(2025, 12, 25, 10, 0))
    assert shell.order(NQH6, BUY, 1, ct(2025, 12, 25, 10, 0)) == "trading hours: the market is closed at 10:00 CT"
    shell.advance(ct(2025, 12, 25, 17, 0))
    assert flat_by_times(shell) == [ct(2025, 12, 24, 11, 25)]  # nothing on Christmas Day
    assert shell.order(NQH6, BUY, 1, ct(2025, 12, 25, 17, 0)) is None  # the 12-26 session opens
    shell.advance(ct(2025, 12, 26, 17, 0))
    assert [day for day, _ in shell.risk.day_results(shell.account)] == [date(2025, 12, 24), date(2025, 12, 26)]


def test_orders_are_refused_outside_cme_hours_by_default() -> None:
    shell = Shell(RuleSet(), start=ct(2026, 3, 13, 8, 30))
    shell.price(NQH6, "20000.00", ct(2026, 3, 14, 10, 0))
    assert shell.order(NQH6, BUY, 1, ct(2026, 3, 14, 10, 0)) == "trading hours: the market is closed at 10:00 CT"
    assert shell.order(NQH6, BUY, 1, ct(2026, 3, 16, 16, 30)) == "trading hours: the market is closed at 16:30 CT"


def test_a_simulated_market_declared_open_trades_at_the_weekend_and_says_so() -> None:
    risk = RiskEngine(market_hours=MarketHours.DECLARED_OPEN)
    shell = Shell(RuleSet(), start=ct(2026, 3, 13, 8, 30), risk=risk)
    shell.price(NQH6, "20000.00", ct(2026, 3, 14, 10, 0))

    assert shell.order(NQH6, BUY, 1, ct(2026, 3, 14, 10, 0)) is None
    allowed = [e for e in shell.log if e.kind is K.ORDER_ALLOWED][-1]
    assert allowed.reason == "allowed; market hours: the simulated market is declared open (CME is closed at 10:00 CT)"
    assert shell.order(NQH6, BUY, 1, ct(2026, 3, 16, 10, 0)) is None
    assert [e for e in shell.log if e.kind is K.ORDER_ALLOWED][-1].reason == "allowed"
    assert risk.market_hours_usage(ct(2026, 3, 14, 10, 0)).current == "closed (declared open)"
    assert shell.figures().trading_day == date(2026, 3, 16)  # the weekend still counts toward Monday


def test_market_hours_usage_reports_cme_hours() -> None:
    risk = RiskEngine()
    usage = risk.market_hours_usage(ct(2026, 3, 14, 10, 0))
    assert (usage.rule, usage.current, usage.limit) == ("market_hours", "closed", "CME Globex hours")
    assert risk.market_hours_usage(ct(2026, 3, 16, 10, 0)).current == "open"


def test_apex_keeps_tracking_the_peak_after_the_threshold_locks() -> None:
    shell = Shell(replace(preset("apex_50k").rules, flat_by=None))
    shell.trade(NQ, BUY, 1, "20000.00", shell_time(9, 0))  # $2.50 fee: balance 49,997.50
    shell.price(NQ, "20130.25", shell_time(9, 10))  # +$2,605 open: equity 52,602.50 > 52,600: locked at 50,100
    locked = shell.figures()
    assert (locked.peak, locked.drawdown_threshold, locked.drawdown_locked) == (D("52602.50"), D("50100"), True)
    shell.price(NQ, "20200.00", shell_time(9, 20))  # +$4,000 open: equity 53,997.50
    later = shell.figures()
    assert (later.peak, later.drawdown_threshold) == (D("53997.50"), D("50100"))
    shell.price(NQ, "20150.00", shell_time(9, 30))  # back down: the peak stays at its high-water mark
    assert shell.figures().peak == D("53997.50")


def shell_time(hour: int, minute: int) -> int:
    return ct(2026, 3, 10, hour, minute)


def test_only_a_market_that_is_not_cme_is_declared_open() -> None:
    assert Config(feed="simulated", sim_hours="always").market_declared_open
    assert Config(feed="replay").market_declared_open
    assert not Config(feed="simulated", sim_hours="exchange").market_declared_open
    for feed in ("tradovate", "projectx", "trade_manager"):
        assert not Config(feed=feed).market_declared_open
