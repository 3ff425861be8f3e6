"""Signal values <-> vigil.v1 signals messages. Prices are exact decimal text in the instrument's format."""

from __future__ import annotations

from core_server.api.convert import TIMEFRAME_FROM_PROTO, TIMEFRAME_TO_PROTO, candle_to_proto
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.model.market_data import Timeframe
from core_server.model.symbols import parse_symbol
from core_server.signals.model import (
    CheckResult,
    Signal,
    SignalDirection,
    SignalEvent,
    SignalInput,
    SignalStatus,
    SignalUpdate,
)
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb

MAX_QUANTITY = 1000
MAX_RAW_PAYLOAD_BYTES = 64 * 1024
MAX_LABEL_CHARS = 256  # htf_bias, session, strategy, source, idempotency_key

_DIRECTIONS = {
    pb.SIGNAL_DIRECTION_BULLISH: SignalDirection.BULLISH,
    pb.SIGNAL_DIRECTION_BEARISH: SignalDirection.BEARISH,
}
_LABELS = ("htf_bias", "session", "strategy", "source", "idempotency_key")


def _spec_of(contract_id: str) -> InstrumentSpec:
    return INSTRUMENTS[contract_id[:-5]]  # canonical ids end in month code + 4-digit year


def _price(spec: InstrumentSpec, ticks: int | None) -> str:
    return "" if ticks is None else spec.format_ticks(ticks)


def signal_input_from_proto(message: pb.SignalInput) -> SignalInput:
    """The validated input of SubmitSignal; a bad field is InvalidArgument naming it as `input.<field>`."""
    if message.signal_time_ns <= 0:
        raise InvalidArgument("input.signal_time_ns", "a signal time (UTC ns, > 0) is required")
    contract = parse_symbol(message.symbol, message.signal_time_ns, field="input.symbol")
    direction = _DIRECTIONS.get(message.direction)
    if direction is None:
        raise InvalidArgument("input.direction", "SIGNAL_DIRECTION_BULLISH or SIGNAL_DIRECTION_BEARISH is required")
    contract.require_listed(message.signal_time_ns, "input.symbol")
    price = contract.spec.ticks_from_price(message.signal_price, field="input.signal_price")
    if price <= 0:
        raise InvalidArgument("input.signal_price", f"must be positive, got {message.signal_price!r}")
    timeframe = Timeframe.M1
    if message.timeframe != common_pb2.TIMEFRAME_UNSPECIFIED:
        found = TIMEFRAME_FROM_PROTO.get(message.timeframe)
        if found is None:
            raise InvalidArgument("input.timeframe", f"unknown timeframe {message.timeframe}")
        timeframe = found
    if not 0 <= message.quantity <= MAX_QUANTITY:
        raise InvalidArgument("input.quantity", f"must be 0 (meaning 1) to {MAX_QUANTITY}, got {message.quantity}")
    if message.bar_time_ns < 0:
        raise InvalidArgument("input.bar_time_ns", "must not be negative (0 means not given)")
    payload_bytes = len(message.raw_payload.encode("utf-8"))
    if payload_bytes > MAX_RAW_PAYLOAD_BYTES:
        raise InvalidArgument("input.raw_payload", f"{payload_bytes} bytes; at most {MAX_RAW_PAYLOAD_BYTES}")
    for label in _LABELS:
        if len(getattr(message, label)) > MAX_LABEL_CHARS:
            raise InvalidArgument(f"input.{label}", f"at most {MAX_LABEL_CHARS} characters")
    for name in (*_LABELS, "raw_payload"):
        refuse_nul(getattr(message, name), f"input.{name}")
    return SignalInput(
        contract_id=contract.id,
        direction=direction,
        signal_price=price,
        signal_time_ns=message.signal_time_ns,
        timeframe=timeframe,
        htf_bias=message.htf_bias,
        session=message.session,
        strategy=message.strategy,
        quantity=message.quantity or 1,
        raw_payload=message.raw_payload,
        source=message.source,
        idempotency_key=message.idempotency_key,
        symbol=message.symbol,
        bar_time_ns=message.bar_time_ns,
    )


def refuse_nul(text: str, field: str) -> None:
    """PostgreSQL text cannot hold NUL; refusing it here keeps an unstorable signal from ever being decided."""
    if "\x00" in text:
        raise InvalidArgument(field, "must not contain NUL characters")


def status_from_proto(value: int, field: str = "statuses") -> SignalStatus:
    try:
        return SignalStatus(value)
    except ValueError:
        raise InvalidArgument(field, f"unknown signal status {value}") from None


def check_to_proto(check: CheckResult) -> pb.SignalCheck:
    return pb.SignalCheck(
        name=check.name.value,
        outcome=pb.CheckOutcome.ValueType(check.outcome),
        detail=check.detail,
        decided_ns=check.decided_ns,
    )


def event_to_proto(event: SignalEvent) -> pb.SignalEvent:
    return pb.SignalEvent(
        signal_id=event.signal_id,
        kind=event.kind.value,
        ts_ns=event.ts_ns,
        detail=event.detail,
        status=pb.SignalStatus.ValueType(event.status),
    )


def signal_to_proto(signal: Signal) -> pb.Signal:
    """Enum numbers are shared with the model (model.py), so statuses and outcomes map 1:1."""
    i = signal.input
    spec = _spec_of(signal.contract_id)
    message = pb.Signal(
        signal_id=signal.signal_id,
        input=pb.SignalInput(
            symbol=i.symbol or i.contract_id,
            direction=pb.SignalDirection.ValueType(i.direction),
            signal_price=spec.format_ticks(i.signal_price),
            signal_time_ns=i.signal_time_ns,
            timeframe=TIMEFRAME_TO_PROTO[i.timeframe],
            htf_bias=i.htf_bias,
            session=i.session,
            strategy=i.strategy,
            quantity=i.quantity,
            raw_payload=i.raw_payload,
            source=i.source,
            idempotency_key=signal.idempotency_key,  # the key actually used
            bar_time_ns=i.bar_time_ns,
        ),
        contract_id=signal.contract_id,
        status=pb.SignalStatus.ValueType(signal.status),
        checks=[check_to_proto(c) for c in signal.checks],
        received_ns=signal.received_ns,
        decided_ns=signal.decided_ns,
        waiting_for=signal.waiting_for,
        pivot_price=_price(spec, signal.pivot_price),
        pivot_candle_start_ns=signal.pivot_candle_start_ns or 0,
        stop_from_fallback=signal.stop_from_fallback,
        entry_price=_price(spec, signal.entry_price),
        stop_price=_price(spec, signal.stop_price),
        risk_points=_price(spec, signal.risk_ticks),
        candles_waited=signal.candles_waited,
        expires_after_candles=signal.expires_after_candles,
        trade_id=signal.trade_id or "",
        events=[event_to_proto(e) for e in signal.events],
    )
    if signal.signal_candle is not None:
        message.signal_candle.CopyFrom(candle_to_proto(signal.signal_candle))
    if signal.confirmation_candle is not None:
        message.confirmation_candle.CopyFrom(candle_to_proto(signal.confirmation_candle))
    return message


def update_to_proto(update: SignalUpdate) -> pb.StreamSignalEventsResponse:
    return pb.StreamSignalEventsResponse(event=event_to_proto(update.event), signal=signal_to_proto(update.signal))
