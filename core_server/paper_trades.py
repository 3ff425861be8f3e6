"""Hand-placed paper brackets become tracked trades: MFE/MAE in R for trades placed by hand.

A trade needs a stop to have an R, so the trade opens when a bracket's entry first fills (not one that
a signal placed: that signal's trade is tracked already): entry at the fill price, stop at the
bracket's stop-loss, target at its take-profit. Plain orders without a stop are positions with P&L
but no R. A close, flatten or reverse fill on the same account and contract ends the trade at that
fill's price; stop and target exits are seen by the tracker itself from the ticks.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from core_server.excursions.live import TradeTracking
from core_server.excursions.model import Direction, TradeSpec
from core_server.execution.events import OrderFilled
from core_server.execution.live import ExecutionNotice, LiveExecution
from core_server.execution.model import Order, OrderRole, OrderSide
from core_server.model.errors import InvalidArgument, NotFound

log = structlog.get_logger(__name__)

SIGNAL_TAG = "signal:"
_CLOSING_ROLES = (OrderRole.CLOSE, OrderRole.REVERSE)


def paper_trade_id(entry_order_id: str) -> str:
    return f"paper-{entry_order_id}"


class PaperTradeOpener:
    """Follows stored order events and opens/closes tracked trades for hand-placed brackets."""

    def __init__(self, execution: LiveExecution, tracking: TradeTracking) -> None:
        self._execution = execution
        self._tracking = tracking
        self._open: dict[tuple[str, str], str] = {}  # (account, contract) -> trade id

    async def run(self) -> None:
        subscription = self._execution.subscribe_orders()
        try:
            while True:
                batch = await subscription.next_batch(500)
                if not batch:
                    return
                for notice in batch:
                    self.on_notice(notice)
        except asyncio.CancelledError:
            raise
        finally:
            subscription.close()

    def on_notice(self, notice: ExecutionNotice) -> None:
        event, state = notice.event, notice.order
        if not isinstance(event, OrderFilled) or state is None:
            return
        order = state.order
        if order.role is OrderRole.BRACKET_ENTRY and event.filled_qty == event.fill.quantity:
            self._open_trade(order, event)
        elif order.role in _CLOSING_ROLES:
            self._close_trade(order, event)

    def _open_trade(self, entry: Order, filled: OrderFilled) -> None:
        if entry.tag.startswith(SIGNAL_TAG):
            return
        siblings = [o for o in self._execution.engine.orders(entry.account_id) if o.bracket_id == entry.bracket_id]
        stop = next((o.stop_price for o in siblings if o.role is OrderRole.STOP_LOSS), None)
        if stop is None:
            return
        target = next((o.limit_price for o in siblings if o.role is OrderRole.TAKE_PROFIT), None)
        spec = TradeSpec(
            trade_id=paper_trade_id(entry.order_id),
            contract_id=entry.contract_id,
            direction=Direction.LONG if entry.side is OrderSide.BUY else Direction.SHORT,
            quantity=entry.quantity,
            entry=filled.fill.price,
            stop=stop,
            opened_ns=filled.fill.ts_event,
            target_price=target,
        )
        try:
            self._tracking.open_trade(spec, "manual", account_id=entry.account_id)
        except InvalidArgument as exc:  # e.g. slippage filled the entry beyond its own stop
            log.warning("paper_trade.not_tracked", order_id=entry.order_id, reason=exc.reason)
            return
        self._open[(entry.account_id, entry.contract_id)] = spec.trade_id

    def _close_trade(self, order: Order, filled: OrderFilled) -> None:
        trade_id = self._open.pop((order.account_id, order.contract_id), None)
        if trade_id is None:
            return
        with contextlib.suppress(NotFound):  # it may have ended at its stop or target and been stored already
            self._tracking.close_trade(trade_id, filled.fill.price, filled.fill.ts_event)
