"""The paper bracket of a confirmed signal's trade (the kernel's signal stage places it on the signal account).

Market entry, stop-loss at the signal's absolute pivot stop, take-profit at target R x the risk measured from
the entry's actual average fill (fill - stop), never from the signal's computed entry (execution/exits.py anchors
it when the entry fills, rounding away from the entry); the signal's quantity, DAY. The bracket's orders carry the
tag `signal:<signal_id>`.
"""

from __future__ import annotations

from decimal import Decimal

from core_server.execution.commands import ExitOffset, OffsetUnit, SubmitBracket
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.model.instruments import INSTRUMENTS
from core_server.signals.model import SignalDirection
from core_server.signals.trade_record import TradeRecord

TAG_PREFIX = "signal:"


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
