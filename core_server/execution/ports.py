"""What the paper engine asks of others: pre-trade checks (risk, SPEC §6) and the read-only view they get."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from core_server.execution.model import Account, AccountId, Order, Position
from core_server.model.market_data import Quote, Trade


class ExecutionView(Protocol):
    """Read-only state a pre-trade check may consult."""

    def account(self, account_id: AccountId) -> Account: ...

    def equity(self, account_id: AccountId) -> Decimal: ...

    def position(self, account_id: AccountId, contract_id: str) -> Position: ...

    def positions(self, account_id: AccountId) -> tuple[Position, ...]: ...

    def open_orders(self, account_id: AccountId, contract_id: str | None = None) -> tuple[Order, ...]: ...

    def quote(self, contract_id: str) -> Quote | None: ...

    def last_trade(self, contract_id: str) -> Trade | None: ...


class PreTradeCheck(Protocol):
    """Runs before an order is accepted; returns a denial reason, or None to let it through.

    Called for every new order (bracket: once, for the entry, which carries the whole bracket's fate; close,
    flatten and reverse orders too, with their `role` so risk can always let a reducing order out). It must
    not change the engine: it only decides.
    """

    def check(self, order: Order, view: ExecutionView) -> str | None: ...
