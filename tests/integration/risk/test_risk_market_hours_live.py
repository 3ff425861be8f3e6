"""The server's risk engine on the CME calendar: a real feed is held to CME hours, the simulator is declared open and
says so, and a Saturday counts toward Monday's trading day."""

from __future__ import annotations

from core_server.model.clock import TestClock
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES
from tests.kit.time import ct
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb

SATURDAY = ct(2026, 11, 21, 10, 0)


async def submit_buy(rd: RiskDesk) -> xpb.Order:
    spec = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_LIMIT, quantity=1,
                         limit_price="5900.00")  # fmt: skip
    return (await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=spec))).order


async def status(rd: RiskDesk) -> pb.RiskStatus:
    return (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest(account_id="paper"))).statuses[0]


async def test_a_real_feed_is_held_to_cme_hours_and_saturday_is_no_trading_day(database_url: str) -> None:
    async with open_risk_desk(database_url, clock=TestClock(SATURDAY), feed="tradovate") as rd:
        order = await submit_buy(rd)
        assert (order.status, order.reason) == (
            xpb.ORDER_STATUS_DENIED,
            "trading hours: the market is closed at 10:00 CT",
        )
        now = await status(rd)
        assert now.trading_day == "2026-11-23"  # Monday
        hours = next(u for u in now.rules if u.rule == "market_hours")
        assert (hours.current, hours.limit) == ("closed", "CME Globex hours")


async def test_the_simulated_market_is_declared_open_at_the_weekend_and_the_audit_says_so(database_url: str) -> None:
    async with open_risk_desk(database_url, clock=TestClock(SATURDAY), feed="simulated", sim_hours="always") as rd:
        order = await submit_buy(rd)
        assert order.status != xpb.ORDER_STATUS_DENIED
        now = await status(rd)
        assert now.trading_day == "2026-11-23"
        hours = next(u for u in now.rules if u.rule == "market_hours")
        assert (hours.current, hours.limit) == ("closed (declared open)", "declared open (simulated market)")

        async def allowed() -> list[pb.RiskEvent]:
            stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", replay=20))
            seen: list[pb.RiskEvent] = []
            async for update in stream:
                seen.append(update.event)
                if update.event.kind == "order_allowed":
                    break
            stream.cancel()
            return [e for e in seen if e.kind == "order_allowed"]

        (event,) = await eventually(allowed)
        declared = "the simulated market is declared open (CME is closed at 10:00 CT)"
        assert event.reason == f"allowed; market hours: {declared}"
