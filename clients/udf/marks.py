"""UDF marks: signals and fills as bar marks, and calendar events (early closes, holiday halts) as timescale marks.

A mark sits on the bar that holds its instant (the library wants a bar's time). Labels are one letter:
U/D for a bullish/bearish signal, B/S for a buy/sell fill; E for an early close, H for a holiday halt.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from clients.sdk import Fill, OrderSide, Signal, SignalDirection, SignalStatus, Timeframe, TradingSession
from clients.udf.bars import EXCHANGE_TZ, NS_PER_SECOND, bar_time_of_instant

GREEN, RED, AMBER, GREY, WHITE, ORANGE = "#26a69a", "#ef5350", "#f9a825", "#9e9e9e", "#ffffff", "#fb8c00"
_SETTLED_BAD = {
    SignalStatus.REJECTED,
    SignalStatus.EXPIRED,
    SignalStatus.INVALIDATED,
    SignalStatus.CANCELLED,
    SignalStatus.UNKNOWN,
}


def signal_time_ns(signal: Signal) -> int:
    """Where a signal sits: the open of the bar that fired it when known, else when the alert fired."""
    return signal.input.bar_time_ns or signal.input.signal_time_ns


def signal_mark(signal: Signal, timeframe: Timeframe) -> dict[str, Any]:
    bullish = signal.direction is SignalDirection.BULLISH
    if signal.status in _SETTLED_BAD:
        color = GREY
    elif signal.status.is_live:
        color = AMBER
    else:
        color = GREEN if bullish else RED
    words = [
        f"{'Bullish' if bullish else 'Bearish'} signal {signal.contract_id} @ {signal.input.signal_price}",
        f"status {signal.status.value}",
    ]
    if signal.input.strategy:
        words.append(f"strategy {signal.input.strategy}")
    if signal.entry_price is not None and signal.stop_price is not None:
        words.append(f"entry {signal.entry_price} stop {signal.stop_price}")
    if signal.waiting_for:
        words.append(f"waiting for {signal.waiting_for}")
    failed = next((c for c in signal.checks if c.outcome.value == "failed"), None)
    if failed is not None:
        words.append(f"{failed.name}: {failed.detail}")
    return {
        "id": f"signal-{signal.signal_id}",
        "time": bar_time_of_instant(timeframe, signal_time_ns(signal)),
        "color": {"border": color, "background": color},
        "text": "; ".join(words),
        "label": "U" if bullish else "D",
        "labelFontColor": WHITE,
        "minSize": 14,
    }


def fill_mark(fill: Fill, timeframe: Timeframe) -> dict[str, Any]:
    buy = fill.side is OrderSide.BUY
    color = GREEN if buy else RED
    return {
        "id": f"fill-{fill.fill_id}",
        "time": bar_time_of_instant(timeframe, fill.ts_ns),
        "color": {"border": color, "background": color},
        "text": f"{'Bought' if buy else 'Sold'} {fill.quantity} {fill.contract_id} @ {fill.price} ({fill.account_id})",
        "label": "B" if buy else "S",
        "labelFontColor": WHITE,
        "minSize": 14,
    }


def session_marks(
    sessions: Iterable[TradingSession], timeframe: Timeframe, from_ns: int, to_ns: int
) -> list[dict[str, Any]]:
    """Timescale marks for unusual sessions: each early close and each holiday halt inside [from_ns, to_ns)."""
    marks: list[dict[str, Any]] = []
    for session in sessions:
        if not session.note:
            continue
        events = [(halt_start, "H", "halt") for halt_start, _ in session.halts]
        if session.early_close:
            events.append((session.close_ns, "E", "early close"))
        for at_ns, label, kind in events:
            if not from_ns <= at_ns < to_ns:
                continue
            local = datetime.fromtimestamp(at_ns // NS_PER_SECOND, tz=EXCHANGE_TZ)
            marks.append(
                {
                    "id": f"session-{session.trade_date.isoformat()}-{label}",
                    "time": bar_time_of_instant(timeframe, at_ns - 1),  # the last bar before the stop
                    "color": ORANGE,
                    "label": label,
                    "tooltip": [f"{kind} {local:%Y-%m-%d %H:%M} CT", session.note],
                }
            )
    return marks
