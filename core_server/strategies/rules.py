"""The declarative rule engine as a strategy: entries and exits evaluated when a candle of the rule's timeframe
closes, inside its time window, within its limits; a bracket per entry; flat by a time of day.

One position at a time per strategy: entries are considered only while the strategy is flat with no entry
working; the exit (if any) only while it holds a position. Each evaluation that leads somewhere is logged:
an entry placed, or skipped and why (outside the window, a limit reached, a size of zero), an exit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core_server.execution.commands import ExitOffset, OffsetUnit, SubmitBracket
from core_server.execution.model import OrderSide, OrderType, TimeInForce
from core_server.model.market_data import Candle
from core_server.strategies.conditions import Check, compile_group, operands_of
from core_server.strategies.definition import (
    Distance,
    DistanceUnit,
    Entry,
    IndicatorOperand,
    RuleSpec,
    StrategyDefinition,
    TimeWindow,
)
from core_server.strategies.runtime import Action, CloseOwn, Context, Note, Place, Strategy
from core_server.strategies.scheduler import NEVER, in_clock_range, next_flat_by
from core_server.strategies.sizing import contracts_for, stop_ticks

_UNITS = {DistanceUnit.TICKS: OffsetUnit.TICKS, DistanceUnit.POINTS: OffsetUnit.POINTS, DistanceUnit.R: OffsetUnit.R}


def exit_offset(distance: Distance) -> ExitOffset:
    return ExitOffset(distance.amount, _UNITS[distance.unit])


class RuleStrategy(Strategy):
    def __init__(self, definition: StrategyDefinition) -> None:
        super().__init__(definition)
        assert definition.rules is not None
        self.spec: RuleSpec = definition.rules
        self._entries: list[tuple[Entry, Check]] = []
        self._exit: Check | None = None
        self._stop, self._target = exit_offset(self.spec.stop), exit_offset(self.spec.target)
        self._risk_ticks: int | None = None  # the stop distance in ticks, once the contract is known

    def required(self) -> Sequence[object]:
        groups = [e.when for e in self.spec.entries]
        if self.spec.exit is not None:
            groups.append(self.spec.exit)
        return [o for g in groups for o in operands_of(g) if isinstance(o, IndicatorOperand)]

    def start(self, ctx: Context) -> Sequence[Action]:
        """Bind the conditions to the contract's series once (evaluation then calls closures) and schedule."""
        series_of = ctx.series
        self._entries = [(entry, compile_group(entry.when, series_of)) for entry in self.spec.entries]
        self._exit = compile_group(self.spec.exit, series_of) if self.spec.exit is not None else None
        self._schedule(ctx)
        return ()

    def _schedule(self, ctx: Context) -> None:
        at = self.spec.flat_by
        self.next_timer_ns = NEVER if at is None else next_flat_by(ctx.calendar, ctx.now_ns, at)

    def on_timer(self, ctx: Context) -> Sequence[Action]:
        self._schedule(ctx)
        if ctx.position() or ctx.open_entries():
            return (CloseOwn(), Note("flat_by", "flat-by time: orders cancelled, position closed"))
        return ()

    def on_candles(self, candles: Sequence[Candle], ctx: Context) -> Sequence[Action]:
        timeframe = self.spec.timeframe
        for candle in candles:
            if candle.timeframe is timeframe:
                break
        else:
            return ()
        position = ctx.position()
        if position:
            if self._exit is not None and self._exit():
                return (CloseOwn(), Note("exit", f"exit conditions held; closing {position:+d}"))
            return ()
        for entry, holds in self._entries:
            if holds():
                if ctx.open_entries():
                    return ()
                return self._enter(entry, ctx)
        return ()

    def _enter(self, entry: Entry, ctx: Context) -> Sequence[Action]:
        spec, definition = self.spec, self.definition
        side = "buy" if entry.side is OrderSide.BUY else "sell"
        if spec.window is not None and not in_window(spec.window, ctx):
            return (Note("skipped", f"{entry.path} ({side}) held outside the time window"),)
        limits = definition.limits
        if limits.max_concurrent_positions is not None and ctx.open_positions() >= limits.max_concurrent_positions:
            return (Note("skipped", f"{entry.path} ({side}) held; max concurrent positions open"),)
        if limits.max_trades_per_day is not None and ctx.trades_today() >= limits.max_trades_per_day:
            return (Note("skipped", f"{entry.path} ({side}) held; max trades per day reached"),)
        if limits.daily_loss is not None and ctx.realised_today() <= -limits.daily_loss:
            return (Note("skipped", f"{entry.path} ({side}) held; daily loss limit reached"),)
        spec_i = ctx.contract.spec
        if self._risk_ticks is None:
            self._risk_ticks = stop_ticks(spec_i, spec.stop)
        quantity = contracts_for(definition.sizing, spec_i, self._risk_ticks)
        if quantity <= 0:
            return (Note("skipped", f"{entry.path} ({side}) held; risk per trade buys no contract"),)
        series = ctx.series(spec.timeframe)
        close = series.field("close", 0) if series is not None else None
        price: Decimal | None = None
        order = entry.order
        if order.order_type is not OrderType.MARKET:
            if close is None:
                return ()
            offset = spec_i.tick_size * order.offset_ticks
            better = -1 if entry.side is OrderSide.BUY else 1
            if order.order_type is OrderType.STOP:
                better = -better
            price = close + better * offset
        command = SubmitBracket(
            ctx.account_id, ctx.contract.id, entry.side, quantity, order.order_type,
            self._stop, self._target, price, TimeInForce.DAY, ctx.tag,
        )  # fmt: skip
        at = f" at {price}" if price is not None else ""
        kind = order.order_type.name.lower()
        return (Place(command), Note("entry", f"{entry.path} held: {side} {quantity} {kind}{at}"))


def in_window(window: TimeWindow, ctx: Context) -> bool:
    now = ctx.now_ns
    if window.sessions and ctx.windows.in_any(now, window.sessions):
        return True
    if window.start is not None and window.end is not None:
        return in_clock_range(now, window.start, window.end, window.tz)
    return False
