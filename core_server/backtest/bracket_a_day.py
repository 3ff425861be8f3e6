"""bracket-a-day: the smallest built-in strategy (a kernel.ports.StrategyStage of its own), for benchmarks, sweeps
and tests: one market bracket a day at a fixed Chicago time.

Each weekday at `at` CT it buys (or sells) `quantity` at market with a stop-loss and take-profit `distance_ticks`
away from the entry's fill. It needs no candles and no ticks, only its timer, so it measures the driver and the
kernel rather than a strategy. Rule strategies and the first-hour breakout run through strategies.host.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from core_server.execution.commands import ExecutionCommand, ExitOffset, SubmitBracket
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import ExecutionStep
from core_server.model.clock import ns_from_datetime
from core_server.model.instruments import EXCHANGE_TZ, Contract
from core_server.model.market_data import Candle, Tick, Trade
from core_server.trades.model import TradeChange

NEVER = 1 << 62


class BracketADay:
    def __init__(
        self, account_id: str, contract_id: str, start_ns: int, *, at: time = time(9, 0), distance_ticks: int = 20,
        quantity: int = 1, side: OrderSide = OrderSide.BUY,
    ) -> None:  # fmt: skip
        self.account_id = AccountId(account_id)
        self.contract_id = contract_id
        self.at = at
        self.distance_ticks = distance_ticks
        self.quantity = quantity
        self.side = side
        self._next = self._due_after(start_ns)
        self._commands: list[tuple[str, ExecutionCommand]] = []
        self.placed = 0
        self.stopped = False

    def _due_after(self, ts_ns: int) -> int:
        day = datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=EXCHANGE_TZ).date()
        while True:
            due = ns_from_datetime(datetime.combine(day, self.at, tzinfo=EXCHANGE_TZ))
            if due > ts_ns and day.weekday() < 5:
                return due
            day += timedelta(days=1)

    def next_timer_ns(self) -> int:
        return self._next

    def wants_ticks(self, contract_id: str) -> bool:
        return False

    def on_candles(self, closed: Sequence[Candle], now_ns: int) -> bool:
        return False

    def on_tick(self, tick: Tick) -> bool:
        return False

    def on_time(self, now_ns: int) -> bool:
        if now_ns < self._next or self.stopped:
            return False
        offset = ExitOffset(Decimal(self.distance_ticks))
        bracket = SubmitBracket(self.account_id, self.contract_id, self.side, self.quantity, OrderType.MARKET,
                                offset, offset, tag="strategy:bracket-a-day@1")  # fmt: skip
        self._commands.append(("bracket-a-day", bracket))
        self.placed += 1
        self._next = self._due_after(now_ns)
        return True

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None:
        return None

    def on_trades(self, changes: Sequence[TradeChange], now_ns: int) -> None:
        return None

    marked: frozenset[str] = frozenset()  # no P&L of its own to mark

    def on_mark(self, tick: Trade) -> bool:
        return False

    def stop_all(self, reason: str, now_ns: int) -> None:
        """The emergency stop: no more brackets."""
        self.stopped = True
        self._commands = []

    def roll(self, old: Contract, new: Contract, now_ns: int) -> None:
        """The front month changed: the next brackets go to `new` (kernel.front_roll closed what was in `old`)."""
        if self.contract_id == old.id:
            self.contract_id = new.id

    def take_commands(self) -> Sequence[tuple[str, ExecutionCommand]]:
        commands, self._commands = self._commands, []
        return commands

    def command_result(
        self, strategy_id: str, command: ExecutionCommand, step: ExecutionStep | None, refusal: str
    ) -> None:
        return None

    def take_events(self) -> Sequence[object]:
        return ()

    def accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        return (self.account_id,)

    def snapshot(self) -> object:
        return (self._next, list(self._commands), self.placed, self.stopped, self.contract_id)

    def restore(self, point: object) -> None:
        assert isinstance(point, tuple)
        self._next, self._commands, self.placed, self.stopped = point[0], list(point[1]), point[2], point[3]
        self.contract_id = point[4]
