"""The blocking mirror of BrokerAccountCalls, mixed into VigilSyncClient."""

from __future__ import annotations

from collections.abc import Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from clients.sdk.brokers import (
    AccountBinding,
    Broker,
    BrokerAuditRecord,
    BrokerFlatten,
    BrokerPlacement,
    BrokerState,
    Reconciliation,
)

if TYPE_CHECKING:
    from clients.sdk.client import VigilClient

_T = TypeVar("_T")


class BrokerSyncCalls:
    _client: VigilClient

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        raise NotImplementedError

    def list_brokers(self) -> list[BrokerState]:
        return self._run(self._client.list_brokers())

    def list_account_modes(self) -> list[AccountBinding]:
        return self._run(self._client.list_account_modes())

    def bind_account(
        self, account_id: str, broker: Broker | str, broker_account: str, environment: str = "demo"
    ) -> AccountBinding:
        return self._run(self._client.bind_account(account_id, broker, broker_account, environment))

    def unbind_account(self, account_id: str) -> AccountBinding:
        return self._run(self._client.unbind_account(account_id))

    def set_live_routing(self, account_id: str, enabled: bool, *, confirm: str = "") -> AccountBinding:
        return self._run(self._client.set_live_routing(account_id, enabled, confirm=confirm))

    def reconcile(self, account_id: str) -> Reconciliation:
        return self._run(self._client.reconcile(account_id))

    def submit_broker_order(
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
        return self._run(
            self._client.submit_broker_order(
                account_id,
                client_order_id,
                symbol,
                side,
                quantity,
                order_type,
                limit_price=limit_price,
                stop_price=stop_price,
                take_profit=take_profit,
                stop_loss=stop_loss,
            )
        )

    def cancel_broker_order(self, account_id: str, order_id: str) -> tuple[bool, str]:
        return self._run(self._client.cancel_broker_order(account_id, order_id))

    def modify_broker_order(
        self,
        account_id: str,
        order_id: str,
        quantity: int,
        *,
        limit_price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
    ) -> tuple[bool, str]:
        return self._run(
            self._client.modify_broker_order(
                account_id, order_id, quantity, limit_price=limit_price, stop_price=stop_price
            )
        )

    def flatten_broker_account(self, account_id: str) -> BrokerFlatten:
        return self._run(self._client.flatten_broker_account(account_id))

    def broker_emergency_stop(self) -> list[BrokerFlatten]:
        return self._run(self._client.broker_emergency_stop())

    def list_broker_audit(self, account_id: str, limit: int = 100) -> list[BrokerAuditRecord]:
        return self._run(self._client.list_broker_audit(account_id, limit))
