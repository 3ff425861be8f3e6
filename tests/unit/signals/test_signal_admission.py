"""Checks decided on arrival: authenticity, staleness by price and age, session windows and market hours."""

from __future__ import annotations

from datetime import time

from core_server.calendar.windows import SessionWindow, SessionWindows
from core_server.model.market_data import Timeframe
from core_server.signals.model import CheckName, CheckOutcome, CheckResult, SignalEventKind, SignalStatus
from core_server.signals.settings import settings_with
from tests.kit.time import ct, et
from tests.unit.signals.signal_fakes import Rig, S, signal_input

T = ct(2025, 11, 14, 8, 37, 12)  # Friday 09:37:12 ET: NY AM, market open
PASSED, FAILED, SKIPPED, WAITING = (
    CheckOutcome.PASSED,
    CheckOutcome.FAILED,
    CheckOutcome.SKIPPED,
    CheckOutcome.WAITING,
)
ALL_DAY = SessionWindows(
    (SessionWindow("Day", time(0, 0), time(12, 0)), SessionWindow("Night", time(12, 0), time(0, 0)))
)


def outcomes(signal: object) -> list[CheckOutcome]:
    return [c.outcome for c in signal.checks]  # type: ignore[attr-defined]


def test_submit_when_not_authenticated_then_rejects_and_skips_every_other_check() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    result = rig.validator.submit(signal_input(T, "25341.25"), authenticated=False, now_ns=T + S)
    signal = result.signal
    assert signal.status is SignalStatus.REJECTED and not result.duplicate
    assert signal.checks[0] == CheckResult(CheckName.AUTHENTIC_AND_NEW, FAILED, "shared secret missing or wrong", T + S)
    assert outcomes(signal) == [FAILED] + [SKIPPED] * 6
    assert signal.checks[1].detail == "skipped: authentic_and_new failed"
    assert [u.event.kind for u in result.updates] == [SignalEventKind.RECEIVED, SignalEventKind.REJECTED]
    assert result.updates[-1].event.detail == "authentic_and_new: shared secret missing or wrong"
    assert signal.decided_ns == T + S and signal.waiting_for == ""


def test_submit_when_all_admission_checks_pass_then_pending_with_the_later_checks_waiting() -> None:
    rig = Rig()
    rig.market.trade("25340.00")
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + 2 * S).signal
    assert signal.signal_id == "sig-1" and signal.status is SignalStatus.PENDING
    assert outcomes(signal) == [PASSED] * 4 + [WAITING] * 3
    assert signal.checks[0].detail == f"authenticated; first delivery of key {signal.idempotency_key}"
    assert signal.check(CheckName.STALENESS_PRICE).detail == "|25341.25 - 25340.00 (last trade)| = 1.25 <= 5"
    assert signal.check(CheckName.STALENESS_AGE).detail == "age 2 s <= 120 s"
    assert (
        signal.check(CheckName.SESSION).detail == "window NY AM at 09:37:12 ET; market open at 2025-11-14 08:37:12 CT"
    )
    assert signal.decided_ns == 0 and signal.received_ns == T + 2 * S


def test_price_exactly_5_points_from_the_last_trade_passes() -> None:
    rig = Rig()
    rig.market.trade("25336.25")
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + S).signal
    assert signal.check(CheckName.STALENESS_PRICE) == CheckResult(
        CheckName.STALENESS_PRICE, PASSED, "|25341.25 - 25336.25 (last trade)| = 5.00 <= 5", T + S
    )


def test_price_5_25_points_from_the_last_trade_rejects() -> None:
    rig = Rig()
    rig.market.trade("25336.00")
    result = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + S)
    assert result.signal.status is SignalStatus.REJECTED
    assert result.signal.check(CheckName.STALENESS_PRICE).detail == "|25341.25 - 25336.00 (last trade)| = 5.25 > 5"
    assert outcomes(result.signal) == [PASSED, FAILED] + [SKIPPED] * 5


def test_price_uses_the_exact_quote_mid_when_there_is_no_trade() -> None:
    rig = Rig()
    rig.market.quote("25336.00", "25336.25")  # mid 25336.125: 5.125 points away
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + S).signal
    assert signal.check(CheckName.STALENESS_PRICE).detail == "|25341.25 - 25336.125 (quote mid)| = 5.125 > 5"
    assert signal.status is SignalStatus.REJECTED


def test_price_when_the_contract_has_no_price_yet_then_rejects_with_the_reason() -> None:
    rig = Rig()
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + S).signal
    assert signal.check(CheckName.STALENESS_PRICE).outcome is FAILED
    assert signal.check(CheckName.STALENESS_PRICE).detail == (
        "no trade or quote for NQZ2025 yet: cannot compare 25341.25 with it"
    )


def test_age_exactly_the_maximum_passes() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + 120 * S).signal
    assert signal.check(CheckName.STALENESS_AGE) == CheckResult(
        CheckName.STALENESS_AGE, PASSED, "age 120 s <= 120 s", T + 120 * S
    )
    assert signal.status is SignalStatus.PENDING


def test_age_one_nanosecond_over_the_maximum_rejects() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    now = T + 120 * S + 1
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=now).signal
    assert signal.check(CheckName.STALENESS_AGE).detail == "age 120.000000001 s > 120 s"
    assert outcomes(signal) == [PASSED, PASSED, FAILED] + [SKIPPED] * 4
    assert signal.status is SignalStatus.REJECTED


