"""The paper bracket of a confirmed signal's trade (the kernel's signal stage places it on the signal account).

Market entry (the signal's computed entry is the reference), stop-loss at the signal's stop, take-profit at
entry + target R x risk (rounded to the nearest tick), the signal's quantity, DAY. The bracket's orders carry
the tag `signal:<signal_id>`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import ROUND_HALF_UP, Decimal

import structlog

from core_server.execution.commands import SubmitBracket
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.model.instruments import INSTRUMENTS
from core_server.signals.model import SignalDirection
from core_server.signals.trade_record import TradeRecord

log = structlog.get_logger(__name__)

TAG_PREFIX = "signal:"
RefusalRecorder = Callable[[str, str], Awaitable[None]]


def bracket_for(trade: TradeRecord, account_id: AccountId, target_r: Decimal) -> SubmitBracket:
    spec = INSTRUMENTS[trade.contract_id[:-5]]
    sign = 1 if trade.direction is SignalDirection.BULLISH else -1
    target_ticks = int((target_r * trade.risk_ticks).to_integral_value(ROUND_HALF_UP))
    return SubmitBracket(
        account_id=account_id,
        contract_id=trade.contract_id,
        side=OrderSide.BUY if sign > 0 else OrderSide.SELL,
        quantity=trade.quantity,
        entry_type=OrderType.MARKET,
        stop_loss=spec.price_from_ticks(trade.stop_price),
        take_profit=spec.price_from_ticks(trade.entry_price + sign * target_ticks),
        time_in_force=TimeInForce.DAY,
        tag=TAG_PREFIX + trade.signal_id,
    )
