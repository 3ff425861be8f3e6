"""Conversions between the SignalService messages and the SDK's signal values."""

from __future__ import annotations

from decimal import Decimal

from clients.sdk import enums
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
    BracketLeg,
    CheckOutcome,
    LegKind,
    LegType,
    Signal,
    SignalAction,
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

_DIRECTION_TO_PB = enums.SIGNAL_DIRECTION.to_proto
_DIRECTION_FROM_PB = enums.SIGNAL_DIRECTION.from_proto
_STATUS_TO_PB = enums.SIGNAL_STATUS.to_proto
_STATUS_FROM_PB = enums.SIGNAL_STATUS.from_proto
_ACTION_TO_PB = enums.SIGNAL_ACTION.to_proto
_ACTION_FROM_PB = enums.SIGNAL_ACTION.from_proto
_LEG_KIND_TO_PB = enums.LEG_KIND.to_proto
_LEG_KIND_FROM_PB = enums.LEG_KIND.from_proto
_LEG_TYPE_TO_PB = enums.LEG_TYPE.to_proto
_LEG_TYPE_FROM_PB = enums.LEG_TYPE.from_proto
_OUTCOME_FROM_PB = enums.CHECK_OUTCOME.from_proto


def direction_to_pb(direction: SignalDirection | str) -> pb.SignalDirection.ValueType:
    return _DIRECTION_TO_PB[SignalDirection.parse(direction)]


def status_to_pb(status: SignalStatus | str) -> pb.SignalStatus.ValueType:
    return _STATUS_TO_PB[SignalStatus.parse(status)]


def leg_to_pb(leg: BracketLeg | None, field: str) -> pb.BracketLeg | None:
    if leg is None:
        return None
    if not isinstance(leg.value, Decimal) or not leg.value.is_finite():
        raise InvalidArgumentError(field + ".value", f"must be a finite Decimal, got {leg.value!r}")
    limit = leg.limit_price
    if limit is not None and (not isinstance(limit, Decimal) or not limit.is_finite()):
        raise InvalidArgumentError(field + ".limit_price", f"must be a finite Decimal, got {limit!r}")
    return pb.BracketLeg(
        kind=_LEG_KIND_TO_PB[LegKind(leg.kind)],
        value=str(leg.value),
        order_type=pb.BRACKET_LEG_TYPE_UNSPECIFIED
        if leg.order_type is None
        else _LEG_TYPE_TO_PB[LegType(leg.order_type)],
        limit_price="" if limit is None else str(limit),
    )


def leg_from_pb(msg: pb.SignalInput, name: str) -> BracketLeg | None:
    if not msg.HasField(name):  # type: ignore[arg-type]
        return None
    leg: pb.BracketLeg = getattr(msg, name)
    return BracketLeg(
        kind=_LEG_KIND_FROM_PB.get(leg.kind, LegKind.PRICE),
        value=decimal_from_wire(leg.value),
        order_type=_LEG_TYPE_FROM_PB.get(leg.order_type),
        limit_price=optional_decimal_from_wire(leg.limit_price),
    )


def signal_input_to_pb(signal_input: SignalInput) -> pb.SignalInput:
    price = signal_input.signal_price
    if not isinstance(price, Decimal) or not price.is_finite():
        raise InvalidArgumentError("signal_price", f"must be a finite Decimal, got {price!r}")
    action = _ACTION_TO_PB.get(signal_input.action) if isinstance(signal_input.action, SignalAction) else None
    if action is None:
        raise InvalidArgumentError("action", f"unknown action {signal_input.action!r}; use entry, exit, cancel or add")
    return pb.SignalInput(
        action=action,
        stop_loss=leg_to_pb(signal_input.stop_loss, "stop_loss"),
        take_profit=leg_to_pb(signal_input.take_profit, "take_profit"),
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
        action=_ACTION_FROM_PB.get(msg.action, SignalAction.UNKNOWN),
        stop_loss=leg_from_pb(msg, "stop_loss"),
        take_profit=leg_from_pb(msg, "take_profit"),
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
        seq=msg.seq,
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
