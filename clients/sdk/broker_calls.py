"""BrokerAccountCalls: VigilClient's AccountService methods (broker bindings, live routing, broker orders)."""

from __future__ import annotations

import json
from decimal import Decimal

from clients.sdk.brokers import (
    AccountBinding,
    AccountMode,
    Broker,
    BrokerAuditRecord,
    BrokerFlatten,
    BrokerOrder,
    BrokerPlacement,
    BrokerPosition,
    BrokerState,
    Difference,
    Reconciliation,
)
from clients.sdk.transport import Transport
from vigil.v1 import accounts_pb2, accounts_pb2_grpc

_BROKER = {accounts_pb2.BROKER_KIND_TRADOVATE: Broker.TRADOVATE, accounts_pb2.BROKER_KIND_PROJECTX: Broker.PROJECTX}
_BROKER_PB = {v: k for k, v in _BROKER.items()}
_MODE = {
    accounts_pb2.ACCOUNT_MODE_PAPER: AccountMode.PAPER,
    accounts_pb2.ACCOUNT_MODE_BOUND: AccountMode.BOUND,
    accounts_pb2.ACCOUNT_MODE_LIVE: AccountMode.LIVE,
}


def _dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _binding(b: accounts_pb2.AccountBinding) -> AccountBinding:
    return AccountBinding(
        b.account_id, b.name, _MODE.get(b.mode, AccountMode.PAPER), _BROKER.get(b.broker), b.environment,
        b.broker_account, b.bound_by, b.bound_ns, b.live_changed_by, b.live_changed_ns,
    )  # fmt: skip


def _position(p: accounts_pb2.BrokerPosition) -> BrokerPosition:
    return BrokerPosition(p.symbol, p.net_qty, _dec(p.avg_price))


def _order(o: accounts_pb2.BrokerOrder) -> BrokerOrder:
    return BrokerOrder(
        o.order_id, o.client_order_id, o.symbol, o.side, o.quantity, o.order_type, o.status, _dec(o.limit_price),
        _dec(o.stop_price), o.filled_qty,
    )  # fmt: skip


def _flatten(r: accounts_pb2.FlattenReport) -> BrokerFlatten:
    return BrokerFlatten(
        r.account_id, tuple(r.cancelled_order_ids), tuple(r.closed_symbols), tuple(_position(p) for p in r.remaining),
        tuple(r.errors),
    )  # fmt: skip


def _text(value: Decimal | str | None) -> str:
    return "" if value is None else str(value)


