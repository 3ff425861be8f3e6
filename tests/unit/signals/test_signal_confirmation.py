"""Pending signals through their candles: confirmation with pivot stop and entry, invalidation, expiry."""

from __future__ import annotations

from core_server.model.market_data import Candle, Timeframe
from core_server.signals.model import (
    CheckName,
    CheckOutcome,
    CheckResult,
    Signal,
    SignalDirection,
    SignalEventKind,
    SignalStatus,
    SignalUpdate,
)
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import NQ, Rig, S, bar, px, signal_input

M5 = Timeframe.M5
BULLISH, BEARISH = SignalDirection.BULLISH, SignalDirection.BEARISH


def at(hour: int, minute: int, second: int = 0) -> int:
    return ct(2025, 11, 14, hour, minute, second)


T = at(8, 37, 12)  # inside the 08:35-08:40 CT 5m bucket

# Bullish: signal candle high 25341.25 / low 25318.00; C1 makes a pivot low at 25310.00; C3 confirms.
BEFORE = bar(at(8, 30), "25330.00", "25338.00", "25320.00", "25335.00")
C0 = bar(at(8, 35), "25335.00", "25341.25", "25318.00", "25340.00")
C1 = bar(at(8, 40), "25340.00", "25341.00", "25310.00", "25325.00")
C2 = bar(at(8, 45), "25325.00", "25339.00", "25315.50", "25330.00")
C3 = bar(at(8, 50), "25330.00", "25350.00", "25322.00", "25345.00")

# Bearish: signal candle high 25320.00 / low 25300.00; B1 makes a pivot high at 25330.00; B3 confirms.
B_BEFORE = bar(at(8, 30), "25310.00", "25318.00", "25302.00", "25305.00")
B0 = bar(at(8, 35), "25305.00", "25320.00", "25300.00", "25301.00")
B1 = bar(at(8, 40), "25301.00", "25330.00", "25303.00", "25315.00")
B2 = bar(at(8, 45), "25315.00", "25324.75", "25304.00", "25308.00")
B3 = bar(at(8, 50), "25308.00", "25312.00", "25290.00", "25295.50")


def pending_bullish(rig: Rig) -> Signal:
    rig.history.add(BEFORE)
    rig.market.trade("25340.00")
    return rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + 2 * S).signal


def pending_bearish(rig: Rig) -> Signal:
    rig.history.add(B_BEFORE)
    rig.market.trade("25301.00")
    sig = signal_input(T, "25300.00", direction=BEARISH)
    return rig.validator.submit(sig, authenticated=True, now_ns=T + 2 * S).signal


def close(rig: Rig, *candles: Candle) -> list[SignalUpdate]:
    """Close candles as the shell would: into the history, then into the validator."""
    updates: list[SignalUpdate] = []
    for candle in candles:
        rig.history.add(candle)
        updates += rig.validator.on_candle_closed(candle, candle.end_ns + S)
    return updates


def test_bullish_signal_waits_for_its_forming_candle_then_confirms_with_pivot_stop_and_entry() -> None:
    rig = Rig()
    signal = pending_bullish(rig)
    assert (signal.waiting_for, signal.signal_candle, signal.candles_waited) == ("5m signal candle to close", None, 0)

    assert close(rig, C0) == []
    signal = rig.validator.get("sig-1")
    assert (signal.signal_candle, signal.waiting_for, signal.candles_waited) == (C0, "5m close > 25341.25", 0)

    assert close(rig, C1, C2) == []
    assert rig.validator.get("sig-1").candles_waited == 2
    assert close(rig, C3) == []
    signal = rig.validator.get("sig-1")
    assert signal.status is SignalStatus.PENDING and signal.waiting_for == "next 5m open (entry)"
    assert signal.check(CheckName.CONFIRMATION) == CheckResult(
        CheckName.CONFIRMATION,
        CheckOutcome.PASSED,
        "5m close 25345.00 > signal high 25341.25 on candle 3 of 10 (2025-11-14 08:50:00 CT)",
        C3.end_ns + S,
    )
    assert signal.check(CheckName.PIVOT_STOP).detail == (
        "pivot low 25310.00 (candle 2025-11-14 08:40:00 CT) - 25 = 25285.00"
    )
    assert (signal.pivot_price, signal.pivot_candle_start_ns, signal.stop_from_fallback) == (
        px("25310"),
        C1.start_ns,
        False,
    )
    assert (signal.confirmation_candle, signal.stop_price) == (C3, px("25285.00"))

    now = at(8, 55, 0) + 1000
    [update] = rig.validator.on_candle_opened(NQ, M5, at(8, 55), px("25346.50"), now)
    signal = update.signal
    assert signal.status is SignalStatus.CONFIRMED and signal.decided_ns == now
    assert (signal.entry_price, signal.stop_price, signal.risk_ticks) == (px("25346.50"), px("25285.00"), px("61.50"))
    assert signal.check(CheckName.ENTRY_RISK).detail == (
        "entry 25346.50 (open of 5m candle 2025-11-14 08:55:00 CT); risk 25346.50 - 25285.00 = 61.50 points > 0"
    )
    assert (update.event.kind, update.event.detail) == (
        SignalEventKind.CONFIRMED,
        "entry 25346.50, stop 25285.00, risk 61.50 points",
    )
    assert [e.kind for e in signal.events] == [
        SignalEventKind.RECEIVED,
        SignalEventKind.PENDING,
        SignalEventKind.CONFIRMED,
    ]
    assert [c.outcome for c in signal.checks] == [CheckOutcome.PASSED] * 7
    assert (signal.waiting_for, signal.candles_waited, signal.expires_after_candles) == ("", 3, 10)
    assert rig.validator.pending_count == 0
    assert close(rig, bar(at(8, 55), "25346.50", "25350.00", "25340.00", "25348.00")) == []


