"""Duplicates, entry risk, approval and cancellation, restore after a restart, and the input vocabulary."""

from __future__ import annotations

import hashlib
import json

import pytest

from core_server.model.errors import FailedPrecondition, InvalidArgument, NotFound
from core_server.model.market_data import Candle, Timeframe
from core_server.signals.idempotency import content_key
from core_server.signals.model import (
    CheckName,
    CheckOutcome,
    SignalDirection,
    SignalEventKind,
    SignalInput,
    SignalStatus,
    SignalUpdate,
    parse_direction,
)
from core_server.signals.settings import ApprovalMode, settings_with
from tests.kit.time import ct
from tests.unit.signals.signal_fakes import NQ, Rig, S, bar, px, signal_input

M5 = Timeframe.M5
T = ct(2025, 11, 14, 8, 37, 12)
BODY = '{"ticker":"NQ1!","action":"buy","price":"25341.25","time":"2025-11-14T14:37:12Z","passphrase":"x"}'
BEFORE = bar(ct(2025, 11, 14, 8, 30), "25330.00", "25338.00", "25320.00", "25335.00")
C0 = bar(ct(2025, 11, 14, 8, 35), "25335.00", "25341.25", "25318.00", "25340.00")
C1 = bar(ct(2025, 11, 14, 8, 40), "25340.00", "25341.00", "25310.00", "25325.00")
C2 = bar(ct(2025, 11, 14, 8, 45), "25325.00", "25339.00", "25315.50", "25330.00")
C3 = bar(ct(2025, 11, 14, 8, 50), "25330.00", "25350.00", "25322.00", "25345.00")  # confirms; stop 25285.00
ENTRY_START = ct(2025, 11, 14, 8, 55)


def submit(rig: Rig, now: int = T + 2 * S, **fields: object) -> tuple[str, bool]:
    rig.history.add(BEFORE)
    rig.market.trade("25340.00")
    result = rig.validator.submit(signal_input(T, "25341.25", **fields), authenticated=True, now_ns=now)
    return result.signal.signal_id, result.duplicate


def close(rig: Rig, *candles: Candle) -> list[SignalUpdate]:
    updates: list[SignalUpdate] = []
    for candle in candles:
        rig.history.add(candle)
        updates += rig.validator.on_candle_closed(candle, candle.end_ns + S)
    return updates


def confirm_with_entry(rig: Rig, entry: str) -> SignalUpdate:
    close(rig, C0, C1, C2, C3)
    [update] = rig.validator.on_candle_opened(NQ, M5, ENTRY_START, px(entry), ENTRY_START + 1)
    return update


def test_tradingview_retry_of_the_same_body_returns_the_original_signal() -> None:
    rig = Rig()
    first, duplicate = submit(rig, raw_payload=BODY, symbol="NQ1!")
    result = rig.validator.submit(
        signal_input(T, "25341.25", raw_payload=BODY, symbol="NQ1!"), authenticated=True, now_ns=T + 9 * S
    )
    assert (first, duplicate) == ("sig-1", False)
    assert result.duplicate and result.updates == ()
    assert result.signal == rig.validator.get("sig-1") and rig.ids.n == 1


def test_the_same_alert_through_another_symbol_form_and_body_is_a_duplicate() -> None:
    rig = Rig()
    submit(rig, symbol="NQ1!", raw_payload=BODY)
    again = rig.validator.submit(
        signal_input(T, "25341.25", symbol="CME_MINI:NQZ2025", raw_payload=BODY.replace('"x"', '"x" ')),
        authenticated=True,
        now_ns=T + 3 * S,
    )
    assert again.duplicate and again.signal.signal_id == "sig-1"


def test_a_duplicate_returns_the_original_decision_as_it_stands_now() -> None:
    rig = Rig()
    submit(rig)
    confirm_with_entry(rig, "25346.50")
    again = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=ENTRY_START + S)
    assert again.duplicate and again.signal.status is SignalStatus.CONFIRMED


def test_a_duplicate_of_a_rejected_alert_returns_the_rejection() -> None:
    rig = Rig()
    rig.market.trade("25300.00")
    first = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + S)
    rig.market.trade("25341.25")  # the market came back: the retry is still the same, rejected alert
    again = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + 2 * S)
    assert first.signal.status is SignalStatus.REJECTED
    assert again.duplicate and again.signal == first.signal


