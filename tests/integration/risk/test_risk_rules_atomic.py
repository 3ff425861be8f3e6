"""The chain of issue 9 §2 over a real server: an unrepresentable daily loss limit used to return INTERNAL yet stay
applied in memory, and the next fill then raised inside the tick and stopped the feed for the whole server
(health still SERVING, no traceback, the fill lost on restart). Now SetRules is refused whole, and a failing tick
stage is isolated: the feed goes on, the failure is counted in the feed status, and health tells a stopped feed.

Stepped ES replay (6000.00/6000.25 at T0), zero latency, no slippage."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from core_server.model.feed_status import FeedState
from core_server.model.market_data import Tick
from tests.integration.execution.desk import T0, S, bad_field
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import market_data_pb2 as mpb
from vigil.v1 import market_data_pb2_grpc
from vigil.v1 import risk_pb2 as pb

MARKET_DATA = "vigil.v1.MarketDataService"


async def feed_status(rd: RiskDesk) -> mpb.FeedStatus:
    async with grpc.aio.insecure_channel(rd.desk.running.address) as channel:
        stub = market_data_pb2_grpc.MarketDataServiceStub(channel)
        return (await stub.GetFeedStatus(mpb.GetFeedStatusRequest())).feeds[0]


async def health(rd: RiskDesk, service: str) -> int:
    async with grpc.aio.insecure_channel(rd.desk.running.address) as channel:
        return (await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))).status


async def buy_one(rd: RiskDesk) -> None:
    spec = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=spec))


async def step(rd: RiskDesk, *ticks: Tick) -> None:
    """Deliver ticks; a feed that died never takes them (bounded, so a regression fails instead of hanging)."""
    await asyncio.wait_for(rd.desk.ticks(*ticks), timeout=10)


async def fills(rd: RiskDesk) -> list[xpb.Fill]:
    return list((await rd.orders.ListFills(xpb.ListFillsRequest(account_id="paper"))).fills)


async def test_an_unrepresentable_daily_loss_limit_changes_nothing_and_the_next_fill_keeps_the_feed_running(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        before = (await rd.risk.GetRules(pb.GetRulesRequest(account_id="paper"))).rules
        request = pb.SetRulesRequest(account_id="paper", rules=pb.RiskRules(daily_loss_limit="1e30"), use_rules=True)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await rd.risk.SetRules(request)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert bad_field(refused.value) == "rules.daily_loss_limit"
        assert (await rd.risk.GetRules(pb.GetRulesRequest(account_id="paper"))).rules == before
        status = (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest(account_id="paper"))).statuses[0]
        assert status.daily_loss_limit == ""

        await buy_one(rd)
        await rd.filled_to(1)  # at the ask 6000.25, on arrival
        await step(rd, quote(ES, T0 + 2 * S, "6001.00", "6001.25"), trade(ES, T0 + 2 * S, "6001.25"))
        await step(rd, quote(ES, T0 + 3 * S, "6002.00", "6002.25"))  # the feed still takes ticks
        feed = await feed_status(rd)
        assert feed.state != mpb.FEED_STATE_STOPPED
        assert feed.stage_errors == 0
        assert await health(rd, MARKET_DATA) == health_pb2.HealthCheckResponse.SERVING
        filled = await eventually(lambda: fills(rd))
        assert [(f.quantity, f.price) for f in filled] == [(1, "6000.25")]

    async with open_risk_desk(database_url) as rd:  # a restart on the same store keeps the fill
        assert [(f.quantity, f.price) for f in await fills(rd)] == [(1, "6000.25")]
        assert await rd.net() == 1


async def test_a_failing_tick_stage_is_counted_and_the_feed_and_the_other_stages_go_on(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        await buy_one(rd)
        await rd.filled_to(1)  # at the ask 6000.25, on arrival
        shell = rd.desk.running.engine.shell
        assert shell is not None
        trades = shell.kernel.trades
        seen: list[Tick] = []

        def broken(tick: Tick) -> None:  # the trades stage raises on every tick from here on
            seen.append(tick)
            raise ArithmeticError("a stage bug")

        trades.on_tick = broken  # type: ignore[method-assign]
        await step(rd, quote(ES, T0 + 2 * S, "6001.00", "6001.25"), trade(ES, T0 + 2 * S, "6001.25"))
        await step(rd, quote(ES, T0 + 3 * S, "6002.00", "6002.25"))

        assert [t.ts_event for t in seen] == [T0 + 2 * S, T0 + 2 * S, T0 + 3 * S]
        feed = await feed_status(rd)
        assert feed.state != mpb.FEED_STATE_STOPPED
        assert feed.stage_errors == 3
        assert await health(rd, MARKET_DATA) == health_pb2.HealthCheckResponse.SERVING
        # the stages after it went on (risk marked the position at the new prices) and the account is held
        status = (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest(account_id="paper"))).statuses[0]
        assert status.state == pb.RISK_STATE_LOCKED and status.reason.startswith("held: trades stage failed")
        assert status.equity != "50000"


async def test_health_reports_not_serving_while_the_feed_is_stopped(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        assert await health(rd, MARKET_DATA) == health_pb2.HealthCheckResponse.SERVING
        task = rd.desk.running.feed_tasks[0]
        task.cancel()  # the feed ends (as a crashed feed would): it reports STOPPED
        binding = rd.desk.running.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.STOPPED)

        async def not_serving() -> bool:
            return await health(rd, MARKET_DATA) == health_pb2.HealthCheckResponse.NOT_SERVING

        await eventually(not_serving)
        assert await health(rd, "") == health_pb2.HealthCheckResponse.NOT_SERVING
        assert (await feed_status(rd)).state == mpb.FEED_STATE_STOPPED
