"""SignalOrders: turns the Signal Lab trade of a confirmed signal into a paper bracket on the configured account.

Market entry, stop-loss at the signal's absolute pivot stop, take-profit at target R x the risk measured
from the entry's actual average fill (fill - stop), never from the signal's computed entry (execution/exits.py
anchors it when the entry fills, rounding away from the entry); the signal's quantity, DAY. The bracket's orders carry
the tag `signal:<signal_id>`. A refused bracket (invalid, denied by a pre-trade check, or rejected by the
simulated exchange on arrival) is reported back through `record_refusal(signal_id, reason)`. While an emergency
stop is in force (`stopped()`), no bracket is even submitted: the refusal is recorded the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import structlog

from core_server.execution.commands import ExitOffset, OffsetUnit, SubmitBracket
from core_server.execution.events import OrderDenied
from core_server.execution.live import LiveExecution
from core_server.execution.model import AccountId, Order, OrderSide, OrderType, TimeInForce
from core_server.model.errors import VigilError
from core_server.model.instruments import INSTRUMENTS
from core_server.signals.model import SignalDirection
from core_server.signals.trade_record import TradeRecord

log = structlog.get_logger(__name__)

TAG_PREFIX = "signal:"
RefusalRecorder = Callable[[str, str], Awaitable[None]]


def bracket_for(trade: TradeRecord, account_id: AccountId, target_r: Decimal) -> SubmitBracket:
    """A market bracket: stop at the signal's pivot stop, target `target_r` R from the entry's actual fill."""
    spec = INSTRUMENTS[trade.contract_id[:-5]]
    return SubmitBracket(
        account_id=account_id,
        contract_id=trade.contract_id,
        side=OrderSide.BUY if trade.direction is SignalDirection.BULLISH else OrderSide.SELL,
        quantity=trade.quantity,
        entry_type=OrderType.MARKET,
        stop_loss=spec.price_from_ticks(trade.stop_price),
        take_profit=ExitOffset(target_r, OffsetUnit.R),
        time_in_force=TimeInForce.DAY,
        tag=TAG_PREFIX + trade.signal_id,
    )


class SignalOrders:
    """A SignalEngine trade listener; `stop()` waits for the brackets still being placed."""

    def __init__(
        self,
        execution: LiveExecution,
        account_id: AccountId,
        target_r: Decimal,
        record_refusal: RefusalRecorder,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._execution = execution
        self._account_id = account_id
        self._target_r = target_r
        self._record_refusal = record_refusal
        self._stopped = stopped
        self._tasks: set[asyncio.Task[None]] = set()
        execution.on_rejected = self._on_rejected

    def on_trade(self, trade: TradeRecord) -> None:
        self._spawn(self._place(trade))

    async def _place(self, trade: TradeRecord) -> None:
        if self._stopped():
            await self._refused(trade.signal_id, "bracket not placed: emergency stop: automatic execution is stopped")
            return
        try:
            change = await self._execution.execute(bracket_for(trade, self._account_id, self._target_r))
        except VigilError as exc:
            await self._refused(trade.signal_id, f"bracket not placed: {exc}")
            return
        denied = [e for e in change.events if isinstance(e, OrderDenied)]
        if denied:
            await self._refused(trade.signal_id, f"bracket denied: {denied[0].reason}")
            return
        log.info("execution.signal_bracket_placed", signal_id=trade.signal_id, entry=change.events[0].order.order_id)  # type: ignore[union-attr]

    def _on_rejected(self, order: Order, reason: str) -> None:
        if order.tag.startswith(TAG_PREFIX):
            self._spawn(self._refused(order.tag.removeprefix(TAG_PREFIX), f"order {order.order_id} rejected: {reason}"))

    async def _refused(self, signal_id: str, reason: str) -> None:
        log.warning("execution.signal_bracket_refused", signal_id=signal_id, reason=reason)
        await self._record_refusal(signal_id, reason)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
