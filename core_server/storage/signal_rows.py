"""Signal Lab values <-> table rows: signals, their events and trades; checks and candles as jsonb text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from core_server.model.market_data import Candle, Timeframe
from core_server.signals.model import (
    BracketLeg,
    CheckName,
    CheckOutcome,
    CheckResult,
    LegKind,
    LegType,
    Signal,
    SignalAction,
    SignalDirection,
    SignalEvent,
    SignalEventKind,
    SignalInput,
    SignalStatus,
)
from core_server.signals.trade_record import TradeRecord

SIGNAL_COLUMNS: tuple[str, ...] = (
    "id",
    "idempotency_key",
    "claims_key",
    "contract_id",
    "status",
    "symbol",
    "direction",
    "signal_price",
    "signal_time_ns",
    "bar_time_ns",
    "timeframe",
    "htf_bias",
    "session",
    "strategy",
    "quantity",
    "source",
    "submitted_key",
    "raw_payload",
    "checks",
    "received_ns",
    "decided_ns",
    "waiting_for",
    "expires_after_candles",
    "candles_waited",
    "signal_candle",
    "confirmation_candle",
    "pivot_price",
    "pivot_candle_start_ns",
    "stop_from_fallback",
    "entry_price",
    "stop_price",
    "risk_ticks",
    "trade_id",
    "event_count",
    "action",
    "stop_loss",
    "take_profit",
)
JSONB_COLUMNS = frozenset({"checks", "signal_candle", "confirmation_candle", "stop_loss", "take_profit"})
EVENT_COLUMNS = ("signal_id", "seq", "kind", "ts_ns", "detail", "status")
TRADE_COLUMNS = (
    "id",
    "signal_id",
    "contract_id",
    "direction",
    "quantity",
    "entry",
    "stop",
    "risk_ticks",
    "status",
    "created_ns",
)

_TIMEFRAMES = {tf.label: tf for tf in Timeframe}
_STATUSES = {s.label: s for s in SignalStatus}
_DIRECTIONS = {d.label: d for d in SignalDirection}
_OUTCOMES = {o.label: o for o in CheckOutcome}
_ACTIONS = {a.label: a for a in SignalAction}
_LEG_KINDS = {k.name.lower(): k for k in LegKind}
_LEG_TYPES = {t.label: t for t in LegType}


def _leg_json(leg: BracketLeg | None) -> str | None:
    if leg is None:
        return None
    limit = None if leg.limit_price is None else str(leg.limit_price)
    return json.dumps(
        {
            "kind": leg.kind.name.lower(),
            "value": str(leg.value),
            "order_type": leg.order_type.label,
            "limit_price": limit,
        }
    )


def _leg_from_json(text: str | None) -> BracketLeg | None:
    if text is None:
        return None
    f = json.loads(text)
    limit = None if f["limit_price"] is None else Decimal(f["limit_price"])
    return BracketLeg(_LEG_KINDS[f["kind"]], Decimal(f["value"]), _LEG_TYPES[f["order_type"]], limit)


def claims_key(signal: Signal) -> bool:
    """Whether the signal owns its idempotency key: every delivery that passed authentication does."""
    return signal.check(CheckName.AUTHENTIC_AND_NEW).outcome is not CheckOutcome.FAILED


def _candle_json(candle: Candle | None) -> str | None:
    if candle is None:
        return None
    fields = candle._asdict()
    del fields["contract_id"], fields["timeframe"], fields["closed"]  # the signal's own; always closed
    return json.dumps(fields)


def _candle_from_json(text: str | None, contract_id: str, timeframe: Timeframe) -> Candle | None:
    if text is None:
        return None
    f = json.loads(text)
    return Candle(
        contract_id,
        timeframe,
        f["start_ns"],
        f["end_ns"],
        f["open"],
        f["high"],
        f["low"],
        f["close"],
        f["volume"],
        f["tick_count"],
        True,
        f["complete"],
    )


def _checks_json(checks: Sequence[CheckResult]) -> str:
    return json.dumps(
        [
            {"name": c.name.value, "outcome": c.outcome.label, "detail": c.detail, "decided_ns": c.decided_ns}
            for c in checks
        ]
    )


def _checks_from_json(text: str) -> tuple[CheckResult, ...]:
    return tuple(
        CheckResult(CheckName(c["name"]), _OUTCOMES[c["outcome"]], c["detail"], c["decided_ns"])
        for c in json.loads(text)
    )


def signal_row(signal: Signal) -> tuple[Any, ...]:
    """The `signals` row of a snapshot, in SIGNAL_COLUMNS order."""
    i = signal.input
    return (
        signal.signal_id,
        signal.idempotency_key,
        claims_key(signal),
        i.contract_id,
        signal.status.label,
        i.symbol,
        i.direction.label,
        i.signal_price,
        i.signal_time_ns,
        i.bar_time_ns,
        i.timeframe.label,
        i.htf_bias,
        i.session,
        i.strategy,
        i.quantity,
        i.source,
        i.idempotency_key,
        i.raw_payload,
        _checks_json(signal.checks),
        signal.received_ns,
        signal.decided_ns,
        signal.waiting_for,
        signal.expires_after_candles,
        signal.candles_waited,
        _candle_json(signal.signal_candle),
        _candle_json(signal.confirmation_candle),
        signal.pivot_price,
        signal.pivot_candle_start_ns,
        signal.stop_from_fallback,
        signal.entry_price,
        signal.stop_price,
        signal.risk_ticks,
        signal.trade_id,
        len(signal.events),
        i.action.label,
        _leg_json(i.stop_loss),
        _leg_json(i.take_profit),
    )


def event_rows(signal: Signal) -> list[tuple[Any, ...]]:
    """Every event of the snapshot as `signal_events` rows; seq is the event's position in the history."""
    return [
        (signal.signal_id, seq, e.kind.value, e.ts_ns, e.detail, e.status.label) for seq, e in enumerate(signal.events)
    ]


