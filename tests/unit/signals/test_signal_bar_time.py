"""bar_time_ns (TradingView {{time}}): the signal candle is the bar that produced the alert; trades attach."""

from __future__ import annotations

import pytest

from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.market_data import Timeframe
from core_server.signals.idempotency import content_key
from core_server.signals.model import CheckName, CheckOutcome, SignalEventKind, SignalStatus
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import Rig, S, bar, px, signal_input

M5 = Timeframe.M5


def at(hour: int, minute: int, second: int = 0) -> int:
    return ct(2025, 11, 14, hour, minute, second)


BEFORE = bar(at(8, 30), "25330.00", "25338.00", "25320.00", "25335.00")
C0 = bar(at(8, 35), "25335.00", "25341.25", "25318.00", "25340.00")  # the alert's bar
C1 = bar(at(8, 40), "25340.00", "25341.00", "25310.00", "25325.00")
C2 = bar(at(8, 45), "25325.00", "25339.00", "25315.50", "25330.00")
C3 = bar(at(8, 50), "25330.00", "25350.00", "25322.00", "25345.00")
FIRED = at(8, 40, 2)  # "once per bar close": fires 2 s into the next bar


def submit_on_bar_close(rig: Rig, bar_time_ns: int, fired: int = FIRED) -> None:
    rig.history.add(BEFORE, C0)
    rig.market.trade("25340.00")
    sig = signal_input(fired, "25340.00", bar_time_ns=bar_time_ns)
    rig.validator.submit(sig, authenticated=True, now_ns=fired + S)


def test_with_a_bar_time_the_signal_candle_is_the_bar_that_fired_not_the_one_holding_the_fire_time() -> None:
    rig = Rig()
    submit_on_bar_close(rig, at(8, 35))
    signal = rig.validator.get("sig-1")
    assert signal.status is SignalStatus.PENDING
    assert (signal.signal_candle, signal.waiting_for) == (C0, "5m close > 25341.25")
    for candle in (C1, C2, C3):
        rig.history.add(candle)
        assert rig.validator.on_candle_closed(candle, candle.end_ns + S) == []
    [update] = rig.validator.on_candle_opened(C3.contract_id, M5, at(8, 55), px("25346.50"), at(8, 55, 1))
    signal = update.signal
    assert signal.status is SignalStatus.CONFIRMED
    assert (signal.confirmation_candle, signal.candles_waited) == (C3, 3)
    assert (signal.stop_price, signal.entry_price) == (px("25285.00"), px("25346.50"))


def test_without_a_bar_time_the_same_alert_takes_the_candle_holding_the_fire_time() -> None:
    rig = Rig()
    submit_on_bar_close(rig, 0)
    signal = rig.validator.get("sig-1")
    assert (signal.signal_candle, signal.waiting_for) == (None, "5m signal candle to close")
    rig.history.add(C1)
    rig.validator.on_candle_closed(C1, C1.end_ns + S)
    assert rig.validator.get("sig-1").signal_candle == C1


def test_a_bar_time_that_does_not_open_a_candle_of_the_timeframe_fails_the_confirmation_check() -> None:
    rig = Rig()
    submit_on_bar_close(rig, at(8, 36))
    signal = rig.validator.get("sig-1")
    assert signal.status is SignalStatus.REJECTED
    confirmation = signal.check(CheckName.CONFIRMATION)
    assert (confirmation.outcome, confirmation.detail) == (
        CheckOutcome.FAILED,
        "bar time 2025-11-14 08:36:00 CT is not the start of a 5m candle"
        " (the 5m candle holding it starts 2025-11-14 08:35:00 CT)",
    )
    assert [c.outcome for c in signal.checks] == [CheckOutcome.PASSED] * 4 + [CheckOutcome.FAILED] + [
        CheckOutcome.SKIPPED
    ] * 2
    assert signal.events[-1].kind is SignalEventKind.REJECTED and rig.validator.pending_count == 0


