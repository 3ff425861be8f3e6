"""Signal actions in the live core on real PostgreSQL: an executed exit is journalled with its order and its
Signal Lab record in one store, and after a restart a re-delivery of the same alert is the stored original
(the position is not closed twice, nor re-opened)."""

from __future__ import annotations

import asyncpg

from core_server.execution.commands import SubmitOrder
from core_server.execution.model import OrderSide, OrderType
from core_server.model.clock import NS_PER_SECOND
from core_server.signals.model import SignalAction, SignalDirection, SignalInput, SignalStatus
from core_server.storage.signals import SignalRepository
from tests.kit.feeds import NQ, quote, trade
from tests.kit.live import PAPER, open_live
from tests.kit.time import utc

START = utc(2026, 11, 19, 15, 28)
FIRED = utc(2026, 11, 19, 15, 30, 50)
MARKET = [
    quote(NQ, utc(2026, 11, 19, 15, 30, 1), "25339.75", "25340.00"),
    trade(NQ, utc(2026, 11, 19, 15, 30, 2), "25340.00"),
]


def exit_all(key: str) -> SignalInput:
    return SignalInput(
        contract_id="NQZ2026",
        direction=SignalDirection.NONE,
        signal_price=0,
        signal_time_ns=FIRED,
        strategy="Signal Lab NQ",
        quantity=0,
        source="webhook",
        idempotency_key=key,
        action=SignalAction.EXIT,
    )


async def test_an_exit_is_stored_and_a_redelivery_after_a_restart_is_the_original(pg_pool: asyncpg.Pool) -> None:
    rig = await open_live(pg_pool, [NQ], START)
    rig.play(MARKET)
    rig.clock.set_ns(FIRED + 2 * NS_PER_SECOND)
    await rig.core.execution.execute(SubmitOrder(PAPER, "NQZ2026", OrderSide.BUY, 2, OrderType.MARKET))
    assert rig.core.kernel.execution.position(PAPER, "NQZ2026").net_qty == 2

    result = await rig.core.signals.submit(exit_all("exit-restart"), authenticated=True)
    await rig.stored()

    assert result.signal.status is SignalStatus.EXECUTED
    assert rig.core.kernel.execution.position(PAPER, "NQZ2026").net_qty == 0
    kept = await SignalRepository(pg_pool).get(result.signal.signal_id)
    assert kept is not None and (kept.status, kept.input.action, kept.input.strategy) == (
        SignalStatus.EXECUTED,
        SignalAction.EXIT,
        "Signal Lab NQ",
    )
    assert [e.kind.value for e in kept.events] == ["received", "executed"]

    restarted = await open_live(pg_pool, [NQ], FIRED + 5 * NS_PER_SECOND, id_prefix="second-")
    assert restarted.core.kernel.execution.position(PAPER, "NQZ2026").net_qty == 0
    restarted.play([quote(NQ, FIRED + 6 * NS_PER_SECOND, "25339.75", "25340.00")])
    restarted.clock.set_ns(FIRED + 6 * NS_PER_SECOND)
    await restarted.core.execution.execute(SubmitOrder(PAPER, "NQZ2026", OrderSide.BUY, 1, OrderType.MARKET))
    assert restarted.core.kernel.execution.position(PAPER, "NQZ2026").net_qty == 1
    again = await restarted.core.signals.submit(exit_all("exit-restart"), authenticated=True)
    assert again.duplicate and again.signal.signal_id == result.signal.signal_id
    assert restarted.core.kernel.execution.position(PAPER, "NQZ2026").net_qty == 1  # not closed a second time
