"""Conversions between the generated protobuf messages and the SDK's values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from clients.sdk import enums
from clients.sdk.errors import InvalidArgumentError, VigilError
from clients.sdk.models import (
    Aggressor,
    Candle,
    Contract,
    FeedGap,
    FeedState,
    FeedStatus,
    FeedStatusReport,
    Instrument,
    Quote,
    QuoteBatch,
    QuoteSnapshot,
    SessionCalendar,
    StoreStatus,
    Tick,
    Timeframe,
    Trade,
    TradingSession,
)
from vigil.v1 import common_pb2, market_data_pb2

_TIMEFRAME_TO_PB = enums.TIMEFRAME.to_proto
_TIMEFRAME_FROM_PB = enums.TIMEFRAME.from_proto
_AGGRESSOR_FROM_PB = enums.AGGRESSOR.from_proto
_FEED_STATE_FROM_PB = enums.FEED_STATE.from_proto


def decimal_from_wire(text: str) -> Decimal:
    """The exact value of a wire decimal string; an unset field (empty) is zero."""
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise VigilError(f"the server sent a malformed decimal: {text!r}") from None
    if not value.is_finite():
        raise VigilError(f"the server sent a non-finite decimal: {text!r}")
    return value


def optional_decimal_from_wire(text: str) -> Decimal | None:
    """The exact value of a wire decimal string, or None when the field is unset (empty)."""
    return decimal_from_wire(text) if text else None


def decimal_to_wire(value: Decimal, field: str) -> str:
    """The wire text of an exact Decimal, in plain notation (never an exponent); anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        raise InvalidArgumentError(field, f"must be a finite Decimal, got {value!r}")
    return format(Decimal(value), "f")


def optional_decimal_to_wire(value: Decimal | None, field: str) -> str:
    """Empty (unset) for None, else the plain-notation text of the Decimal."""
    return "" if value is None else decimal_to_wire(value, field)


def timeframe_to_pb(timeframe: Timeframe | str) -> common_pb2.Timeframe.ValueType:
    return _TIMEFRAME_TO_PB[Timeframe.parse(timeframe)]


def timeframe_from_pb(value: int) -> Timeframe:
    found = _TIMEFRAME_FROM_PB.get(common_pb2.Timeframe.ValueType(value))
    if found is None:
        raise VigilError(f"the server sent an unknown timeframe: {value}")
    return found


def contract_from_pb(msg: market_data_pb2.Contract) -> Contract:
    return Contract(
        contract_id=msg.contract_id,
        root=msg.root,
        year=msg.year,
        month=msg.month,
        month_code=msg.month_code,
        expiry_ns=msg.expiry_ns,
        roll_ns=msg.roll_ns,
        tradovate_symbol=msg.tradovate_symbol,
        tradingview_symbol=msg.tradingview_symbol,
        projectx_contract_id=msg.projectx_contract_id,
    )


def instrument_from_pb(msg: market_data_pb2.Instrument) -> Instrument:
    return Instrument(
        root=msg.root,
        description=msg.description,
        exchange=msg.exchange,
        tick_size=decimal_from_wire(msg.tick_size),
        point_value=decimal_from_wire(msg.point_value),
        tick_value=decimal_from_wire(msg.tick_value),
        front_contract=contract_from_pb(msg.front_contract),
        anomaly_points=decimal_from_wire(msg.anomaly_points),
        streaming=msg.streaming,
        micro_of=msg.micro_of or None,
    )


def quote_from_pb(msg: market_data_pb2.Quote) -> Quote:
    return Quote(
        contract_id=msg.contract_id,
        ts_event_ns=msg.ts_event_ns,
        ts_init_ns=msg.ts_init_ns,
        bid=decimal_from_wire(msg.bid),
        ask=decimal_from_wire(msg.ask),
        bid_size=msg.bid_size,
        ask_size=msg.ask_size,
    )


def trade_from_pb(msg: market_data_pb2.Trade) -> Trade:
    return Trade(
        contract_id=msg.contract_id,
        ts_event_ns=msg.ts_event_ns,
        ts_init_ns=msg.ts_init_ns,
        price=decimal_from_wire(msg.price),
        size=msg.size,
        aggressor=_AGGRESSOR_FROM_PB.get(msg.aggressor, Aggressor.NONE),
    )


def tick_from_pb(msg: market_data_pb2.Tick) -> Tick:
    kind = msg.WhichOneof("kind")
    if kind == "quote":
        return quote_from_pb(msg.quote)
    if kind == "trade":
        return trade_from_pb(msg.trade)
    raise VigilError("the server sent a tick that is neither a quote nor a trade")


def quote_snapshot_from_pb(msg: market_data_pb2.GetQuoteResponse) -> QuoteSnapshot:
    return QuoteSnapshot(
        quote=quote_from_pb(msg.quote),
        last_trade=trade_from_pb(msg.last_trade) if msg.HasField("last_trade") else None,
        day_volume=msg.day_volume,
    )


def quote_batch_from_pb(msg: market_data_pb2.StreamQuotesResponse) -> QuoteBatch:
    return QuoteBatch(
        quotes=tuple(quote_from_pb(q) for q in msg.quotes),
        trades=tuple(trade_from_pb(t) for t in msg.trades),
        conflated=msg.conflated,
    )


