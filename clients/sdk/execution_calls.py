"""ExecutionCalls: VigilClient's ExecutionService methods (paper accounts, orders, brackets, positions)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from clients.sdk import convert_execution as cx
from clients.sdk.convert import decimal_to_wire, optional_decimal_to_wire
from clients.sdk.execution import (
    Account,
    BracketBatchResult,
    BracketResult,
    BracketSpec,
    CancelAllResult,
    Fill,
    OcoResult,
    Order,
    OrderEvent,
    OrderResult,
    OrderSpec,
    Position,
)
from clients.sdk.transport import Transport
from vigil.v1 import execution_pb2 as pb
from vigil.v1 import execution_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from clients.sdk.transport import Call

DEFAULT_STARTING_BALANCE = Decimal("50000")


class ExecutionCalls(Transport):
    """One method per ExecutionService RPC. Denied orders are results (status DENIED with a reason), not errors."""

    # -- accounts -------------------------------------------------------------------------------------

    async def create_account(self, name: str, starting_balance: Decimal = DEFAULT_STARTING_BALANCE) -> Account:
        request = pb.CreateAccountRequest(
            name=name, starting_balance=decimal_to_wire(starting_balance, "starting_balance")
        )
        response = await self._unary(self._execution_stub().CreateAccount, request)
        return cx.account_from_pb(response.account)

    async def list_accounts(self) -> list[Account]:
        response = await self._unary(self._execution_stub().ListAccounts, pb.ListAccountsRequest())
        return [cx.account_from_pb(a) for a in response.accounts]

    async def get_account(self, account_id: str) -> Account:
        """Balance, equity, P&L and positions of one account."""
        response = await self._unary(self._execution_stub().GetAccount, pb.GetAccountRequest(account_id=account_id))
        return cx.account_from_pb(response.account)

    async def reset_account(self, account_id: str) -> Account:
        """Cancel the account's orders, clear its positions and restore its starting balance."""
        request = pb.ResetAccountRequest(account_id=account_id)
        response = await self._unary(self._execution_stub().ResetAccount, request)
        return cx.account_from_pb(response.account)

    # -- orders ---------------------------------------------------------------------------------------

    async def submit_order(self, account_id: str, spec: OrderSpec) -> OrderResult:
        request = pb.SubmitOrderRequest(account_id=account_id, order=cx.order_spec_to_pb(spec))
        response = await self._unary(self._execution_stub().SubmitOrder, request)
        return cx.order_result_from_pb(response)

    async def submit_bracket(self, account_id: str, bracket: BracketSpec) -> BracketResult:
        """Entry plus stop-loss and take-profit, the exits one-cancels-other."""
        request = pb.SubmitBracketRequest(account_id=account_id, bracket=cx.bracket_spec_to_pb(bracket))
        response = await self._unary(self._execution_stub().SubmitBracket, request)
        return cx.bracket_result_from_pb(response)

    async def submit_bracket_batch(self, account_id: str, brackets: Iterable[BracketSpec]) -> BracketBatchResult:
        """Several brackets in one all-or-nothing command."""
        specs = [cx.bracket_spec_to_pb(b, f"brackets[{i}]") for i, b in enumerate(brackets)]
        request = pb.SubmitBracketBatchRequest(account_id=account_id, brackets=specs)
        response = await self._unary(self._execution_stub().SubmitBracketBatch, request)
        return cx.bracket_batch_result_from_pb(response)

    async def submit_oco(self, account_id: str, first: OrderSpec, second: OrderSpec) -> OcoResult:
        """Two orders where a fill of one cancels the other."""
        request = pb.SubmitOcoRequest(
            account_id=account_id,
            first=cx.order_spec_to_pb(first, "first"),
            second=cx.order_spec_to_pb(second, "second"),
        )
        response = await self._unary(self._execution_stub().SubmitOco, request)
        return cx.oco_result_from_pb(response)

    async def modify_order(
        self,
        order_id: str,
        quantity: int = 0,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderResult:
        """Change a working order; a zero quantity or a None price leaves that field unchanged."""
        request = pb.ModifyOrderRequest(
            order_id=order_id,
            quantity=quantity,
            limit_price=optional_decimal_to_wire(limit_price, "limit_price"),
            stop_price=optional_decimal_to_wire(stop_price, "stop_price"),
        )
        response = await self._unary(self._execution_stub().ModifyOrder, request)
        return cx.order_result_from_pb(response)

    async def cancel_order(self, order_id: str) -> OrderResult:
        response = await self._unary(self._execution_stub().CancelOrder, pb.CancelOrderRequest(order_id=order_id))
        return cx.order_result_from_pb(response)

    async def cancel_all_orders(self, account_id: str, symbol: str = "") -> CancelAllResult:
        """Cancel the account's open orders, only those of `symbol` when given."""
        request = pb.CancelAllOrdersRequest(account_id=account_id, symbol=symbol)
        response = await self._unary(self._execution_stub().CancelAllOrders, request)
        return cx.cancel_all_result_from_pb(response)

    # -- positions ------------------------------------------------------------------------------------

    async def close_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        """A market order for the net position of one contract; the events it produced."""
        request = pb.ClosePositionRequest(account_id=account_id, symbol=symbol)
        response = await self._unary(self._execution_stub().ClosePosition, request)
        return cx.events_from_pb(response.events)

    async def flatten_account(self, account_id: str) -> tuple[OrderEvent, ...]:
        """Cancel every order and close every position of the account; the events it produced."""
        request = pb.FlattenAccountRequest(account_id=account_id)
        response = await self._unary(self._execution_stub().FlattenAccount, request)
        return cx.events_from_pb(response.events)

    async def reverse_position(self, account_id: str, symbol: str) -> tuple[OrderEvent, ...]:
        """Close the position and open the same size the other way; the events it produced."""
        request = pb.ReversePositionRequest(account_id=account_id, symbol=symbol)
        response = await self._unary(self._execution_stub().ReversePosition, request)
        return cx.events_from_pb(response.events)

    # -- queries --------------------------------------------------------------------------------------

    async def list_orders(
        self, account_id: str, open_only: bool = False, symbol: str = "", limit: int = 200
    ) -> list[Order]:
        """The account's orders (at most 2000); `open_only` keeps those that can still fill."""
        request = pb.ListOrdersRequest(account_id=account_id, open_only=open_only, symbol=symbol, limit=limit)
        response = await self._unary(self._execution_stub().ListOrders, request)
        return [cx.order_from_pb(o) for o in response.orders]

    async def list_fills(self, account_id: str, from_ns: int = 0, to_ns: int = 0, limit: int = 200) -> list[Fill]:
        """The account's fills in [from_ns, to_ns) (0: unbounded), at most 2000."""
        request = pb.ListFillsRequest(account_id=account_id, from_ns=from_ns, to_ns=to_ns, limit=limit)
        response = await self._unary(self._execution_stub().ListFills, request)
        return [cx.fill_from_pb(f) for f in response.fills]

    async def list_positions(self, account_id: str) -> list[Position]:
        request = pb.ListPositionsRequest(account_id=account_id)
        response = await self._unary(self._execution_stub().ListPositions, request)
        return [cx.position_from_pb(p) for p in response.positions]

    # -- streams --------------------------------------------------------------------------------------

    def stream_order_events(self, account_id: str = "", since_seq: int = 0) -> AsyncGenerator[OrderEvent, None]:
        """Order events of one account ("" for every account) as they happen, each with its `seq` (its place in
        the server's journal); with `since_seq`, every event stored after it first.

        After a reconnect the request is re-sent with `since_seq` set to the last seq delivered: the server
        replays what happened meanwhile, then continues live, with no gap and no duplicate.
        """

        def open_call(since: int, resumed: bool) -> Call[pb.StreamOrderEventsResponse]:
            request = pb.StreamOrderEventsRequest(account_id=account_id, since_seq=since)
            return self._execution_stub().StreamOrderEvents(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        def to_event(response: pb.StreamOrderEventsResponse) -> OrderEvent:
            return dataclasses.replace(cx.order_event_from_pb(response.event), seq=response.seq)

        return self._resuming_stream("StreamOrderEvents", open_call, to_event, lambda r: r.seq, since_seq)

    def stream_account(self, account_id: str, max_rate: int = 4) -> AsyncGenerator[Account, None]:
        """Snapshots of one account (balance, equity, positions with live P&L) on every change, at most
        `max_rate` a second (at most 20); each snapshot is whole, so a reconnect needs no resync."""
        last = 0

        def open_call(resumed: bool) -> Call[pb.StreamAccountResponse]:
            request = pb.StreamAccountRequest(account_id=account_id, max_rate=max_rate, since_seq=last)
            return self._execution_stub().StreamAccount(
                request, metadata=self._metadata, wait_for_ready=self.reconnect_streams
            )

        def to_account(response: pb.StreamAccountResponse) -> Account:
            nonlocal last
            last = max(last, response.seq)  # a resumed stream starts with the snapshot that holds what it missed
            return cx.account_from_pb(response.account)

        def restart() -> None:  # the store was replaced: the next snapshot is whole anyway
            nonlocal last
            last = 0

        return self._resilient_stream("StreamAccount", open_call, to_account, restart)

    def _execution_stub(self) -> pb_grpc.ExecutionServiceAsyncStub:
        return pb_grpc.ExecutionServiceStub(self._channel())
