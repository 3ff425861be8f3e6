"""Copy groups in the kernel: one source command fans out to every follower, each sized and risk-checked on its
own; a refusal is that follower's alone; exits, modifications and cancels of the source follow.

Hand-computed sizes (NQ and MNQ tick 0.25; NQ $5 a tick, MNQ $0.50):
- bracket: buy 1 NQ at market 20000.00, stop 19990.00 -> 40 ticks of risk
- x2 (NQ): 1 x 2 = 2 NQ
- x1 micros: 1 x 10 x 1 = 10 MNQ
- risk $500 micros: 500 / (40 x 0.50) = 25 MNQ
- risk $500 minis: 500 / (40 x 5) = 2.5 -> 2 NQ
- fixed 3, held by risk: denied; the others placed all the same
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from core_server.copying.model import (
    CopyAction,
    CopyGroup,
    CopyStatus,
    Follower,
    Sizing,
    SizingKind,
    SourceKind,
)
from core_server.execution.commands import (
    CancelOrder,
    ClosePosition,
    ModifyOrder,
    OpenAccount,
    SubmitBracket,
    SubmitOrder,
)
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.kernel.kernel import SignalExecution
from core_server.kernel.output import Cause, KernelOutput
from core_server.model.instruments import Contract
from core_server.signals.model import SignalAction, SignalDirection, SignalInput
from core_server.signals.trade_record import TradeRecord
from tests.kit.kernel import NQ, T0, KernelRig, q, t

MNQ = Contract("MNQ", 2026, 12)
NQ_ID, MNQ_ID = NQ.id, MNQ.id
LEAD = AccountId("lead")
X2, MICRO, RISK_MICRO = AccountId("f-x2"), AccountId("f-micro"), AccountId("f-risk")
RISK_MINI, LOCKED = AccountId("f-risk-mini"), AccountId("f-lock")


def follower(account: AccountId, kind: SizingKind, value: str, micros: bool = False) -> Follower:
    if kind is SizingKind.FIXED:
        return Follower(account, Sizing(kind, quantity=int(value)), micros)
    if kind is SizingKind.MULTIPLIER:
        return Follower(account, Sizing(kind, multiplier=Decimal(value)), micros)
    return Follower(account, Sizing(kind, risk_dollars=Decimal(value)), micros)


FOLLOWERS = (
    follower(X2, SizingKind.MULTIPLIER, "2"),
    follower(MICRO, SizingKind.MULTIPLIER, "1", micros=True),
    follower(RISK_MICRO, SizingKind.RISK, "500", micros=True),
    follower(LOCKED, SizingKind.FIXED, "3"),
    follower(RISK_MINI, SizingKind.RISK, "500"),
)


def rig(source: SourceKind = SourceKind.ACCOUNT, name: str = "lead") -> KernelRig:
    kernel = KernelRig((NQ, MNQ), signal_execution=SignalExecution(True, LEAD, Decimal(2)))
    k = kernel.kernel
    for account in (LEAD, X2, MICRO, RISK_MICRO, LOCKED, RISK_MINI):
        k.execute(OpenAccount(account, Decimal(100_000)), T0)
    k.apply_risk(k.risk.hold(LOCKED, "locked for the test", T0), T0)
    k.copying.put(CopyGroup("G1", "five evals", source, name, FOLLOWERS, created_ns=T0, updated_ns=T0))
    kernel.ticks(
        q(0, "19999.75", "20000.00", NQ), t(1, "20000.00", NQ), q(2, "19999.75", "20000.00", MNQ), t(3, "20000.00", MNQ)
    )
    k.take_output()
    return kernel


def net(kernel: KernelRig, account: AccountId, contract: str) -> int:
    return kernel.kernel.execution.position(account, contract).net_qty


def outcomes(out: KernelOutput) -> dict[str, tuple[CopyAction, CopyStatus, str, int]]:
    return {o.account_id: (o.action, o.status, o.contract_id, o.quantity) for o in out.copies}


def test_a_leader_bracket_fans_out_sized_per_follower_and_a_refusal_blocks_no_one() -> None:
    kernel = rig()
    k = kernel.kernel
    bracket = SubmitBracket(
        LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET, stop_loss=Decimal("19990.00"), take_profit=Decimal("20020.00")
    )
    k.execute(bracket, T0 + 10 * 1_000_000)
    out = k.take_output()

    assert outcomes(out) == {
        X2: (CopyAction.ENTRY, CopyStatus.PLACED, NQ_ID, 2),
        MICRO: (CopyAction.ENTRY, CopyStatus.PLACED, MNQ_ID, 10),
        RISK_MICRO: (CopyAction.ENTRY, CopyStatus.PLACED, MNQ_ID, 25),
        LOCKED: (CopyAction.ENTRY, CopyStatus.DENIED, NQ_ID, 3),
        RISK_MINI: (CopyAction.ENTRY, CopyStatus.PLACED, NQ_ID, 2),
    }
    assert [o.account_id for o in out.copies] == [X2, MICRO, RISK_MICRO, LOCKED, RISK_MINI]  # in group order
    assert all(o.source_ref == "account:lead" and len(o.source_order_ids) == 3 for o in out.copies)
    assert (net(kernel, LEAD, NQ_ID), net(kernel, X2, NQ_ID), net(kernel, RISK_MINI, NQ_ID)) == (1, 2, 2)
    assert (net(kernel, MICRO, MNQ_ID), net(kernel, RISK_MICRO, MNQ_ID), net(kernel, LOCKED, NQ_ID)) == (10, 25, 0)
    by = {o.account_id: o for o in out.copies}
    assert "500 / (40 ticks x $0.5) = 25" in by[RISK_MICRO].detail
    assert "locked for the test" in by[LOCKED].detail
    copies = [s for s in out.execution if s.cause is Cause.COPY]
    assert {s.actor for s in copies} == {"G1"}
    # every copy carries its own bracket: the stop and target rest on the follower's account
    assert len(k.execution.open_orders(RISK_MICRO, MNQ_ID)) == 2

    # the leader closes: every follower holding the position closes; the locked one holds nothing
    k.execute(ClosePosition(LEAD, NQ_ID), T0 + 20 * 1_000_000)
    out = k.take_output()
    assert outcomes(out) == {
        X2: (CopyAction.EXIT, CopyStatus.PLACED, NQ_ID, 2),
        MICRO: (CopyAction.EXIT, CopyStatus.PLACED, MNQ_ID, 10),
        RISK_MICRO: (CopyAction.EXIT, CopyStatus.PLACED, MNQ_ID, 25),
        RISK_MINI: (CopyAction.EXIT, CopyStatus.PLACED, NQ_ID, 2),
    }
    for account, contract in ((LEAD, NQ_ID), (X2, NQ_ID), (MICRO, MNQ_ID), (RISK_MICRO, MNQ_ID), (RISK_MINI, NQ_ID)):
        assert net(kernel, account, contract) == 0
        assert k.execution.open_orders(account, contract) == ()


def test_modifications_and_cancels_of_a_source_order_follow_to_the_linked_orders() -> None:
    kernel = rig()
    k = kernel.kernel
    limit = SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 2, OrderType.LIMIT, limit_price=Decimal("19950.00"))
    events = k.execute(limit, T0 + 10 * 1_000_000)
    source_id = next(e.order.order_id for e in events if hasattr(e, "order"))
    out = k.take_output()
    # a plain order has no stop: risk sizing refuses, the others are placed
    assert outcomes(out)[RISK_MICRO][1] is CopyStatus.REFUSED
    assert "needs a stop" in next(o.detail for o in out.copies if o.account_id == RISK_MICRO)
    assert outcomes(out)[X2] == (CopyAction.ENTRY, CopyStatus.PLACED, NQ_ID, 4)
    assert outcomes(out)[MICRO] == (CopyAction.ENTRY, CopyStatus.PLACED, MNQ_ID, 20)

    k.execute(ModifyOrder(LEAD, source_id, quantity=1, limit_price=Decimal("19960.00")), T0 + 11 * 1_000_000)
    out = k.take_output()
    assert {o.account_id: (o.action, o.status, o.quantity) for o in out.copies} == {
        X2: (CopyAction.MODIFY, CopyStatus.PLACED, 2),  # 4 x 1 / 2
        MICRO: (CopyAction.MODIFY, CopyStatus.PLACED, 10),  # 20 x 1 / 2
    }
    (x2_order,) = k.execution.open_orders(X2, NQ_ID)
    assert (x2_order.quantity, x2_order.limit_price) == (2, NQ.spec.ticks_from_price(Decimal("19960.00")))

    k.execute(CancelOrder(LEAD, source_id), T0 + 12 * 1_000_000)
    out = k.take_output()
    assert {o.account_id: (o.action, o.status) for o in out.copies} == {
        X2: (CopyAction.CANCEL, CopyStatus.PLACED),
        MICRO: (CopyAction.CANCEL, CopyStatus.PLACED),
    }
    assert k.execution.open_orders(X2) == () and k.execution.open_orders(MICRO) == ()


def test_a_paused_group_copies_nothing_and_resumes() -> None:
    kernel = rig()
    k = kernel.kernel
    group = k.copying.get("G1")
    k.copying.put(replace(group, paused=True))
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * 1_000_000)
    out = k.take_output()
    assert out.copies == [] and net(kernel, X2, NQ_ID) == 0
    assert [c.group.paused for c in out.copy_groups] == [True]

    k.copying.put(group)
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 11 * 1_000_000)
    assert net(kernel, X2, NQ_ID) == 2


def test_a_webhook_strategy_source_copies_the_signal_orders_and_its_exit() -> None:
    kernel = rig(SourceKind.WEBHOOK, "orb")
    k = kernel.kernel
    # the signal account (LEAD) holds a long from the strategy's entry: copied as its source
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * 1_000_000, cause=Cause.API)
    assert k.take_output().copies == []  # a manual order is not the webhook strategy
    alert = SignalInput(
        contract_id=NQ_ID, direction=SignalDirection.NONE, signal_price=0, signal_time_ns=T0, strategy="orb",
        quantity=0, source="webhook", idempotency_key="x1", action=SignalAction.EXIT,
    )  # fmt: skip
    # followers hold positions of their own (a previous copy): the exit follows to them
    k.execute(SubmitOrder(X2, NQ_ID, OrderSide.BUY, 2, OrderType.MARKET), T0 + 11 * 1_000_000)
    k.execute(SubmitOrder(MICRO, MNQ_ID, OrderSide.BUY, 10, OrderType.MARKET), T0 + 11 * 1_000_000)
    k.take_output()
    result = k.submit_signal(alert, authenticated=True, now_ns=T0 + 12 * 1_000_000)
    out = k.take_output()
    assert {o.account_id: (o.action, o.status, o.quantity) for o in out.copies} == {
        X2: (CopyAction.EXIT, CopyStatus.PLACED, 2),
        MICRO: (CopyAction.EXIT, CopyStatus.PLACED, 10),
    }
    assert {o.source_ref for o in out.copies} == {f"signal:{result.signal.signal_id}"}
    assert net(kernel, X2, NQ_ID) == 0 and net(kernel, MICRO, MNQ_ID) == 0
    # the Signal Lab: the exit's own events, then what its copies became
    assert [u.event.kind.value for u in out.signals] == ["received", "executed", "copied"]
    assert out.signals[-1].event.detail == (
        "copy group five evals: f-x2 exit placed 2 NQZ2026, f-micro exit placed 10 MNQZ2026"
    )


def test_the_source_stopped_out_by_the_market_closes_the_followers_still_holding() -> None:
    kernel = rig()
    k = kernel.kernel
    bracket = SubmitBracket(
        LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET, stop_loss=Decimal("19990.00"), take_profit=Decimal("20020.00")
    )
    k.execute(bracket, T0 + 10 * 1_000_000)
    k.take_output()
    # NQ falls through the stop; MNQ has not printed there yet: the NQ followers' own stops fill on the same tick,
    # the micro followers are closed because their source is flat
    out = kernel.ticks(q(20, "19989.75", "19990.00", NQ), t(21, "19989.75", NQ))
    assert net(kernel, LEAD, NQ_ID) == 0
    assert {o.account_id: (o.action, o.status, o.contract_id, o.quantity) for o in out.copies} == {
        MICRO: (CopyAction.EXIT, CopyStatus.PLACED, MNQ_ID, 10),
        RISK_MICRO: (CopyAction.EXIT, CopyStatus.PLACED, MNQ_ID, 25),
    }
    assert {o.source_ref for o in out.copies} == {"account:lead"}
    for account, contract in ((X2, NQ_ID), (RISK_MINI, NQ_ID), (MICRO, MNQ_ID), (RISK_MICRO, MNQ_ID)):
        assert net(kernel, account, contract) == 0
        assert k.execution.open_orders(account, contract) == ()


class OneOrderStrategy:
    """A StrategyStage whose one strategy `s1` buys 1 NQ on the leader account at its first timer."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, object]] = []
        self.fired = False

    def next_timer_ns(self) -> int:
        return T0 + 50 * 1_000_000 if not self.fired else 2**62

    def wants_ticks(self, contract_id: str) -> bool:
        return False

    def on_candles(self, closed: object, now_ns: int) -> None:
        return None

    def on_tick(self, tick: object) -> None:
        return None

    def on_time(self, now_ns: int) -> None:
        self.fired = True
        self.pending.append(("s1", SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET)))

    def on_execution(self, step: object, view: object) -> None:
        return None

    def on_trades(self, changes: object, now_ns: int) -> None:
        return None

    marked: frozenset[str] = frozenset()

    def on_mark(self, tick: object) -> bool:
        return False

    def take_commands(self) -> list[tuple[str, object]]:
        taken, self.pending = self.pending, []
        return taken

    def command_result(self, strategy_id: str, command: object, step: object, refusal: str) -> None:
        return None

    def take_events(self) -> list[object]:
        return []

    def accounts(self, contract_id: str) -> tuple[AccountId, ...]:
        return ()

    def snapshot(self) -> object:
        return None

    def restore(self, point: object) -> None:
        return None


