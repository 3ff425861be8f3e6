"""Copy groups in the live core on real PostgreSQL: changes stored with their command, outcomes stored with the
step that made them and published once stored, and groups, links and last outcomes restored after a restart."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from core_server.copying.model import CopyAction, CopyStatus, Follower, Sizing, SizingKind, SourceKind
from core_server.execution.commands import CancelOrder, OpenAccount, SubmitOrder
from core_server.execution.model import AccountId, OrderSide, OrderType
from core_server.kernel.output import Cause
from core_server.model.errors import AlreadyExists, NotFound, Unavailable
from core_server.signals.model import SignalAction, SignalDirection, SignalInput
from core_server.storage.copying import CopyRepository
from core_server.storage.signals import SignalRepository
from tests.kit.feeds import NQ, quote
from tests.kit.live import PAPER, LiveRig, open_live
from tests.kit.time import utc

OPENED = utc(2026, 11, 19, 15, 0)
F1, F2 = AccountId("f1"), AccountId("f2")
FOLLOWERS = (
    Follower(F1, Sizing(SizingKind.MULTIPLIER, multiplier=Decimal(2))),
    Follower(F2, Sizing(SizingKind.FIXED, quantity=1)),
)


async def opened(pool: asyncpg.Pool, prefix: str = "id-") -> LiveRig:
    rig = await open_live(pool, [NQ], OPENED, id_prefix=prefix)
    rig.play([quote(NQ, OPENED, "24999.75", "25000.00")])
    return rig


async def with_followers(pool: asyncpg.Pool) -> LiveRig:
    rig = await opened(pool)
    kernel = rig.core.kernel

    def run(k: object, now: int) -> None:
        for account in (F1, F2):
            kernel.execute(OpenAccount(account, Decimal(50_000)), now, cause=Cause.API)

    await rig.core.shell.command(lambda k, now: run(k, now))
    return rig


async def test_a_group_copies_a_leader_order_and_survives_a_restart(pg_pool: asyncpg.Pool) -> None:
    rig = await with_followers(pg_pool)
    desk = rig.core.copying
    group = await desk.create("evals", SourceKind.ACCOUNT, PAPER, FOLLOWERS)
    events = rig.core.copying.subscribe()

    limit = SubmitOrder(PAPER, NQ.id, OrderSide.BUY, 1, OrderType.LIMIT, limit_price=Decimal("24900.00"))
    change = await rig.core.execution.execute(limit)
    [source_id] = change.orders
    await rig.stored()
    stored = await desk.outcomes(group_id=group.group_id)
    assert sorted((o.account_id, o.action, o.status, o.quantity) for o in stored) == [
        (F1, CopyAction.ENTRY, CopyStatus.PLACED, 2),
        (F2, CopyAction.ENTRY, CopyStatus.PLACED, 1),
    ]
    assert {o.source_order_ids for o in stored} == {(source_id,)}
    published = await events.next_batch()
    assert {o.account_id for o in published} == {F1, F2}  # type: ignore[attr-defined]
    assert (await desk.set_paused(group.group_id, True)).paused

    second = await opened(pg_pool, prefix="second-")
    restored = second.core.copying.get(group.group_id)
    assert (restored.name, restored.paused, restored.followers) == ("evals", True, FOLLOWERS)
    last = second.core.copying.last_outcome(group.group_id, F1)
    assert last is not None and last.quantity == 2
    await second.core.copying.set_paused(group.group_id, False)
    # the links came back: the leader's cancel follows to the orders copied before the restart
    await second.core.execution.execute(CancelOrder(PAPER, source_id))
    await second.stored()
    engine = second.core.kernel.execution
    assert engine.open_orders(F1) == () and engine.open_orders(F2) == ()
    cancels = await second.core.copying.outcomes(source_ref="account:paper", limit=2)
    assert {(o.account_id, o.action, o.status) for o in cancels} == {
        (F1, CopyAction.CANCEL, CopyStatus.PLACED),
        (F2, CopyAction.CANCEL, CopyStatus.PLACED),
    }


async def test_changes_are_refused_whole(pg_pool: asyncpg.Pool) -> None:
    rig = await with_followers(pg_pool)
    desk = rig.core.copying
    await desk.create("evals", SourceKind.WEBHOOK, "orb", FOLLOWERS)
    with pytest.raises(AlreadyExists):
        await desk.create("evals", SourceKind.WEBHOOK, "other", FOLLOWERS)
    with pytest.raises(NotFound):
        await desk.create("ghost", SourceKind.WEBHOOK, "orb", (Follower(AccountId("nobody"), FOLLOWERS[0].sizing),))
    rig.store.down = True
    with pytest.raises(Unavailable):
        await desk.create("outage", SourceKind.WEBHOOK, "orb", FOLLOWERS)
    rig.store.down = False
    assert [g.name for g in desk.groups()] == ["evals"]
    assert [g.name for g in await CopyRepository(pg_pool).groups()] == ["evals"]
    [group] = desk.groups()
    await desk.delete(group.group_id)
    assert desk.groups() == [] and await CopyRepository(pg_pool).groups() == []


async def test_a_webhook_exit_is_copied_and_the_signal_lab_stores_what_its_copies_became(
    pg_pool: asyncpg.Pool,
) -> None:
    rig = await with_followers(pg_pool)
    await rig.core.copying.create("orb copy", SourceKind.WEBHOOK, "orb", FOLLOWERS)
    for account, quantity in ((PAPER, 1), (F1, 2), (F2, 1)):
        await rig.core.execution.execute(SubmitOrder(account, NQ.id, OrderSide.BUY, quantity, OrderType.MARKET))
    alert = SignalInput(
        contract_id=NQ.id, direction=SignalDirection.NONE, signal_price=0, signal_time_ns=OPENED, strategy="orb",
        quantity=0, source="webhook", idempotency_key="exit-1", action=SignalAction.EXIT,
    )  # fmt: skip
    result = await rig.core.signals.submit(alert, authenticated=True)
    await rig.stored()
    engine = rig.core.kernel.execution
    assert [engine.position(a, NQ.id).net_qty for a in (PAPER, F1, F2)] == [0, 0, 0]
    stored = await SignalRepository(pg_pool).get(result.signal.signal_id)
    assert stored is not None
    assert [e.kind.value for e in stored.events] == ["received", "executed", "copied"]
    assert stored.events[-1].detail == "copy group orb copy: f1 exit placed 2 NQZ2026, f2 exit placed 1 NQZ2026"
    outcomes = await rig.core.copying.outcomes(source_ref=f"signal:{result.signal.signal_id}")
    assert {(o.account_id, o.status) for o in outcomes} == {(F1, CopyStatus.PLACED), (F2, CopyStatus.PLACED)}
