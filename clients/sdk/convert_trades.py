"""Conversions between the TradeService messages and the SDK's tracked-trade values."""

from __future__ import annotations

from clients.sdk import enums
from clients.sdk.convert import decimal_from_wire, optional_decimal_from_wire
from clients.sdk.trades import TrackedTrade, TradeDirection, TradeEvent, TradeStatus, TradeUpdate
from vigil.v1 import trades_pb2 as pb

_DIRECTION_FROM_PB = enums.TRADE_DIRECTION.from_proto
_STATUS_FROM_PB = enums.TRADE_STATUS.from_proto


def trade_event_from_pb(msg: pb.TradeEvent) -> TradeEvent:
    return TradeEvent(kind=msg.kind, ts_ns=msg.ts_ns, price=decimal_from_wire(msg.price), r=decimal_from_wire(msg.r))


def tracked_trade_from_pb(msg: pb.TrackedTrade) -> TrackedTrade:
    return TrackedTrade(
        trade_id=msg.trade_id,
        signal_id=msg.signal_id,
        account_id=msg.account_id,
        contract_id=msg.contract_id,
        direction=_DIRECTION_FROM_PB.get(msg.direction, TradeDirection.UNKNOWN),
        quantity=msg.quantity,
        entry_price=decimal_from_wire(msg.entry_price),
        initial_stop=decimal_from_wire(msg.initial_stop),
        current_stop=decimal_from_wire(msg.current_stop),
        target_price=optional_decimal_from_wire(msg.target_price),
        status=_STATUS_FROM_PB.get(msg.status, TradeStatus.UNKNOWN),
        mfe_r=decimal_from_wire(msg.mfe_r),
        mae_r=decimal_from_wire(msg.mae_r),
        mfe_points=decimal_from_wire(msg.mfe_points),
        mae_points=decimal_from_wire(msg.mae_points),
        result_r=optional_decimal_from_wire(msg.result_r),
        exit_price=optional_decimal_from_wire(msg.exit_price),
        current_r=optional_decimal_from_wire(msg.current_r),
        opened_ns=msg.opened_ns,
        closed_ns=msg.closed_ns,
        events=tuple(trade_event_from_pb(e) for e in msg.events),
        source=msg.source,
        strategy_id=msg.strategy_id,
        strategy_version=msg.strategy_version,
        open_quantity=msg.open_quantity,
        entry_quantity=msg.entry_quantity,
        exit_quantity=msg.exit_quantity,
        avg_entry_price=optional_decimal_from_wire(msg.avg_entry_price),
        avg_exit_price=optional_decimal_from_wire(msg.avg_exit_price),
        gross_pnl=decimal_from_wire(msg.gross_pnl),
        commissions=decimal_from_wire(msg.commissions),
        net_pnl=decimal_from_wire(msg.net_pnl),
        unrealised_pnl=decimal_from_wire(msg.unrealised_pnl),
        exit_reason=msg.exit_reason,
        result_points=optional_decimal_from_wire(msg.result_points),
        tags=tuple(msg.tags),
        setup=msg.setup,
        notes=msg.notes,
        rating=msg.rating,
    )


def trade_update_from_pb(msg: pb.StreamTradeUpdatesResponse) -> TradeUpdate:
    # A snapshot carries no event; an event always names its kind.
    has_event = msg.HasField("event") and bool(msg.event.kind)
    return TradeUpdate(
        trade=tracked_trade_from_pb(msg.trade),
        event=trade_event_from_pb(msg.event) if has_event else None,
        seq=msg.seq,
    )
