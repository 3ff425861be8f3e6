"""EmergencyStop over gRPC: every account flattened and every order cancelled in one call, new risk and signal
brackets refused until Resume; both audited."""

from __future__ import annotations

from core_server.signals.model import SignalDirection
from core_server.signals.trade_record import TradeRecord
from tests.integration.execution.desk import T0
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.feeds import ES, px
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb


def es(order_type: int = xpb.ORDER_TYPE_MARKET, **fields: object) -> xpb.OrderSpec:
    return xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=order_type, quantity=1, **fields)  # type: ignore[arg-type]


async def long_with_a_resting_order(rd: RiskDesk, account_id: str) -> None:
    await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id=account_id, order=es()))
    await rd.filled_to(1, account_id)
    limit = es(xpb.ORDER_TYPE_LIMIT, limit_price="5900.00")
    await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id=account_id, order=limit))


async def test_emergency_stop_flattens_and_cancels_every_account_and_blocks_signals_until_resumed(
    database_url: str,
) -> None:
    async with open_risk_desk(database_url) as rd:
        second = (await rd.orders.CreateAccount(xpb.CreateAccountRequest(name="second"))).account.account_id
        for account_id in ("paper", second):
            await long_with_a_resting_order(rd, account_id)

        stopped = await rd.risk.EmergencyStop(pb.EmergencyStopRequest(reason="news spike"))
        assert (stopped.orders_cancelled, stopped.positions_flattened) == (2, 2)
        for account_id in ("paper", second):
            await rd.filled_to(0, account_id)  # the closing orders arrive after the simulated latency
            request = xpb.ListOrdersRequest(account_id=account_id, open_only=True)
            assert not (await rd.orders.ListOrders(request)).orders
        statuses = (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest())).statuses
        assert {(s.account_id, s.state, s.emergency_stop) for s in statuses} == {
            ("paper", pb.RISK_STATE_LOCKED, True), (second, pb.RISK_STATE_LOCKED, True)
        }  # fmt: skip
        denied = (await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id=second, order=es()))).order
        assert (denied.status, denied.reason) == (
            xpb.ORDER_STATUS_DENIED, "emergency stop: new risk is blocked until resumed"
        )  # fmt: skip

        running = rd.desk.running
        trade = TradeRecord("T-1", "S-1", ES.id, SignalDirection.BULLISH, 1, px(ES, "6000.25"), px(ES, "5995.25"),
                            20, T0)  # fmt: skip
        await running.shell.command(lambda kernel, now: kernel.signal_flow.trade_confirmed(trade, now))
        open_orders = xpb.ListOrdersRequest(account_id="paper", open_only=True)
        assert not (await rd.orders.ListOrders(open_orders)).orders  # no bracket while stopped

        await rd.risk.Resume(pb.ResumeRequest())
        [after] = (await rd.risk.GetRiskStatus(pb.GetRiskStatusRequest(account_id="paper"))).statuses
        assert (after.emergency_stop, after.state) == (False, pb.RISK_STATE_SAFE)
        await running.shell.command(lambda kernel, now: kernel.signal_flow.trade_confirmed(trade, now))
        orders = (await rd.orders.ListOrders(open_orders)).orders
        assert {o.client_order_id for o in orders} == {"signal:S-1"}

        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(replay=200))
        kinds: list[str] = []
        async for update in stream:
            kinds.append(update.event.kind)
            if update.event.kind == "resumed":
                break
        stream.cancel()
        assert "emergency_stop" in kinds and kinds.index("emergency_stop") < kinds.index("resumed")
