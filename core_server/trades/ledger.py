"""TradeLedger: the kernel's trade stage: every round trip from the fills, with its excursion tick by tick.

- Fills open, grow, shrink and close round trips per (account, contract), FIFO, whichever path placed the
  orders (a bracket, a plain order, a signal, a strategy, a risk action). Money comes from the paper engine's
  own FIFO P&L (PositionChanged), so a trip's gross equals what the account booked.
- The initial stop is the first protective stop working when the position opened (the opening bracket's
  stop-loss first, else the nearest stop on the exit side); with one, the trip has R, MFE/MAE in R and
  break-even. Without one it has points and dollars, never an invented R.
- The excursion is measured by an ExcursionTracker in managed mode: the trip ends only at the fill that
  closes it, at that fill's price. A ModifyOrder on the protective stop moves the trip's current stop (its
  initial R does not change). With break-even on, MFE reaching the trigger asks the kernel to move the real
  stop order to entry (+ offset): `take_commands`.
- A confirmed signal's trade (`track_signal`) is the round trip its bracket opens; a signal that is not
  executed is tracked from its own entry and stop, ending at its stop or target as the tracker sees them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from core_server.excursions.book import ExcursionBook
from core_server.excursions.model import Direction, ExcursionEvent, ExcursionEventKind, TradeSpec
from core_server.excursions.settings import DEFAULT_EXCURSION_SETTINGS, ExcursionSettings
from core_server.excursions.tracked import TradeSource
from core_server.excursions.tracker import ExcursionTracker
from core_server.execution.commands import ExecutionCommand, ModifyOrder
from core_server.execution.events import OrderFilled, OrderModified, PositionChanged
from core_server.execution.model import AccountId, Fill, Order, OrderId, OrderRole, OrderSide, OrderType
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import Cause, ExecutionStep
from core_server.model.instruments import INSTRUMENTS, InstrumentSpec
from core_server.model.market_data import Tick
from core_server.signals.trade_record import TradeRecord
from core_server.trades.model import ExitReason, RoundTrip, TradeChange

SIGNAL_TAG = "signal:"
STRATEGY_TAG = "strategy:"
ROLL_TAG = "roll"  # the market order that closes a position at the front-month roll (kernel.front_roll)
_STOP_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT)

Key = tuple[str, str]  # (account id, contract id)


@dataclass(slots=True)
class _Trip:
    trade_id: str
    account_id: str | None
    contract_id: str
    direction: Direction
    source: TradeSource
    signal_id: str | None
    strategy_id: str | None
    strategy_version: int | None
    opened_ns: int
    spec: InstrumentSpec
    open_order: OrderId | None = None  # the order whose fill opened it (its bracket's stop is the initial stop)
    tracker: ExcursionTracker | None = None  # set once the step that opened it is complete
    closed_ns: int | None = None
    open_qty: int = 0
    max_qty: int = 0
    entry_qty: int = 0
    entry_cost: int = 0
    exit_qty: int = 0
    exit_cost: int = 0
    realised_ticks: int = 0
    gross: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    initial_stop: int | None = None
    target: int | None = None
    stop_order: OrderId | None = None
    exit_reason: ExitReason | None = None
    stored_events: int = 0  # excursion events already handed out


def origin_of(tag: str) -> tuple[TradeSource, str | None, str | None, int | None]:
    """(source, signal id, strategy id, strategy version) of an order's tag."""
    if tag.startswith(SIGNAL_TAG):
        return TradeSource.SIGNAL, tag.removeprefix(SIGNAL_TAG), None, None
    if tag.startswith(STRATEGY_TAG):
        body = tag.removeprefix(STRATEGY_TAG)
        strategy, _, version = body.partition("@")
        return TradeSource.STRATEGY, None, strategy, int(version) if version.isdigit() else None
    return TradeSource.MANUAL, None, None, None