def test_a_vigil_strategy_source_copies_the_strategy_commands_only() -> None:
    kernel = KernelRig((NQ, MNQ), strategies=OneOrderStrategy())  # type: ignore[arg-type]
    k = kernel.kernel
    for account in (LEAD, X2, MICRO):
        k.execute(OpenAccount(account, Decimal(100_000)), T0)
    k.copying.put(CopyGroup("G2", "strategy copy", SourceKind.STRATEGY, "s1", FOLLOWERS[:2]))
    kernel.ticks(q(0, "19999.75", "20000.00", NQ), q(1, "19999.75", "20000.00", MNQ))
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * 1_000_000)
    assert k.take_output().copies == []  # a manual order on the strategy's account is not the strategy
    out = kernel.advance(T0 + 60 * 1_000_000)
    assert {o.account_id: (o.status, o.contract_id, o.quantity) for o in out.copies} == {
        X2: (CopyStatus.PLACED, NQ_ID, 2),
        MICRO: (CopyStatus.PLACED, MNQ_ID, 10),
    }
    assert {o.source_ref for o in out.copies} == {"strategy:s1"}


def test_a_protective_stop_of_the_source_is_copied_as_an_exit_and_follows_its_changes() -> None:
    kernel = rig()
    k = kernel.kernel
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * 1_000_000)
    k.take_output()
    assert (net(kernel, X2, NQ_ID), net(kernel, MICRO, MNQ_ID)) == (2, 10)  # the risk-sized ones had no stop
    stop = SubmitOrder(LEAD, NQ_ID, OrderSide.SELL, 1, OrderType.STOP, stop_price=Decimal("19980.00"))
    events = k.execute(stop, T0 + 11 * 1_000_000)
    source_id = next(e.order.order_id for e in events if hasattr(e, "order"))
    out = k.take_output()
    assert {o.account_id: (o.action, o.status, o.contract_id, o.quantity) for o in out.copies} == {
        X2: (CopyAction.EXIT, CopyStatus.PLACED, NQ_ID, 2),  # 2 x 1 / 1
        MICRO: (CopyAction.EXIT, CopyStatus.PLACED, MNQ_ID, 10),
    }
    k.execute(ModifyOrder(LEAD, source_id, stop_price=Decimal("19985.00")), T0 + 12 * 1_000_000)
    k.take_output()
    (x2_stop,) = k.execution.open_orders(X2, NQ_ID)
    (micro_stop,) = k.execution.open_orders(MICRO, MNQ_ID)
    tick = NQ.spec.ticks_from_price(Decimal("19985.00"))
    assert (x2_stop.stop_price, x2_stop.quantity, micro_stop.stop_price, micro_stop.quantity) == (tick, 2, tick, 10)
    # the market takes NQ through the stop: the NQ copies fill with it, the MNQ copy closes with its source
    kernel.ticks(q(20, "19984.75", "19985.00", NQ), t(21, "19984.75", NQ))
    for account, contract in ((LEAD, NQ_ID), (X2, NQ_ID), (MICRO, MNQ_ID)):
        assert net(kernel, account, contract) == 0
        assert k.execution.open_orders(account, contract) == ()


