"""TradeCalls: VigilClient's TradeService methods (tracked trades with MFE/MAE in R, and their updates)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from clients.sdk import convert_trades
from clients.sdk.trades import TrackedTrade, TradeUpdate
from clients.sdk.transport import Transport
from vigil.v1 import trades_pb2, trades_pb2_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call


class TradeCalls(Transport):
    """One method per TradeService RPC."""

    async def list_trades(
        self,
        open_only: bool = False,
        closed_only: bool = False,
        symbol: str = "",
        from_ns: int = 0,
        to_ns: int = 0,
        limit: int = 100,
        account_id: str = "",
        strategy_id: str = "",
    ) -> list[TrackedTrade]:
        """Trades opened in [from_ns, to_ns) (0: unbounded), newest first, at most 1000; both flags False: all;
        `account_id` / `strategy_id`: only that account's or strategy's trades."""
        request = trades_pb2.ListTradesRequest(
            open_only=open_only,
            closed_only=closed_only,
            symbol=symbol,
            from_ns=from_ns,
            to_ns=to_ns,
            limit=limit,
            account_id=account_id,
            strategy_id=strategy_id,
        )
        response = await self._unary(self._trade_stub().ListTrades, request)
        return [convert_trades.tracked_trade_from_pb(t) for t in response.trades]

    async def get_trade(self, trade_id: str) -> TrackedTrade:
        """One trade with its excursion history."""
        response = await self._unary(self._trade_stub().GetTrade, trades_pb2.GetTradeRequest(trade_id=trade_id))
        return convert_trades.tracked_trade_from_pb(response.trade)

    def stream_trade_updates(self, send_open: bool = True, since_seq: int = 0) -> AsyncGenerator[TradeUpdate, None]:
        """Excursion events and status changes as they happen (each with its `seq`), first a snapshot of the open
        trades if `send_open`; with `since_seq`, every update stored after it instead.

        After a reconnect the request is re-sent with `since_seq` set to the last seq delivered: the server
        replays the updates stored meanwhile, then continues live, with no gap and no duplicate (a reconnect
        before any update was delivered asks for the open trades again).
        """

        def open_call(since: int, resumed: bool) -> Call[trades_pb2.StreamTradeUpdatesResponse]:
            request = trades_pb2.StreamTradeUpdatesRequest(
                send_open=not since and (send_open or resumed), since_seq=since
            )
            return self._trade_stub().StreamTradeUpdates(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        return self._resuming_stream(
            "StreamTradeUpdates", open_call, convert_trades.trade_update_from_pb, lambda r: r.seq, since_seq
        )

    def _trade_stub(self) -> trades_pb2_grpc.TradeServiceAsyncStub:
        return trades_pb2_grpc.TradeServiceStub(self._channel())