class TradeLedger:
    """Open round trips by (account, contract), the signal trades tracked without execution, and the changes."""

    def __init__(self, settings: ExcursionSettings = DEFAULT_EXCURSION_SETTINGS) -> None:
        self.settings = settings
        self._open: dict[Key, _Trip] = {}
        self._theoretical: dict[str, _Trip] = {}  # trade id -> a signal trade without execution
        self._expected: dict[str, TradeRecord] = {}  # signal id -> its trade, until its bracket opens a trip
        self._book = ExcursionBook()
        self._by_id: dict[str, _Trip] = {}
        self._opening: list[_Trip] = []
        self._pending_fill: tuple[Fill, Order, Cause] | None = None
        self._commands: list[ExecutionCommand] = []
        self._retry: dict[str, list[ModifyOrder]] = {}  # contract id -> stop moves to try again on its next tick
        self._changes: dict[str, TradeChange] = {}
        self._seq = 0

    # -- the kernel's trade stage -----------------------------------------------------------------------------

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None:
        for event in step.events:
            if type(event) is OrderFilled:
                fill = event.fill
                self._pending_fill = (fill, view.order(fill.order_id), step.cause)
            elif type(event) is PositionChanged:
                pending, self._pending_fill = self._pending_fill, None
                if pending is not None:
                    self._position_changed(event, *pending)
            elif type(event) is OrderModified and event.stop_price is not None:
                self._stop_moved(event.account_id, event.order_id, event.stop_price, event.ts_event)
        if self._opening:
            opening, self._opening = self._opening, []
            for trip in opening:
                self._start_tracking(trip, view)

    def on_tick(self, tick: Tick) -> None:
        if self._retry:
            retry = self._retry.pop(tick.contract_id, None)
            if retry:
                self._commands.extend(retry)
        moved = self._book.on_tick(tick)
        if not moved:
            return
        for trade_id, events in moved:
            trip = self._by_id.get(trade_id)
            if trip is None:
                continue
            self._excursion_events(trip, events)

    def quiet_for(self, contract_id: str) -> bool:
        """True when a tick of `contract_id` changes nothing here: no excursion tracked in it, no stop move to
        retry on it, no work waiting (the kernel's quiet fast path)."""
        return not (self._commands or self._changes or contract_id in self._retry or self._book.tracks(contract_id))

    @property
    def has_work(self) -> bool:
        """Commands or changes wait to be taken (most ticks have none)."""
        return bool(self._commands or self._changes)

    def take_commands(self) -> Sequence[ExecutionCommand]:
        commands, self._commands = self._commands, []
        return commands

    def command_refused(self, command: ExecutionCommand, reason: str) -> None:
        """A stop move the engine refused (e.g. the quote had not caught up with the trade that reached the
        trigger): tried again on the contract's next tick while its trip is open and the stop still working."""
        if not isinstance(command, ModifyOrder):
            return
        for trip in self._open.values():
            if trip.stop_order == command.order_id and trip.account_id == command.account_id:
                self._retry.setdefault(trip.contract_id, []).append(command)
                return

    def take_changes(self) -> Sequence[TradeChange]:
        if not self._changes:
            return ()
        changes = tuple(self._changes.values())
        self._changes = {}
        return changes

    def track_signal(self, record: TradeRecord, account_id: AccountId | None) -> None:
        if account_id is not None:
            self._expected[record.signal_id] = record
            return
        direction = Direction(record.direction)  # BULLISH = LONG = 1, BEARISH = SHORT = 2
        spec = INSTRUMENTS[record.contract_id[:-5]]
        trip = _Trip(
            record.trade_id, None, record.contract_id, direction, TradeSource.SIGNAL, record.signal_id, None, None,
            record.created_ns, spec, open_qty=record.quantity, max_qty=record.quantity, entry_qty=record.quantity,
            entry_cost=record.entry_price * record.quantity, initial_stop=record.stop_price,
        )  # fmt: skip
        spec_ = TradeSpec(
            record.trade_id, record.contract_id, direction, record.quantity, record.entry_price, record.stop_price,
            record.created_ns,
        )  # fmt: skip
        trip.tracker = ExcursionTracker(spec_, self._settings_for(spec_), spec)
        self._theoretical[trip.trade_id] = trip
        self._add(trip)
        self._changed(trip, (), opened=True)

    def open_accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        return tuple(AccountId(a) for a, c in self._open if c == contract_id)

    def snapshot(self) -> object:
        return copy.deepcopy(
            (self._open, self._theoretical, self._expected, self._book, self._by_id, self._changes, self._seq)
        )

    def restore(self, point: object) -> None:
        (self._open, self._theoretical, self._expected, self._book, self._by_id, self._changes, self._seq) = point  # type: ignore[misc]
        self._opening, self._commands, self._pending_fill, self._retry = [], [], None, {}

    # -- restart --------------------------------------------------------------------------------------------

    def restore_open(self, trips: Sequence[RoundTrip], view: ExecutionView, now_ns: int) -> None:
        """After a restart: the stored open trips continue, each against the position it belongs to. A trip whose
        position is flat now ends (RECONCILED), and a position without a trip gets one, so every position has
        exactly one open trade and no flat account has any."""
        for stored in trips:
            trip = self._restored(stored)
            if trip.account_id is None:
                self._theoretical[trip.trade_id] = trip
                self._add(trip)
                continue
            position = view.position(AccountId(trip.account_id), trip.contract_id)
            if position.net_qty * trip.direction.sign <= 0 or (trip.account_id, trip.contract_id) in self._open:
                assert trip.tracker is not None
                self._by_id[trip.trade_id] = trip
                price = trip.tracker.snapshot(False).spec.entry
                events = trip.tracker.close(price, now_ns, ExcursionEventKind.CLOSED)
                trip.closed_ns, trip.exit_reason = now_ns, ExitReason.RECONCILED
                self._changed(trip, events)
                del self._by_id[trip.trade_id]
                continue
            stop = _protective_stop(trip, view.open_orders(AccountId(trip.account_id), trip.contract_id))
            trip.stop_order = stop.order_id if stop is not None else None
            trip.open_qty = abs(position.net_qty)
            self._open[(trip.account_id, trip.contract_id)] = trip
            self._add(trip)
        for account in view.accounts():
            for position in view.positions(account.account_id):
                key = (account.account_id, position.contract_id)
                if position.net_qty and key not in self._open:
                    self._adopt(account.account_id, position.contract_id, position.net_qty, position.open_cost, view,
                                now_ns)  # fmt: skip

    def _restored(self, stored: RoundTrip) -> _Trip:
        s = stored.excursion
        trip = _Trip(
            stored.trade_id, stored.account_id, stored.contract_id, stored.direction, stored.source, stored.signal_id,
            stored.strategy_id, stored.strategy_version, stored.opened_ns, INSTRUMENTS[stored.contract_id[:-5]],
            open_qty=stored.open_qty, max_qty=stored.max_qty, entry_qty=stored.entry_qty,
            entry_cost=stored.entry_cost, exit_qty=stored.exit_qty, exit_cost=stored.exit_cost,
            realised_ticks=stored.realised_ticks, gross=stored.gross, commissions=stored.commissions,
            initial_stop=stored.initial_stop, target=stored.target, stored_events=len(s.events),
            open_order=OrderId(stored.open_order) if stored.open_order else None,
        )  # fmt: skip
        trip.tracker = ExcursionTracker.restore(
            s.spec, s.state, self._settings_for(s.spec), trip.spec, events=s.events,
            managed=stored.account_id is not None,
        )  # fmt: skip
        return trip

    def _adopt(self, account_id: str, contract_id: str, net: int, open_cost: int, view: ExecutionView, ts: int) -> None:
        """A position the store had no open trip for: tracked from its average price, with no known origin."""
        qty = abs(net)
        direction = Direction.LONG if net > 0 else Direction.SHORT
        trip = _Trip(
            f"T-adopted-{account_id}-{contract_id}-{ts}", account_id, contract_id, direction, TradeSource.MANUAL,
            None, None, None, ts, INSTRUMENTS[contract_id[:-5]], open_qty=qty, max_qty=qty, entry_qty=qty,
            entry_cost=open_cost,
        )  # fmt: skip
        self._open[(account_id, contract_id)] = trip
        self._by_id[trip.trade_id] = trip
        self._start_tracking(trip, view)

    # -- queries --------------------------------------------------------------------------------------------

    def open_trips(self) -> list[RoundTrip]:
        trips = [self._snapshot(t) for t in self._by_id.values() if t.closed_ns is None]
        return sorted(trips, key=lambda t: (t.opened_ns, t.trade_id))

    def get(self, trade_id: str) -> RoundTrip | None:
        trip = self._by_id.get(trade_id)
        return None if trip is None else self._snapshot(trip)

    def open_trip(self, account_id: str, contract_id: str) -> RoundTrip | None:
        trip = self._open.get((account_id, contract_id))
        return None if trip is None else self._snapshot(trip)

    # -- fills ----------------------------------------------------------------------------------------------

    def _position_changed(self, event: PositionChanged, fill: Fill, order: Order, cause: Cause) -> None:
        key = (fill.account_id, fill.contract_id)
        trip = self._open.get(key)
        after = event.position.net_qty
        signed = fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
        before = after - signed
        ts = fill.ts_event
        if trip is not None and trip.open_qty * trip.direction.sign != before:
            before = trip.open_qty * trip.direction.sign  # never trusted blindly: the ledger's own count wins
        if before == 0:
            self._open_trip(key, fill, order, abs(after), fill.commission, ts)
            return
        assert trip is not None
        if (after > 0) == (before > 0) and abs(after) > abs(before) and after != 0:  # scale in
            qty = abs(after) - abs(before)
            trip.entry_qty += qty
            trip.entry_cost += fill.price * qty
            trip.open_qty = abs(after)
            trip.max_qty = max(trip.max_qty, trip.open_qty)
            trip.commissions += fill.commission
            self._changed(trip, ())
            return
        closing = min(abs(before), fill.quantity)
        fee = fill.commission if closing == fill.quantity else fill.commission * closing / fill.quantity
        trip.exit_qty += closing
        trip.exit_cost += fill.price * closing
        trip.open_qty -= closing
        trip.realised_ticks += event.realised_ticks
        trip.gross += event.realised_pnl
        trip.commissions += fee
        if trip.open_qty:
            self._changed(trip, ())
            return
        self._close(trip, fill.price, ts, _exit_reason(order, cause))
        if after != 0:  # through zero: the rest opens the next trip at the same price
            self._open_trip(key, fill, order, abs(after), fill.commission - fee, ts)

    def _open_trip(self, key: Key, fill: Fill, order: Order, qty: int, fee: Decimal, ts: int) -> None:
        source, signal_id, strategy_id, version = origin_of(order.tag)
        trade_id = self._new_id(fill)
        if signal_id is not None:
            record = self._expected.pop(signal_id, None)
            if record is not None:
                trade_id = record.trade_id
        direction = Direction.LONG if fill.side is OrderSide.BUY else Direction.SHORT
        trip = _Trip(
            trade_id, fill.account_id, fill.contract_id, direction, source, signal_id, strategy_id, version, ts,
            INSTRUMENTS[fill.contract_id[:-5]], open_order=order.order_id, open_qty=qty, max_qty=qty, entry_qty=qty,
            entry_cost=fill.price * qty, commissions=fee,
        )  # fmt: skip
        self._open[key] = trip
        self._by_id[trade_id] = trip
        self._opening.append(trip)

    def _start_tracking(self, trip: _Trip, view: ExecutionView) -> None:
        """The step that opened the trip is complete: its protective stop (if any) is now working."""
        if trip.closed_ns is not None or trip.account_id is None:
            return
        # several opening fills at different prices: R is measured from their average, rounded to a whole tick
        entry = (2 * trip.entry_cost + trip.entry_qty) // (2 * trip.entry_qty)
        stop_order = _protective_stop(trip, view.open_orders(AccountId(trip.account_id), trip.contract_id))
        stop = stop_order.stop_price if stop_order is not None else None
        if stop is not None and (entry - stop) * trip.direction.sign <= 0:
            stop, stop_order = None, None  # a stop already through the fill protects nothing: no R
        target = _target_of(trip, view, stop_order)
        spec = TradeSpec(
            trip.trade_id, trip.contract_id, trip.direction, trip.max_qty, entry, stop, trip.opened_ns,
            target_price=target if target is not None and (target - entry) * trip.direction.sign > 0 else None,
        )  # fmt: skip
        trip.initial_stop = stop
        trip.target = spec.target_price
        trip.stop_order = stop_order.order_id if stop_order is not None else None
        trip.tracker = ExcursionTracker(spec, self._settings_for(spec), trip.spec, managed=True)
        self._add(trip)
        self._changed(trip, (), opened=True)

    def _close(self, trip: _Trip, price: int, ts: int, reason: ExitReason) -> None:
        trip.closed_ns = ts
        trip.exit_reason = reason
        if trip.account_id is not None:
            del self._open[(trip.account_id, trip.contract_id)]
        tracker = trip.tracker
        events: tuple[ExcursionEvent, ...] = ()
        if tracker is not None:
            kind = {ExitReason.STOP: ExcursionEventKind.STOP_HIT, ExitReason.TARGET: ExcursionEventKind.TARGET_HIT}
            events = tracker.close(price, ts, kind.get(reason, ExcursionEventKind.CLOSED))
            self._book.remove(trip.trade_id)
        else:  # opened and closed within one step: track it from here, already ended
            self._opening = [t for t in self._opening if t is not trip]
            spec = TradeSpec(
                trip.trade_id, trip.contract_id, trip.direction, trip.max_qty, trip.entry_cost // trip.entry_qty,
                None, trip.opened_ns,
            )  # fmt: skip
            trip.tracker = ExcursionTracker(spec, self._settings_for(spec), trip.spec, managed=True)
            events = trip.tracker.close(price, ts, ExcursionEventKind.CLOSED)
        self._changed(trip, events, opened=trip.stored_events == 0 and trip.trade_id not in self._changes)
        del self._by_id[trip.trade_id]

    def _stop_moved(self, account_id: str, order_id: OrderId, stop_price: int, ts: int) -> None:
        for trip in self._open.values():
            if trip.account_id == account_id and trip.stop_order == order_id and trip.tracker is not None:
                events = trip.tracker.move_stop(stop_price, ts)
                self._book.refresh(trip.trade_id)
                self._changed(trip, events)
                return

    # -- excursions -----------------------------------------------------------------------------------------

    def _excursion_events(self, trip: _Trip, events: tuple[ExcursionEvent, ...]) -> None:
        for event in events:
            if (
                event.kind is ExcursionEventKind.BREAK_EVEN_TRIGGERED
                and trip.stop_order is not None
                and event.stop is not None
            ):
                assert trip.account_id is not None
                price = trip.spec.price_from_ticks(event.stop)
                self._commands.append(ModifyOrder(AccountId(trip.account_id), trip.stop_order, stop_price=price))
        tracker = trip.tracker
        if trip.account_id is None and tracker is not None and not tracker.is_open:  # a theoretical signal trade
            trip.closed_ns = tracker.snapshot(False).closed_ns
            trip.exit_reason = ExitReason.TARGET if tracker.status.value == "target_hit" else ExitReason.STOP
            self._theoretical.pop(trip.trade_id, None)
            self._changed(trip, events)
            self._book.remove(trip.trade_id)
            del self._by_id[trip.trade_id]
            return
        self._changed(trip, events)

    # -- internals ------------------------------------------------------------------------------------------

    def _settings_for(self, spec: TradeSpec) -> ExcursionSettings:
        """Break-even needs a stop, and an offset that fits between the stop and the trigger."""
        settings = self.settings
        if not settings.break_even_enabled:
            return settings
        risk = spec.risk_ticks
        if risk is None:
            return replace(settings, break_even_enabled=False)
        trigger = settings.trigger_r * risk
        if not -risk < settings.break_even_offset_ticks < trigger:
            return replace(settings, break_even_enabled=False)
        return settings

    def _add(self, trip: _Trip) -> None:
        assert trip.tracker is not None
        self._by_id[trip.trade_id] = trip
        self._book.add(trip.tracker)

    def _new_id(self, fill: Fill) -> str:
        return f"T-{fill.fill_id}"

    def _changed(self, trip: _Trip, events: Iterable[ExcursionEvent], *, opened: bool = False) -> None:
        if trip.tracker is None:
            return  # still opening: the end of its step announces it
        added = tuple(events)
        previous = self._changes.get(trip.trade_id)
        if previous is not None:
            change = TradeChange(self._snapshot(trip), previous.events + added, opened or previous.opened,
                                 previous.first_seq)  # fmt: skip
        else:
            change = TradeChange(self._snapshot(trip), added, opened, trip.stored_events)
        trip.stored_events += len(added)
        self._changes[trip.trade_id] = change

    def _snapshot(self, trip: _Trip) -> RoundTrip:
        assert trip.tracker is not None
        return RoundTrip(
            trip.trade_id, trip.account_id, trip.contract_id, trip.direction, trip.source, trip.signal_id,
            trip.strategy_id, trip.strategy_version, trip.opened_ns, trip.closed_ns, trip.open_qty, trip.max_qty,
            trip.entry_qty, trip.entry_cost, trip.exit_qty, trip.exit_cost, trip.realised_ticks, trip.gross,
            trip.commissions, trip.initial_stop, trip.target, trip.exit_reason, trip.tracker.snapshot(False),
            open_order=trip.open_order,
        )  # fmt: skip


