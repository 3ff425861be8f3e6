"""SignalActions: what the kernel does for alerts that close, cancel, add or reverse (TradersPost semantics).

The strategy's position is the signal account's position in the contract (the account confirmed signals
trade on, VIGIL_SIGNAL_ACCOUNT), its working orders that account's orders in the contract that could open or
add (reduce-only exits protecting a position stay), and its pending signals the live signals of the same
strategy and contract. Each action is one kernel command, so it runs identically live and in a backtest, and
each is recorded in the Signal Lab with how it ended:

    exit / close (and buy/sell with sentiment flat, or against the sentiment: a partial cover)
        whole position: cancel the strategy's pending signals in the contract, then ClosePosition (cancels the
        contract's orders on the account, then a market order for the net quantity); never reverses. An exit
        with a side (buy/sell + flat) only closes the position that side closes (a buy closes a short); against
        a position on its own side it is a NO_OP with the reason.
        with a quantity below the position: one reduce-only market order for that many.
        flat: NO_OP with the reason (not an error).
    cancel
        cancel the strategy's pending signals and the account's opening orders in the contract; NO_OP when
        there is nothing to cancel.
    add
        refused (REJECTED with the reason) when flat or when its side is against the position; otherwise an
        entry in the position's direction, checked and confirmed like any entry.
    entry against an open opposite position (stop-and-reverse)
        the opposite position is closed first (and the strategy's pending opposite signals cancelled), then the
        entry goes through its checks as usual; the close is noted on the entry's record (position_closed).

Exits and cancels pass the pre-trade risk check by construction (reduce-only orders and cancellations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from core_server.execution.commands import CancelOrder, ClosePosition, ExecutionCommand, SubmitOrder
from core_server.execution.events import OrderDenied
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.execution.signal_orders import TAG_PREFIX
from core_server.kernel.commands import CommandRunner
from core_server.kernel.output import Cause, KernelOutput
from core_server.model.errors import VigilError
from core_server.signals.idempotency import idempotency_key
from core_server.signals.model import (
    SignalDirection,
    SignalEventKind,
    SignalInput,
    SignalStatus,
)
from core_server.signals.validator import SignalValidator

if TYPE_CHECKING:
    from core_server.kernel.kernel import SignalExecution

Outcome = tuple[SignalStatus, SignalEventKind, str]


def _side(net_qty: int) -> str:
    return "long" if net_qty > 0 else "short"


class SignalActions:
    def __init__(
        self,
        validator: Callable[[], SignalValidator],
        execution: SignalExecution | None,
        commands: CommandRunner,
        output: KernelOutput,
    ) -> None:
        self._validator = validator
        self.execution = execution
        self.commands = commands
        self.output = output

    @property
    def account(self) -> AccountId | None:
        execution = self.execution
        return execution.account_id if execution is not None and execution.enabled else None

    def _net(self, contract_id: str) -> int:
        account = self.account
        return 0 if account is None else self.commands.execution.position(account, contract_id).net_qty

    # -- exit and cancel ------------------------------------------------------------------------------------

    def exit(self, signal_input: SignalInput, signal_id: str, now_ns: int) -> Outcome:
        contract = signal_input.contract_id
        account = self.account
        whole = signal_input.quantity == 0
        cancelled = self._cancel_signals(signal_input, signal_id, now_ns) if whole else []
        also = f"; cancelled pending signal(s) {', '.join(cancelled)}" if cancelled else ""
        if account is None:
            detail = "signal execution is off (VIGIL_SIGNAL_EXECUTION): no account to close a position on"
            return self._nothing_unless(cancelled, detail + also)
        net = self._net(contract)
        if net == 0:
            return self._nothing_unless(cancelled, f"no position in {contract} on account {account}{also}")
        held = abs(net)
        direction = signal_input.direction
        if direction is not SignalDirection.NONE and (net > 0) == (direction is SignalDirection.BULLISH):
            word = "buy" if direction is SignalDirection.BULLISH else "sell"
            detail = f"a {word} exit closes a {'short' if word == 'buy' else 'long'}; the position in {contract} is"
            return self._nothing_unless(cancelled, f"{detail} {_side(net)} {held}: left as it is{also}")
        command: ExecutionCommand
        if whole or signal_input.quantity >= held:
            command = ClosePosition(account, contract)
            what = f"closed {_side(net)} {held} {contract} on account {account} at market"
        else:
            side = OrderSide.SELL if net > 0 else OrderSide.BUY
            command = SubmitOrder(
                account, contract, side, signal_input.quantity, OrderType.MARKET,
                tag=TAG_PREFIX + signal_id, reduce_only=True,
            )  # fmt: skip
            what = f"reduced {_side(net)} {held} {contract} by {signal_input.quantity} on account {account} at market"
        refused = self._run(command, signal_id, now_ns)
        if refused:
            return SignalStatus.REJECTED, SignalEventKind.REJECTED, f"exit refused: {refused}{also}"
        return SignalStatus.EXECUTED, SignalEventKind.EXECUTED, what + also

    def cancel(self, signal_input: SignalInput, signal_id: str, now_ns: int) -> Outcome:
        contract = signal_input.contract_id
        cancelled = self._cancel_signals(signal_input, signal_id, now_ns)
        orders: list[str] = []
        account = self.account
        if account is not None:
            view = self.commands.execution
            for order in view.open_orders(account, contract):
                if order.reduce_only or not view.order(order.order_id).is_open:  # exits protecting a position stay
                    continue
                if not self._run(CancelOrder(account, order.order_id), signal_id, now_ns):
                    orders.append(order.order_id)
        parts = []
        if orders:
            parts.append(f"cancelled order(s) {', '.join(orders)} on account {account}")
        if cancelled:
            parts.append(f"cancelled pending signal(s) {', '.join(cancelled)}")
        if not parts:
            who = f"strategy {signal_input.strategy!r}" if signal_input.strategy else "the unnamed strategy"
            return (
                SignalStatus.NO_OP,
                SignalEventKind.NO_OP,
                f"no working orders or pending signals of {who} in {contract}",
            )
        return SignalStatus.EXECUTED, SignalEventKind.EXECUTED, "; ".join(parts)

    # -- add and reverse ------------------------------------------------------------------------------------

    def resolve_add(self, signal_input: SignalInput) -> SignalInput | str:
        """The add as an entry in its position's direction, or why it is refused."""
        contract = signal_input.contract_id
        account = self.account
        if account is None:
            return "add refused: signal execution is off (VIGIL_SIGNAL_EXECUTION): there is no position to add to"
        net = self._net(contract)
        if net == 0:
            return f"add refused: no position in {contract} on account {account} (add only adds to an open position)"
        direction = SignalDirection.BULLISH if net > 0 else SignalDirection.BEARISH
        if signal_input.direction not in (SignalDirection.NONE, direction):
            return (
                f"add refused: the alert is {signal_input.direction.label} but the position in {contract} is"
                f" {_side(net)} {abs(net)}"
            )
        return replace(signal_input, direction=direction, idempotency_key=idempotency_key(signal_input))

    def close_opposite(self, signal_input: SignalInput, now_ns: int) -> str:
        """Before an entry: close the opposite position (and cancel the strategy's opposite pending signals).
        Returns what was done ("" when there was no opposite position)."""
        net = self._net(signal_input.contract_id)
        bullish = signal_input.direction is SignalDirection.BULLISH
        if net == 0 or (net > 0) == bullish:
            return ""
        account = self.account
        assert account is not None
        validator = self._validator()
        for signal_id in validator.live_of(signal_input.strategy, signal_input.contract_id):
            if validator.get(signal_id).direction is not signal_input.direction:
                self.output.signals.append(validator.cancel(signal_id, "the strategy reversed", now_ns))
        contract = signal_input.contract_id
        refused = self._run(ClosePosition(account, contract), "", now_ns)
        if refused:
            return f"closing the opposite {_side(net)} {abs(net)} {contract} was refused: {refused}"
        return (
            f"closed the opposite {_side(net)} {abs(net)} {contract} on account {account} at market before the"
            f" {signal_input.direction.label} entry"
        )

    # -- internals ------------------------------------------------------------------------------------------

    def _cancel_signals(self, signal_input: SignalInput, signal_id: str, now_ns: int) -> list[str]:
        validator = self._validator()
        ids = validator.live_of(signal_input.strategy, signal_input.contract_id)
        reason = f"{signal_input.action.label} alert {signal_id}"
        self.output.signals.extend(validator.cancel(sid, reason, now_ns) for sid in ids)
        return ids

    def _run(self, command: ExecutionCommand, actor: str, now_ns: int) -> str:
        """Run one command; "" when it went through, else why it was refused or denied."""
        try:
            events = self.commands.execute(command, now_ns, Cause.SIGNAL, actor)
        except VigilError as exc:
            return str(exc)
        denied: Sequence[OrderDenied] = [e for e in events if isinstance(e, OrderDenied)]
        return f"denied: {denied[0].reason}" if denied else ""

    @staticmethod
    def _nothing_unless(cancelled: list[str], detail: str) -> Outcome:
        status = SignalStatus.EXECUTED if cancelled else SignalStatus.NO_OP
        return status, SignalEventKind(status.label), detail
