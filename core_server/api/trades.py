"""TradeService: thin translation between the wire and the TradeDesk (every round trip, open and closed)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc

from core_server.api import arguments
from core_server.api import trades_convert as convert
from core_server.api.accounts import AccountResolver
from core_server.api.errors import stream, unary
from core_server.api.resume import replay_then_live
from core_server.live.journal import TradeUpdate
from core_server.live.trade_desk import TradeDesk
from core_server.model.clock import Clock
from core_server.model.errors import InvalidArgument
from core_server.storage.trades import TradeFilter
from vigil.v1 import trades_pb2 as pb
from vigil.v1 import trades_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000


class TradeServicer(pb_grpc.TradeServiceServicer):
    def __init__(self, clock: Clock, trades: TradeDesk, accounts: AccountResolver) -> None:
        self._clock = clock
        self._trades = trades
        self._accounts = accounts

    @unary
    async def ListTrades(self, request: pb.ListTradesRequest, context: Ctx) -> pb.ListTradesResponse:
        if request.open_only and request.closed_only:
            raise InvalidArgument("closed_only", "cannot be combined with open_only (leave both false for all)")
        contract_id = arguments.optional_contract_id(request.symbol, self._clock.now_ns())
        arguments.time_range(request.from_ns, request.to_ns)
        limit = arguments.bounded(request.limit, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        query = TradeFilter(
            is_open=True if request.open_only else False if request.closed_only else None,
            contract_id=contract_id,
            account_id=self._accounts.optional(request.account_id) or "",
            strategy_id=arguments.text(request.strategy_id, "strategy_id", arguments.MAX_ID_CHARS).strip(),
            from_ns=request.from_ns,
            to_ns=request.to_ns,
            limit=limit,
        )
        trades = await self._trades.list_trades(query)
        return pb.ListTradesResponse(
            trades=[convert.trade_to_proto(t, last_price=self._trades.last_price(t), with_events=False) for t in trades]
        )

    @unary
    async def GetTrade(self, request: pb.GetTradeRequest, context: Ctx) -> pb.GetTradeResponse:
        trade_id = arguments.identifier(request.trade_id, "trade_id")
        trade = await self._trades.get(trade_id)
        return pb.GetTradeResponse(trade=convert.trade_to_proto(trade, last_price=self._trades.last_price(trade)))

    @stream
    async def StreamTradeUpdates(
        self, request: pb.StreamTradeUpdatesRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamTradeUpdatesResponse]:
        entries = replay_then_live(
            self._trades.subscribe,
            request.since_seq,
            latest=self._trades.last_update_seq,
            stored_after=self._trades.updates_since,
            seq_of=lambda update: update.seq,
            recent=self._open_snapshot if request.send_open else None,
        )
        async with contextlib.aclosing(entries):
            async for update in entries:
                yield convert.update_to_proto(update, self._trades.last_price(update.trip))

    async def _open_snapshot(self) -> list[TradeUpdate]:
        # Taken after subscribing, so nothing stored in between is missed (a change may show twice: the snapshot
        # holds it already, and its update comes live).
        return [TradeUpdate(trip) for trip in self._trades.open_trades()]