def event_from_record(record: Mapping[str, Any]) -> SignalEvent:
    return SignalEvent(
        record["signal_id"],
        SignalEventKind(record["kind"]),
        record["ts_ns"],
        record["detail"],
        _STATUSES[record["status"]],
    )


def signal_from_record(record: Mapping[str, Any], events: Sequence[SignalEvent]) -> Signal:
    timeframe = _TIMEFRAMES[record["timeframe"]]
    contract_id = record["contract_id"]
    signal_input = SignalInput(
        contract_id=contract_id,
        direction=_DIRECTIONS[record["direction"]],
        signal_price=record["signal_price"],
        signal_time_ns=record["signal_time_ns"],
        timeframe=timeframe,
        htf_bias=record["htf_bias"],
        session=record["session"],
        strategy=record["strategy"],
        quantity=record["quantity"],
        raw_payload=record["raw_payload"],
        source=record["source"],
        idempotency_key=record["submitted_key"],
        symbol=record["symbol"],
        bar_time_ns=record["bar_time_ns"],
        action=_ACTIONS[record["action"]],
        stop_loss=_leg_from_json(record["stop_loss"]),
        take_profit=_leg_from_json(record["take_profit"]),
    )
    return Signal(
        signal_id=record["id"],
        input=signal_input,
        idempotency_key=record["idempotency_key"],
        status=_STATUSES[record["status"]],
        checks=_checks_from_json(record["checks"]),
        received_ns=record["received_ns"],
        decided_ns=record["decided_ns"],
        waiting_for=record["waiting_for"],
        expires_after_candles=record["expires_after_candles"],
        candles_waited=record["candles_waited"],
        signal_candle=_candle_from_json(record["signal_candle"], contract_id, timeframe),
        confirmation_candle=_candle_from_json(record["confirmation_candle"], contract_id, timeframe),
        pivot_price=record["pivot_price"],
        pivot_candle_start_ns=record["pivot_candle_start_ns"],
        stop_from_fallback=record["stop_from_fallback"],
        entry_price=record["entry_price"],
        stop_price=record["stop_price"],
        risk_ticks=record["risk_ticks"],
        trade_id=record["trade_id"],
        events=tuple(events),
    )


def trade_row(trade: TradeRecord) -> tuple[Any, ...]:
    return (
        trade.trade_id,
        trade.signal_id,
        trade.contract_id,
        trade.direction.label,
        trade.quantity,
        trade.entry_price,
        trade.stop_price,
        trade.risk_ticks,
        trade.status,
        trade.created_ns,
    )


def trade_from_record(record: Mapping[str, Any]) -> TradeRecord:
    return TradeRecord(
        trade_id=record["id"],
        signal_id=record["signal_id"],
        contract_id=record["contract_id"],
        direction=_DIRECTIONS[record["direction"]],
        quantity=record["quantity"],
        entry_price=record["entry"],
        stop_price=record["stop"],
        risk_ticks=record["risk_ticks"],
        created_ns=record["created_ns"],
        status=record["status"],
    )
