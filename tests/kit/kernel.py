"""Test kit: a TradingKernel built exactly as the server builds it, with readable prices and fixed latency."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from core_server.excursions.settings import ExcursionSettings
from core_server.execution.accounts import CommissionSchedule
from core_server.execution.commands import ExecutionCommand, OpenAccount
from core_server.execution.events import ExecutionEvent
from core_server.execution.fill_model import FillSettings
from core_server.execution.model import AccountId
from core_server.kernel.assembly import KernelSettings, build_kernel
from core_server.kernel.kernel import TradingKernel
from core_server.kernel.output import KernelOutput
from core_server.kernel.ports import StrategyStage
from core_server.model.clock import NS_PER_MS
from core_server.model.instruments import Contract
from core_server.model.market_data import Tick
from core_server.trades.model import RoundTrip, TradeChange
from tests.kit.feeds import quote, trade
from tests.kit.time import ct

ES = Contract("ES", 2026, 12)
NQ = Contract("NQ", 2026, 12)
ACC = AccountId("acc-1")
T0 = ct(2026, 11, 18, 9, 0)  # Wednesday 09:00 CT, regular session
MS = NS_PER_MS


class KernelRig:
    """A kernel with one $50,000 account; every call returns what the kernel produced (drained)."""

    def __init__(
        self,
        contracts: Sequence[Contract] = (ES,),
        *,
        latency_ms: int = 0,
        slippage_ticks: int = 0,
        break_even: bool = False,
        strategies: StrategyStage | None = None,
        t0: int = T0,
        **settings: Any,
    ) -> None:
        fill = FillSettings(
            seed=1, latency_min_ns=latency_ms * MS, latency_max_ns=latency_ms * MS, max_slippage_ticks=slippage_ticks
        )
        defaults: dict[str, Any] = {
            "fill": fill,
            "commissions": CommissionSchedule(default=Decimal("2.50")),
            "excursions": ExcursionSettings(break_even_enabled=break_even),
        }
        defaults.update(settings)
        self.kernel: TradingKernel = build_kernel(
            KernelSettings(**defaults), contracts, complete_from_ns=t0, strategies=strategies
        )
        self.kernel.execute(OpenAccount(ACC, Decimal(50_000)), t0)
        self.outputs: list[KernelOutput] = [self.kernel.take_output()]

    def ticks(self, *ticks: Tick) -> KernelOutput:
        for tick in ticks:
            self.kernel.on_tick(tick)
        return self._drain()

    def run(self, command: ExecutionCommand, at: int) -> tuple[ExecutionEvent, ...]:
        events = self.kernel.execute(command, at)
        self._drain()
        return events

    def advance(self, at: int) -> KernelOutput:
        self.kernel.advance_to(at)
        return self._drain()

    def _drain(self) -> KernelOutput:
        out = self.kernel.take_output()
        self.outputs.append(out)
        return out

    def changes(self) -> list[TradeChange]:
        return [c for out in self.outputs for c in out.trades]  # type: ignore[misc]

    def trips(self) -> dict[str, RoundTrip]:
        """Every round trip as it last stood, by trade id."""
        return {c.trip.trade_id: c.trip for c in self.changes()}


def q(at_ms: int, bid: str, ask: str, contract: Contract = ES, size: int = 10) -> Tick:
    return quote(contract, T0 + at_ms * MS, bid, ask, size, size)


def t(at_ms: int, price: str, contract: Contract = ES, size: int = 1) -> Tick:
    return trade(contract, T0 + at_ms * MS, price, size)
