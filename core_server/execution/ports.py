"""What the paper engine asks of others: pre-trade checks (risk, SPEC §6), their read-only view, and the store."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from core_server.execution.model import Account, AccountId, Fill, Order, OrderId, Position
from core_server.model.market_data import Quote, Trade

if TYPE_CHECKING:  # changes.py imports the engine, which imports this module
    from core_server.execution.changes import ExecutionChange, OrderState, StoredExecution
    from core_server.execution.events import ExecutionEvent


class ExecutionView(Protocol):
    """Read-only state a pre-trade check may consult."""

    def account(self, account_id: AccountId) -> Account: ...

    def accounts(self) -> tuple[Account, ...]: ...

    def order(self, order_id: OrderId) -> Order: ...

    def equity(self, account_id: AccountId) -> Decimal: ...

    def position(self, account_id: AccountId, contract_id: str) -> Position: ...

    def positions(self, account_id: AccountId) -> tuple[Position, ...]: ...

    def open_orders(self, account_id: AccountId, contract_id: str | None = None) -> tuple[Order, ...]: ...

    def quote(self, contract_id: str) -> Quote | None: ...

    def last_trade(self, contract_id: str) -> Trade | None: ...


class PreTradeCheck(Protocol):
    """Runs before an order is accepted; returns a denial reason, or None to let it through.

    Called for every new order (bracket: once, for the entry, which carries the whole bracket's fate; close,
    flatten and reverse orders too, with their `role` so risk can always let a reducing order out; an order's
    `reduce_only` flag means the engine will never let it open or add). It must not change the engine: it
    only decides. Exits the exchange makes itself (a bracket whose stop was already hit) are not checked.
    """

    def check(self, order: Order, view: ExecutionView) -> str | None: ...


class ExecutionStore(Protocol):
    """The paper engine's tables (storage.execution.ExecutionRepository). A lost store raises Unavailable."""

    async def load(self) -> StoredExecution:
        """Every account, order and position as last stored, and the journal's position."""
        ...

    async def commit(self, changes: Sequence[ExecutionChange]) -> None:
        """Atomically: journal each change's command and events in order, and write the state they left."""
        ...

    async def last_seq(self, account_id: str = "") -> int:
        """The journal's last seq (0: empty); of one account's events when given."""
        ...

    async def events_since(
        self, account_id: str, seq: int, limit: int, types: Sequence[str]
    ) -> list[tuple[int, ExecutionEvent]]:
        """Up to `limit` stored events (of the classes named `types`) after `seq`, oldest first, with their seq."""
        ...

    async def list_fills(self, account_id: AccountId, from_ns: int, to_ns: int, limit: int) -> list[Fill]:
        """Fills of the account with ts in [from_ns, to_ns) (0: unbounded), newest first."""
        ...

    async def list_orders(self, account_id: AccountId, contract_id: str | None, limit: int) -> list[OrderState]:
        """The account's newest `limit` orders as last stored (of one contract if given), newest first."""
        ...

    async def get_order(self, order_id: OrderId) -> OrderState | None:
        """One order as last stored, or None."""
        ...
