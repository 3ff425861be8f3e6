"""MarketDataCalls: VigilClient's MarketDataService methods (instruments, quotes, candles, ticks, feed status)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import date
from typing import TYPE_CHECKING

from clients.sdk import convert
from clients.sdk.models import (
    Candle,
    Contract,
    FeedStatusReport,
    Instrument,
    QuoteBatch,
    QuoteSnapshot,
    SessionCalendar,
    Tick,
    Timeframe,
)
from clients.sdk.transport import Transport
from vigil.v1 import market_data_pb2 as pb
from vigil.v1 import market_data_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call


class MarketDataCalls(Transport):
    """One method per MarketDataService RPC."""

    async def list_instruments(self) -> list[Instrument]:
        response = await self._unary(self._stub().ListInstruments, pb.ListInstrumentsRequest())
        return [convert.instrument_from_pb(i) for i in response.instruments]

    async def resolve_symbol(self, symbol: str, at_ns: int = 0) -> Contract:
        """The canonical contract for any symbol form (NQZ6, NQ1!, NQ, CON.F.US.ENQ.Z26), as of `at_ns`."""
        response = await self._unary(self._stub().ResolveSymbol, pb.ResolveSymbolRequest(symbol=symbol, at_ns=at_ns))
        return convert.contract_from_pb(response.contract)

    async def get_quote(self, symbol: str) -> QuoteSnapshot:
        response = await self._unary(self._stub().GetQuote, pb.GetQuoteRequest(symbol=symbol))
        return convert.quote_snapshot_from_pb(response)

    async def list_candles(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        start_ns: int = 0,
        end_ns: int = 0,
        limit: int = 500,
        include_forming: bool = False,
    ) -> list[Candle]:
        """Candles starting in [start_ns, end_ns), oldest first; end 0 is now, start 0 means `limit` back."""
        request = pb.ListCandlesRequest(
            symbol=symbol,
            timeframe=convert.timeframe_to_pb(timeframe),
            start_ns=start_ns,
            end_ns=end_ns,
            limit=limit,
            include_forming=include_forming,
        )
        response = await self._unary(self._stub().ListCandles, request)
        return [convert.candle_from_pb(c) for c in response.candles]

    async def list_recent_ticks(self, symbol: str, limit: int = 100, trades_only: bool = False) -> list[Tick]:
        """The most recent ticks the server holds in memory, newest last."""
        request = pb.ListRecentTicksRequest(symbol=symbol, limit=limit, trades_only=trades_only)
        response = await self._unary(self._stub().ListRecentTicks, request)
        return [convert.tick_from_pb(t) for t in response.ticks]

    async def get_feed_status(self) -> FeedStatusReport:
        response = await self._unary(self._stub().GetFeedStatus, pb.GetFeedStatusRequest())
        return convert.feed_status_report_from_pb(response)

    async def list_sessions(
        self, from_date: date | str | None = None, to_date: date | str | None = None
    ) -> SessionCalendar:
        """CME trade dates in [from_date, to_date] (None: the calendar's first or last) with open, close, halts
        and early closes, plus the weekdays closed in the range (holidays)."""
        request = pb.ListSessionsRequest(
            from_date=convert.date_to_wire(from_date, "from_date"), to_date=convert.date_to_wire(to_date, "to_date")
        )
        response = await self._unary(self._stub().ListSessions, request)
        return convert.session_calendar_from_pb(response)

    # -- streams --------------------------------------------------------------------------------------

    def stream_quotes(
        self, symbols: Iterable[str] = (), include_trades: bool = False, max_batch: int = 500
    ) -> AsyncGenerator[QuoteBatch, None]:
        """Quote batches for `symbols` (empty: every streaming contract); trades too if asked."""
        request = pb.StreamQuotesRequest(symbols=list(symbols), include_trades=include_trades, max_batch=max_batch)

        def open_call(resumed: bool) -> Call[pb.StreamQuotesResponse]:
            return self._stub().StreamQuotes(request, metadata=self._metadata, wait_for_ready=self.reconnect_streams)

        return self._resilient_stream("StreamQuotes", open_call, convert.quote_batch_from_pb)

    def stream_candles(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe | str] = (),
        closed_only: bool = False,
        send_snapshot: bool = True,
    ) -> AsyncGenerator[list[Candle], None]:
        """Forming-candle updates and closed candles of `timeframes` (empty: all six) for one symbol.

        After a reconnect the request is re-sent with a snapshot (unless `closed_only`), so the first
        message on the new stream carries the forming candles again; closed candles that completed while
        disconnected are not replayed (fetch them with list_candles).
        """
        tfs = [convert.timeframe_to_pb(tf) for tf in timeframes]
        first = pb.StreamCandlesRequest(
            symbol=symbol, timeframes=tfs, closed_only=closed_only, send_snapshot=send_snapshot
        )
        again = pb.StreamCandlesRequest(
            symbol=symbol, timeframes=tfs, closed_only=closed_only, send_snapshot=send_snapshot or not closed_only
        )

        def open_call(resumed: bool) -> Call[pb.StreamCandlesResponse]:
            request = again if resumed else first
            return self._stub().StreamCandles(request, metadata=self._metadata, wait_for_ready=self.reconnect_streams)

        def to_candles(response: pb.StreamCandlesResponse) -> list[Candle]:
            return [convert.candle_from_pb(c) for c in response.candles]

        return self._resilient_stream("StreamCandles", open_call, to_candles)

    def stream_feed_status(self, interval_ms: int = 1000) -> AsyncGenerator[FeedStatusReport, None]:
        """The feed and store health every `interval_ms` (at least 100)."""
        request = pb.StreamFeedStatusRequest(interval_ms=interval_ms)

        def open_call(resumed: bool) -> Call[pb.StreamFeedStatusResponse]:
            return self._stub().StreamFeedStatus(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resilient_stream("StreamFeedStatus", open_call, convert.feed_status_report_from_pb)

    def _stub(self) -> pb_grpc.MarketDataServiceAsyncStub:
        return pb_grpc.MarketDataServiceStub(self._channel())
