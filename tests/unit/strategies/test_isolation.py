"""A strategy that raises is isolated: the feed, the other stages and the other strategies and accounts go on;
its account is held until an operator resumes it; the failure is counted."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core_server.execution.commands import OpenAccount, SubmitOrder
from core_server.execution.events import OrderAccepted, OrderDenied
from core_server.execution.model import AccountId, OrderRole, OrderSide, OrderType
from core_server.kernel.output import Stage
from core_server.model.instruments import Contract
from core_server.risk.events import RiskEventKind, Rule
from core_server.strategies.breakout import FirstHourBreakout
from core_server.strategies.definition import Kind, StrategyDefinition
from core_server.strategies.events import Status
from core_server.strategies.host import make_strategy
from core_server.strategies.runtime import Action, Context, Strategy
from tests.kit.feeds import trade
from tests.kit.strategies import StrategyRig
from tests.kit.time import et

ES = Contract("ES", 2026, 12)
ACC1, ACC2 = AccountId("acc-1"), AccountId("acc-2")


class Buggy(FirstHourBreakout):
    def on_timer(self, ctx: Context) -> Sequence[Action]:
        raise ZeroDivisionError("a bug in the strategy")


def factory(definition: StrategyDefinition) -> Strategy:
    if definition.name == "buggy":
        return Buggy(definition)
    return make_strategy(definition)


def breakout(name: str, account: str) -> str:
    return f'name = "{name}"\nkind = "first_hour_breakout"\naccount = "{account}"\ninstrument = "ES"\nenabled = true\n'


def test_a_failing_strategy_holds_only_its_account() -> None:
    t0 = et(2026, 11, 18, 9, 0)
    rig = StrategyRig([ES], t0=t0, factory=factory)
    rig.run(OpenAccount(ACC2, Decimal(50_000)), t0)
    rig.load(breakout("buggy", "acc-1"), t0)
    rig.load(breakout("good", "acc-2"), t0)
    assert {rt.status for rt in rig.host.runtimes.values()} == {Status.ACTIVE}
    # 09:30: both timers are due on this tick; the buggy one raises.
    out = rig.ticks(trade(ES, et(2026, 11, 18, 9, 30), "6000.00"))
    (failure,) = out.failures
    assert failure.stage is Stage.STRATEGIES and failure.accounts == (ACC1,)
    assert "ZeroDivisionError" in failure.error
    held = [e for e in out.risk if e.kind is RiskEventKind.LOCKED and e.rule is Rule.STAGE_FAILURE]
    assert [e.account_id for e in held] == [ACC1]
    assert out.ticks and out.candles == []  # the tick went through the chain
    assert rig.kernel.isolation.counts[Stage.STRATEGIES] == 1
    buggy = rig.host.get("buggy")
    assert rig.host.get("good").status is Status.ACTIVE
    assert buggy.status is Status.FAILED and buggy.errors == 1 and "ZeroDivisionError" in buggy.last_error
    assert rig.host.failures == 1
    assert [e.kind for e in rig.events() if e.strategy_id == "buggy"][-1] == "failed"
    # The good strategy collected its range on the same tick and the next ones, and trades at 10:30.
    rig.ticks(trade(ES, et(2026, 11, 18, 9, 31), "6002.00"), trade(ES, et(2026, 11, 18, 10, 1), "5999.00"))
    rig.advance(et(2026, 11, 18, 10, 30))
    entries = [e.order for e in rig.accepted() if e.order.role is OrderRole.BRACKET_ENTRY]
    assert len(entries) == 10 and {o.account_id for o in entries} == {ACC2}
    assert rig.events("placed")[0].message.startswith("first hour high 6002.00 low 5999.00")
    # acc-1 takes no new risk; acc-2 does.
    denied = rig.run(SubmitOrder(ACC1, ES.id, OrderSide.BUY, 1, OrderType.MARKET), et(2026, 11, 18, 10, 31))
    assert type(denied[0]) is OrderDenied
    accepted = rig.run(SubmitOrder(ACC2, ES.id, OrderSide.BUY, 1, OrderType.MARKET), et(2026, 11, 18, 10, 31))
    assert type(accepted[0]) is OrderAccepted
    # The failed strategy is not called again (no second failure on later timers).
    rig.advance(et(2026, 11, 19, 9, 30))
    assert rig.kernel.isolation.counts[Stage.STRATEGIES] == 1
    assert rig.host.get("buggy").strategy.definition.kind is Kind.FIRST_HOUR_BREAKOUT
