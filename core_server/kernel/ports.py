"""What the kernel asks of the strategies it hosts (strategies.host.StrategyHost implements it).

Both are synchronous and pure; the kernel calls them in its fixed order and routes what they return. A stage
never executes a command itself: it returns the commands, and the kernel runs them through execution and risk.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Protocol

from core_server.execution.commands import ExecutionCommand
from core_server.execution.model import AccountId
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import ExecutionStep
from core_server.model.instruments import Contract
from core_server.model.market_data import Candle, Tick, Trade
from core_server.trades.model import TradeChange


class StrategyStage(Protocol):
    """Active strategies (strategies.host.StrategyHost): market events in, commands and strategy events out."""

    def next_timer_ns(self) -> int:
        """When a scheduled action is next due (a very large number when none is)."""
        ...

    def wants_ticks(self, contract_id: str) -> bool: ...

    # Each returns whether it left commands or events to collect (take_commands, take_events); False lets the
    # kernel skip collecting on the common tick (None counts as True).

    def on_candles(self, closed: Sequence[Candle], now_ns: int) -> bool | None: ...

    def on_tick(self, tick: Tick) -> bool | None: ...

    def on_time(self, now_ns: int) -> bool | None: ...

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None: ...

    def on_trades(self, changes: Sequence[TradeChange], now_ns: int) -> None:
        """Round trips changed (opened, grown, partly or wholly closed): the strategies' P&L in R follows."""
        ...

    @property
    def marked(self) -> Container[str]:
        """Contracts whose trade prints mark a strategy's open trades (`on_mark`); empty while every one is flat."""
        ...

    def on_mark(self, tick: Trade) -> bool | None:
        """A trade print of a contract in `marked`; whether it left events to collect."""
        ...

    def stop_all(self, reason: str, now_ns: int) -> None:
        """The emergency stop: every active strategy stops (its orders and positions are already gone)."""
        ...

    def roll(self, old: Contract, new: Contract, now_ns: int) -> None:
        """The front month changed (kernel.front_roll; `old`'s orders are cancelled and its positions closing): the
        strategies trading `old` trade `new`, each once it is flat in `old`."""
        ...

    def take_commands(self) -> Sequence[tuple[str, ExecutionCommand]]:
        """(strategy id, command) pairs to run now, in order."""
        ...

    def command_result(
        self, strategy_id: str, command: ExecutionCommand, step: ExecutionStep | None, refusal: str
    ) -> None:
        """What became of a command: its step, or why it was refused (invalid or failing)."""
        ...

    def take_events(self) -> Sequence[object]:
        """Strategy events since the last call, for the store and the bus."""
        ...

    def accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        """Accounts to hold after a call raised: the failing strategies' when known, else those of the strategies
        trading the contract ("": every contract)."""
        ...

    def snapshot(self) -> object:
        """A rollback point: what `restore` puts back if the command that follows cannot be stored."""
        ...

    def restore(self, point: object) -> None: ...
