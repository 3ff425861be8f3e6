"""A soft daily-loss breach through the live server: flattened, cancelled and locked in the breaching tick; the
lock outlives a restart and lifts at the 17:00 CT roll.

Topstep 50K rules (daily loss $1,000, soft), zero latency, no slippage, $2.50 a side:
    T0+1s   BUY 2 ESZ2026 MKT, fills at the ask 6000.25            fees $5.00
    T0+1s   BUY 1 ESZ2026 LMT 5900.00 rests
    T0+3s   quote 5990.00/5990.25, trade 5990.25: unrealised -(10.00 x 2 x $50) = -$1,000.00, plus $5.00 fees
            -> $1,005.00 used >= $1,000.00: breach. In that tick: the limit is cancelled and a closing SELL 2
            fills at the bid 5990.00 (realised -$1,025.00, fees $10.00 in all).
"""

from __future__ import annotations

from core_server.model.clock import TestClock
from tests.integration.execution.desk import T0, S
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from tests.kit.time import utc
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb

ROLL = utc(2026, 11, 18, 23, 0)  # 17:00 CT: the trading day of Wednesday 18 November ends


def es(side: int = xpb.ORDER_SIDE_BUY, qty: int = 1, **fields: object) -> xpb.OrderSpec:
    order_type = xpb.ORDER_TYPE_LIMIT if "limit_price" in fields else xpb.ORDER_TYPE_MARKET
    return xpb.OrderSpec(symbol=ES.id, side=side, type=order_type, quantity=qty, **fields)  # type: ignore[arg-type]


async def submit(rd: RiskDesk, spec: xpb.OrderSpec) -> xpb.Order:
    return (await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=spec))).order


async def status(rd: RiskDesk) -> pb.RiskStatus:
    return (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest(account_id="paper"))).statuses[0]


async def test_a_soft_daily_loss_breach_closes_out_in_the_same_tick_and_locks_until_the_roll(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))
        await submit(rd, es(qty=2))
        await rd.filled_to(2)
        resting = await submit(rd, es(limit_price="5900.00"))
        assert (await status(rd)).state == pb.RISK_STATE_SAFE

        await rd.desk.ticks(quote(ES, T0 + 3 * S, "5990.00", "5990.25"), trade(ES, T0 + 3 * S, "5990.25"))

        after = await status(rd)
        assert (after.state, after.locked_until_ns, after.daily_loss_used) == (pb.RISK_STATE_LOCKED, ROLL, "1035.00")
        assert after.reason.startswith("daily loss: used $1,005.00 of $1,000.00")
        assert await rd.net() == 0

        async def two_fills() -> list[xpb.Fill]:
            fills = (await rd.orders.ListFills(xpb.ListFillsRequest(account_id="paper"))).fills
            return list(fills) if len(fills) == 2 else []

        fills = await eventually(two_fills)
        assert (fills[0].side, fills[0].quantity, fills[0].price, fills[0].ts_ns) == (
            xpb.ORDER_SIDE_SELL, 2, "5990.00", T0 + 3 * S
        )  # fmt: skip
        orders = (await rd.orders.ListOrders(xpb.ListOrdersRequest(account_id="paper"))).orders
        assert next(o for o in orders if o.order_id == resting.order_id).status == xpb.ORDER_STATUS_CANCELLED

        denied = await submit(rd, es())
        assert denied.status == xpb.ORDER_STATUS_DENIED
        assert denied.reason == "daily loss: locked until the next trading day (used $1,035.00 of $1,000.00)"

    # The lock survives a restart on the same database.
    async with open_risk_desk(database_url, clock=TestClock(T0)) as rd:
        kept = await status(rd)
        assert (kept.state, kept.locked_until_ns) == (pb.RISK_STATE_LOCKED, ROLL)
        assert (await submit(rd, es())).status == xpb.ORDER_STATUS_DENIED

        rd.desk.clock.set_ns(ROLL + S)

        async def unlocked() -> bool:
            return (await status(rd)).state != pb.RISK_STATE_LOCKED

        await eventually(unlocked)
        assert (await submit(rd, es())).status != xpb.ORDER_STATUS_DENIED
        kinds = []
        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", replay=100))
        async for update in stream:
            kinds.append((update.event.kind, update.event.rule))
            if update.event.kind == "order_allowed" and ("unlocked", "daily_loss") in kinds:
                break
        stream.cancel()
        assert kinds.index(("breach", "daily_loss")) < kinds.index(("locked", "daily_loss"))
        assert kinds.index(("locked", "daily_loss")) < kinds.index(("unlocked", "daily_loss"))