def candle_from_pb(msg: market_data_pb2.Candle) -> Candle:
    return Candle(
        contract_id=msg.contract_id,
        timeframe=timeframe_from_pb(msg.timeframe),
        start_ns=msg.start_ns,
        end_ns=msg.end_ns,
        open=decimal_from_wire(msg.open),
        high=decimal_from_wire(msg.high),
        low=decimal_from_wire(msg.low),
        close=decimal_from_wire(msg.close),
        volume=msg.volume,
        tick_count=msg.tick_count,
        closed=msg.closed,
        complete=msg.complete,
    )


def feed_gap_from_pb(msg: market_data_pb2.FeedGap) -> FeedGap:
    return FeedGap(
        contract_id=msg.contract_id,
        start_ns=msg.start_ns,
        end_ns=msg.end_ns,
        filled=msg.filled,
        backfilled_ticks=msg.backfilled_ticks,
        pages=msg.pages,
    )


def feed_status_from_pb(msg: market_data_pb2.FeedStatus) -> FeedStatus:
    return FeedStatus(
        name=msg.name,
        kind=msg.kind,
        state=_FEED_STATE_FROM_PB.get(msg.state, FeedState.UNKNOWN),
        detail=msg.detail,
        contract_ids=tuple(msg.contract_ids),
        connected_since_ns=msg.connected_since_ns,
        reconnect_count=msg.reconnect_count,
        last_message_ns=msg.last_message_ns,
        last_tick_ns=msg.last_tick_ns,
        last_tick_age_ns=msg.last_tick_age_ns,
        ticks_per_second=msg.ticks_per_second,
        messages_per_second=msg.messages_per_second,
        total_ticks=msg.total_ticks,
        malformed_frames=msg.malformed_frames,
        gaps_filled=msg.gaps_filled,
        gaps_unfilled=msg.gaps_unfilled,
        anomalies=msg.anomalies,
        latency_p50_ns=msg.latency_p50_ns,
        latency_p99_ns=msg.latency_p99_ns,
        recent_gaps=tuple(feed_gap_from_pb(g) for g in msg.recent_gaps),
        stage_errors=msg.stage_errors,
        counters=dict(msg.counters),
    )


def store_status_from_pb(msg: market_data_pb2.StoreStatus) -> StoreStatus:
    return StoreStatus(
        available=msg.available,
        mode=msg.mode,
        buffered_ticks=msg.buffered_ticks,
        written_ticks=msg.written_ticks,
        dropped_ticks=msg.dropped_ticks,
        last_flush_ns=msg.last_flush_ns,
        last_error=msg.last_error,
    )


def feed_status_report_from_pb(
    msg: market_data_pb2.GetFeedStatusResponse | market_data_pb2.StreamFeedStatusResponse,
) -> FeedStatusReport:
    return FeedStatusReport(
        feeds=tuple(feed_status_from_pb(f) for f in msg.feeds),
        store=store_status_from_pb(msg.store),
        server_time_ns=msg.server_time_ns,
    )


def trading_session_from_pb(msg: market_data_pb2.TradingSession) -> TradingSession:
    return TradingSession(
        trade_date=date_from_wire(msg.trade_date),
        open_ns=msg.open_ns,
        close_ns=msg.close_ns,
        halts=tuple((h.start_ns, h.end_ns) for h in msg.halts),
        early_close=msg.early_close,
        note=msg.note,
    )


def session_calendar_from_pb(msg: market_data_pb2.ListSessionsResponse) -> SessionCalendar:
    return SessionCalendar(
        sessions=tuple(trading_session_from_pb(s) for s in msg.sessions),
        closed_dates=tuple(date_from_wire(d) for d in msg.closed_dates),
        first_trade_date=date_from_wire(msg.first_trade_date),
        last_trade_date=date_from_wire(msg.last_trade_date),
        time_zone=msg.time_zone,
    )


def date_from_wire(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise VigilError(f"the server sent a malformed date: {text!r}") from None


def date_to_wire(value: date | str | None, field: str) -> str:
    """YYYY-MM-DD for a date; a string is passed on for the server to check; None is empty (unset)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise InvalidArgumentError(field, f"must be a date or YYYY-MM-DD text, got {value!r}")


_AGGRESSOR_TO_PB = {v: k for k, v in _AGGRESSOR_FROM_PB.items()}


def quote_to_pb(quote: Quote) -> market_data_pb2.Quote:
    return market_data_pb2.Quote(
        contract_id=quote.contract_id,
        ts_event_ns=quote.ts_event_ns,
        ts_init_ns=quote.ts_init_ns,
        bid=str(quote.bid),
        ask=str(quote.ask),
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
    )


def trade_to_pb(trade: Trade) -> market_data_pb2.Trade:
    return market_data_pb2.Trade(
        contract_id=trade.contract_id,
        ts_event_ns=trade.ts_event_ns,
        ts_init_ns=trade.ts_init_ns,
        price=str(trade.price),
        size=trade.size,
        aggressor=common_pb2.Aggressor.ValueType(_AGGRESSOR_TO_PB[trade.aggressor]),
    )


def candle_to_pb(candle: Candle) -> market_data_pb2.Candle:
    return market_data_pb2.Candle(
        contract_id=candle.contract_id,
        timeframe=timeframe_to_pb(candle.timeframe),
        start_ns=candle.start_ns,
        end_ns=candle.end_ns,
        open=str(candle.open),
        high=str(candle.high),
        low=str(candle.low),
        close=str(candle.close),
        volume=candle.volume,
        tick_count=candle.tick_count,
        closed=candle.closed,
        complete=candle.complete,
    )
