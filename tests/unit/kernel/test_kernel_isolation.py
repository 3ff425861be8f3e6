"""A stage that raises is isolated: recorded with its traceback, its accounts held, the chain and feed go on."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core_server.execution.commands import ExecutionCommand, SubmitOrder
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.execution.ports import ExecutionView
from core_server.kernel.output import ExecutionStep, Stage
from core_server.model.market_data import Candle, Tick
from core_server.risk.events import RiskEventKind, Rule
from tests.kit.kernel import ACC, ES, MS, T0, KernelRig, q, t


class ExplodingStrategy:
    """Watches ticks of ES and NQ for acc-1 and raises on every tick after the first `calm` ones."""

    def __init__(self, calm: int = 0) -> None:
        self.ticks = 0
        self.calm = calm

    def next_timer_ns(self) -> int:
        return 1 << 62

    def wants_ticks(self, contract_id: str) -> bool:
        return True

    def on_candles(self, closed: Sequence[Candle], now_ns: int) -> None:
        pass

    def on_tick(self, tick: Tick) -> None:
        self.ticks += 1
        if self.ticks > self.calm:
            raise ZeroDivisionError("a bug in the strategy")

    def on_time(self, now_ns: int) -> None:
        pass

    def on_execution(self, step: ExecutionStep, view: ExecutionView) -> None:
        pass

    def on_trades(self, changes: Sequence[object], now_ns: int) -> None:
        pass

    marked: frozenset[str] = frozenset()

    def on_mark(self, tick: Tick) -> bool:
        return False

    def stop_all(self, reason: str, now_ns: int) -> None:
        pass

    def take_commands(self) -> Sequence[tuple[str, ExecutionCommand]]:
        return ()

    def command_result(self, strategy_id: str, command: ExecutionCommand, step: object, refusal: str) -> None:
        pass

    def take_events(self) -> Sequence[object]:
        return ()

    def accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        return (ACC,)

    def snapshot(self) -> object:
        return self.ticks

    def restore(self, point: object) -> None:
        self.ticks = point  # type: ignore[assignment]


def test_failing_strategy_is_recorded_and_its_account_held_while_fills_go_on() -> None:
    rig = KernelRig(strategies=ExplodingStrategy(calm=2))
    rig.ticks(q(0, "6000.00", "6000.25"))
    rig.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("5999.00")), T0 + 1 * MS)
    out = rig.ticks(t(2, "6000.00"), t(3, "5998.75"))  # the second tick raises; the limit still fills on it
    (failure,) = out.failures
    assert failure.stage is Stage.STRATEGIES and failure.accounts == (ACC,)
    assert "ZeroDivisionError" in failure.error and "Traceback" in failure.detail
    assert rig.kernel.execution.position(ACC, ES.id).net_qty == 1  # fills ran on the failing tick
    held = [e for e in out.risk if e.kind is RiskEventKind.LOCKED and e.rule is Rule.STAGE_FAILURE]
    assert len(held) == 1
    events = rig.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * MS)
    assert type(events[0]).__name__ == "OrderDenied"  # no new risk while held
    reducing = rig.run(SubmitOrder(ACC, ES.id, OrderSide.SELL, 1, OrderType.MARKET), T0 + 11 * MS)
    assert type(reducing[0]).__name__ == "OrderAccepted"  # reducing orders still pass
    rig.kernel.apply_risk(rig.kernel.risk.release(ACC, T0 + 12 * MS), T0 + 12 * MS)
    again = rig.run(SubmitOrder(ACC, ES.id, OrderSide.BUY, 1, OrderType.MARKET), T0 + 13 * MS)
    assert type(again[0]).__name__ == "OrderAccepted"
    assert rig.kernel.isolation.counts[Stage.STRATEGIES] >= 1
