"""The paper bracket of a confirmed signal's trade (the kernel's signal stage places it on the signal account).

An alert's own stopLoss / takeProfit (signals.model.BracketLeg) replace the defaults below (`leg_level`).
Market entry, stop-loss at the signal's absolute pivot stop, take-profit at target R x the risk measured from
the entry's actual average fill (fill - stop), never from the signal's computed entry (execution/exits.py anchors
it when the entry fills, rounding away from the entry); the signal's quantity, DAY. The bracket's orders carry the
tag `signal:<signal_id>`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import ceil

from core_server.execution.commands import ExitLevel, ExitOffset, OffsetUnit, SubmitBracket
from core_server.execution.model import AccountId, OrderSide, OrderType, TimeInForce
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.signals.model import BracketLeg, LegKind, LegType, SignalDirection
from core_server.signals.trade_record import TradeRecord

TAG_PREFIX = "signal:"


def leg_level(leg: BracketLeg, spec: InstrumentSpec, entry_ticks: int) -> ExitLevel:
    """An alert's leg as the engine's exit: a price stays a price, points a distance from the fill, a percent
    that share of the entry price in whole ticks (rounded away from the entry, so never closer than asked)."""
    if leg.kind is LegKind.PRICE:
        return leg.value
    if leg.kind is LegKind.POINTS:
        return ExitOffset(leg.value, OffsetUnit.POINTS)
    ticks = max(1, ceil(Fraction(entry_ticks) * Fraction(leg.value) / 100))
    return ExitOffset(Decimal(ticks), OffsetUnit.TICKS)


def leg_text(leg: BracketLeg, spec: InstrumentSpec, entry_ticks: int) -> str:
    """How an alert's leg was placed, for the signal's trade_created event."""
    value = format(leg.value.normalize(), "f")
    if leg.kind is LegKind.PRICE:
        text = f"at {value}"
    elif leg.kind is LegKind.POINTS:
        text = f"{value} points from the fill"
    else:
        level = leg_level(leg, spec, entry_ticks)
        assert isinstance(level, ExitOffset)
        text = f"{value}% of {spec.format_ticks(entry_ticks)} = {level.amount} ticks from the fill"
    if leg.order_type is LegType.STOP_LIMIT:
        limit = "" if leg.limit_price is None else f" (limit {format(leg.limit_price, 'f')} recorded)"
        text += f"; stop_limit works as a stop at market{limit}"
    elif leg.order_type is LegType.TRAILING_STOP:
        text += "; trailing_stop starts at this distance and does not trail"
    return text


def bracket_for(
    trade: TradeRecord,
    account_id: AccountId,
    target_r: Decimal,
    stop_loss: BracketLeg | None = None,
    take_profit: BracketLeg | None = None,
) -> SubmitBracket:
    """A market bracket: stop at the signal's pivot stop, target `target_r` R from the entry's actual fill;
    an alert's own stopLoss / takeProfit replace them (`leg_level`)."""
    spec = INSTRUMENTS[trade.contract_id[:-5]]
    stop: ExitLevel = spec.price_from_ticks(trade.stop_price)
    target: ExitLevel = ExitOffset(target_r, OffsetUnit.R)
    if stop_loss is not None:
        stop = leg_level(stop_loss, spec, trade.entry_price)
    if take_profit is not None:
        target = leg_level(take_profit, spec, trade.entry_price)
    return SubmitBracket(
        account_id=account_id,
        contract_id=trade.contract_id,
        side=OrderSide.BUY if trade.direction is SignalDirection.BULLISH else OrderSide.SELL,
        quantity=trade.quantity,
        entry_type=OrderType.MARKET,
        stop_loss=stop,
        take_profit=target,
        time_in_force=TimeInForce.DAY,
        tag=TAG_PREFIX + trade.signal_id,
    )