def test_bearish_signal_confirms_with_pivot_high_stop_and_takes_the_entry_from_the_already_forming_candle() -> None:
    rig = Rig()
    signal = pending_bearish(rig)
    close(rig, B0, B1, B2)
    assert rig.validator.get(signal.signal_id).waiting_for == "5m close < 25300.00"
    # The next candle already has its first price when the confirmation close is reported.
    rig.history.form(bar(at(8, 55), "25295.00", "25295.00", "25295.00", "25295.00"))
    [update] = close(rig, B3)
    signal = update.signal
    assert signal.status is SignalStatus.CONFIRMED
    assert signal.check(CheckName.CONFIRMATION).detail == (
        "5m close 25295.50 < signal low 25300.00 on candle 3 of 10 (2025-11-14 08:50:00 CT)"
    )
    assert signal.check(CheckName.PIVOT_STOP).detail == (
        "pivot high 25330.00 (candle 2025-11-14 08:40:00 CT) + 25 = 25355.00"
    )
    assert signal.check(CheckName.ENTRY_RISK).detail == (
        "entry 25295.00 (open of 5m candle 2025-11-14 08:55:00 CT); risk 25355.00 - 25295.00 = 60.00 points > 0"
    )
    assert (signal.entry_price, signal.stop_price, signal.risk_ticks) == (px("25295"), px("25355"), px("60"))
    assert (signal.pivot_price, signal.stop_from_fallback) == (px("25330"), False)


def test_entry_comes_from_the_next_closed_candle_when_its_open_was_never_reported() -> None:
    rig = Rig()
    pending_bullish(rig)
    close(rig, C0, C1, C2, C3)
    [update] = close(rig, bar(at(8, 55), "25346.00", "25352.00", "25344.00", "25350.00"))
    assert update.signal.entry_price == px("25346.00")
    assert update.signal.risk_ticks == px("61.00")


def test_late_signal_catches_up_on_closed_candles_and_confirms_at_once_with_the_fallback_stop() -> None:
    rig = Rig()
    m1 = Timeframe.M1
    rig.history.add(
        bar(at(8, 36), "25339.00", "25340.75", "25337.00", "25340.00", m1),
        bar(at(8, 37), "25340.00", "25341.25", "25338.00", "25339.50", m1),  # the signal candle
        bar(at(8, 38), "25339.50", "25342.00", "25336.50", "25341.75", m1),  # closes above 25341.25
    )
    rig.history.form(bar(at(8, 39), "25341.50", "25341.50", "25341.50", "25341.50", m1))
    rig.market.trade("25341.50")
    now = at(8, 39, 5)  # 113 s after the signal
    result = rig.validator.submit(signal_input(T, "25341.25", tf=m1), authenticated=True, now_ns=now)
    signal = result.signal
    assert [u.event.kind for u in result.updates] == [
        SignalEventKind.RECEIVED,
        SignalEventKind.PENDING,
        SignalEventKind.CONFIRMED,
    ]
    assert result.updates[1].event.detail == "waiting for 1m signal candle to close"
    assert signal.check(CheckName.CONFIRMATION).detail == (
        "1m close 25341.75 > signal high 25341.25 on candle 1 of 10 (2025-11-14 08:38:00 CT)"
    )
    # 08:37's low 25338.00 is not below 08:36's 25337.00: no pivot, so the lowest low of the range is used.
    assert signal.check(CheckName.PIVOT_STOP).detail == (
        "no pivot low before the confirmation candle: lowest low of 2 candles 25336.50 - 25 = 25311.50"
    )
    assert (signal.pivot_price, signal.pivot_candle_start_ns, signal.stop_from_fallback) == (None, None, True)
    assert (signal.entry_price, signal.stop_price, signal.risk_ticks) == (px("25341.50"), px("25311.50"), px("30"))