def test_a_webhook_strategy_confirmed_entry_fans_out_against_its_signal() -> None:
    kernel = rig(SourceKind.WEBHOOK, "orb")
    k = kernel.kernel
    alert = SignalInput(
        contract_id=NQ_ID, direction=SignalDirection.BULLISH, signal_price=NQ.spec.ticks_from_price(Decimal("20000")),
        signal_time_ns=T0, strategy="orb", quantity=1, source="webhook", idempotency_key="e1",
        action=SignalAction.ENTRY,
    )  # fmt: skip
    signal = k.submit_signal(alert, authenticated=True, now_ns=T0 + 5 * 1_000_000).signal
    k.take_output()
    # the signal confirms (the validator's candles are not this test's subject): its trade and bracket follow
    entry, stop = NQ.spec.ticks_from_price(Decimal("20000.00")), NQ.spec.ticks_from_price(Decimal("19990.00"))
    trade = TradeRecord("T-1", signal.signal_id, NQ_ID, SignalDirection.BULLISH, 1, entry, stop, 40, T0)
    k.signal_flow.trade_confirmed(trade, T0 + 10 * 1_000_000)
    out = k.take_output()
    assert outcomes(out) == {
        X2: (CopyAction.ENTRY, CopyStatus.PLACED, NQ_ID, 2),
        MICRO: (CopyAction.ENTRY, CopyStatus.PLACED, MNQ_ID, 10),
        RISK_MICRO: (CopyAction.ENTRY, CopyStatus.PLACED, MNQ_ID, 25),
        LOCKED: (CopyAction.ENTRY, CopyStatus.DENIED, NQ_ID, 3),
        RISK_MINI: (CopyAction.ENTRY, CopyStatus.PLACED, NQ_ID, 2),
    }
    assert {o.source_ref for o in out.copies} == {f"signal:{signal.signal_id}"}
    assert net(kernel, LEAD, NQ_ID) == 1
    copied = [u.event for u in out.signals if u.event.kind.value == "copied"]
    assert len(copied) == 1 and copied[0].signal_id == signal.signal_id
    assert "f-lock entry denied 3 NQZ2026 (locked for the test)" in copied[0].detail