def test_a_submitted_idempotency_key_identifies_the_alert_whatever_its_content() -> None:
    rig = Rig()
    submit(rig, idempotency_key="tv-123")
    other = rig.validator.submit(
        signal_input(T + S, "25340.00", idempotency_key="tv-123"), authenticated=True, now_ns=T + 3 * S
    )
    assert other.duplicate and other.signal.signal_id == "sig-1"
    assert rig.validator.find_by_key("tv-123") == rig.validator.get("sig-1")


def test_a_forged_delivery_does_not_claim_the_key_of_the_genuine_alert() -> None:
    rig = Rig()
    rig.market.trade("25340.00")
    forged = rig.validator.submit(signal_input(T, "25341.25"), authenticated=False, now_ns=T + S)
    genuine = rig.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=T + 2 * S)
    assert forged.signal.status is SignalStatus.REJECTED
    assert not genuine.duplicate and genuine.signal.status is SignalStatus.PENDING
    assert genuine.signal.signal_id == "sig-2"


def test_content_key_is_the_sha256_of_the_identifying_fields() -> None:
    sig = signal_input(T, "25341.25", raw_payload=BODY)
    fields = ["webhook", "orb", NQ, "bullish", T, px("25341.25"), "5m"]
    expected = hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()
    assert content_key(sig) == expected
    assert content_key(signal_input(T, "25341.25", direction=SignalDirection.BEARISH)) != expected
    assert content_key(signal_input(T, "25341.25", tf=Timeframe.M1)) != expected


def test_bullish_entry_at_the_stop_is_zero_risk_and_rejected() -> None:
    rig = Rig()
    submit(rig)
    update = confirm_with_entry(rig, "25285.00")
    signal = update.signal
    assert signal.status is SignalStatus.REJECTED and update.event.kind is SignalEventKind.REJECTED
    assert signal.check(CheckName.ENTRY_RISK).outcome is CheckOutcome.FAILED
    assert signal.check(CheckName.ENTRY_RISK).detail == (
        "entry 25285.00 (open of 5m candle 2025-11-14 08:55:00 CT) <= stop 25285.00:"
        " a bullish entry must be above its stop (risk 0.00 points)"
    )
    assert (signal.entry_price, signal.stop_price, signal.risk_ticks) == (px("25285"), px("25285"), 0)


def test_bullish_entry_below_the_stop_is_rejected_with_negative_risk() -> None:
    rig = Rig()
    submit(rig)
    signal = confirm_with_entry(rig, "25280.00").signal
    assert signal.status is SignalStatus.REJECTED
    assert signal.check(CheckName.ENTRY_RISK).detail.endswith("(risk -5.00 points)")
    assert signal.risk_ticks == -px("5")


def test_manual_approval_waits_then_approve_confirms() -> None:
    rig = Rig(settings_with(approval=ApprovalMode.MANUAL))
    submit(rig)
    update = confirm_with_entry(rig, "25346.50")
    assert update.signal.status is SignalStatus.AWAITING_APPROVAL
    assert (update.event.kind, update.signal.waiting_for) == (SignalEventKind.AWAITING_APPROVAL, "approval")
    assert rig.validator.live() == [update.signal]
    approved = rig.validator.approve("sig-1", ENTRY_START + 5 * S)
    assert approved.signal.status is SignalStatus.CONFIRMED
    assert (approved.event.kind, approved.event.detail, approved.signal.decided_ns) == (
        SignalEventKind.CONFIRMED,
        "approved",
        ENTRY_START + 5 * S,
    )
    assert [e.kind for e in approved.signal.events][-2:] == [
        SignalEventKind.AWAITING_APPROVAL,
        SignalEventKind.CONFIRMED,
    ]
    with pytest.raises(FailedPrecondition, match="sig-1 is confirmed: only a signal awaiting approval"):
        rig.validator.approve("sig-1", ENTRY_START + 6 * S)
    with pytest.raises(FailedPrecondition, match="sig-1 is confirmed: only pending or awaiting-approval"):
        rig.validator.cancel("sig-1", "changed my mind", ENTRY_START + 6 * S)


def test_approve_refuses_a_pending_signal() -> None:
    rig = Rig()
    submit(rig)
    with pytest.raises(FailedPrecondition, match="sig-1 is pending"):
        rig.validator.approve("sig-1", T + 3 * S)