def test_a_bar_time_off_by_a_nanosecond_names_the_nanoseconds() -> None:
    rig = Rig()
    submit_on_bar_close(rig, at(8, 35) + 1)
    assert (
        rig.validator.get("sig-1")
        .check(CheckName.CONFIRMATION)
        .detail.startswith("bar time 2025-11-14 08:35:00 CT + 1 ns is not the start of a 5m candle")
    )


def test_a_bar_opening_after_the_alert_fired_is_rejected() -> None:
    rig = Rig()
    rig.market.trade("25340.00")
    sig = signal_input(at(8, 37), "25340.00", bar_time_ns=at(8, 40))
    signal = rig.validator.submit(sig, authenticated=True, now_ns=at(8, 37, 1)).signal
    assert signal.status is SignalStatus.REJECTED
    assert signal.check(CheckName.CONFIRMATION).detail == (
        "bar time 2025-11-14 08:40:00 CT is after the signal time 2025-11-14 08:37:00 CT:"
        " an alert's bar cannot open after the alert fired"
    )


def test_a_missing_bar_candle_names_the_bar_time() -> None:
    rig = Rig()
    rig.market.trade("25340.00")
    rig.validator.submit(signal_input(FIRED, "25340.00", bar_time_ns=at(8, 35)), authenticated=True, now_ns=FIRED)
    rig.history.add(C1)
    [update] = rig.validator.on_candle_closed(C1, C1.end_ns)
    assert update.signal.check(CheckName.CONFIRMATION).detail.startswith("no 5m candle starts at the bar time")


def test_restore_resumes_from_the_bar_candle() -> None:
    rig = Rig()
    submit_on_bar_close(rig, at(8, 35))
    snapshot = rig.validator.get("sig-1")
    restarted = Rig()
    restarted.history.add(BEFORE, C0, C1, C2, C3)
    restarted.history.form(bar(at(8, 55), "25346.50", "25346.50", "25346.50", "25346.50"))
    [update] = restarted.validator.restore([snapshot], at(8, 55, 3))
    assert update.signal.status is SignalStatus.CONFIRMED
    assert (update.signal.signal_candle, update.signal.entry_price) == (C0, px("25346.50"))


def test_the_content_key_covers_the_bar_time_only_when_given() -> None:
    plain = signal_input(FIRED, "25340.00")
    assert content_key(plain) == content_key(signal_input(FIRED, "25340.00", bar_time_ns=0))
    assert content_key(plain) != content_key(signal_input(FIRED, "25340.00", bar_time_ns=at(8, 35)))


def test_a_negative_bar_time_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as caught:
        signal_input(FIRED, "25340.00", bar_time_ns=-1)
    assert caught.value.field == "bar_time_ns"


def test_attach_trade_records_the_trade_on_a_confirmed_signal_only_once() -> None:
    rig = Rig()
    submit_on_bar_close(rig, at(8, 35))
    for candle in (C1, C2, C3):
        rig.history.add(candle)
        rig.validator.on_candle_closed(candle, candle.end_ns)
    with pytest.raises(FailedPrecondition):
        rig.validator.attach_trade("sig-1", "T-1", "trade T-1", at(8, 55))  # still waiting for the entry
    rig.validator.on_candle_opened(C3.contract_id, M5, at(8, 55), px("25346.50"), at(8, 55, 1))
    update = rig.validator.attach_trade("sig-1", "T-1", "trade T-1 open", at(8, 55, 1))
    assert (update.event.kind, update.event.status, update.signal.trade_id) == (
        SignalEventKind.TRADE_CREATED,
        SignalStatus.CONFIRMED,
        "T-1",
    )
    assert rig.validator.get("sig-1").trade_id == "T-1"
    assert update.signal.decided_ns == at(8, 55, 1)
    with pytest.raises(FailedPrecondition):
        rig.validator.attach_trade("sig-1", "T-2", "again", at(8, 56))