def test_the_front_month_roll_closes_every_account_once_and_copies_nothing() -> None:
    """The roll closes each account's position itself (Cause.ROLL): the leader's roll close is not a copy source,
    so no follower gets a second close, and every account ends flat in the old month."""
    kernel = rig()
    k = kernel.kernel
    k.execute(SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 1, OrderType.MARKET), T0 + 10 * 1_000_000)
    k.take_output()
    assert (net(kernel, X2, NQ_ID), net(kernel, MICRO, MNQ_ID)) == (2, 10)

    for old in (NQ, MNQ):
        k.roll_front_month(old, old.next(), T0 + 20 * 1_000_000)
    out = k.take_output()
    assert out.copies == []
    closes = [s.command for s in out.execution if s.cause is Cause.ROLL and isinstance(s.command, SubmitOrder)]
    # a market entry names no stop, so the risk-sized followers hold nothing; the others close once each
    assert sorted((c.account_id, c.contract_id, c.quantity) for c in closes) == [
        (MICRO, MNQ_ID, 10), (X2, NQ_ID, 2), (LEAD, NQ_ID, 1)
    ]  # fmt: skip
    for account, contract in ((LEAD, NQ_ID), (X2, NQ_ID), (MICRO, MNQ_ID)):
        assert net(kernel, account, contract) == 0


