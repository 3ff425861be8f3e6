"""TradeRecord: the Signal Lab trade a confirmed signal opens (minimal; the trades issue builds on it)."""

from __future__ import annotations

from dataclasses import dataclass

from core_server.signals.model import Signal, SignalDirection, SignalStatus

TRADE_OPEN = "open"


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """What a confirmed signal commits to: direction, size, entry and stop in ticks, and the risk between them."""

    trade_id: str
    signal_id: str
    contract_id: str
    direction: SignalDirection
    quantity: int
    entry_price: int  # ticks
    stop_price: int  # ticks
    risk_ticks: int  # > 0: entry - stop for bullish, stop - entry for bearish
    created_ns: int
    status: str = TRADE_OPEN


def trade_for(signal: Signal, trade_id: str, now_ns: int) -> TradeRecord:
    """The trade of a CONFIRMED signal (ValueError for any other: that would be a broken invariant)."""
    if signal.status is not SignalStatus.CONFIRMED:
        raise ValueError(f"signal {signal.signal_id} is {signal.status.label}, not confirmed")
    if signal.entry_price is None or signal.stop_price is None or signal.risk_ticks is None:
        raise ValueError(f"confirmed signal {signal.signal_id} lacks entry, stop or risk")
    return TradeRecord(
        trade_id=trade_id,
        signal_id=signal.signal_id,
        contract_id=signal.contract_id,
        direction=signal.direction,
        quantity=signal.input.quantity,
        entry_price=signal.entry_price,
        stop_price=signal.stop_price,
        risk_ticks=signal.risk_ticks,
        created_ns=now_ns,
    )
