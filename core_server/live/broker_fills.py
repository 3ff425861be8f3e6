"""Broker fills into the kernel, and the guard that keeps a bound account's mirror true to its broker.

`BrokerFillBooking` turns each fill the broker reports on a bound account into a BookBrokerFill command run
through the ExecutionDesk (journaled, then risk evaluates it exactly as a paper fill). `BoundAccountGuard` is a
pre-trade check: a bound account's orders go to its broker (AccountService), never to the simulated exchange,
so the kernel's positions of that account only ever move by the broker's own fills.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from core_server.brokers.model import Binding, BrokerFill
from core_server.execution.commands import BookBrokerFill
from core_server.execution.model import AccountId, Order, OrderSide
from core_server.execution.ports import ExecutionView
from core_server.live.execution_desk import ExecutionDesk
from core_server.model.errors import VigilError

log = structlog.get_logger(__name__)


class BrokerFillBooking:
    def __init__(self, execution: ExecutionDesk) -> None:
        self._execution = execution
        self._tasks: set[asyncio.Task[None]] = set()
        self.booked = 0

    def __call__(self, account_id: str, fill: BrokerFill) -> None:
        task = asyncio.get_running_loop().create_task(self._book(account_id, fill))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _book(self, account_id: str, fill: BrokerFill) -> None:
        command = BookBrokerFill(
            AccountId(account_id), fill.symbol, OrderSide.BUY if fill.side == "Buy" else OrderSide.SELL,
            fill.quantity, fill.price, fill.fill_id,
        )  # fmt: skip
        try:
            await self._execution.execute(command, actor="broker")
        except VigilError as exc:
            log.error("broker.fill_not_booked", account_id=account_id, fill_id=fill.fill_id, reason=str(exc))
            return
        self.booked += 1

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class BoundAccountGuard:
    """PreTradeCheck: deny every paper order on a bound account (its orders go to the broker)."""

    def __init__(self, binding_of: Callable[[str], Binding | None]) -> None:
        self._binding_of = binding_of

    def check(self, order: Order, view: ExecutionView) -> str | None:
        binding = self._binding_of(order.account_id)
        if binding is None:
            return None
        return (
            f"account {order.account_id} is bound to {binding.broker.value}: its orders go to the broker "
            "(AccountService.SubmitBrokerOrder), not to the paper exchange"
        )
