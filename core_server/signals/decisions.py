"""What each step of a pending signal decides, as new snapshots: confirmation or its failure, stop and entry.

The signal-candle and confirmation steps change the record without an event (the lifecycle has none for
them); invalidation, expiry, a missing signal candle and the entry end the pending state with one.
"""

from __future__ import annotations

from dataclasses import replace

from core_server.model.market_data import Candle
from core_server.signals.confirmation import ConfirmationTracker
from core_server.signals.details import exchange_text, trigger_text
from core_server.signals.lifecycle import checks_with, fail, record
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
from core_server.signals.pivots import choose_stop, stop_detail
from core_server.signals.settings import ApprovalMode, InstrumentRules

WAITING_FOR_APPROVAL = "approval"


def waiting_text(signal: Signal, tracker: ConfirmationTracker, rules: InstrumentRules) -> str:
    """The pending signal's next need: its signal candle, a confirming close, or the entry open."""
    tf = signal.timeframe.label
    if tracker.signal_candle is None:
        return f"{tf} signal candle to close"
    if tracker.confirmation is None:
        return trigger_text(rules.spec, signal.timeframe, signal.direction, tracker.trigger)
    return f"next {tf} open (entry)"


def signal_candle_closed(signal: Signal, tracker: ConfirmationTracker, rules: InstrumentRules) -> Signal:
    return replace(signal, signal_candle=tracker.signal_candle, waiting_for=waiting_text(signal, tracker, rules))


def no_signal_candle(signal: Signal, candle: Candle, now_ns: int) -> tuple[Signal, SignalUpdate]:
    which = "starts at the bar time" if signal.input.bar_time_ns else "holds the signal time"
    detail = (
        f"no {signal.timeframe.label} candle {which} (no trades in its bucket):"
        f" the first closed candle after it starts {exchange_text(candle.start_ns)}"
    )
    result = CheckResult(CheckName.CONFIRMATION, CheckOutcome.FAILED, detail, now_ns)
    return fail(signal, result, SignalStatus.REJECTED, SignalEventKind.REJECTED, now_ns)


def invalidated(
    signal: Signal, tracker: ConfirmationTracker, candle: Candle, rules: InstrumentRules, now_ns: int
) -> tuple[Signal, SignalUpdate]:
    bullish = signal.direction is SignalDirection.BULLISH
    op, side = ("<", "low") if bullish else (">", "high")
    detail = (
        f"{signal.timeframe.label} close {rules.spec.format_ticks(candle.close)} {op} signal {side}"
        f" {rules.spec.format_ticks(tracker.invalid_level)} on candle {tracker.candles_waited}"
        f" of {tracker.expiry_candles} ({exchange_text(candle.start_ns)})"
    )
    result = CheckResult(CheckName.CONFIRMATION, CheckOutcome.FAILED, detail, now_ns)
    return fail(
        signal,
        result,
        SignalStatus.INVALIDATED,
        SignalEventKind.INVALIDATED,
        now_ns,
        candles_waited=tracker.candles_waited,
    )


def expired(
    signal: Signal, tracker: ConfirmationTracker, rules: InstrumentRules, now_ns: int
) -> tuple[Signal, SignalUpdate]:
    trigger = trigger_text(rules.spec, signal.timeframe, signal.direction, tracker.trigger)
    detail = f"no {trigger} within {tracker.expiry_candles} candles"
    result = CheckResult(CheckName.CONFIRMATION, CheckOutcome.FAILED, detail, now_ns)
    return fail(
        signal, result, SignalStatus.EXPIRED, SignalEventKind.EXPIRED, now_ns, candles_waited=tracker.candles_waited
    )


