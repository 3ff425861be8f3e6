"""The front-month roll as the kernel runs it: one instant where `old` stops being traded and `new` is.

A backtest on a continuous symbol (ES, ES1!), and a live server streaming one (live/front_month_roll.py), cross the
roll of SPEC §1 (model.instruments.front_contract, the rule that picks the front month) at the 17:00 CT open of the
roll day's trading day. There, for every account, in this order and at that instant:

1. its open orders in `old` (a strategy's resting entries, brackets' stops and targets, anything scheduled) are
   cancelled: CancelAllOrders with CancelReason.ROLL, Cause.ROLL;
2. its position in `old` is closed by a reduce-only market order tagged `roll` (trades.ledger.ROLL_TAG), Cause.ROLL;
   it fills like any market order (at once on ideal fills, after the fill model's latency otherwise), and the round
   trip it closes ends with exit reason `roll`;
3. the strategies trading `old` move to `new` (StrategyStage.roll): each one at once if it is flat, else as soon as
   the closing fill makes it flat; until then it gets no calls.

A command the execution or risk stage refuses is not retried: the refusal is returned (the backtest lists it with
its scheduled commands' refusals; live logs `contract.roll_refused`) and the position stays in `old`, where the
risk rules still see it. Roll commands are never copied to copy-group followers: each account rolls itself.
"""

from __future__ import annotations

from core_server.execution.commands import CancelAllOrders, ExecutionCommand, SubmitOrder
from core_server.execution.model import CancelReason, OrderSide, OrderType, TimeInForce
from core_server.kernel.commands import CommandRunner
from core_server.kernel.output import Cause
from core_server.kernel.ports import StrategyStage
from core_server.model.errors import VigilError
from core_server.model.instruments import Contract
from core_server.trades.ledger import ROLL_TAG


def roll_front_month(
    commands: CommandRunner, strategies: StrategyStage | None, old: Contract, new: Contract, now_ns: int
) -> list[str]:
    """Run the roll from `old` to `new` at `now_ns`; returns why each refused command was refused."""
    view = commands.execution
    refused: list[str] = []
    for account in view.accounts():
        account_id = account.account_id
        if view.open_orders(account_id, old.id):
            refused.extend(_run(commands, CancelAllOrders(account_id, old.id, CancelReason.ROLL), now_ns))
        net = view.position(account_id, old.id).net_qty
        if net:
            side = OrderSide.SELL if net > 0 else OrderSide.BUY
            close = SubmitOrder(account_id, old.id, side, abs(net), OrderType.MARKET, TimeInForce.GTC, tag=ROLL_TAG,
                                reduce_only=True)  # fmt: skip
            refused.extend(_run(commands, close, now_ns))
    if strategies is not None:
        strategies.roll(old, new, now_ns)
        commands.run_strategy_commands(now_ns)
        events = strategies.take_events()
        if events:
            commands.output.strategies.extend(events)
    commands.settle_trades(now_ns)
    return refused


def _run(commands: CommandRunner, command: ExecutionCommand, now_ns: int) -> list[str]:
    try:
        commands.execute(command, now_ns, Cause.ROLL, "roll")
    except VigilError as exc:
        return [f"roll: {type(command).__name__} refused: {exc}"]
    finally:
        commands.run_strategy_commands(now_ns)  # what the fills asked of a strategy (a limit reached) acts now
    return []
