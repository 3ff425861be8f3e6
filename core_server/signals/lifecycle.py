"""Signal snapshots through their lifecycle: the new record, check results, and status changes with events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core_server.signals.details import exchange_text
from core_server.signals.model import (
    CHECK_ORDER,
    CheckOutcome,
    CheckResult,
    Signal,
    SignalAction,
    SignalDirection,
    SignalEvent,
    SignalEventKind,
    SignalInput,
    SignalStatus,
    SignalUpdate,
)
from core_server.signals.settings import InstrumentRules

_WAITING_CHECKS = tuple(CheckResult(name, CheckOutcome.WAITING) for name in CHECK_ORDER)


def new_signal(
    signal_id: str, signal_input: SignalInput, key: str, rules: InstrumentRules, now_ns: int
) -> tuple[Signal, SignalUpdate]:
    """The record of a delivery just received: every check waiting, and its `received` event."""
    signal = Signal(
        signal_id=signal_id,
        input=signal_input,
        idempotency_key=key,
        status=SignalStatus.PENDING,
        checks=_WAITING_CHECKS,
        received_ns=now_ns,
        decided_ns=0,
        waiting_for="",
        expires_after_candles=rules.settings.expiry_candles,
    )
    what, price = signal_input.direction.label, signal_input.signal_price
    if signal_input.action is not SignalAction.ENTRY:
        side = {SignalDirection.BULLISH: " buy", SignalDirection.BEARISH: " sell"}.get(signal_input.direction, "")
        size = " all" if signal_input.action is SignalAction.EXIT and not signal_input.quantity else ""
        what = f"{signal_input.action.label}{side}{size}"
    detail = (
        f"{what} {signal_input.contract_id}{f' {rules.spec.format_ticks(price)}' if price else ''}"
        f" at {exchange_text(signal_input.signal_time_ns)}"
        f" on {signal_input.timeframe.label} from {signal_input.source or 'unknown source'}"
    )
    return record(signal, SignalEventKind.RECEIVED, SignalStatus.PENDING, detail, now_ns)


def checks_with(checks: tuple[CheckResult, ...], *results: CheckResult) -> tuple[CheckResult, ...]:
    """`checks` with each of `results` in its check's slot."""
    updated = list(checks)
    for result in results:
        updated[CHECK_ORDER.index(result.name)] = result
    return tuple(updated)


def skip_waiting(checks: tuple[CheckResult, ...], detail: str, now_ns: int) -> tuple[CheckResult, ...]:
    """Every still-waiting check marked skipped (an earlier one failed or the signal ended first)."""
    return tuple(
        CheckResult(c.name, CheckOutcome.SKIPPED, detail, now_ns) if c.outcome is CheckOutcome.WAITING else c
        for c in checks
    )


def fail(
    signal: Signal,
    result: CheckResult,
    status: SignalStatus,
    kind: SignalEventKind,
    now_ns: int,
    passed: tuple[CheckResult, ...] = (),
    **changes: Any,
) -> tuple[Signal, SignalUpdate]:
    """Record the checks `passed` so far and the failed one, skip the rest, and end the signal with `status`
    (rejected, expired or invalidated)."""
    checks = skip_waiting(checks_with(signal.checks, *passed, result), f"skipped: {result.name} failed", now_ns)
    detail = f"{result.name}: {result.detail}"
    return record(signal, kind, status, detail, now_ns, checks=checks, waiting_for="", **changes)


def record(
    signal: Signal, kind: SignalEventKind, status: SignalStatus, detail: str, now_ns: int, **changes: Any
) -> tuple[Signal, SignalUpdate]:
    """The signal moved to `status` with one more event (and any field `changes`), and the update saying so.

    All changes go through this one `replace`: rebuilding a snapshot is the costly part of a decision."""
    event = SignalEvent(signal.signal_id, kind, now_ns, detail, status)
    decided_ns = signal.decided_ns if status is signal.status else (0 if status is SignalStatus.PENDING else now_ns)
    updated = replace(signal, status=status, decided_ns=decided_ns, events=(*signal.events, event), **changes)
    return updated, SignalUpdate(updated, event)
