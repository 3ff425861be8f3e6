"""Test kit: a bare kernel with a StrategyHost, driven by scripted ticks and time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core_server.calendar.session_table import load_trading_calendar
from core_server.execution.events import OrderAccepted, OrderCancelled, OrderFilled
from core_server.model.instruments import Contract
from core_server.strategies.definition import StrategyDefinition
from core_server.strategies.events import StrategyEvent, StrategyRecord
from core_server.strategies.host import StrategyHost, make_strategy
from core_server.strategies.parse import parse_text
from core_server.strategies.runtime import Strategy
from tests.kit.kernel import KernelRig

CALENDAR = load_trading_calendar()


class StrategyRig(KernelRig):
    def __init__(
        self,
        contracts: Sequence[Contract],
        *,
        t0: int,
        factory: Callable[[StrategyDefinition], Strategy] = make_strategy,
        **settings: Any,
    ) -> None:
        self.host = StrategyHost(CALENDAR, contracts, factory=factory)
        super().__init__(contracts, strategies=self.host, t0=t0, **settings)
        self.host.bind(self.kernel.execution, self.kernel.market)
        self.t0 = t0

    def load(self, text: str, at: int) -> None:
        definition = parse_text(text)
        self.host.load(definition, text, "toml", at)
        self.kernel.commands.run_strategy_commands(at)
        self._drain()

    def command(self, name: str, strategy_id: str, at: int) -> None:
        getattr(self.host, name)(strategy_id, at)
        self.kernel.commands.run_strategy_commands(at)
        self._drain()

    def events(self, kind: str | None = None) -> list[StrategyEvent]:
        found = [e for out in self.outputs for e in out.strategies if isinstance(e, StrategyEvent)]
        return [e for e in found if kind is None or e.kind == kind]

    def records(self) -> list[StrategyRecord]:
        return [e for out in self.outputs for e in out.strategies if isinstance(e, StrategyRecord)]

    def accepted(self) -> list[OrderAccepted]:
        return [e for out in self.outputs for s in out.execution for e in s.events if isinstance(e, OrderAccepted)]

    def fills(self) -> list[OrderFilled]:
        return [e for out in self.outputs for s in out.execution for e in s.events if isinstance(e, OrderFilled)]

    def cancelled(self) -> list[OrderCancelled]:
        return [e for out in self.outputs for s in out.execution for e in s.events if isinstance(e, OrderCancelled)]
