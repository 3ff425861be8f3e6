"""Messages the execution and trade stream workers post to the Trade and Market screens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from textual.message import Message

from clients.sdk import Account, Fill, Order, OrderEvent, TrackedTrade


class AccountsLoaded(Message, bubble=False):
    def __init__(self, accounts: Sequence[Account], select: str | None) -> None:
        super().__init__()
        self.accounts = tuple(accounts)
        self.select = select  # the account id to show, None to keep the current one


class CommissionRatesLoaded(Message, bubble=False):
    """An account's commission per contract per side by root: root -> (dollars, the account's own rate)."""

    def __init__(self, account_id: str, rates: dict[str, tuple[Decimal, bool]]) -> None:
        super().__init__()
        self.account_id = account_id
        self.rates = rates


class AccountModeLoaded(Message, bubble=False):
    """An account's mode: PAPER, BOUND (bound to a broker, live routing off) or LIVE; "" when unknown."""

    def __init__(self, account_id: str, mode: str, broker: str = "") -> None:
        super().__init__()
        self.account_id = account_id
        self.mode = mode
        self.broker = broker


class AccountChanged(Message, bubble=False):
    """A whole account snapshot (balance, equity, positions with live P&L), so a newer one replaces an older."""

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AccountChanged) and message.account.account_id == self.account.account_id


class OrderEventArrived(Message, bubble=False):
    """One order event; never coalesced, so no fill or cancel is missed."""

    def __init__(self, event: OrderEvent) -> None:
        super().__init__()
        self.event = event


class OrdersLoaded(Message, bubble=False):
    """The account's open orders and latest fills, as listed; `resync` when it follows a reconnect."""

    def __init__(self, account_id: str, orders: Sequence[Order], fills: Sequence[Fill], *, resync: bool) -> None:
        super().__init__()
        self.account_id = account_id
        self.orders = tuple(orders)
        self.fills = tuple(fills)
        self.resync = resync


class ActiveTradesChanged(Message, bubble=False):
    """The trades that changed since the previous message, each as it stands (coalesced in the worker)."""

    def __init__(self, trades: Iterable[TrackedTrade]) -> None:
        super().__init__()
        self.trades = tuple(trades)


class OpenTradesLoaded(Message, bubble=False):
    """Every open trade after a reconnect, so rows of trades that ended during the outage can go."""

    def __init__(self, trades: Sequence[TrackedTrade]) -> None:
        super().__init__()
        self.trades = tuple(trades)


class ClosedTradesLoaded(Message, bubble=False):
    """The trades closed since `since_ns` (the start of the trading day), as listed."""

    def __init__(self, since_ns: int, trades: Sequence[TrackedTrade]) -> None:
        super().__init__()
        self.since_ns = since_ns
        self.trades = tuple(trades)
