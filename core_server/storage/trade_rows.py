"""Tracked trades <-> `trades` and `trade_events` rows. Everything is ticks; R is rebuilt exactly from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core_server.excursions.model import (
    Direction,
    ExcursionEvent,
    ExcursionEventKind,
    ExcursionState,
    TradeSpec,
    TradeStatus,
)
from core_server.excursions.r_multiples import r_multiple
from core_server.excursions.tracked import TrackedTrade, TradeSource, TradeWrite
from core_server.excursions.tracker import ExcursionTracker

# The Signal Lab named directions bullish/bearish first; a long is stored as bullish, a short as bearish.
_DIRECTION_LABELS = {Direction.LONG: "bullish", Direction.SHORT: "bearish"}
_DIRECTIONS = {label: d for d, label in _DIRECTION_LABELS.items()}

TRADE_COLUMNS: tuple[str, ...] = (
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
    "source",
    "account_id",
    "current_stop",
    "target_price",
    "mfe_ticks",
    "mae_ticks",
    "mfe_ns",
    "mae_ns",
    "result_ticks",
    "exit_price",
    "closed_ns",
)
# What a save may change on a stored row: its excursion, never the trade as it was opened.
EXCURSION_COLUMNS: tuple[str, ...] = ("status", *TRADE_COLUMNS[TRADE_COLUMNS.index("current_stop") :])
EVENT_COLUMNS: tuple[str, ...] = ("trade_id", "seq", "kind", "ts_ns", "price", "stop")


def trade_row(trade: TrackedTrade) -> tuple[Any, ...]:
    """The `trades` row of a trade as it stands, in TRADE_COLUMNS order."""
    s, spec = trade.excursion, trade.spec
    return (
        spec.trade_id,
        trade.signal_id,
        spec.contract_id,
        _DIRECTION_LABELS[spec.direction],
        spec.quantity,
        spec.entry,
        spec.stop,
        spec.risk_ticks,
        s.status.value,
        spec.opened_ns,
        trade.source.value,
        trade.account_id,
        s.stop,
        s.target,
        s.mfe_ticks,
        s.mae_ticks,
        s.mfe_ns,
        s.mae_ns,
        s.result_ticks,
        s.exit_price,
        s.closed_ns,
    )


def event_rows(write: TradeWrite) -> list[tuple[Any, ...]]:
    """The events of `write` not stored yet; seq is the event's position in the trade's history."""
    trade_id = write.trade.trade_id
    return [
        (trade_id, seq, e.kind.value, e.ts_ns, e.price, e.stop)
        for seq, e in enumerate(write.new_events, start=write.stored_events)
    ]


def event_from_record(record: Mapping[str, Any], spec: TradeSpec) -> ExcursionEvent:
    favourable = (record["price"] - spec.entry) * spec.direction.sign
    risk = spec.risk_ticks
    return ExcursionEvent(
        spec.trade_id,
        ExcursionEventKind(record["kind"]),
        record["ts_ns"],
        record["price"],
        None if risk is None else r_multiple(favourable, risk),
        record["stop"],
    )


def trade_from_record(record: Mapping[str, Any], events: Sequence[Mapping[str, Any]] = ()) -> TrackedTrade:
    """The trade of a row (and its event rows, in seq order), with MFE/MAE/result in exact R and points."""
    spec = TradeSpec(
        trade_id=record["id"],
        contract_id=record["contract_id"],
        direction=_DIRECTIONS[record["direction"]],
        quantity=record["quantity"],
        entry=record["entry"],
        stop=record["stop"],
        opened_ns=record["created_ns"],
        target_price=record["target_price"],
    )
    state = ExcursionState(
        TradeStatus(record["status"]),
        record["current_stop"],
        record["mfe_ticks"],
        record["mae_ticks"],
        record["mfe_ns"],
        record["mae_ns"],
        record["result_ticks"],
        record["closed_ns"],
    )
    history = [event_from_record(e, spec) for e in events]
    snapshot = ExcursionTracker.restore(spec, state, events=history).snapshot()
    return TrackedTrade(snapshot, TradeSource(record["source"]), record["signal_id"], record["account_id"])