def test_links_to_ended_copies_are_forgotten_and_an_open_copy_still_follows_its_source() -> None:
    kernel = rig()
    k = kernel.kernel
    ms = 1_000_000
    limit = SubmitOrder(LEAD, NQ_ID, OrderSide.BUY, 2, OrderType.LIMIT, limit_price=Decimal("19950.00"))
    source_id = next(e.order.order_id for e in k.execute(limit, T0 + 10 * ms) if hasattr(e, "order"))
    k.take_output()
    for i in range(120):  # a busy day: market orders copied to the followers and filled at once
        at = 20 + 10 * i
        side = OrderSide.BUY if i % 2 == 0 else OrderSide.SELL
        k.execute(SubmitOrder(LEAD, NQ_ID, side, 1, OrderType.MARKET), T0 + at * ms)
        kernel.ticks(q(at + 5, "19999.75", "20000.00", NQ), q(at + 6, "19999.75", "20000.00", MNQ))
        k.take_output()
    assert len(k.copying.links) < 70  # not one per source order of the day (121)
    assert source_id in k.copying.links  # the resting copies are still linked

    k.execute(ModifyOrder(LEAD, source_id, quantity=1, limit_price=Decimal("19960.00")), T0 + 2_000 * ms)
    out = k.take_output()
    assert {o.account_id: (o.action, o.status, o.quantity) for o in out.copies} == {
        X2: (CopyAction.MODIFY, CopyStatus.PLACED, 2),
        MICRO: (CopyAction.MODIFY, CopyStatus.PLACED, 10),
    }
