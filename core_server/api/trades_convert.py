"""Tracked trades <-> vigil.v1 trades messages. Prices and points are exact decimal text; R is rounded to two
places only here, for display (the exact R is ticks / risk ticks)."""

from __future__ import annotations

from fractions import Fraction

from core_server.api.convert import PriceText, price_text_for
from core_server.excursions.model import Direction, ExcursionEvent, TradeStatus
from core_server.excursions.r_multiples import display_r
from core_server.excursions.tracked import TrackedTrade, TradeUpdate
from vigil.v1 import trades_pb2 as pb

DIRECTION_TO_PROTO = {Direction.LONG: pb.TRADE_DIRECTION_LONG, Direction.SHORT: pb.TRADE_DIRECTION_SHORT}
STATUS_TO_PROTO = {
    TradeStatus.OPEN: pb.TRADE_STATUS_OPEN,
    TradeStatus.STOPPED_OUT: pb.TRADE_STATUS_STOPPED_OUT,
    TradeStatus.BREAK_EVEN: pb.TRADE_STATUS_BREAK_EVEN,
    TradeStatus.TARGET_HIT: pb.TRADE_STATUS_TARGET_HIT,
    TradeStatus.CLOSED: pb.TRADE_STATUS_CLOSED,
}


def r_text(r: Fraction | None) -> str:
    """'1.00', '-0.60', '0.00'; '' for no value."""
    return "" if r is None else str(display_r(r))


def _price(text: PriceText, ticks: int | None) -> str:
    return "" if ticks is None else text(ticks)


def event_to_proto(event: ExcursionEvent, text: PriceText) -> pb.TradeEvent:
    return pb.TradeEvent(kind=event.kind.value, ts_ns=event.ts_ns, price=text(event.price), r=r_text(event.r))


def trade_to_proto(trade: TrackedTrade, *, with_events: bool = True) -> pb.TrackedTrade:
    """The trade as it stands; its event history only `with_events` (GetTrade), not in listings and streams."""
    s, spec = trade.excursion, trade.spec
    text = price_text_for(spec.contract_id)
    return pb.TrackedTrade(
        trade_id=spec.trade_id,
        signal_id=trade.signal_id or "",
        account_id=trade.account_id or "",
        contract_id=spec.contract_id,
        direction=DIRECTION_TO_PROTO[spec.direction],
        quantity=spec.quantity,
        entry_price=text(spec.entry),
        initial_stop=_price(text, spec.stop),
        current_stop=_price(text, s.stop),
        target_price=_price(text, s.target),
        status=STATUS_TO_PROTO[s.status],
        mfe_r=r_text(s.mfe_r),
        mae_r=r_text(s.mae_r),
        mfe_points=text(s.mfe_ticks),  # a distance in ticks reads as points with the price format
        mae_points=text(s.mae_ticks),
        result_r=r_text(s.result_r),
        exit_price=_price(text, s.exit_price),
        current_r=r_text(trade.current_r),
        opened_ns=spec.opened_ns,
        closed_ns=s.closed_ns or 0,
        events=[event_to_proto(e, text) for e in s.events] if with_events else [],
    )


def update_to_proto(update: TradeUpdate) -> pb.StreamTradeUpdatesResponse:
    trade = update.trade
    message = pb.StreamTradeUpdatesResponse(trade=trade_to_proto(trade, with_events=False))
    if update.event is not None:
        message.event.CopyFrom(event_to_proto(update.event, price_text_for(trade.spec.contract_id)))
    return message