def _protective_stop(trip: _Trip, orders: Sequence[Order]) -> Order | None:
    """The opening bracket's stop-loss, else the nearest working stop on the exit side."""
    exit_side = OrderSide.SELL if trip.direction is Direction.LONG else OrderSide.BUY
    stops = [o for o in orders if o.side is exit_side and o.order_type in _STOP_TYPES and o.stop_price is not None]
    own = [o for o in stops if o.bracket_id is not None and o.bracket_id == trip.open_order]
    if own:
        return own[0]
    if not stops:
        return None
    sign = trip.direction.sign
    return max(stops, key=lambda o: (o.stop_price or 0) * sign)  # the highest stop of a long, lowest of a short


def _target_of(trip: _Trip, view: ExecutionView, stop_order: Order | None) -> int | None:
    orders = view.open_orders(AccountId(trip.account_id or ""), trip.contract_id)
    for order in orders:
        if order.role is OrderRole.TAKE_PROFIT and order.bracket_id is not None and order.bracket_id == trip.open_order:
            return order.limit_price
    return None


def _exit_reason(order: Order, cause: Cause) -> ExitReason:
    if cause is Cause.RISK:
        return ExitReason.RISK
    if order.tag == ROLL_TAG:  # by its tag: with latency it fills after the roll, on a tick
        return ExitReason.ROLL
    role = order.role
    if role is OrderRole.STOP_LOSS:
        return ExitReason.STOP
    if role is OrderRole.TAKE_PROFIT:
        return ExitReason.TARGET
    if role is OrderRole.CLOSE:
        return ExitReason.CLOSE
    if role is OrderRole.REVERSE:
        return ExitReason.REVERSE
    if cause is Cause.STRATEGY or order.tag.startswith(STRATEGY_TAG):
        return ExitReason.STRATEGY
    if order.order_type in _STOP_TYPES:
        return ExitReason.STOP
    return ExitReason.ORDER