def confirmed(
    signal: Signal, tracker: ConfirmationTracker, before: Candle | None, rules: InstrumentRules, now_ns: int
) -> Signal:
    """Confirmation and pivot-stop checks passed; the stop is set and the entry is awaited."""
    candle = tracker.confirmation
    assert candle is not None
    bullish = signal.direction is SignalDirection.BULLISH
    op, side = (">", "high") if bullish else ("<", "low")
    detail = (
        f"{signal.timeframe.label} close {rules.spec.format_ticks(candle.close)} {op} signal {side}"
        f" {rules.spec.format_ticks(tracker.trigger)} on candle {tracker.candles_waited}"
        f" of {tracker.expiry_candles} ({exchange_text(candle.start_ns)})"
    )
    choice = choose_stop(signal.direction, before, tracker.candles, rules.pivot_buffer_ticks)
    pivot_detail = stop_detail(rules, signal.direction, choice, len(tracker.candles))
    checks = checks_with(
        signal.checks,
        CheckResult(CheckName.CONFIRMATION, CheckOutcome.PASSED, detail, now_ns),
        CheckResult(CheckName.PIVOT_STOP, CheckOutcome.PASSED, pivot_detail, now_ns),
    )
    return replace(
        signal,
        checks=checks,
        confirmation_candle=candle,
        candles_waited=tracker.candles_waited,
        pivot_price=None if choice.from_fallback else choice.extreme,
        pivot_candle_start_ns=choice.pivot_candle_start_ns,
        stop_from_fallback=choice.from_fallback,
        stop_price=choice.stop,
        waiting_for=waiting_text(signal, tracker, rules),
    )


def entered(
    signal: Signal, tracker: ConfirmationTracker, rules: InstrumentRules, now_ns: int
) -> tuple[Signal, SignalUpdate]:
    """The entry is known: risk > 0 in the trade's direction confirms (or awaits approval), else rejects."""
    assert signal.stop_price is not None
    spec = rules.spec
    entry, stop = tracker.entry_open, signal.stop_price
    bullish = signal.direction is SignalDirection.BULLISH
    risk = entry - stop if bullish else stop - entry
    where = f"open of {signal.timeframe.label} candle {exchange_text(tracker.entry_start_ns)}"
    if risk <= 0:
        op, side = ("<=", "above") if bullish else (">=", "below")
        detail = (
            f"entry {spec.format_ticks(entry)} ({where}) {op} stop {spec.format_ticks(stop)}:"
            f" a {signal.direction.label} entry must be {side} its stop (risk {spec.format_ticks(risk)} points)"
        )
        result = CheckResult(CheckName.ENTRY_RISK, CheckOutcome.FAILED, detail, now_ns)
        return fail(
            signal,
            result,
            SignalStatus.REJECTED,
            SignalEventKind.REJECTED,
            now_ns,
            entry_price=entry,
            risk_ticks=risk,
            candles_waited=tracker.candles_waited,
        )
    arithmetic = (
        f"{spec.format_ticks(entry)} - {spec.format_ticks(stop)}"
        if bullish
        else f"{spec.format_ticks(stop)} - {spec.format_ticks(entry)}"
    )
    detail = f"entry {spec.format_ticks(entry)} ({where}); risk {arithmetic} = {spec.format_ticks(risk)} points > 0"
    checks = checks_with(signal.checks, CheckResult(CheckName.ENTRY_RISK, CheckOutcome.PASSED, detail, now_ns))
    summary = f"entry {spec.format_ticks(entry)}, stop {spec.format_ticks(stop)}, risk {spec.format_ticks(risk)} points"
    manual = rules.settings.approval is ApprovalMode.MANUAL
    kind = SignalEventKind.AWAITING_APPROVAL if manual else SignalEventKind.CONFIRMED
    status = SignalStatus.AWAITING_APPROVAL if manual else SignalStatus.CONFIRMED
    return record(
        signal,
        kind,
        status,
        summary,
        now_ns,
        checks=checks,
        waiting_for=WAITING_FOR_APPROVAL if manual else "",
        entry_price=entry,
        risk_ticks=risk,
        candles_waited=tracker.candles_waited,
    )
