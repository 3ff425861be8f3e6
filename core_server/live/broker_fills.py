"""Broker fills into the kernel, and the guard that keeps a bound account's mirror true to its broker.

`BrokerFillBooking` turns each fill the broker reports on a bound account into a BookBrokerFill command run
through the ExecutionDesk (journaled, then risk evaluates it exactly as a paper fill), in the order the broker
reported them: a bracket leg's fill finds its exit working only once its entry's fill is booked (matched any
earlier, it would become an order of its own). Fills waiting together on different accounts (a copy group's
followers, filled at once) are booked as one command, so one rollback point and one journal commit serve them
all; a second fill of an account already in the batch starts the next batch, after this one is booked.
`BoundAccountGuard` is a pre-trade check: a bound account with live routing off trades nowhere; a LIVE account's
orders are routed to its broker (live/broker_router.py), never matched on the simulated exchange, so the kernel's
positions of a bound account only ever move by the broker's own fills.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal

import structlog

from core_server.brokers.model import Binding, BrokerFill
from core_server.execution.commands import BookBrokerFill, ExecutionCommand, OpenAccount
from core_server.execution.model import AccountId, Order, OrderId, OrderSide
from core_server.execution.ports import ExecutionView
from core_server.live.execution_desk import ExecutionDesk
from core_server.model.clock import Clock
from core_server.model.errors import FailedPrecondition, VigilError
from core_server.model.symbols import parse_symbol

log = structlog.get_logger(__name__)


class BrokerFillBooking:
    def __init__(self, execution: ExecutionDesk) -> None:
        self._execution = execution
        self._tasks: set[asyncio.Task[None]] = set()
        self.booked = 0
        # (account, broker fill id) booked, here or by catching up (live/broker_router.py). Per account: fill ids are
        # unique at one broker only, and accounts bound to Tradovate and to ProjectX see alike-numbered fills.
        self.claimed: set[tuple[str, str]] = set()
        self.ready: Callable[[], Awaitable[None]] | None = None  # until the orders a fill may fill are sent
        self._waiting: deque[tuple[str, BrokerFill]] = deque()  # FIFO: booked in the order they arrived
        self._worker: asyncio.Task[None] | None = None
        # The routed kernel order a fill belongs to (BrokerRouter.order_for); None: each fill is an order of its own
        self.order_for: Callable[[str, BrokerFill], Awaitable[OrderId | None]] | None = None

    def __call__(self, account_id: str, fill: BrokerFill) -> None:
        self._waiting.append((account_id, fill))
        if self._worker is None or self._worker.done():
            task = asyncio.get_running_loop().create_task(self._book_waiting())
            self._worker = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _book_waiting(self) -> None:
        while self._waiting:
            batch: list[tuple[str, BrokerFill]] = []
            try:
                if self.ready is not None:
                    await self.ready()  # until the sends in progress are done: a fill may be of an order being sent
                while self._waiting and self._waiting[0][0] not in {account for account, _ in batch}:
                    batch.append(self._waiting.popleft())
                await self._book_batch(batch)
            except Exception:  # a failure never stops the booking of the fills after these
                log.exception("broker.fills_not_booked", fills=len(batch))

    async def _book_batch(self, batch: list[tuple[str, BrokerFill]]) -> None:
        commands: list[tuple[str, BrokerFill, BookBrokerFill]] = []
        for account_id, fill in batch:
            order_id = await self.order_for(account_id, fill) if self.order_for is not None else None
            if (account_id, fill.fill_id) in self.claimed:
                continue  # booked already, from the broker's history after a reconnect
            self.claimed.add((account_id, fill.fill_id))
            command = BookBrokerFill(
                AccountId(account_id), fill.symbol, OrderSide.BUY if fill.side == "Buy" else OrderSide.SELL,
                fill.quantity, fill.price, fill.fill_id, order_id,
            )  # fmt: skip
            commands.append((account_id, fill, command))
        if not commands:
            return

        def refused(index: int, exc: VigilError) -> None:
            account_id, fill, _ = commands[index]
            log.error("broker.fill_not_booked", account_id=account_id, fill_id=fill.fill_id, reason=str(exc))

        try:
            changes = await self._execution.execute_all([c for _, _, c in commands], actor="broker", refused=refused)
        except VigilError as exc:  # not stored (the store is down): the kernel is as before, none booked
            for account_id, fill, _ in commands:
                self.claimed.discard((account_id, fill.fill_id))
                log.error("broker.fill_not_booked", account_id=account_id, fill_id=fill.fill_id, reason=str(exc))
            return
        self.booked += len(changes)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class KernelMirror(BrokerFillBooking):
    """The kernel as the Vigil side of reconciliation: its positions of a bound account, and adoption of the
    broker's truth as a booked fill (tagged `broker:reconcile`) of the difference at the broker's price."""

    def __init__(self, execution: ExecutionDesk, clock: Clock) -> None:
        super().__init__(execution)
        self._clock = clock

    def normalize(self, symbol: str) -> str:
        try:
            return parse_symbol(symbol, self._clock.now_ns()).id
        except VigilError:
            return symbol.upper()

    def positions(self, account_id: str) -> dict[str, tuple[int, Decimal | None]]:
        found: dict[str, tuple[int, Decimal | None]] = {}
        for position in self._execution.engine.positions(AccountId(account_id)):
            if position.net_qty:
                spec = parse_symbol(position.contract_id, self._clock.now_ns()).spec
                found[position.contract_id] = (
                    position.net_qty,
                    spec.average_price(abs(position.open_cost), abs(position.net_qty)),
                )
        return found

    async def adopt(self, account_id: str, symbol: str, quantity: int, price: Decimal) -> None:
        side = OrderSide.BUY if quantity > 0 else OrderSide.SELL
        spec = parse_symbol(symbol, self._clock.now_ns()).spec
        price = spec.price_from_ticks(int((price / spec.tick_size).to_integral_value()))  # a broker average: on grid
        command = BookBrokerFill(AccountId(account_id), symbol, side, abs(quantity), price, "reconcile")
        await self._execution.execute(command, actor="reconcile")


class BoundAccountGuard:
    """PreTradeCheck: a BOUND account (live routing off) trades nowhere: every order is denied, naming live
    routing, so nothing reaches its broker and its kernel positions only move by the broker's own fills. A LIVE
    account's orders pass (after the same risk checks as paper): the engine routes them to the broker
    (live/broker_router.py)."""

    def __init__(self, binding_of: Callable[[str], Binding | None]):
        self._binding_of = binding_of

    def check(self, order: Order, view: ExecutionView) -> str | None:
        binding = self._binding_of(order.account_id)
        if binding is None or binding.live_enabled:
            return None
        return (
            f"live routing is off for {order.account_id} (bound to {binding.broker.value}): nothing was sent; "
            "an admin enables it (AccountService.SetLiveRouting)"
        )


class RoutingGate:
    """A client's execution command on a BOUND account (live routing off) is refused with FailedPrecondition
    naming live routing, before the kernel sees it: nothing changes and nothing reaches the broker."""

    def __init__(self, binding_of: Callable[[str], Binding | None]):
        self._binding_of = binding_of

    def __call__(self, command: ExecutionCommand) -> None:
        if isinstance(command, BookBrokerFill | OpenAccount):
            return
        account = getattr(command, "account_id", None)
        if account is None:  # an OCO pair, a bracket batch: their first order's account
            first = getattr(command, "first", None) or (getattr(command, "brackets", None) or (None,))[0]
            account = getattr(first, "account_id", None)
        if not isinstance(account, str):
            return
        binding = self._binding_of(account)
        if binding is not None and not binding.live_enabled:
            raise FailedPrecondition(
                "account_id",
                f"live routing is off for {account} (bound to {binding.broker.value}): nothing was sent; "
                "an admin enables it (AccountService.SetLiveRouting)",
            )
