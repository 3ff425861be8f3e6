"""Signal values <-> vigil.v1 signals messages. Prices are exact decimal text in the instrument's format."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core_server.api import enums
from core_server.api.convert import TIMEFRAME_FROM_PROTO, TIMEFRAME_TO_PROTO, candle_to_proto
from core_server.execution.commands import ExitOffset, OffsetUnit
from core_server.execution.exits import exit_spec
from core_server.execution.signal_orders import leg_level
from core_server.model.errors import InvalidArgument
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.model.market_data import Timeframe
from core_server.model.symbols import parse_symbol
from core_server.signals.model import (
    BracketLeg,
    CheckResult,
    LegKind,
    LegType,
    Signal,
    SignalAction,
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

_DIRECTIONS: dict[int, SignalDirection] = {
    k: v for k, v in enums.SIGNAL_DIRECTION.from_proto.items() if v is not SignalDirection.NONE
}
_ACTIONS = enums.SIGNAL_ACTION.from_proto
_LEG_KINDS = enums.LEG_KIND.from_proto
_LEG_TYPES = enums.LEG_TYPE.from_proto
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
    if direction is None and message.direction != pb.SIGNAL_DIRECTION_UNSPECIFIED:
        raise InvalidArgument("input.direction", f"unknown signal direction {message.direction}")
    action = _ACTIONS.get(message.action)
    if action is None:
        raise InvalidArgument("input.action", f"unknown signal action {message.action}")
    if message.direction == pb.SIGNAL_DIRECTION_UNSPECIFIED and action is not SignalAction.ENTRY:
        direction = SignalDirection.NONE  # an exit or cancel names no side; an add takes the position's
    contract.require_listed(message.signal_time_ns, "input.symbol")
    price = 0  # an exit or cancel needs no price ("" or 0)
    if message.signal_price or not action.acts_at_once:
        price = contract.spec.ticks_from_price(message.signal_price, field="input.signal_price")
        if price < 0 or (price == 0 and not action.acts_at_once):
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
    if direction is None:
        raise InvalidArgument("input.direction", "SIGNAL_DIRECTION_BULLISH or SIGNAL_DIRECTION_BEARISH is required")
    stop_loss = _leg(message, "stop_loss", contract.spec, price, target=False)
    take_profit = _leg(message, "take_profit", contract.spec, price, target=True)
    # An exit's 0 is the whole position; for the others 0 means 1.
    quantity = message.quantity if action is SignalAction.EXIT else message.quantity or 1
    return SignalInput(
        contract_id=contract.id,
        direction=direction,
        signal_price=price,
        signal_time_ns=message.signal_time_ns,
        timeframe=timeframe,
        htf_bias=message.htf_bias,
        session=message.session,
        strategy=message.strategy,
        quantity=quantity,
        raw_payload=message.raw_payload,
        source=message.source,
        idempotency_key=message.idempotency_key,
        symbol=message.symbol,
        bar_time_ns=message.bar_time_ns,
        action=action,
        stop_loss=stop_loss,
        take_profit=take_profit,
    )


def _leg(message: pb.SignalInput, name: str, spec: InstrumentSpec, price: int, *, target: bool) -> BracketLeg | None:
    """A checked bracket leg: on the tick grid and within the exit bounds (execution/exits.py), a percent
    measured from the signal price; InvalidArgument names `input.<name>.<field>`."""
    if not message.HasField(name):  # type: ignore[arg-type]
        return None
    leg: pb.BracketLeg = getattr(message, name)
    field = f"input.{name}"
    kind = _LEG_KINDS.get(leg.kind)
    if kind is None:
        raise InvalidArgument(field + ".kind", "BRACKET_LEG_KIND_PRICE, _POINTS or _PERCENT is required")
    default = LegType.LIMIT if target else LegType.STOP
    order_type = _LEG_TYPES.get(leg.order_type) if leg.order_type else default
    if order_type is None:
        raise InvalidArgument(field + ".order_type", f"unknown bracket leg type {leg.order_type}")
    if target != (order_type is LegType.LIMIT):
        raise InvalidArgument(
            field + ".order_type", "a take-profit is a limit; a stop-loss a stop, stop_limit or trailing_stop"
        )
    value = _decimal(leg.value, field + ".value")
    if value <= 0:
        raise InvalidArgument(field + ".value", f"must be positive, got {leg.value!r}")
    limit: Decimal | None = None
    if leg.limit_price:
        if order_type is not LegType.STOP_LIMIT:
            raise InvalidArgument(field + ".limit_price", "only a stop_limit stop-loss has a limit price")
        limit = spec.price_from_ticks(spec.ticks_from_price(leg.limit_price, field + ".limit_price"))
    if kind is LegKind.PERCENT:
        if value >= 100:
            raise InvalidArgument(field + ".value", f"a percent below 100 is required, got {leg.value!r}")
        if price:
            exit_spec(spec, leg_level(BracketLeg(kind, value), spec, price), field + ".value", target=target)
    else:
        level = value if kind is LegKind.PRICE else ExitOffset(value, OffsetUnit.POINTS)
        exit_spec(spec, level, field + ".value", target=target)
    return BracketLeg(kind, value, order_type, limit)


def _decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidArgument(field, f"not a decimal number: {text[:40]!r}") from None
    if not value.is_finite():
        raise InvalidArgument(field, f"not a finite number: {text[:40]!r}")
    return value


def _leg_to_proto(leg: BracketLeg | None) -> pb.BracketLeg | None:
    if leg is None:
        return None
    return pb.BracketLeg(
        kind=pb.BracketLegKind.ValueType(leg.kind),
        value=format(leg.value, "f"),
        order_type=pb.BracketLegType.ValueType(leg.order_type),
        limit_price="" if leg.limit_price is None else format(leg.limit_price, "f"),
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
        outcome=enums.CHECK_OUTCOME.to_proto[check.outcome],
        detail=check.detail,
        decided_ns=check.decided_ns,
    )


def event_to_proto(event: SignalEvent) -> pb.SignalEvent:
    return pb.SignalEvent(
        signal_id=event.signal_id,
        kind=event.kind.value,
        ts_ns=event.ts_ns,
        detail=event.detail,
        status=enums.SIGNAL_STATUS.to_proto[event.status],
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
            action=pb.SignalAction.ValueType(i.action),
            stop_loss=_leg_to_proto(i.stop_loss),
            take_profit=_leg_to_proto(i.take_profit),
        ),
        contract_id=signal.contract_id,
        status=enums.SIGNAL_STATUS.to_proto[signal.status],
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


def update_to_proto(update: SignalUpdate, seq: int = 0) -> pb.StreamSignalEventsResponse:
    response = pb.StreamSignalEventsResponse(event=event_to_proto(update.event), signal=signal_to_proto(update.signal))
    response.event.seq = seq
    return response
