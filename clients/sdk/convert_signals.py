"""Conversions between the SignalService messages and the SDK's signal values."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk.convert import (
    candle_from_pb,
    decimal_from_wire,
    optional_decimal_from_wire,
    timeframe_from_pb,
    timeframe_to_pb,
)
from clients.sdk.errors import InvalidArgumentError
from clients.sdk.models import Timeframe
from clients.sdk.signals import (
    CheckOutcome,
    Signal,
    SignalCheck,
    SignalDirection,
    SignalEvent,
    SignalInput,
    SignalStatus,
    SignalUpdate,
    SubmitResult,
)
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb

_DIRECTION_TO_PB: dict[SignalDirection, pb.SignalDirection.ValueType] = {
    SignalDirection.BULLISH: pb.SIGNAL_DIRECTION_BULLISH,
    SignalDirection.BEARISH: pb.SIGNAL_DIRECTION_BEARISH,
}
_DIRECTION_FROM_PB = {v: k for k, v in _DIRECTION_TO_PB.items()}

_STATUS_TO_PB: dict[SignalStatus, pb.SignalStatus.ValueType] = {
    SignalStatus.REJECTED: pb.SIGNAL_STATUS_REJECTED,
    SignalStatus.PENDING: pb.SIGNAL_STATUS_PENDING,
    SignalStatus.AWAITING_APPROVAL: pb.SIGNAL_STATUS_AWAITING_APPROVAL,
    SignalStatus.CONFIRMED: pb.SIGNAL_STATUS_CONFIRMED,
    SignalStatus.EXPIRED: pb.SIGNAL_STATUS_EXPIRED,
    SignalStatus.INVALIDATED: pb.SIGNAL_STATUS_INVALIDATED,
    SignalStatus.CANCELLED: pb.SIGNAL_STATUS_CANCELLED,
}
_STATUS_FROM_PB = {v: k for k, v in _STATUS_TO_PB.items()}

_OUTCOME_FROM_PB: dict[int, CheckOutcome] = {
    pb.CHECK_OUTCOME_PASSED: CheckOutcome.PASSED,
    pb.CHECK_OUTCOME_FAILED: CheckOutcome.FAILED,
    pb.CHECK_OUTCOME_WAITING: CheckOutcome.WAITING,
    pb.CHECK_OUTCOME_SKIPPED: CheckOutcome.SKIPPED,
}


def direction_to_pb(direction: SignalDirection | str) -> pb.SignalDirection.ValueType:
    return _DIRECTION_TO_PB[SignalDirection.parse(direction)]


def status_to_pb(status: SignalStatus | str) -> pb.SignalStatus.ValueType:
    return _STATUS_TO_PB[SignalStatus.parse(status)]


def signal_input_to_pb(signal_input: SignalInput) -> pb.SignalInput:
    price = signal_input.signal_price
    if not isinstance(price, Decimal) or not price.is_finite():
        raise InvalidArgumentError("signal_price", f"must be a finite Decimal, got {price!r}")
    return pb.SignalInput(
        symbol=signal_input.symbol,
        direction=direction_to_pb(signal_input.direction),
        signal_price=str(price),
        signal_time_ns=signal_input.signal_time_ns,
        timeframe=timeframe_to_pb(signal_input.timeframe),
        htf_bias=signal_input.htf_bias,
        session=signal_input.session,
        strategy=signal_input.strategy,
        quantity=signal_input.quantity,
        raw_payload=signal_input.raw_payload,
        source=signal_input.source,
        idempotency_key=signal_input.idempotency_key,
        bar_time_ns=signal_input.bar_time_ns,
    )


def signal_input_from_pb(msg: pb.SignalInput) -> SignalInput:
    unset = msg.timeframe == common_pb2.TIMEFRAME_UNSPECIFIED
    return SignalInput(
        symbol=msg.symbol,
        direction=_DIRECTION_FROM_PB.get(msg.direction, SignalDirection.UNKNOWN),
        signal_price=decimal_from_wire(msg.signal_price),
        signal_time_ns=msg.signal_time_ns,
        timeframe=Timeframe.M1 if unset else timeframe_from_pb(msg.timeframe),
        htf_bias=msg.htf_bias,
        session=msg.session,
        strategy=msg.strategy,
        quantity=msg.quantity,
        raw_payload=msg.raw_payload,
        source=msg.source,
        idempotency_key=msg.idempotency_key,
        bar_time_ns=msg.bar_time_ns,
    )


def signal_check_from_pb(msg: pb.SignalCheck) -> SignalCheck:
    return SignalCheck(
        name=msg.name,
        outcome=_OUTCOME_FROM_PB.get(msg.outcome, CheckOutcome.UNKNOWN),
        detail=msg.detail,
        decided_ns=msg.decided_ns,
    )


def signal_event_from_pb(msg: pb.SignalEvent) -> SignalEvent:
    return SignalEvent(
        signal_id=msg.signal_id,
        kind=msg.kind,
        ts_ns=msg.ts_ns,
        detail=msg.detail,
        status=_STATUS_FROM_PB.get(msg.status, SignalStatus.UNKNOWN),
    )


def signal_from_pb(msg: pb.Signal) -> Signal:
    return Signal(
        signal_id=msg.signal_id,
        input=signal_input_from_pb(msg.input),
        contract_id=msg.contract_id,
        status=_STATUS_FROM_PB.get(msg.status, SignalStatus.UNKNOWN),
        checks=tuple(signal_check_from_pb(c) for c in msg.checks),
        received_ns=msg.received_ns,
        decided_ns=msg.decided_ns,
        waiting_for=msg.waiting_for,
        signal_candle=candle_from_pb(msg.signal_candle) if msg.HasField("signal_candle") else None,
        confirmation_candle=candle_from_pb(msg.confirmation_candle) if msg.HasField("confirmation_candle") else None,
        pivot_price=optional_decimal_from_wire(msg.pivot_price),
        pivot_candle_start_ns=msg.pivot_candle_start_ns,
        stop_from_fallback=msg.stop_from_fallback,
        entry_price=optional_decimal_from_wire(msg.entry_price),
        stop_price=optional_decimal_from_wire(msg.stop_price),
        risk_points=optional_decimal_from_wire(msg.risk_points),
        candles_waited=msg.candles_waited,
        expires_after_candles=msg.expires_after_candles,
        trade_id=msg.trade_id,
        events=tuple(signal_event_from_pb(e) for e in msg.events),
    )


def submit_result_from_pb(msg: pb.SubmitSignalResponse) -> SubmitResult:
    return SubmitResult(signal=signal_from_pb(msg.signal), duplicate=msg.duplicate)


def signal_update_from_pb(msg: pb.StreamSignalEventsResponse) -> SignalUpdate:
    return SignalUpdate(
        event=signal_event_from_pb(msg.event),
        signal=signal_from_pb(msg.signal) if msg.HasField("signal") else None,
    )