class BrokerAccountCalls(Transport):
    """One method per AccountService RPC."""

    async def list_brokers(self) -> list[BrokerState]:
        response = await self._unary(self._broker_stub().ListBrokers, accounts_pb2.ListBrokersRequest())
        return [
            BrokerState(_BROKER[b.broker], b.environment, b.configured, b.state, b.detail, tuple(b.account_ids))
            for b in response.brokers
            if b.broker in _BROKER
        ]

    async def list_account_modes(self) -> list[AccountBinding]:
        """Every account with its mode: PAPER, BOUND (live routing off) or LIVE."""
        response = await self._unary(self._broker_stub().ListAccountModes, accounts_pb2.ListAccountModesRequest())
        return [_binding(b) for b in response.accounts]

    async def bind_account(
        self, account_id: str, broker: Broker | str, broker_account: str, environment: str = "demo"
    ) -> AccountBinding:
        """Bind an account to a broker account (admin). Live routing stays off until `set_live_routing`."""
        request = accounts_pb2.BindAccountRequest(
            account_id=account_id, broker=_BROKER_PB[Broker(broker)], environment=environment,
            broker_account=broker_account,
        )  # fmt: skip
        return _binding((await self._unary(self._broker_stub().BindAccount, request)).account)

    async def unbind_account(self, account_id: str) -> AccountBinding:
        request = accounts_pb2.UnbindAccountRequest(account_id=account_id)
        return _binding((await self._unary(self._broker_stub().UnbindAccount, request)).account)

    async def set_live_routing(self, account_id: str, enabled: bool, *, confirm: str = "") -> AccountBinding:
        """Admin: turn live routing on (`confirm` repeats the account's id or name) or off."""
        request = accounts_pb2.SetLiveRoutingRequest(account_id=account_id, enabled=enabled, confirm=confirm)
        return _binding((await self._unary(self._broker_stub().SetLiveRouting, request)).account)

    async def reconcile(self, account_id: str) -> Reconciliation:
        response = await self._unary(
            self._broker_stub().Reconcile, accounts_pb2.ReconcileRequest(account_id=account_id)
        )
        return Reconciliation(
            response.account_id, response.ts_ns, tuple(_position(p) for p in response.positions),
            tuple(_order(o) for o in response.open_orders),
            tuple(Difference(d.kind, d.symbol, d.vigil, d.broker) for d in response.differences),
        )  # fmt: skip

    async def submit_broker_order(
        self,
        account_id: str,
        client_order_id: str,
        symbol: str,
        side: str,
        quantity: int,
        order_type: str = "market",
        *,
        limit_price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
    ) -> BrokerPlacement:
        """Send one order to a live broker account; a retry with the same `client_order_id` is never placed twice."""
        request = accounts_pb2.SubmitBrokerOrderRequest(
            account_id=account_id, client_order_id=client_order_id, symbol=symbol, side=side, quantity=quantity,
            order_type=order_type, limit_price=_text(limit_price), stop_price=_text(stop_price),
            take_profit=_text(take_profit), stop_loss=_text(stop_loss),
        )  # fmt: skip
        r = await self._unary(self._broker_stub().SubmitBrokerOrder, request)
        return BrokerPlacement(r.client_order_id, r.accepted, r.order_id, tuple(r.leg_ids), r.reason, r.recovered)

    async def cancel_broker_order(self, account_id: str, order_id: str) -> tuple[bool, str]:
        request = accounts_pb2.CancelBrokerOrderRequest(account_id=account_id, order_id=order_id)
        r = await self._unary(self._broker_stub().CancelBrokerOrder, request)
        return r.accepted, r.reason

    async def modify_broker_order(
        self,
        account_id: str,
        order_id: str,
        quantity: int,
        *,
        limit_price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
    ) -> tuple[bool, str]:
        request = accounts_pb2.ModifyBrokerOrderRequest(
            account_id=account_id, order_id=order_id, quantity=quantity, limit_price=_text(limit_price),
            stop_price=_text(stop_price),
        )  # fmt: skip
        r = await self._unary(self._broker_stub().ModifyBrokerOrder, request)
        return r.accepted, r.reason

    async def flatten_broker_account(self, account_id: str) -> BrokerFlatten:
        request = accounts_pb2.FlattenBrokerAccountRequest(account_id=account_id)
        return _flatten((await self._unary(self._broker_stub().FlattenBrokerAccount, request)).report)

    async def broker_emergency_stop(self) -> list[BrokerFlatten]:
        request = accounts_pb2.BrokerEmergencyStopRequest()
        return [_flatten(r) for r in (await self._unary(self._broker_stub().BrokerEmergencyStop, request)).reports]

    async def list_broker_audit(self, account_id: str, limit: int = 100) -> list[BrokerAuditRecord]:
        """The account's broker audit trail, newest first (bindings, live switches, orders, differences)."""
        request = accounts_pb2.ListBrokerAuditRequest(account_id=account_id, limit=limit)
        response = await self._unary(self._broker_stub().ListBrokerAudit, request)
        return [
            BrokerAuditRecord(r.ts_ns, r.actor, r.kind, json.loads(r.detail_json or "{}")) for r in response.records
        ]

    def _broker_stub(self) -> accounts_pb2_grpc.AccountServiceAsyncStub:
        return accounts_pb2_grpc.AccountServiceStub(self._channel())
