"""Everything known about one signal: its input, every check with its numbers, candles, pivot and the trade."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from clients.sdk import BracketLeg, Candle, CheckOutcome, LegKind, Signal, SignalAction, SignalStatus
from tui import formatting

OUTCOME_MARK = {
    CheckOutcome.PASSED: ("✓", "green"),
    CheckOutcome.FAILED: ("✗", "bold red"),
    CheckOutcome.WAITING: ("…", "yellow"),
    CheckOutcome.SKIPPED: ("-", "dim"),
}
RECENT_EVENTS = 6


def leg_text(leg: BracketLeg) -> str:
    """An alert's stop-loss or take-profit as sent: "20 points (stop)", "0.5% (limit)", "25300.00 (stop_limit)"."""
    value = format(leg.value.normalize(), "f")
    amount = {LegKind.PRICE: value, LegKind.POINTS: f"{value} points", LegKind.PERCENT: f"{value}%"}[leg.kind]
    order_type = leg.order_type.value if leg.order_type is not None else "default"
    limit = f" limit {formatting.price(leg.limit_price)}" if leg.limit_price is not None else ""
    return f"{amount} ({order_type}{limit})"


def candle_text(candle: Candle | None) -> str:
    if candle is None:
        return formatting.BLANK
    return (
        f"{candle.timeframe.value} {candle.time:%H:%M} O {formatting.price(candle.open)} "
        f"H {formatting.price(candle.high)} L {formatting.price(candle.low)} C {formatting.price(candle.close)}"
    )


class SignalDetail(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.signal: Signal | None = None

    def on_mount(self) -> None:
        self.show(None)

    @property
    def plain(self) -> str:
        return self._text().plain

    def show(self, signal: Signal | None) -> None:
        self.signal = signal
        self.update(self._text())

    def _text(self) -> Text:
        signal = self.signal
        if signal is None:
            return Text("no signal selected", style="dim")
        given = signal.input
        text = Text()
        text.append(f"{signal.signal_id}\n", style="dim")
        action = "" if given.action is SignalAction.ENTRY else f"{given.action.value} "
        text.append(f"{signal.contract_id} {action}{given.direction.value} {given.timeframe.value}", style="bold")
        text.append(f"  {given.strategy or formatting.BLANK}\nstatus ")
        text.append(signal.status.value, style="bold")
        text.append(f"  qty {given.quantity}  via {given.source}")
        text.append(f"\nsignal {formatting.price(given.signal_price)} at {formatting.clock(given.signal_time_ns)}")
        text.append(f"  received {formatting.clock(signal.received_ns)}")
        if given.session or given.htf_bias:
            text.append(f"\nsession {given.session or formatting.BLANK}  htf bias {given.htf_bias or formatting.BLANK}")
        if given.stop_loss is not None or given.take_profit is not None:
            stop = leg_text(given.stop_loss) if given.stop_loss is not None else "pivot stop"
            target = leg_text(given.take_profit) if given.take_profit is not None else "configured R"
            text.append(f"\nalert stop-loss {stop}  take-profit {target}")
        if signal.status in (SignalStatus.EXECUTED, SignalStatus.NO_OP) or given.action is not SignalAction.ENTRY:
            text.append(f"\noutcome {signal.outcome}", style="bold")
        if signal.status.is_live:
            text.append(f"\nwaiting for {signal.waiting_for or 'approval'}", style="yellow")
            text.append(f"  candles {signal.candles_waited}/{signal.expires_after_candles}")
        text.append("\n\nchecks\n", style="bold")
        width = max((len(c.name) for c in signal.checks), default=0)
        for check in signal.checks:
            mark, style = OUTCOME_MARK.get(check.outcome, ("?", ""))
            text.append(f" {mark} ", style=style)
            text.append(f"{check.name:<{width}}  ")
            text.append(f"{check.outcome.value:<7} ", style=style)
            text.append(f"{check.detail}\n")
        text.append("\n")
        text.append(f"signal candle        {candle_text(signal.signal_candle)}\n")
        text.append(f"confirmation candle  {candle_text(signal.confirmation_candle)}\n")
        if signal.pivot_price is not None:
            pivot = f"{formatting.price(signal.pivot_price)} (candle {formatting.clock(signal.pivot_candle_start_ns)})"
        else:
            pivot = "none: stop from the fallback low/high" if signal.stop_from_fallback else formatting.BLANK
        text.append(f"pivot                {pivot}\n")
        text.append(
            f"entry {formatting.price(signal.entry_price)}  stop {formatting.price(signal.stop_price)}"
            f"  risk {formatting.price(signal.risk_points)} pts"
        )
        if signal.trade_id:
            text.append(f"  trade {signal.trade_id}", style="green")
        if signal.events:
            text.append("\n\nevents\n", style="bold")
            for event in signal.events[-RECENT_EVENTS:]:
                text.append(f" {formatting.clock(event.ts_ns)} {event.kind} {event.detail}".rstrip() + "\n")
        return text
