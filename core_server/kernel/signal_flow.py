"""SignalFlow: the kernel's signal stage, from a submitted alert to its confirmed trade and paper bracket.

Closed candles (and then the opens that give entries) reach the validator at the end of each tick, after the
trades; submissions, approvals and cancellations are commands. A signal that confirms gets its Signal Lab trade
record and, when signal execution is on and no emergency stop is in force, a bracket on the signal account in
the same step: market entry, stop at the signal's pivot stop, take-profit `target_r` R from the fill. Before the
bracket is placed the trade stage is told the signal's trade, so the round trip the bracket opens is that trade.
A refused, denied or rejected bracket is noted on the signal (`order_refused`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from core_server.execution.events import OrderDenied, OrderRejected
from core_server.execution.signal_orders import TAG_PREFIX, bracket_for, leg_text
from core_server.kernel.commands import CommandRunner
from core_server.kernel.market import ContractMarket
from core_server.kernel.output import Cause, KernelOutput, Stage
from core_server.kernel.signal_actions import Outcome, SignalActions
from core_server.model.errors import NotFound, VigilError
from core_server.model.market_data import Candle
from core_server.signals.idempotency import idempotency_key
from core_server.signals.model import (
    BracketLeg,
    Signal,
    SignalAction,
    SignalEventKind,
    SignalInput,
    SignalStatus,
    SignalUpdate,
    SubmitResult,
)
from core_server.signals.trade_record import TradeRecord, trade_for
from core_server.signals.validator import SignalValidator
from core_server.trades.ledger import TradeLedger

if TYPE_CHECKING:
    from core_server.kernel.kernel import SignalExecution


ActionDecider = Callable[[SignalInput, str, int], Outcome]


def _counter() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"T-S{next(numbers)}"


class SignalFlow:
    def __init__(
        self,
        validator: SignalValidator | None,
        execution: SignalExecution | None,
        commands: CommandRunner,
        trades: TradeLedger,
        output: KernelOutput,
        trade_id_factory: Callable[[], str] | None,
    ) -> None:
        self.validator = validator
        self.execution = execution
        self.commands = commands
        self.trades = trades
        self.output = output
        self._new_trade_id = trade_id_factory or _counter()
        self.actions = SignalActions(self._validator, execution, commands, output)
        commands.rejection_listeners.append(self._rejected)

    # -- commands -------------------------------------------------------------------------------------------

    def submit(self, signal_input: SignalInput, *, authenticated: bool, now_ns: int) -> SubmitResult:
        """An alert of any action (signal_actions.py): exits and cancels act at once, an add becomes an entry in
        its position's direction (or is refused), an entry first closes an opposite position."""
        validator = self._validator()
        action = signal_input.action
        if authenticated:
            original = validator.find_by_key(idempotency_key(signal_input))
            if original is not None:
                return SubmitResult(original, True, ())
        actions = self.actions
        if action is SignalAction.EXIT:
            return self._act(signal_input, authenticated, now_ns, actions.exit)
        if action is SignalAction.CANCEL:
            return self._act(signal_input, authenticated, now_ns, actions.cancel)
        if action is SignalAction.ADD:
            resolved = actions.resolve_add(signal_input)
            if isinstance(resolved, str):
                reason = resolved
                return self._act(
                    signal_input,
                    authenticated,
                    now_ns,
                    lambda _input, _id, _now: (SignalStatus.REJECTED, SignalEventKind.REJECTED, reason),
                )
            signal_input = resolved
        closed = ""
        if authenticated and action is SignalAction.ENTRY and actions.account is not None:
            closed = actions.close_opposite(signal_input, now_ns)
        result = validator.submit(signal_input, authenticated=authenticated, now_ns=now_ns)
        if result.duplicate:
            return result
        updates = list(result.updates)
        self._settle(updates, now_ns)
        if closed:
            note = validator.note(result.signal.signal_id, SignalEventKind.POSITION_CLOSED, closed, now_ns)
            self.output.signals.append(note)
            updates.append(note)
        return SubmitResult(validator.get(result.signal.signal_id), False, tuple(updates))

    def _act(self, signal_input: SignalInput, authenticated: bool, now_ns: int, decide: ActionDecider) -> SubmitResult:
        validator = self._validator()
        # The updates of the signals an action cancels go to the output as they happen, before its own.
        result = validator.act(
            signal_input,
            authenticated=authenticated,
            now_ns=now_ns,
            decide=lambda sid: decide(signal_input, sid, now_ns),
        )
        self.output.signals.extend(result.updates)
        return result

    def approve(self, signal_id: str, now_ns: int) -> None:
        self._settle([self._validator().approve(signal_id, now_ns)], now_ns)

    def cancel(self, signal_id: str, reason: str, now_ns: int) -> None:
        self._settle([self._validator().cancel(signal_id, reason, now_ns)], now_ns)

    def restore(self, signals: Sequence[Signal], now_ns: int) -> None:
        """After a restart: the stored live signals resume and catch up on the candles they missed."""
        self._settle(self._validator().restore(signals, now_ns), now_ns)

    def _validator(self) -> SignalValidator:
        if self.validator is None:
            raise NotFound("signal", "signals are not enabled in this kernel")
        return self.validator

    # -- candles --------------------------------------------------------------------------------------------

    def after_tick(self, market: ContractMarket, closed: Sequence[Candle], ts: int) -> None:
        """Called only while signals are pending (the kernel checks, so a quiet tick costs nothing here)."""
        validator = self.validator
        if validator is None:
            return
        try:
            updates: list[SignalUpdate] = []
            for candle in closed:
                updates += validator.on_candle_closed(candle, ts)
            aggregator = market.aggregator
            for timeframe in validator.watched_timeframes(market.id):
                start = aggregator.forming_start(timeframe)
                if start is None or start <= market.opened.get(timeframe, -1):
                    continue
                market.opened[timeframe] = start
                forming = aggregator.forming_for(timeframe)
                if forming is not None:
                    updates += validator.on_candle_opened(market.id, timeframe, start, forming.open, ts)
        except Exception as exc:
            self.commands.isolation.failed(Stage.SIGNALS, ts, market.id, (), exc)
            return
        if updates:
            self._settle(updates, ts)

    def after_time(self, closed: Sequence[Candle], now_ns: int) -> None:
        validator = self.validator
        if validator is None or not validator.pending_count:
            return
        try:
            updates: list[SignalUpdate] = []
            for candle in closed:
                updates += validator.on_candle_closed(candle, now_ns)
        except Exception as exc:
            self.commands.isolation.failed(Stage.SIGNALS, now_ns, "", (), exc)
            return
        if updates:
            self._settle(updates, now_ns)

    # -- confirmed signals ----------------------------------------------------------------------------------

    def _settle(self, updates: Sequence[SignalUpdate], now_ns: int) -> None:
        """Record the updates in order; a confirmation is followed at once by its trade and bracket."""
        for update in updates:
            self.output.signals.append(update)
            if update.event.kind is SignalEventKind.CONFIRMED and update.signal.trade_id is None:
                self._confirmed(update, now_ns)

    def _confirmed(self, update: SignalUpdate, now_ns: int) -> None:
        validator = self._validator()
        signal = update.signal
        trade = trade_for(signal, self._new_trade_id(), now_ns)
        spec = validator.rules(trade.contract_id).spec
        detail = (
            f"trade {trade.trade_id} open: {trade.quantity} {trade.contract_id} {trade.direction.label}"
            f" entry {spec.format_ticks(trade.entry_price)} stop {spec.format_ticks(trade.stop_price)}"
        )
        legs = signal.input
        if legs.stop_loss is not None:
            detail += f"; alert stop-loss {leg_text(legs.stop_loss, spec, trade.entry_price)}"
        if legs.take_profit is not None:
            detail += f"; alert take-profit {leg_text(legs.take_profit, spec, trade.entry_price)}"
        self.output.signals.append(validator.attach_trade(signal.signal_id, trade.trade_id, detail, now_ns))
        self.output.signal_trades.append(trade)
        self.trade_confirmed(trade, now_ns)

    def trade_confirmed(self, trade: TradeRecord, now_ns: int) -> None:
        """A confirmed signal's trade: tracked from its own entry, or executed as a bracket on the signal account
        (never while an emergency stop is in force: the refusal is noted on the signal)."""
        execution = self.execution
        if execution is None or not execution.enabled:
            self.trades.track_signal(trade, None)
            return
        if self.commands.risk.emergency_stopped:
            self._refused(trade.signal_id, "bracket not placed: emergency stop: automatic execution is stopped", now_ns)
            return
        self.trades.track_signal(trade, execution.account_id)
        self._place(trade, now_ns)

    def _place(self, trade: TradeRecord, now_ns: int) -> None:
        execution = self.execution
        assert execution is not None
        try:
            stop_loss, take_profit = self._legs(trade.signal_id)
            command = bracket_for(trade, execution.account_id, execution.target_r, stop_loss, take_profit)
            events = self.commands.execute(command, now_ns, Cause.SIGNAL, trade.signal_id)
        except VigilError as exc:
            self._refused(trade.signal_id, f"bracket not placed: {exc}", now_ns)
            return
        denied = [e for e in events if isinstance(e, OrderDenied)]
        if denied:
            self._refused(trade.signal_id, f"bracket denied: {denied[0].reason}", now_ns)

    def _legs(self, signal_id: str) -> tuple[BracketLeg | None, BracketLeg | None]:
        """The alert's own stop-loss and take-profit, if it gave them (and the signal is still known)."""
        validator = self.validator
        if validator is None:
            return None, None
        try:
            signal_input = validator.get(signal_id).input
        except NotFound:
            return None, None
        return signal_input.stop_loss, signal_input.take_profit

    def _rejected(self, event: OrderRejected, tag: str) -> None:
        if tag.startswith(TAG_PREFIX):
            reason = f"order {event.order_id} rejected: {event.reason}"
            self._refused(tag.removeprefix(TAG_PREFIX), reason, event.ts_event)

    def _refused(self, signal_id: str, reason: str, now_ns: int) -> None:
        validator = self.validator
        if validator is None:
            return
        try:
            self.output.signals.append(validator.note_order_refused(signal_id, reason, now_ns))
        except NotFound:
            return  # settled and forgotten since: the order's own events say what happened
