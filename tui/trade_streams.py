"""Stream workers of the Trade screen (account, orders and fills) and of the active-trades panel."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from clients.sdk import TrackedTrade, VigilClient, VigilError
from tui.messages import StreamFailed
from tui.streams import MarketStreams, Pacer
from tui.trade_messages import (
    AccountChanged,
    AccountModeLoaded,
    AccountsLoaded,
    ActiveTradesChanged,
    ClosedTradesLoaded,
    CommissionRatesLoaded,
    OrderEventArrived,
    OrdersLoaded,
)

OPEN_ORDERS_LIMIT = 2000
FILLS_LIMIT = 100
OPEN_TRADES_LIMIT = 1000
CLOSED_TRADES_LIMIT = 1000
DAY_NS = 86_400 * 1_000_000_000  # a trade closed today may have opened the evening before
ACCOUNT_RATE = 4  # snapshots a second: P&L moves with every tick, eyes need far fewer


class ActiveTradeStreams:
    """The open tracked trades for a screen that sets `client` (Market and Trade both show them)."""

    client: VigilClient

    if TYPE_CHECKING:

        def post_message(self, message: Message) -> bool: ...

    @work(exclusive=True, group="active-trades")
    async def run_active_trades(self) -> None:
        """Open trades first, then every change (after a reconnect the SDK resumes with since_seq: the updates of
        the outage are replayed, so nothing is listed again). Excursions move at tick rate, so the changes gather
        here and reach the screen at most ten times a second, each trade as it last stood."""
        changed: dict[str, TrackedTrade] = {}

        def publish() -> None:
            self.post_message(ActiveTradesChanged(changed.values()))
            changed.clear()

        pacer = Pacer(publish)
        try:
            async for update in self.client.stream_trade_updates(send_open=True):
                changed[update.trade.trade_id] = update.trade
                pacer.mark()
        except VigilError as error:
            self.post_message(StreamFailed("trades", error))
        finally:
            await pacer.stop()


class TradeStreams(MarketStreams, ActiveTradeStreams):
    """Workers of the Trade screen; the quote and instrument workers come from MarketStreams."""

    @work(exclusive=True, group="accounts")
    async def run_accounts(self, select: str | None = None) -> None:
        try:
            accounts = await self._until_answered(self.client.list_accounts)
        except VigilError as error:
            self.post_message(StreamFailed("accounts", error))
            return
        self.post_message(AccountsLoaded(accounts, select))

    @work(exclusive=True, group="account")
    async def run_account(self, account_id: str) -> None:
        try:
            async for account in self.client.stream_account(account_id, max_rate=ACCOUNT_RATE):
                self.post_message(AccountChanged(account))
        except VigilError as error:
            self.post_message(StreamFailed("account", error))

    @work(exclusive=True, group="commissions")
    async def run_commissions(self, account_id: str) -> None:
        """The account's commission per side by root, for the account bar (once per account shown)."""
        try:
            rates = await self.client.get_commission_rates(account_id)
        except VigilError as error:
            self.post_message(StreamFailed("commissions", error))
            return
        self.post_message(CommissionRatesLoaded(account_id, {r.root: (r.rate, r.overridden) for r in rates}))

    @work(exclusive=True, group="account-mode")
    async def run_account_mode(self, account_id: str) -> None:
        """PAPER, BOUND or LIVE for the account bar (a server without broker accounts: nothing shown)."""
        try:
            modes = await self.client.list_account_modes()
        except VigilError:
            return
        found = next((m for m in modes if m.account_id == account_id), None)
        if found is not None:
            broker = found.broker.value if found.broker else ""
            self.post_message(AccountModeLoaded(account_id, found.mode.value, broker))

    @work(exclusive=True, group="orders")
    async def run_orders(self, account_id: str) -> None:
        """Order events of the account, and once they are under way the open orders and recent fills. Whichever
        arrives second is reconciled by order id and `updated_ns` (and fill id), so the order does not matter."""

        async def follow() -> None:
            async for event in self.client.stream_order_events(account_id):
                self.post_message(OrderEventArrived(event))

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(follow())
                await asyncio.sleep(0)  # let the stream's request go out before the listing's
                await self._post_orders(account_id, resync=False)
        except* VigilError as failures:
            self.post_message(StreamFailed("orders", failures.exceptions[0]))

    async def _post_orders(self, account_id: str, *, resync: bool) -> None:
        orders = await self._until_answered(
            lambda: self.client.list_orders(account_id, open_only=True, limit=OPEN_ORDERS_LIMIT)
        )
        fills = await self._until_answered(lambda: self.client.list_fills(account_id, limit=FILLS_LIMIT))
        self.post_message(OrdersLoaded(account_id, orders, fills, resync=resync))

    @work(exclusive=True, group="closed-trades")
    async def run_closed_trades(self, since_ns: int) -> None:
        """Every account's trades closed since `since_ns` (the trading day's start)."""
        try:
            trades = await self._until_answered(
                lambda: self.client.list_trades(closed_only=True, from_ns=since_ns - DAY_NS, limit=CLOSED_TRADES_LIMIT)
            )
        except VigilError as error:
            self.post_message(StreamFailed("closed trades", error))
            return
        self.post_message(ClosedTradesLoaded(since_ns, [t for t in trades if t.closed_ns >= since_ns]))
