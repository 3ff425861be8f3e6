"""Round trips <-> `trades` and `trade_events` rows. Prices and costs are ticks, money exact numeric, R rebuilt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
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
from core_server.excursions.tracked import TradeSource
from core_server.excursions.tracker import ExcursionTracker
from core_server.model.instruments import INSTRUMENTS
from core_server.trades.model import ExitReason, JournalNotes, RoundTrip

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
    "strategy_id",
    "strategy_version",
    "current_stop",
    "target_price",
    "mfe_ticks",
    "mae_ticks",
    "mfe_ns",
    "mae_ns",
    "result_ticks",
    "exit_price",
    "closed_ns",
    "open_qty",
    "max_qty",
    "entry_qty",
    "entry_cost",
    "exit_qty",
    "exit_cost",
    "realised_ticks",
    "gross",
    "commissions",
    "exit_reason",
    "break_even",
    "open_order",
)
# What a save may change on a stored row: everything after the trade as it was opened. The Signal Lab writes a
# confirmed signal's trade first (entry and stop as the signal computed them); the round trip its bracket opens
# then rewrites it whole, with the fill's entry and the stop that was working.
_OPENING = ("id", "signal_id", "created_ns", "source")
UPDATE_COLUMNS: tuple[str, ...] = tuple(c for c in TRADE_COLUMNS if c not in _OPENING)
JOURNAL_COLUMNS: tuple[str, ...] = ("tags", "setup", "notes", "rating")
EVENT_COLUMNS: tuple[str, ...] = ("trade_id", "seq", "kind", "ts_ns", "price", "stop")


def trade_row(trip: RoundTrip) -> tuple[Any, ...]:
    """The `trades` row of a round trip as it stands, in TRADE_COLUMNS order."""
    s, spec = trip.excursion, trip.excursion.spec
    return (
        trip.trade_id,
        trip.signal_id,
        trip.contract_id,
        _DIRECTION_LABELS[trip.direction],
        trip.max_qty,
        spec.entry,
        trip.initial_stop,
        trip.risk_ticks,
        s.status.value,
        trip.opened_ns,
        trip.source.value,
        trip.account_id,
        trip.strategy_id,
        trip.strategy_version,
        s.stop,
        s.target,
        s.mfe_ticks,
        s.mae_ticks,
        s.mfe_ns,
        s.mae_ns,
        s.result_ticks,
        s.exit_price,
        s.closed_ns,
        trip.open_qty,
        trip.max_qty,
        trip.entry_qty,
        trip.entry_cost,
        trip.exit_qty,
        trip.exit_cost,
        trip.realised_ticks,
        trip.gross,
        trip.commissions,
        trip.exit_reason.value if trip.exit_reason is not None else None,
        s.break_even_triggered,
        trip.open_order,
    )


def event_rows(trade_id: str, events: Sequence[ExcursionEvent], stored: int) -> list[tuple[Any, ...]]:
    """Rows of `events`, numbered on from the `stored` events the trade already has."""
    return [(trade_id, seq, e.kind.value, e.ts_ns, e.price, e.stop) for seq, e in enumerate(events, start=stored)]


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


def trade_from_record(
    record: Mapping[str, Any], events: Sequence[Mapping[str, Any]] = (), *, managed: bool | None = None
) -> RoundTrip:
    """The round trip of a row (and its event rows, in seq order), with MFE/MAE/result in exact R and points.

    Rows written before round trips existed (a signal's trade) read back with their quantity as the entry."""
    stop = record["stop"]
    spec = TradeSpec(
        trade_id=record["id"],
        contract_id=record["contract_id"],
        direction=_DIRECTIONS[record["direction"]],
        quantity=record["quantity"],
        entry=record["entry"],
        stop=stop,
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
        record["break_even"],
    )
    account_id = record["account_id"]
    history = [event_from_record(e, spec) for e in events]
    instrument = INSTRUMENTS[spec.contract_id[:-5]]
    if managed is None:
        managed = account_id is not None
    tracker = ExcursionTracker.restore(spec, state, instrument=instrument, events=history, managed=managed)
    entry_qty = record["entry_qty"] or record["quantity"]
    reason = record["exit_reason"]
    return RoundTrip(
        trade_id=spec.trade_id,
        account_id=account_id,
        contract_id=spec.contract_id,
        direction=spec.direction,
        source=TradeSource(record["source"]),
        signal_id=record["signal_id"],
        strategy_id=record["strategy_id"],
        strategy_version=record["strategy_version"],
        opened_ns=spec.opened_ns,
        closed_ns=record["closed_ns"],
        open_qty=record["open_qty"],
        max_qty=record["max_qty"] or record["quantity"],
        entry_qty=entry_qty,
        entry_cost=record["entry_cost"] or spec.entry * entry_qty,
        exit_qty=record["exit_qty"],
        exit_cost=record["exit_cost"],
        realised_ticks=record["realised_ticks"],
        gross=Decimal(record["gross"]),
        commissions=Decimal(record["commissions"]),
        initial_stop=stop,
        target=record["target_price"],
        exit_reason=ExitReason(reason) if reason else None,
        excursion=tracker.snapshot(),
        open_order=record.get("open_order"),
        journal=JournalNotes(
            tuple(record.get("tags") or ()), record.get("setup") or "", record.get("notes") or "", record.get("rating")
        ),
    )
