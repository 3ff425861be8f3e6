"""Model values to protobuf messages. Prices become exact decimal text, cached per instrument."""

from __future__ import annotations

from core_server.api import enums
from core_server.model.feed_status import FeedStatus
from core_server.model.instruments import INSTRUMENTS, Contract, InstrumentSpec
from core_server.model.market_data import Candle, Quote, Trade
from core_server.model.store_status import StoreStatus
from vigil.v1 import market_data_pb2

_PRICE_CACHE_LIMIT = 200_000


class PriceText:
    """Exact decimal text of tick prices for one instrument, memoised (prices revisit the same levels)."""

    __slots__ = ("_cache", "_spec")

    def __init__(self, spec: InstrumentSpec) -> None:
        self._spec = spec
        self._cache: dict[int, str] = {}

    @property
    def memo(self) -> dict[int, str]:
        """The memo itself, for loops that look up before calling (the hottest path saves a call)."""
        return self._cache

    def __call__(self, ticks: int) -> str:
        text = self._cache.get(ticks)
        if text is None:
            if len(self._cache) >= _PRICE_CACHE_LIMIT:
                self._cache.clear()
            text = self._cache[ticks] = self._spec.format_ticks(ticks)
        return text


_PRICE_TEXT = {root: PriceText(spec) for root, spec in INSTRUMENTS.items()}
_ROOT_OF: dict[str, str] = {}


def price_text_for(contract_id: str) -> PriceText:
    root = _ROOT_OF.get(contract_id)
    if root is None:
        root = _ROOT_OF[contract_id] = contract_id[:-5]  # canonical ids end in month code + 4-digit year
    return _PRICE_TEXT[root]


TIMEFRAME_TO_PROTO = enums.TIMEFRAME.to_proto
TIMEFRAME_FROM_PROTO = enums.TIMEFRAME.from_proto
AGGRESSOR_TO_PROTO = enums.AGGRESSOR.to_proto
FEED_STATE_TO_PROTO = enums.FEED_STATE.to_proto


def contract_to_proto(contract: Contract) -> market_data_pb2.Contract:
    return market_data_pb2.Contract(
        contract_id=contract.id,
        root=contract.root,
        year=contract.year,
        month=contract.month,
        month_code=contract.month_code,
        expiry_ns=contract.expiry_ns,
        roll_ns=contract.roll_ns,
        tradovate_symbol=contract.tradovate_symbol,
        tradingview_symbol=contract.tradingview_symbol,
        projectx_contract_id=contract.projectx_id,
    )


def instrument_to_proto(spec: InstrumentSpec, front: Contract, streaming: bool) -> market_data_pb2.Instrument:
    return market_data_pb2.Instrument(
        root=spec.root,
        description=spec.description,
        exchange=spec.exchange,
        tick_size=str(spec.tick_size),
        point_value=str(spec.point_value),
        tick_value=str(spec.tick_value),
        front_contract=contract_to_proto(front),
        anomaly_points=str(spec.anomaly_points),
        streaming=streaming,
        micro_of=spec.micro_of or "",
    )


def quote_to_proto(quote: Quote) -> market_data_pb2.Quote:
    text = price_text_for(quote.contract_id)
    return market_data_pb2.Quote(
        contract_id=quote.contract_id,
        ts_event_ns=quote.ts_event,
        ts_init_ns=quote.ts_init,
        bid=text(quote.bid),
        ask=text(quote.ask),
        bid_size=quote.bid_size,
        ask_size=quote.ask_size,
    )


def trade_to_proto(trade: Trade) -> market_data_pb2.Trade:
    text = price_text_for(trade.contract_id)
    return market_data_pb2.Trade(
        contract_id=trade.contract_id,
        ts_event_ns=trade.ts_event,
        ts_init_ns=trade.ts_init,
        price=text(trade.price),
        size=trade.size,
        aggressor=AGGRESSOR_TO_PROTO[trade.aggressor],
    )


def candle_to_proto(candle: Candle) -> market_data_pb2.Candle:
    text = price_text_for(candle.contract_id)
    return market_data_pb2.Candle(
        contract_id=candle.contract_id,
        timeframe=TIMEFRAME_TO_PROTO[candle.timeframe],
        start_ns=candle.start_ns,
        end_ns=candle.end_ns,
        open=text(candle.open),
        high=text(candle.high),
        low=text(candle.low),
        close=text(candle.close),
        volume=candle.volume,
        tick_count=candle.tick_count,
        closed=candle.closed,
        complete=candle.complete,
    )


def feed_status_to_proto(status: FeedStatus, now_ns: int) -> market_data_pb2.FeedStatus:
    return market_data_pb2.FeedStatus(
        name=status.name,
        kind=status.kind,
        state=FEED_STATE_TO_PROTO[status.state],
        detail=status.detail,
        contract_ids=list(status.contracts),
        connected_since_ns=status.connected_since_ns,
        reconnect_count=status.reconnect_count,
        last_message_ns=status.last_message_ns,
        last_tick_ns=status.last_tick_ns,
        last_tick_age_ns=max(0, now_ns - status.last_tick_ns) if status.last_tick_ns else 0,
        ticks_per_second=status.ticks_per_second,
        messages_per_second=status.messages_per_second,
        total_ticks=status.total_ticks,
        malformed_frames=status.malformed_frames,
        gaps_filled=status.gaps_filled,
        gaps_unfilled=status.gaps_unfilled,
        anomalies=status.anomalies,
        stage_errors=status.stage_errors,
        latency_p50_ns=status.latency_p50_ns,
        latency_p99_ns=status.latency_p99_ns,
        recent_gaps=[
            market_data_pb2.FeedGap(
                contract_id=g.contract_id,
                start_ns=g.start_ns,
                end_ns=g.end_ns,
                filled=g.filled,
                backfilled_ticks=g.backfilled_ticks,
                pages=g.pages,
            )
            for g in status.recent_gaps
        ],
        counters=status.extra,
    )


def store_status_to_proto(status: StoreStatus) -> market_data_pb2.StoreStatus:
    return market_data_pb2.StoreStatus(
        available=status.available,
        mode=status.mode,
        buffered_ticks=status.buffered_ticks,
        written_ticks=status.written_ticks,
        dropped_ticks=status.dropped_ticks,
        last_flush_ns=status.last_flush_ns,
        last_error=status.last_error,
    )
