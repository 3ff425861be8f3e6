"""SPEC §7 first-hour breakout, as the seed (004) runs it.

Each CME trade date: collect the high and low of trade prices from 09:30 to 10:30 ET; at 10:30 place five sell
limits at high + 9, 18, 27, 36, 45 points and five buy limits at low - 9 ... 45, each a bracket with a 5-point
stop and a 5-point target from its fill, all GTC (they rest overnight); 5 minutes before the next regular-hours
open, cancel every entry still unfilled (filled ones keep their stop and target). Days come from the CME calendar
(no window on a weekend or holiday; an early close still has its first hour). Every number is a parameter of
the `[breakout]` table with the SPEC's value as its default.

Phases: idle (waiting for the window) -> collecting -> placed -> idle; the phase, the day and the range are its
state, so a restart continues where it stood (a window the server missed the end of is skipped, not traded on
a partial range).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from core_server.execution.commands import ExitOffset, OffsetUnit, SubmitBracket, SubmitBracketBatch
from core_server.execution.model import OrderSide, OrderType, TimeInForce
from core_server.model.clock import NS_PER_MINUTE, datetime_from_ns, ns_from_datetime
from core_server.model.instruments import EASTERN_TZ
from core_server.model.market_data import Tick, Trade
from core_server.strategies.definition import BreakoutSpec, StrategyDefinition
from core_server.strategies.runtime import Action, CancelOwn, Context, Note, Place, Strategy
from core_server.strategies.scheduler import minutes_before_next_open, next_daily
from core_server.strategies.sizing import contracts_for

LATE_NS = NS_PER_MINUTE  # the window's end seen this late (a restart) is a missed window


def levels(
    spec: BreakoutSpec, high_ticks: int, low_ticks: int, ticks_of: Callable[[Decimal], int]
) -> tuple[list[int], list[int]]:
    """Sell entry levels above the high and buy entry levels below the low, in ticks."""
    sells = [high_ticks + ticks_of(offset) for offset in spec.offsets]
    buys = [low_ticks - ticks_of(offset) for offset in spec.offsets]
    return sells, buys


class FirstHourBreakout(Strategy):
    def __init__(self, definition: StrategyDefinition) -> None:
        super().__init__(definition)
        assert definition.breakout is not None
        self.spec: BreakoutSpec = definition.breakout
        self.phase = "idle"
        self.window_end_ns = 0
        self.high: int | None = None
        self.low: int | None = None

    # -- schedule -------------------------------------------------------------------------------------------

    def start(self, ctx: Context) -> Sequence[Action]:
        if self.phase == "idle":
            self.next_timer_ns = next_daily(ctx.calendar, ctx.now_ns, self.spec.window_start)
        elif self.phase == "collecting":
            self.next_timer_ns = self.window_end_ns
            self.wants_ticks = True
        else:
            self._schedule_cancel(ctx, self.window_end_ns)
        return ()

    def _schedule_cancel(self, ctx: Context, after_ns: int) -> None:
        self.next_timer_ns = minutes_before_next_open(ctx.calendar, after_ns, self.spec.cancel_before_open_minutes)

    def on_timer(self, ctx: Context) -> Sequence[Action]:
        now = ctx.now_ns
        if self.phase == "idle":
            start = self.next_timer_ns
            day = datetime_from_ns(start).astimezone(EASTERN_TZ).date()
            self.window_end_ns = ns_from_datetime(datetime.combine(day, self.spec.window_end, tzinfo=EASTERN_TZ))
            self.phase, self.high, self.low = "collecting", None, None
            self.wants_ticks = True
            self.next_timer_ns = self.window_end_ns
            return (Note("window_opened", f"first hour of {day} started; collecting the range"),)
        if self.phase == "collecting":
            self.wants_ticks = False
            if now - self.window_end_ns > LATE_NS:
                missed = Note("skipped", "the first hour ended while the server was down; nothing placed")
                return self._idle(ctx, missed)
            if self.high is None or self.low is None:
                return self._idle(ctx, Note("skipped", "no trades in the first hour; nothing placed"))
            return self._place(ctx, self.high, self.low)
        # placed: the next open is near
        actions = self._idle(ctx, Note("cancelled", "unfilled entries cancelled before the next open"))
        return (CancelOwn(entries_only=True), *actions)

    def _idle(self, ctx: Context, note: Note) -> Sequence[Action]:
        self.phase = "idle"
        self.next_timer_ns = next_daily(ctx.calendar, ctx.now_ns, self.spec.window_start)
        return (note,)

    # -- the range ------------------------------------------------------------------------------------------

    def tick_band(self) -> tuple[int, int] | None:
        """While collecting, a trade inside the range so far moves neither its high nor its low."""
        if self.phase != "collecting" or self.high is None or self.low is None:
            return None
        return self.low, self.high

    def on_tick(self, tick: Tick, ctx: Context) -> Sequence[Action]:
        if self.phase != "collecting" or type(tick) is not Trade or tick.ts_event >= self.window_end_ns:
            return ()
        price = tick.price
        if self.high is None or price > self.high:
            self.high = price
            self.changed = True
        if self.low is None or price < self.low:
            self.low = price
            self.changed = True
        return ()

    # -- the ladder -----------------------------------------------------------------------------------------

    def _place(self, ctx: Context, high: int, low: int) -> Sequence[Action]:
        spec, contract = self.spec, ctx.contract
        ispec = contract.spec
        sells, buys = levels(spec, high, low, ispec.points_to_ticks)
        quantity = contracts_for(self.definition.sizing, ispec, ispec.points_to_ticks(spec.stop_points))
        if quantity <= 0:
            return self._idle(ctx, Note("skipped", "risk per trade buys no contract at the stop distance"))
        stop = ExitOffset(spec.stop_points, OffsetUnit.POINTS)
        target = ExitOffset(spec.target_points, OffsetUnit.POINTS)
        brackets = tuple(
            SubmitBracket(
                ctx.account_id,
                contract.id,
                side,
                quantity,
                OrderType.LIMIT,
                stop,
                target,
                ispec.price_from_ticks(level),
                TimeInForce.GTC,
                ctx.tag,
            )
            for side, side_levels in ((OrderSide.SELL, sells), (OrderSide.BUY, buys))
            for level in side_levels
        )
        self.phase = "placed"
        self._schedule_cancel(ctx, ctx.now_ns)
        text = ", ".join(ispec.format_ticks(x) for x in sells)
        text_buys = ", ".join(ispec.format_ticks(x) for x in buys)
        note = Note(
            "placed",
            f"first hour high {ispec.format_ticks(high)} low {ispec.format_ticks(low)}: "
            f"sells at {text}; buys at {text_buys}",
        )
        return (Place(SubmitBracketBatch(brackets)), note)

    # -- state ----------------------------------------------------------------------------------------------

    def state(self) -> dict[str, object]:
        return {"phase": self.phase, "window_end_ns": self.window_end_ns, "high": self.high, "low": self.low}

    def restore(self, state: Mapping[str, object]) -> None:
        phase = state.get("phase", "idle")
        self.phase = phase if phase in ("idle", "collecting", "placed") else "idle"
        end = state.get("window_end_ns", 0)
        self.window_end_ns = end if isinstance(end, int) else 0
        high, low = state.get("high"), state.get("low")
        self.high = high if isinstance(high, int) else None
        self.low = low if isinstance(low, int) else None
