"""Round trips <-> vigil.v1 trades messages. Prices, points and dollars are exact decimal text; R is rounded to
two places only here, for display (the exact R is ticks / risk ticks)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from core_server.api import enums
from core_server.api.convert import PriceText, price_text_for
from core_server.excursions.model import ExcursionEvent
from core_server.excursions.r_multiples import display_r
from core_server.live.journal import TradeUpdate
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.trades.model import RoundTrip
from vigil.v1 import trades_pb2 as pb

DIRECTION_TO_PROTO = enums.TRADE_DIRECTION.to_proto
STATUS_TO_PROTO = enums.TRADE_STATUS.to_proto
AVERAGE_EXTRA_PLACES = 4  # an average of mixed fills shows the tick's decimals plus four, rounded half-even


def r_text(r: Fraction | None) -> str:
    """'1.00', '-0.60', '0.00'; '' for no value."""
    return "" if r is None else str(display_r(r))


def _price(text: PriceText, ticks: int | None) -> str:
    return "" if ticks is None else text(ticks)


def average_price_text(spec: InstrumentSpec, ticks: Fraction | None) -> str:
    """An average price in ticks as exact text: the tick's own decimals when it falls on the grid, else four more
    decimals, rounded half-even (6001.3333, never 6001.333333333333333333333332)."""
    if ticks is None:
        return ""
    if ticks.denominator == 1:
        return spec.format_ticks(int(ticks))
    places = -spec.tick_size.as_tuple().exponent + AVERAGE_EXTRA_PLACES  # type: ignore[operator]
    value = Decimal(ticks.numerator) * spec.tick_size / Decimal(ticks.denominator)
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def event_to_proto(event: ExcursionEvent, text: PriceText) -> pb.TradeEvent:
    return pb.TradeEvent(kind=event.kind.value, ts_ns=event.ts_ns, price=text(event.price), r=r_text(event.r))


def trade_to_proto(trip: RoundTrip, *, last_price: int | None = None, with_events: bool = True) -> pb.TrackedTrade:
    """The trade as it stands; its event history only `with_events` (GetTrade), not in listings and streams.
    `last_price` (ticks: the last trade, or the exit side of the quote) gives an open trade its current R and
    unrealised dollars."""
    s, spec = trip.excursion, trip.excursion.spec
    text = price_text_for(trip.contract_id)
    instrument = INSTRUMENTS[trip.contract_id[:-5]]
    current_r: Fraction | None = None
    unrealised = ""
    if trip.is_open and last_price is not None:
        favourable = (last_price - spec.entry) * trip.direction.sign
        if spec.risk_ticks is not None:
            current_r = Fraction(favourable, spec.risk_ticks)
        if trip.account_id is not None and trip.open_qty:
            open_cost = Fraction(trip.entry_cost, trip.entry_qty) * trip.open_qty
            ticks = (last_price * trip.open_qty - open_cost) * trip.direction.sign
            dollars = Decimal(ticks.numerator) * instrument.tick_value / Decimal(ticks.denominator)
            unrealised = str(dollars.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    journal = trip.journal
    return pb.TrackedTrade(
        trade_id=trip.trade_id,
        signal_id=trip.signal_id or "",
        account_id=trip.account_id or "",
        contract_id=trip.contract_id,
        direction=DIRECTION_TO_PROTO[trip.direction],
        quantity=trip.max_qty,
        entry_price=text(spec.entry),
        initial_stop=_price(text, trip.initial_stop),
        current_stop=_price(text, s.stop),
        target_price=_price(text, s.target),
        status=STATUS_TO_PROTO[s.status],
        mfe_r=r_text(s.mfe_r),
        mae_r=r_text(s.mae_r),
        mfe_points=text(s.mfe_ticks),  # a distance in ticks reads as points with the price format
        mae_points=text(s.mae_ticks),
        result_r=r_text(trip.result_r),
        exit_price=_price(text, s.exit_price),
        current_r=r_text(current_r),
        opened_ns=trip.opened_ns,
        closed_ns=trip.closed_ns or 0,
        events=[event_to_proto(e, text) for e in s.events] if with_events else [],
        source=trip.source.value,
        strategy_id=trip.strategy_id or "",
        strategy_version=trip.strategy_version or 0,
        open_quantity=trip.open_qty,
        entry_quantity=trip.entry_qty,
        exit_quantity=trip.exit_qty,
        avg_entry_price=average_price_text(instrument, trip.avg_entry_ticks),
        avg_exit_price=average_price_text(instrument, trip.avg_exit_ticks),
        gross_pnl=str(trip.gross),
        commissions=str(trip.commissions),
        net_pnl=str(trip.net),
        exit_reason=trip.exit_reason.value if trip.exit_reason is not None else "",
        result_points=_price(text, s.result_ticks),
        unrealised_pnl=unrealised,
        tags=list(journal.tags),
        setup=journal.setup,
        notes=journal.notes,
        rating=journal.rating or 0,
    )


def update_to_proto(update: TradeUpdate, last_price: int | None = None) -> pb.StreamTradeUpdatesResponse:
    trip = update.trip
    message = pb.StreamTradeUpdatesResponse(
        trade=trade_to_proto(trip, last_price=last_price, with_events=False), seq=update.seq
    )
    if update.event is not None:
        message.event.CopyFrom(event_to_proto(update.event, price_text_for(trip.contract_id)))
    return message
