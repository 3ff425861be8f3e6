"""ExecutionService: thin translation between the wire and the ExecutionDesk (paper accounts, orders, positions).

Every command is checked here for its wire shape (field names as the caller sent them, e.g. `order.quantity`),
then executed in the kernel and stored by the ExecutionDesk before the response is built; the engine's own refusals are
renamed to wire field names on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar

import grpc

from core_server.api import access, arguments
from core_server.api import execution_convert as convert
from core_server.api.accounts import AccountResolver
from core_server.api.errors import stream, unary
from core_server.api.resume import check_since_seq, replay_then_live
from core_server.execution.changes import ExecutionChange
from core_server.execution.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ExecutionCommand,
    FlattenAccount,
    ModifyOrder,
    ResetAccount,
    ReversePosition,
    SubmitBracketBatch,
    SubmitOcoPair,
)
from core_server.execution.events import OrderAccepted, OrderDenied
from core_server.execution.model import AccountId, Order, OrderId
from core_server.live.execution_desk import ExecutionDesk
from core_server.model.clock import Clock
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import FailedPrecondition, InvalidArgument
from core_server.model.symbols import parse_symbol
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")

DEFAULT_LIST_LIMIT = 200
MAX_LIST_LIMIT = 2000
MAX_BATCH = 100
MAX_STARTING_BALANCE = Decimal(100_000_000)
MIN_STARTING_BALANCE = Decimal("0.01")
DEFAULT_STARTING_BALANCE = Decimal(50_000)
DEFAULT_ACCOUNT_RATE = 4
MAX_ACCOUNT_RATE = 20


def _renamed(exc: InvalidArgument, rename: Callable[[str], str]) -> InvalidArgument:
    return InvalidArgument(rename(exc.field), exc.reason)


def _limit(value: int) -> int:
    return arguments.bounded(value, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)


class ExecutionServicer(pb_grpc.ExecutionServiceServicer):
    def __init__(self, clock: Clock, execution: ExecutionDesk, accounts: AccountResolver) -> None:
        self._clock = clock
        self._live = execution
        self._engine = execution.engine
        self._accounts = accounts

    # -- helpers ------------------------------------------------------------------------------------------

    async def _execute(self, command: ExecutionCommand, rename: Callable[[str], str] = str) -> ExecutionChange:
        try:
            return await self._live.execute(command, actor=access.actor())
        except InvalidArgument as exc:
            raise _renamed(exc, rename) from None

    def _account_id(self, value: str) -> AccountId:
        return self._accounts.require(value)  # an id or a name; NotFound

    def _contract(self, symbol: str, field: str = "symbol") -> str:
        return parse_symbol(symbol, self._clock.now_ns(), field=field).id

    def _order(self, order: Order) -> pb.Order:
        reason, updated_ns = self._live.order_meta(order.order_id)
        message = convert.order_to_proto(order, reason, updated_ns)
        message.placed_by = self._live.placed_by(order.order_id)
        return message

    def _events(self, change: ExecutionChange) -> list[pb.OrderEvent]:
        events = convert.change_events(change)
        for event in events:
            if event.HasField("order"):
                event.order.placed_by = self._live.placed_by(OrderId(event.order.order_id))
        return events

    def _placed(self, change: ExecutionChange) -> list[pb.Order]:
        """The orders a submit created, as they stand now (in the order they were created)."""
        ids = [e.order.order_id for e in change.events if isinstance(e, OrderAccepted | OrderDenied)]
        return [self._order(self._engine.order(oid)) for oid in ids]

    async def _changeable(self, order_id: OrderId) -> Order:
        """The order a modify or cancel names, the caller allowed on its account; one archived at a trading-day
        roll (finished, read from the store) is refused as the engine refuses a finished order."""
        order = await self._live.order(order_id)
        access.check_account(order.account_id)
        if not self._engine.holds(order_id) and not order.is_open:
            raise FailedPrecondition(f"order {order_id} is {order.status.name.lower()}; only open orders change")
        return order

    def _account(self, account_id: AccountId) -> pb.Account:
        account = self._engine.account(account_id)
        name = self._live.account_name(account_id)
        return convert.account_to_proto(self._engine, account, name, self._live.account_updated_ns(account_id))

    # -- accounts -----------------------------------------------------------------------------------------

    @unary
    async def CreateAccount(self, request: pb.CreateAccountRequest, context: Ctx) -> pb.CreateAccountResponse:
        name = arguments.text(request.name, "name", arguments.MAX_NAME_CHARS).strip()
        if not name:
            raise InvalidArgument("name", f"a name of 1 to {arguments.MAX_NAME_CHARS} characters is required")
        # Empty text is the only "not given": a "0" is a balance (and refused), never the default.
        given = parse_decimal(
            request.starting_balance, "starting_balance", places=2, low=MIN_STARTING_BALANCE, high=MAX_STARTING_BALANCE
        )
        balance = DEFAULT_STARTING_BALANCE if given is None else given
        account = await self._live.open_account(name, balance, actor=access.actor())  # AlreadyExists("name")
        return pb.CreateAccountResponse(account=self._account(account.account_id))

    @unary
    async def ListAccounts(self, request: pb.ListAccountsRequest, context: Ctx) -> pb.ListAccountsResponse:
        return pb.ListAccountsResponse(accounts=[self._account(a.account_id) for a in self._engine.accounts()])

    @unary
    async def GetAccount(self, request: pb.GetAccountRequest, context: Ctx) -> pb.GetAccountResponse:
        return pb.GetAccountResponse(account=self._account(self._account_id(request.account_id)))

    @unary
    async def ResetAccount(self, request: pb.ResetAccountRequest, context: Ctx) -> pb.ResetAccountResponse:
        account_id = self._account_id(request.account_id)
        await self._execute(ResetAccount(account_id))
        return pb.ResetAccountResponse(account=self._account(account_id))

    # -- orders -------------------------------------------------------------------------------------------

    @unary
    async def SubmitOrder(self, request: pb.SubmitOrderRequest, context: Ctx) -> pb.SubmitOrderResponse:
        account_id = self._account_id(request.account_id)
        command = convert.order_command(account_id, request.order, self._clock.now_ns(), "order.")
        change = await self._execute(command, convert.order_field("order."))
        return pb.SubmitOrderResponse(order=self._placed(change)[0], events=self._events(change))

    @unary
    async def SubmitBracket(self, request: pb.SubmitBracketRequest, context: Ctx) -> pb.SubmitBracketResponse:
        account_id = self._account_id(request.account_id)
        cmd = convert.bracket_command(account_id, request.bracket, self._clock.now_ns(), "bracket.")
        change = await self._execute(cmd, convert.bracket_field("bracket.", lambda _: request.bracket))
        orders = self._placed(change)
        return pb.SubmitBracketResponse(orders=orders, bracket_id=orders[0].order_id, events=self._events(change))

    @unary
    async def SubmitBracketBatch(
        self, request: pb.SubmitBracketBatchRequest, context: Ctx
    ) -> pb.SubmitBracketBatchResponse:
        account_id = self._account_id(request.account_id)
        if not 1 <= len(request.brackets) <= MAX_BATCH:
            raise InvalidArgument("brackets", f"between 1 and {MAX_BATCH} brackets are required")
        now = self._clock.now_ns()
        brackets = tuple(
            convert.bracket_command(account_id, b, now, f"brackets[{i}].") for i, b in enumerate(request.brackets)
        )

        def spec_of(head: str) -> pb.BracketSpec:
            return request.brackets[int(head[len("brackets[") : -2])]

        change = await self._execute(SubmitBracketBatch(brackets), convert.bracket_field("", spec_of))
        orders = self._placed(change)
        return pb.SubmitBracketBatchResponse(
            orders=orders, bracket_ids=[o.order_id for o in orders[::3]], events=self._events(change)
        )

    @unary
    async def SubmitOco(self, request: pb.SubmitOcoRequest, context: Ctx) -> pb.SubmitOcoResponse:
        account_id = self._account_id(request.account_id)
        now = self._clock.now_ns()
        first = convert.order_command(account_id, request.first, now, "first.")
        second = convert.order_command(account_id, request.second, now, "second.")
        change = await self._execute(SubmitOcoPair(first, second), convert.order_field(""))
        orders = self._placed(change)
        return pb.SubmitOcoResponse(orders=orders, oco_group_id=orders[0].oco_group_id, events=self._events(change))

    @unary
    async def ModifyOrder(self, request: pb.ModifyOrderRequest, context: Ctx) -> pb.ModifyOrderResponse:
        order = await self._changeable(OrderId(arguments.identifier(request.order_id, "order_id")))
        quantity = convert.quantity(request.quantity, "quantity") if request.quantity else None
        command = ModifyOrder(
            order.account_id,
            order.order_id,
            quantity,
            convert.decimal_or_none(request.limit_price, "limit_price"),
            convert.decimal_or_none(request.stop_price, "stop_price"),
        )
        change = await self._execute(command)
        return pb.ModifyOrderResponse(
            order=self._order(self._engine.order(order.order_id)), events=self._events(change)
        )

    @unary
    async def CancelOrder(self, request: pb.CancelOrderRequest, context: Ctx) -> pb.CancelOrderResponse:
        order = await self._changeable(OrderId(arguments.identifier(request.order_id, "order_id")))
        change = await self._execute(CancelOrder(order.account_id, order.order_id))
        return pb.CancelOrderResponse(
            order=self._order(self._engine.order(order.order_id)), events=self._events(change)
        )

    @unary
    async def CancelAllOrders(self, request: pb.CancelAllOrdersRequest, context: Ctx) -> pb.CancelAllOrdersResponse:
        account_id = self._account_id(request.account_id)
        contract_id = self._contract(request.symbol) if request.symbol.strip() else None
        change = await self._execute(CancelAllOrders(account_id, contract_id))
        return pb.CancelAllOrdersResponse(
            orders=[self._order(self._engine.order(oid)) for oid in change.orders],
            events=self._events(change),
        )

    @unary
    async def ClosePosition(self, request: pb.ClosePositionRequest, context: Ctx) -> pb.ClosePositionResponse:
        account_id = self._account_id(request.account_id)
        change = await self._execute(ClosePosition(account_id, self._contract(request.symbol)))
        return pb.ClosePositionResponse(events=self._events(change))

    @unary
    async def FlattenAccount(self, request: pb.FlattenAccountRequest, context: Ctx) -> pb.FlattenAccountResponse:
        change = await self._execute(FlattenAccount(self._account_id(request.account_id)))
        return pb.FlattenAccountResponse(events=self._events(change))

    @unary
    async def ReversePosition(self, request: pb.ReversePositionRequest, context: Ctx) -> pb.ReversePositionResponse:
        account_id = self._account_id(request.account_id)
        command = ReversePosition(account_id, self._contract(request.symbol))
        change = await self._execute(command, lambda field: "symbol" if field == "contract_id" else field)
        return pb.ReversePositionResponse(events=self._events(change))

    # -- queries ------------------------------------------------------------------------------------------

    @unary
    async def ListOrders(self, request: pb.ListOrdersRequest, context: Ctx) -> pb.ListOrdersResponse:
        account_id = self._account_id(request.account_id)
        contract_id = self._contract(request.symbol) if request.symbol.strip() else None
        limit = _limit(request.limit)
        listed = await self._live.list_orders(account_id, contract_id, limit, open_only=request.open_only)
        messages = []
        for item in listed:
            message = convert.order_to_proto(item.order, item.reason, item.updated_ns)
            message.placed_by = item.placed_by
            messages.append(message)
        return pb.ListOrdersResponse(orders=messages)

    @unary
    async def ListFills(self, request: pb.ListFillsRequest, context: Ctx) -> pb.ListFillsResponse:
        account_id = self._account_id(request.account_id)
        arguments.time_range(request.from_ns, request.to_ns)
        fills = await self._live.list_fills(account_id, request.from_ns, request.to_ns, _limit(request.limit))
        return pb.ListFillsResponse(fills=[convert.fill_to_proto(f) for f in fills])

    @unary
    async def ListPositions(self, request: pb.ListPositionsRequest, context: Ctx) -> pb.ListPositionsResponse:
        account_id = self._account_id(request.account_id)
        positions = [convert.position_to_proto(self._engine, p) for p in self._engine.positions(account_id)]
        return pb.ListPositionsResponse(positions=positions)

    # -- streams ------------------------------------------------------------------------------------------

    @stream
    async def StreamOrderEvents(
        self, request: pb.StreamOrderEventsRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamOrderEventsResponse]:
        account_id = self._accounts.optional(request.account_id) or ""
        entries = replay_then_live(
            lambda: self._live.subscribe_orders(account_id),
            request.since_seq,
            latest=self._live.last_seq,
            stored_after=lambda seq, limit: self._live.order_events_since(account_id, seq, limit),
            seq_of=lambda notice: notice.seq,
        )
        async with contextlib.aclosing(entries):
            async for notice in entries:
                message = convert.event_to_proto(notice.event, notice.order)
                if message is None:
                    continue
                if message.HasField("order"):
                    placed_by = self._live.placed_by(OrderId(message.order.order_id))
                    message.order.placed_by = placed_by or (notice.order.actor if notice.order else "")
                yield pb.StreamOrderEventsResponse(event=message, seq=notice.seq)

    @stream
    async def StreamAccount(
        self, request: pb.StreamAccountRequest, context: Ctx
    ) -> AsyncIterator[pb.StreamAccountResponse]:
        """A snapshot at once, then at most `max_rate` a second whenever it changed (live P&L included)."""
        account_id = self._account_id(request.account_id)
        if request.max_rate < 0 or request.max_rate > MAX_ACCOUNT_RATE:
            raise InvalidArgument("max_rate", f"0 (meaning {DEFAULT_ACCOUNT_RATE}) to {MAX_ACCOUNT_RATE}")
        interval = 1.0 / (request.max_rate or DEFAULT_ACCOUNT_RATE)
        check_since_seq(request.since_seq, await self._live.last_seq() if request.since_seq > 0 else 0)
        subscription = self._live.subscribe_account(account_id)  # tells a shutdown apart from quiet
        try:
            # A snapshot is whole: a resumed stream gets the current one at once, like a new one (what it missed
            # is in it). Its seq is the account's last stored event it reflects, read after subscribing.
            seq = await self._live.account_seq(account_id)
            last = b""
            while True:
                snapshot = self._account(account_id)
                data = snapshot.SerializeToString(deterministic=True)
                if data != last:
                    last = data
                    yield pb.StreamAccountResponse(account=snapshot, seq=seq)
                await asyncio.sleep(interval)
                while subscription.pending():
                    seq = max([seq, *(notice.seq for notice in await subscription.next_batch())])
                if subscription.closed:
                    return
        finally:
            subscription.close()
