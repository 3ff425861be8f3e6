"""ExecutionQueries: the read-only view of the paper engine (orders, positions, accounts, marks, equity)."""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.exchange import PaperExchange
from core_server.execution.model import Account, AccountId, MarkPrice, Order, OrderId, Position, Unrealised
from core_server.model.errors import NotFound
from core_server.model.market_data import Quote, Trade

_ZERO = Decimal(0)


class ExecutionQueries:
    """Satisfies ports.ExecutionView; the engine adds commands and ticks on top."""

    def __init__(self, exchange: PaperExchange, mark: MarkPrice) -> None:
        self._x = exchange
        self.mark = mark

    def _account(self, account_id: AccountId, field: str = "account_id") -> Account:
        if account_id not in self._x.accounts:
            raise NotFound(field, f"no paper account {account_id!r}")
        return self._x.accounts.get(account_id)

    def account(self, account_id: AccountId) -> Account:
        return self._account(account_id)

    def accounts(self) -> tuple[Account, ...]:
        return self._x.accounts.all()

    def order(self, order_id: OrderId) -> Order:
        order = self._x.orders.get(order_id)
        if order is None:
            raise NotFound("order_id", f"no order {order_id!r}")
        return order

    def orders(self, account_id: AccountId | None = None) -> tuple[Order, ...]:
        return tuple(o for o in self._x.orders.values() if account_id is None or o.account_id == account_id)

    def open_orders(self, account_id: AccountId, contract_id: str | None = None) -> tuple[Order, ...]:
        """The account's open orders (of one contract if given), oldest first; costs what is open, not the day."""
        x = self._x
        ids = (
            x.open_by_account.get(account_id)
            if contract_id is None
            else x.open_by_contract.get((account_id, contract_id))
        )
        if not ids:
            return ()
        orders = x.orders
        return tuple([orders[oid] for oid in ids])

    def position(self, account_id: AccountId, contract_id: str) -> Position:
        return self._x.positions.get(account_id, contract_id)

    def positions(self, account_id: AccountId) -> tuple[Position, ...]:
        return self._x.positions.of_account(account_id)

    def quote(self, contract_id: str) -> Quote | None:
        book = self._x.books.get(contract_id)
        return book.quote if book else None

    def last_trade(self, contract_id: str) -> Trade | None:
        book = self._x.books.get(contract_id)
        return book.last_trade if book else None

    def mark_price(self, position: Position) -> int | None:
        book = self._x.books.get(position.contract_id)
        if book is None:
            return None
        if self.mark is MarkPrice.LAST_TRADE:
            return book.last_trade.price if book.last_trade else None
        if book.quote is None:
            return None
        return book.quote.bid if position.net_qty > 0 else book.quote.ask

    def unrealised(self, account_id: AccountId, contract_id: str) -> Unrealised:
        """Open P&L at the mark price: points summed over the open contracts, and dollars."""
        position = self.position(account_id, contract_id)
        mark = self.mark_price(position) if position.net_qty else None
        if mark is None:
            return Unrealised(contract_id, mark, _ZERO, _ZERO)
        spec = self._x.specs[contract_id]
        ticks = position.unrealised_ticks(mark)
        return Unrealised(contract_id, mark, spec.tick_size * ticks, spec.tick_value * ticks)

    def equity(self, account_id: AccountId) -> Decimal:
        """Balance plus the unrealised P&L of every open position."""
        total = self.account(account_id).balance
        for position in self.positions(account_id):
            if position.net_qty:
                total += self.unrealised(account_id, position.contract_id).dollars
        return total