def test_signal_time_ahead_of_now_by_the_allowed_skew_passes() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T - 5 * S).signal
    assert signal.check(CheckName.STALENESS_AGE).detail == "signal time 5 s ahead, within 5 s skew"
    assert signal.status is SignalStatus.PENDING


def test_signal_time_further_in_the_future_than_the_skew_rejects() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    signal = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T - 5 * S - 1).signal
    assert signal.check(CheckName.STALENESS_AGE).detail == "signal time 5.000000001 s in the future > 5 s skew"
    assert signal.status is SignalStatus.REJECTED


def session_check(rig: Rig, ts: int, contract: str = "NQZ2025", **fields: object) -> CheckResult:
    rig.market.trade("25341.25", contract)
    sig = signal_input(ts, "25341.25", tf=Timeframe.M1, contract=contract, **fields)
    return rig.validator.submit(sig, authenticated=True, now_ns=ts + S).signal.check(CheckName.SESSION)


def test_session_last_second_of_the_close_window_passes_and_the_halt_after_it_fails() -> None:
    inside = session_check(Rig(), et(2025, 11, 13, 16, 59, 59))
    assert (inside.outcome, inside.detail) == (
        PASSED,
        "window Close at 16:59:59 ET; market open at 2025-11-13 15:59:59 CT",
    )
    outside = session_check(Rig(), et(2025, 11, 13, 17, 0, 0))
    assert (outside.outcome, outside.detail) == (
        FAILED,
        "no session window at 17:00:00 ET; market closed at 2025-11-13 16:00:00 CT, reopens 2025-11-13 17:00:00 CT",
    )


def test_session_with_only_ny_am_enabled_then_its_boundaries_are_exact() -> None:
    settings = settings_with(session_windows=frozenset({"NY AM"}))
    before = session_check(Rig(settings), et(2025, 11, 14, 9, 29, 59))
    assert (before.outcome, before.detail) == (
        FAILED,
        "window London at 09:29:59 ET is not enabled; market open at 2025-11-14 08:29:59 CT",
    )
    first = session_check(Rig(settings), et(2025, 11, 14, 9, 30, 0))
    assert (first.outcome, first.detail) == (
        PASSED,
        "window NY AM at 09:30:00 ET; market open at 2025-11-14 08:30:00 CT",
    )
    last = session_check(Rig(settings), et(2025, 11, 14, 11, 59, 59))
    assert last.outcome is PASSED
    after = session_check(Rig(settings), et(2025, 11, 14, 12, 0, 0))
    assert (after.outcome, after.detail) == (
        FAILED,
        "window NY Lunch at 12:00:00 ET is not enabled; market open at 2025-11-14 11:00:00 CT",
    )


def test_session_on_christmas_day_rejects_as_closed() -> None:
    check = session_check(Rig(), ct(2025, 12, 25, 10, 0), contract="NQH2026")
    assert (check.outcome, check.detail) == (
        FAILED,
        "window NY AM at 11:00:00 ET; market closed at 2025-12-25 10:00:00 CT, reopens 2025-12-25 17:00:00 CT",
    )


def test_session_in_the_daily_halt_rejects_even_inside_a_configured_window() -> None:
    check = session_check(Rig(windows=ALL_DAY), ct(2025, 11, 13, 16, 30))
    assert (check.outcome, check.detail) == (
        FAILED,
        "window Night at 17:30:00 ET; market closed at 2025-11-13 16:30:00 CT, reopens 2025-11-13 17:00:00 CT",
    )


def test_session_on_the_early_close_day_passes_before_12_15_ct_and_rejects_from_it() -> None:
    before = session_check(Rig(), ct(2025, 11, 28, 12, 14, 59))
    assert (before.outcome, before.detail) == (
        PASSED,
        "window NY Lunch at 13:14:59 ET; market open at 2025-11-28 12:14:59 CT",
    )
    after = session_check(Rig(), ct(2025, 11, 28, 12, 15, 0))
    assert (after.outcome, after.detail) == (
        FAILED,
        "window NY Lunch at 13:15:00 ET; market closed at 2025-11-28 12:15:00 CT, reopens 2025-11-30 17:00:00 CT",
    )


def test_session_in_the_thanksgiving_halt_reports_halted() -> None:
    check = session_check(Rig(), ct(2025, 11, 27, 13, 0))
    assert (check.outcome, check.detail) == (
        FAILED,
        "window NY PM at 14:00:00 ET; market halted at 2025-11-27 13:00:00 CT, reopens 2025-11-27 17:00:00 CT",
    )


def test_session_label_is_compared_with_the_window_but_never_enforced() -> None:
    matching = session_check(Rig(), T, session="ny_am")
    assert (matching.outcome, matching.detail) == (
        PASSED,
        "window NY AM at 09:37:12 ET; market open at 2025-11-14 08:37:12 CT; label 'ny_am' matches",
    )
    other = session_check(Rig(), T, session="London")
    assert (other.outcome, other.detail) == (
        PASSED,
        "window NY AM at 09:37:12 ET; market open at 2025-11-14 08:37:12 CT;"
        " label 'London' differs from window NY AM (not enforced)",
    )