def test_no_candle_in_the_signal_bucket_rejects_the_signal() -> None:
    rig = Rig()
    rig.market.trade("25341.25")
    rig.validator.submit(signal_input(T, "25341.25", tf=Timeframe.M1), authenticated=True, now_ns=T + S)
    [update] = close(rig, bar(at(8, 38), "25340.00", "25341.00", "25339.00", "25340.50", Timeframe.M1))
    signal = update.signal
    assert signal.status is SignalStatus.REJECTED
    assert signal.check(CheckName.CONFIRMATION).detail == (
        "no 1m candle holds the signal time (no trades in its bucket):"
        " the first closed candle after it starts 2025-11-14 08:38:00 CT"
    )


def test_bullish_close_below_the_signal_low_invalidates_but_a_close_at_it_does_not() -> None:
    rig = Rig()
    pending_bullish(rig)
    at_low = bar(at(8, 40), "25340.00", "25341.25", "25316.00", "25318.00")  # close == low, high == high
    assert close(rig, C0, at_low) == []
    below = bar(at(8, 45), "25318.00", "25320.00", "25316.00", "25317.75")
    [update] = close(rig, below)
    signal = update.signal
    assert signal.status is SignalStatus.INVALIDATED and update.event.kind is SignalEventKind.INVALIDATED
    detail = "5m close 25317.75 < signal low 25318.00 on candle 2 of 10 (2025-11-14 08:45:00 CT)"
    assert signal.check(CheckName.CONFIRMATION) == CheckResult(
        CheckName.CONFIRMATION, CheckOutcome.FAILED, detail, below.end_ns + S
    )
    assert update.event.detail == f"confirmation: {detail}"
    assert [c.outcome for c in signal.checks[-2:]] == [CheckOutcome.SKIPPED] * 2
    assert signal.check(CheckName.PIVOT_STOP).detail == "skipped: confirmation failed"
    assert (signal.candles_waited, signal.waiting_for, rig.validator.pending_count) == (2, "", 0)


def test_bearish_close_above_the_signal_high_invalidates() -> None:
    rig = Rig()
    pending_bearish(rig)
    [update] = close(rig, B0, bar(at(8, 40), "25301.00", "25321.00", "25300.50", "25320.25"))
    assert update.signal.status is SignalStatus.INVALIDATED
    assert update.signal.check(CheckName.CONFIRMATION).detail == (
        "5m close 25320.25 > signal high 25320.00 on candle 1 of 10 (2025-11-14 08:40:00 CT)"
    )


def inside_candles(count: int, close_price: str) -> list[Candle]:
    """`count` 5m candles from 08:40 CT that neither confirm nor invalidate."""
    return [bar(at(8, 40) + i * 300 * S, close_price, "25341.25", "25318.00", close_price) for i in range(count)]


def test_bullish_signal_expires_after_ten_candles_without_confirmation() -> None:
    rig = Rig()
    pending_bullish(rig)
    candles = inside_candles(10, "25330.00")
    assert close(rig, C0, *candles[:9]) == []
    assert rig.validator.get("sig-1").candles_waited == 9
    [update] = close(rig, candles[9])
    signal = update.signal
    assert signal.status is SignalStatus.EXPIRED and update.event.kind is SignalEventKind.EXPIRED
    assert signal.check(CheckName.CONFIRMATION).detail == "no 5m close > 25341.25 within 10 candles"
    assert signal.candles_waited == 10 and rig.validator.pending_count == 0


def test_bearish_signal_expires_after_ten_candles_without_confirmation() -> None:
    rig = Rig()
    pending_bearish(rig)
    candles = [bar(at(8, 40) + i * 300 * S, "25310.00", "25320.00", "25300.00", "25310.00") for i in range(10)]
    updates = close(rig, B0, *candles)
    assert [u.signal.status for u in updates] == [SignalStatus.EXPIRED]
    assert updates[0].signal.check(CheckName.CONFIRMATION).detail == "no 5m close < 25300.00 within 10 candles"


def test_the_tenth_candle_may_still_confirm() -> None:
    rig = Rig()
    pending_bullish(rig)
    last = bar(at(8, 40) + 9 * 300 * S, "25330.00", "25345.00", "25325.00", "25342.00")
    assert close(rig, C0, *inside_candles(9, "25330.00"), last) == []
    signal = rig.validator.get("sig-1")
    assert signal.status is SignalStatus.PENDING and signal.confirmation_candle == last
    assert signal.check(CheckName.CONFIRMATION).detail.endswith("on candle 10 of 10 (2025-11-14 09:25:00 CT)")


def test_candles_of_other_series_and_repeated_closes_leave_a_pending_signal_alone() -> None:
    rig = Rig()
    pending_bullish(rig)
    close(rig, C0)
    assert rig.validator.on_candle_closed(C3._replace(timeframe=Timeframe.M1), C3.end_ns) == []
    assert rig.validator.on_candle_closed(C3._replace(contract_id="ESZ2025"), C3.end_ns) == []
    assert rig.validator.on_candle_closed(C0, C0.end_ns) == []  # already seen: not counted again
    assert rig.validator.get("sig-1").candles_waited == 0
