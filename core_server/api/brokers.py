"""AccountService: thin translation between the wire and the BrokerDesk (bindings, live routing, broker orders)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import grpc

from core_server.api import access, arguments
from core_server.api.accounts import AccountResolver
from core_server.api.enums import ACCOUNT_MODE, BROKER_KIND
from core_server.api.errors import unary
from core_server.brokers.desk import BrokerDesk, BrokerStatus
from core_server.brokers.model import (
    AccountMode,
    Binding,
    BrokerOrder,
    BrokerOrderRequest,
    BrokerPosition,
    FlattenReport,
    Placement,
)
from core_server.model.decimal_text import parse_decimal
from core_server.model.errors import InvalidArgument
from vigil.v1 import accounts_pb2 as pb
from vigil.v1 import accounts_pb2_grpc as pb_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]

_KINDS = BROKER_KIND.from_proto  # the one mapping, derived from the proto (api/enums.py)
_KIND_PB = BROKER_KIND.to_proto
_MODES = {mode.value: ACCOUNT_MODE.to_proto[mode] for mode in AccountMode}
_SIDES = {"buy": "Buy", "sell": "Sell"}
_TYPES = {"market": "Market", "limit": "Limit", "stop": "Stop", "stop_limit": "StopLimit", "stoplimit": "StopLimit"}
MAX_QUANTITY = 1000
MAX_PRICE = Decimal(10_000_000)


def _price(text: str, field: str) -> Decimal | None:
    return parse_decimal(arguments.text(text, field, 40), field, places=6, low=Decimal(0), high=MAX_PRICE)


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _position(p: BrokerPosition) -> pb.BrokerPosition:
    return pb.BrokerPosition(symbol=p.symbol, net_qty=p.net_qty, avg_price=_text(p.avg_price))


def _order(o: BrokerOrder) -> pb.BrokerOrder:
    return pb.BrokerOrder(
        order_id=o.order_id, client_order_id=o.client_order_id, symbol=o.symbol, side=o.side, quantity=o.quantity,
        order_type=o.order_type, status=o.status, limit_price=_text(o.limit_price), stop_price=_text(o.stop_price),
        filled_qty=o.filled_qty,
    )  # fmt: skip


def _report(r: FlattenReport) -> pb.FlattenReport:
    return pb.FlattenReport(
        account_id=r.account_id, cancelled_order_ids=list(r.cancelled), closed_symbols=list(r.closed),
        remaining=[_position(p) for p in r.remaining], errors=list(r.errors),
    )  # fmt: skip


def _broker(s: BrokerStatus) -> pb.BrokerState:
    return pb.BrokerState(
        broker=_KIND_PB[s.broker], environment=s.environment, configured=s.configured, state=s.state.value,
        detail=s.detail, account_ids=list(s.accounts),
    )  # fmt: skip


class AccountServicer(pb_grpc.AccountServiceServicer):
    def __init__(self, desk: BrokerDesk, accounts: AccountResolver, names: Any) -> None:
        self._desk = desk
        self._accounts = accounts
        self._names = names  # account id -> name, and the list of accounts (the execution desk)

    def _binding(self, account_id: str, binding: Binding | None = None) -> pb.AccountBinding:
        binding = binding if binding is not None else self._desk.binding(account_id)
        name = self._names.account_name(account_id)
        if binding is None:
            return pb.AccountBinding(account_id=account_id, name=name, mode=pb.ACCOUNT_MODE_PAPER)
        return pb.AccountBinding(
            account_id=account_id, name=name, mode=_MODES[binding.mode], broker=_KIND_PB[binding.broker],
            environment=binding.environment, broker_account=binding.broker_account, bound_by=binding.bound_by,
            bound_ns=binding.bound_ns, live_changed_by=binding.live_changed_by, live_changed_ns=binding.live_changed_ns,
        )  # fmt: skip

    @unary
    async def ListBrokers(self, request: pb.ListBrokersRequest, context: Ctx) -> pb.ListBrokersResponse:
        return pb.ListBrokersResponse(brokers=[_broker(s) for s in self._desk.brokers()])

    @unary
    async def ListAccountModes(self, request: pb.ListAccountModesRequest, context: Ctx) -> pb.ListAccountModesResponse:
        ids = [a.account_id for a in self._names.engine.accounts()]
        return pb.ListAccountModesResponse(accounts=[self._binding(a) for a in ids])

    @unary
    async def BindAccount(self, request: pb.BindAccountRequest, context: Ctx) -> pb.BindAccountResponse:
        account_id = self._accounts.require(request.account_id)
        kind = _KINDS.get(request.broker)
        if kind is None:
            raise InvalidArgument("broker", "BROKER_KIND_TRADOVATE or BROKER_KIND_PROJECTX")
        environment = arguments.text(request.environment, "environment", 200)
        broker_account = arguments.identifier(request.broker_account, "broker_account")
        binding = await self._desk.bind(account_id, kind, environment, broker_account, access.actor())
        return pb.BindAccountResponse(account=self._binding(account_id, binding))

    @unary
    async def UnbindAccount(self, request: pb.UnbindAccountRequest, context: Ctx) -> pb.UnbindAccountResponse:
        account_id = self._accounts.require(request.account_id)
        await self._desk.unbind(account_id, access.actor())
        return pb.UnbindAccountResponse(account=self._binding(account_id))

    @unary
    async def SetLiveRouting(self, request: pb.SetLiveRoutingRequest, context: Ctx) -> pb.SetLiveRoutingResponse:
        account_id = self._accounts.require(request.account_id)
        if request.enabled:
            confirm = arguments.text(request.confirm, "confirm", 200).strip()
            if not confirm or self._names.account_named(confirm) != account_id:
                raise InvalidArgument("confirm", "to turn live routing on, repeat the account's id or name in confirm")
        binding = await self._desk.set_live(account_id, request.enabled, access.actor())
        return pb.SetLiveRoutingResponse(account=self._binding(account_id, binding))

    @unary
    async def Reconcile(self, request: pb.ReconcileRequest, context: Ctx) -> pb.ReconcileResponse:
        account_id = self._accounts.require(request.account_id)
        result = await self._desk.reconcile(account_id, access.actor())
        return pb.ReconcileResponse(
            account_id=account_id, ts_ns=result.ts_ns, positions=[_position(p) for p in result.positions],
            open_orders=[_order(o) for o in result.open_orders],
            differences=[pb.Difference(kind=d.kind, symbol=d.symbol, vigil=d.vigil, broker=d.broker)
                         for d in result.differences],
        )  # fmt: skip

    @unary
    async def SubmitBrokerOrder(
        self, request: pb.SubmitBrokerOrderRequest, context: Ctx
    ) -> pb.SubmitBrokerOrderResponse:
        account_id = self._accounts.require(request.account_id)
        order = order_request(request)
        placed = await self._desk.submit(account_id, order, access.actor())
        return _placement(placed)

    @unary
    async def CancelBrokerOrder(
        self, request: pb.CancelBrokerOrderRequest, context: Ctx
    ) -> pb.CancelBrokerOrderResponse:
        account_id = self._accounts.require(request.account_id)
        order_id = _order_id(request.order_id)
        result = await self._desk.cancel(account_id, order_id, access.actor())
        return pb.CancelBrokerOrderResponse(accepted=result.accepted, reason=result.reason)

    @unary
    async def ModifyBrokerOrder(
        self, request: pb.ModifyBrokerOrderRequest, context: Ctx
    ) -> pb.ModifyBrokerOrderResponse:
        account_id = self._accounts.require(request.account_id)
        order_id = _order_id(request.order_id)
        if not 0 < request.quantity <= MAX_QUANTITY:
            raise InvalidArgument("quantity", f"1 to {MAX_QUANTITY} contracts")
        limit = _price(request.limit_price, "limit_price")
        stop = _price(request.stop_price, "stop_price")
        result = await self._desk.modify(account_id, order_id, request.quantity, limit, stop, access.actor())
        return pb.ModifyBrokerOrderResponse(accepted=result.accepted, reason=result.reason)

    @unary
    async def FlattenBrokerAccount(
        self, request: pb.FlattenBrokerAccountRequest, context: Ctx
    ) -> pb.FlattenBrokerAccountResponse:
        account_id = self._accounts.require(request.account_id)
        return pb.FlattenBrokerAccountResponse(report=_report(await self._desk.flatten(account_id, access.actor())))

    @unary
    async def BrokerEmergencyStop(
        self, request: pb.BrokerEmergencyStopRequest, context: Ctx
    ) -> pb.BrokerEmergencyStopResponse:
        reports = await self._desk.emergency_stop(access.actor())
        return pb.BrokerEmergencyStopResponse(reports=[_report(r) for r in reports])

    @unary
    async def ListBrokerAudit(self, request: pb.ListBrokerAuditRequest, context: Ctx) -> pb.ListBrokerAuditResponse:
        account_id = self._accounts.require(request.account_id)
        limit = arguments.bounded(request.limit, "limit", 100, MAX_AUDIT)
        records = await self._desk.audit_trail(account_id, limit)
        return pb.ListBrokerAuditResponse(
            records=[
                pb.BrokerAuditRecord(ts_ns=ts, actor=actor, kind=kind, detail_json=json.dumps(detail, sort_keys=True))
                for ts, actor, kind, detail in records
            ]
        )


MAX_AUDIT = 1000


def _order_id(value: str) -> str:
    order_id = arguments.identifier(value, "order_id")
    if not order_id.isdigit():
        raise InvalidArgument("order_id", "the broker's order id (digits)")
    return order_id


def _placement(p: Placement) -> pb.SubmitBrokerOrderResponse:
    return pb.SubmitBrokerOrderResponse(
        client_order_id=p.client_order_id, accepted=p.accepted, order_id=p.order_id, leg_ids=list(p.leg_ids),
        reason=p.reason, recovered=p.recovered,
    )  # fmt: skip


def order_request(request: pb.SubmitBrokerOrderRequest) -> BrokerOrderRequest:
    client_order_id = arguments.identifier(request.client_order_id, "client_order_id")
    if len(client_order_id) > 64:
        raise InvalidArgument("client_order_id", "at most 64 characters (the broker's clOrdId limit)")
    symbol = arguments.identifier(request.symbol, "symbol").upper()
    side = _SIDES.get(request.side.strip().lower())
    if side is None:
        raise InvalidArgument("side", "buy or sell")
    if not 0 < request.quantity <= MAX_QUANTITY:
        raise InvalidArgument("quantity", f"1 to {MAX_QUANTITY} contracts")
    kind = _TYPES.get(request.order_type.strip().lower())
    if kind is None:
        raise InvalidArgument("order_type", "market, limit, stop or stop_limit")
    limit = _price(request.limit_price, "limit_price")
    stop = _price(request.stop_price, "stop_price")
    if kind in ("Limit", "StopLimit") and limit is None:
        raise InvalidArgument("limit_price", f"a {kind} order needs a limit price")
    if kind in ("Stop", "StopLimit") and stop is None:
        raise InvalidArgument("stop_price", f"a {kind} order needs a stop price")
    take_profit = _price(request.take_profit, "take_profit")
    stop_loss = _price(request.stop_loss, "stop_loss")
    return BrokerOrderRequest(
        client_order_id, symbol, side, request.quantity, kind, limit if kind in ("Limit", "StopLimit") else None,
        stop if kind in ("Stop", "StopLimit") else None, take_profit, stop_loss,
    )  # fmt: skip
