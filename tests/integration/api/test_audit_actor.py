"""The audit trail names who did it (issue 14 §1): orders, cancels, rule changes, the emergency stop and resume,
and signals record the key (or "static-key", "local", a signal, a strategy, "risk") that caused them, in the
store and on the messages a user reads (Order.placed_by, RiskEvent.actor). Real server, real PostgreSQL."""

from __future__ import annotations

import time

import grpc

from core_server.access.keys import Role
from core_server.app import start
from core_server.execution.commands import CancelAllOrders
from core_server.execution.model import AccountId
from core_server.kernel.output import Cause, ExecutionStep
from core_server.live.journal import step_actor
from tests.integration.api.test_access_roles import ADMIN, bearer, create_key, resting_buy_price
from tests.kit.server import server_config
from vigil.v1 import (
    common_pb2,
    execution_pb2,
    execution_pb2_grpc,
    risk_pb2,
    risk_pb2_grpc,
    signals_pb2,
    signals_pb2_grpc,
)


def test_who_caused_an_engine_call() -> None:
    command = CancelAllOrders(AccountId("paper"), None)

    def step(cause: Cause, actor: str = "") -> ExecutionStep:
        return ExecutionStep(1, command, (), cause, actor)

    assert step_actor(step(Cause.API), "key:laptop") == "key:laptop"
    assert step_actor(step(Cause.API, "key:bot"), "key:laptop") == "key:bot"
    assert step_actor(step(Cause.SIGNAL, "S-7"), "key:laptop") == "signal:S-7"
    assert step_actor(step(Cause.STRATEGY, "orb"), "") == "strategy:orb"
    assert step_actor(step(Cause.RISK), "key:laptop") == "risk"
    assert step_actor(step(Cause.TRADES), "") == "trades"
    assert step_actor(step(Cause.TICK), "") == ""


async def test_orders_cancels_rules_stops_and_signals_name_their_actor(database_url: str) -> None:
    running = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            laptop = await create_key(channel, "laptop", Role.TRADER)
            execution = execution_pb2_grpc.ExecutionServiceStub(channel)
            risk = risk_pb2_grpc.RiskServiceStub(channel)
            price = await resting_buy_price(channel)
            order = execution_pb2.OrderSpec(
                symbol="NQ", side=execution_pb2.ORDER_SIDE_BUY, type=execution_pb2.ORDER_TYPE_LIMIT, quantity=1,
                limit_price=price, time_in_force=execution_pb2.TIME_IN_FORCE_GTC,
            )  # fmt: skip
            placed = await execution.SubmitOrder(
                execution_pb2.SubmitOrderRequest(account_id="paper", order=order), metadata=bearer(laptop)
            )
            order_id = placed.order.order_id
            assert placed.order.placed_by == "key:laptop"
            assert all(e.order.placed_by == "key:laptop" for e in placed.events if e.HasField("order"))
            cancelled = await execution.CancelOrder(
                execution_pb2.CancelOrderRequest(order_id=order_id), metadata=bearer(ADMIN)
            )
            assert cancelled.order.placed_by == "key:laptop"  # who placed it, not who cancelled it

            await risk.SetRules(
                risk_pb2.SetRulesRequest(account_id="paper", preset="topstep_50k"), metadata=bearer(ADMIN)
            )
            await risk.EmergencyStop(risk_pb2.EmergencyStopRequest(reason="drill"), metadata=bearer(ADMIN))
            await risk.Resume(risk_pb2.ResumeRequest(reason="done"), metadata=bearer(ADMIN))

            signal = await signals_pb2_grpc.SignalServiceStub(channel).SubmitSignal(
                signals_pb2.SubmitSignalRequest(
                    input=signals_pb2.SignalInput(
                        symbol="NQ", direction=signals_pb2.SIGNAL_DIRECTION_BULLISH, signal_price=price,
                        signal_time_ns=time.time_ns(), timeframe=common_pb2.TIMEFRAME_1M, source="sdk",
                    )
                ),
                metadata=bearer(laptop),
            )  # fmt: skip

            replay = risk.StreamRiskEvents(risk_pb2.StreamRiskEventsRequest(replay=100), metadata=bearer(laptop))
            seen: dict[str, str] = {}
            async for update in replay:
                seen[update.event.kind] = update.event.actor  # the latest of each kind
                if "resumed" in seen:
                    break
            replay.cancel()
            assert seen["order_allowed"] == "key:laptop"
            assert (seen["rules_changed"], seen["emergency_stop"], seen["resumed"]) == ("static-key",) * 3

        async with running.pool.acquire() as conn:  # type: ignore[attr-defined]
            commands = await conn.fetch(
                "SELECT type, actor FROM execution_journal WHERE kind = 'command' AND type IN"
                " ('SubmitOrder', 'CancelOrder') ORDER BY seq"
            )
            assert [(r["type"], r["actor"]) for r in commands] == [
                ("SubmitOrder", "key:laptop"),
                ("CancelOrder", "static-key"),
            ]
            assert await conn.fetchval("SELECT actor FROM paper_orders WHERE id = $1", order_id) == "key:laptop"
            assert await conn.fetchval("SELECT actor FROM signals WHERE id = $1", signal.signal.signal_id) == (
                "key:laptop"
            )
            stops = await conn.fetch("SELECT kind, actor FROM risk_audit WHERE account_id = '' ORDER BY seq")
            assert [(r["kind"], r["actor"]) for r in stops] == [
                ("emergency_stop", "static-key"),
                ("resumed", "static-key"),
            ]
    finally:
        await running.stop()

    again = await start(server_config(database_url, api_keys=(ADMIN,)))
    try:
        async with grpc.aio.insecure_channel(again.address) as channel:
            listed = await execution_pb2_grpc.ExecutionServiceStub(channel).ListOrders(
                execution_pb2.ListOrdersRequest(account_id="paper"), metadata=bearer(ADMIN)
            )
            assert [(o.order_id, o.placed_by) for o in listed.orders] == [(order_id, "key:laptop")]
    finally:
        await again.stop()