def test_cancel_pending_stops_tracking_and_skips_the_waiting_checks() -> None:
    rig = Rig()
    submit(rig)
    close(rig, C0)
    update = rig.validator.cancel("sig-1", "news at 10:00", T + 200 * S)
    signal = update.signal
    assert signal.status is SignalStatus.CANCELLED and signal.decided_ns == T + 200 * S
    assert (update.event.kind, update.event.detail) == (SignalEventKind.CANCELLED, "news at 10:00")
    assert [c.outcome for c in signal.checks] == [CheckOutcome.PASSED] * 4 + [CheckOutcome.SKIPPED] * 3
    assert signal.check(CheckName.CONFIRMATION).detail == "skipped: cancelled (news at 10:00)"
    assert close(rig, C1, C2, C3) == [] and rig.validator.pending_count == 0
    assert rig.validator.live() == []


def test_cancel_awaiting_approval_is_allowed() -> None:
    rig = Rig(settings_with(approval=ApprovalMode.MANUAL))
    submit(rig)
    confirm_with_entry(rig, "25346.50")
    update = rig.validator.cancel("sig-1", "", ENTRY_START + S)
    assert (update.signal.status, update.event.detail) == (SignalStatus.CANCELLED, "cancelled")


def test_cancel_refuses_a_rejected_signal_and_unknown_ids_are_not_found() -> None:
    rig = Rig()
    rig.validator.submit(signal_input(T, "25341.25"), authenticated=False, now_ns=T + S)
    with pytest.raises(FailedPrecondition, match="sig-1 is rejected"):
        rig.validator.cancel("sig-1", "", T + 2 * S)
    with pytest.raises(NotFound):
        rig.validator.cancel("sig-9", "", T + 2 * S)
    with pytest.raises(NotFound):
        rig.validator.get("sig-9")


def test_restore_resumes_pending_signals_catching_up_on_missed_candles_and_answers_duplicates() -> None:
    rig = Rig()
    submit(rig)
    snapshot = rig.validator.get("sig-1")
    restarted = Rig()
    restarted.history.add(BEFORE, C0, C1, C2, C3)  # closed while the server was down
    restarted.history.form(bar(ENTRY_START, "25346.50", "25346.50", "25346.50", "25346.50"))
    [update] = restarted.validator.restore([snapshot], ENTRY_START + 30 * S)
    assert update.signal.status is SignalStatus.CONFIRMED
    assert (update.signal.entry_price, update.signal.stop_price) == (px("25346.50"), px("25285.00"))
    assert [e.kind for e in update.signal.events] == [
        SignalEventKind.RECEIVED,
        SignalEventKind.PENDING,
        SignalEventKind.CONFIRMED,
    ]
    again = restarted.validator.submit(signal_input(T, "25341.25"), authenticated=True, now_ns=ENTRY_START)
    assert again.duplicate and again.signal.signal_id == "sig-1"


def test_parse_direction_accepts_the_bridge_words_in_any_case() -> None:
    words = ["buy", "LONG", " Bullish ", "sell", "Short", "BEARISH"]
    assert [parse_direction(w) for w in words] == [SignalDirection.BULLISH] * 3 + [SignalDirection.BEARISH] * 3
    with pytest.raises(InvalidArgument, match="direction: unknown direction 'exit'"):
        parse_direction("exit")


def test_signal_input_refuses_a_zero_quantity_and_the_validator_a_non_canonical_contract() -> None:
    with pytest.raises(InvalidArgument, match="quantity"):
        signal_input(T, "25341.25", quantity=0)
    rig = Rig()
    sig = SignalInput("NQZ5", SignalDirection.BULLISH, px("25341.25"), T)
    with pytest.raises(InvalidArgument, match="'NQZ5' is not canonical; use 'NQZ2025'"):
        rig.validator.submit(sig, authenticated=True, now_ns=T)


def test_restore_keeps_a_recorded_signal_candle_the_history_no_longer_has() -> None:
    rig = Rig()
    submit(rig)
    close(rig, C0)
    snapshot = rig.validator.get("sig-1")
    restarted = Rig()
    restarted.history.add(C1, C2)  # the store kept neither BEFORE nor the signal candle
    assert restarted.validator.restore([snapshot], C2.end_ns + S) == []
    assert restarted.validator.get("sig-1").candles_waited == 2
    close(restarted, C3)
    signal = restarted.validator.get("sig-1")
    assert signal.confirmation_candle == C3 and signal.stop_price == px("25285.00")


def test_on_candle_closed_refuses_a_forming_candle() -> None:
    rig = Rig()
    with pytest.raises(InvalidArgument, match="candle: on_candle_closed needs a closed candle"):
        rig.validator.on_candle_closed(C0._replace(closed=False), C0.end_ns)
