"""What the kernel asks of the stages it hosts but does not define: trade records and strategies.

Both are synchronous and pure; the kernel calls them in its fixed order and routes what they return. A stage
never executes a command itself: it returns the commands, and the kernel runs them through execution and risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core_server.execution.commands import ExecutionCommand
from core_server.execution.model import AccountId
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import ExecutionStep
from core_server.model.market_data import Candle, Tick
from core_server.signals.trade_record import TradeRecord


class TradeStage(Protocol):
    """Round trips from fills, with their excursions (trades.ledger.TradeLedger)."""

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None:
        """Every engine call's events, in order, with the engine's state right after them."""
        ...

    def on_tick(self, tick: Tick) -> None: ...

    def take_commands(self) -> Sequence[ExecutionCommand]:
        """Commands the trades asked for since the last call (a break-even stop move)."""
        ...

    def take_changes(self) -> Sequence[object]:
        """What changed since the last call, for the store and the bus."""
        ...

    def track_signal(self, record: TradeRecord, account_id: AccountId | None) -> None:
        """A confirmed signal's trade: tracked from the signal's own entry when it is not executed (account None),
        or recognised as the round trip its bracket opens on `account_id`."""
        ...

    def open_accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        """Accounts with an open trade in the contract (locked if this stage fails on its ticks)."""
        ...

    def snapshot(self) -> object:
        """A rollback point: what `restore` puts back if the command that follows cannot be stored."""
        ...

    def restore(self, point: object) -> None: ...


class StrategyStage(Protocol):
    """Active strategies (strategies.host.StrategyHost): market events in, commands and strategy events out."""

    def next_timer_ns(self) -> int:
        """When a scheduled action is next due (a very large number when none is)."""
        ...

    def wants_ticks(self, contract_id: str) -> bool: ...

    def on_candles(self, closed: Sequence[Candle], now_ns: int) -> None: ...

    def on_tick(self, tick: Tick) -> None: ...

    def on_time(self, now_ns: int) -> None: ...

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None: ...

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
        """Accounts of the strategies trading the contract (locked if a strategy fails on its ticks)."""
        ...

    def snapshot(self) -> object:
        """A rollback point: what `restore` puts back if the command that follows cannot be stored."""
        ...

    def restore(self, point: object) -> None: ...
