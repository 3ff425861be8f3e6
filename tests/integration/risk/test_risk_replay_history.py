"""StreamRiskEvents replays each audit entry with the account's status as it stood then, not as it stands now.

Topstep 50K (daily loss $1,000, soft), zero latency, no slippage, $2.50 a side, ES $50 a point:
    BUY 2 ESZ2026 at the ask 6000.25                                   balance 49,995.00
    trade 5995.25: unrealised -$500, used $505.00 (50.5 %)   -> warning, equity 49,495.00
    trade 5993.00: unrealised -$725, used $730.00 (73 %)     -> danger,  equity 49,270.00
    trade 5990.25: unrealised -$1,000, used $1,005.00        -> breach, locked, flattened
"""

from __future__ import annotations

from tests.integration.execution.desk import T0, S
from tests.integration.risk.risk_desk import open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES, quote, trade
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb


async def test_a_replay_shows_each_entry_with_the_status_it_had_then(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))
        buy = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=2)
        await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=buy))
        await rd.filled_to(2)
        for second, (bid, ask, last) in enumerate(
            [("5995.00", "5995.25", "5995.25"), ("5993.00", "5993.25", "5993.00"), ("5990.00", "5990.25", "5990.25")],
            start=2,
        ):
            await rd.desk.ticks(quote(ES, T0 + second * S, bid, ask), trade(ES, T0 + second * S, last))
        await rd.filled_to(0)

        async def replayed() -> list[pb.StreamRiskEventsResponse]:
            stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", replay=100))
            seen: list[pb.StreamRiskEventsResponse] = []
            async for update in stream:
                seen.append(update)
                if update.event.kind == "status_changed" and "-> locked" in update.event.reason:
                    break
            stream.cancel()
            return seen

        updates = await eventually(replayed)
        changes = [
            (u.event.reason.split(" (")[0], u.status.state, u.status.daily_loss_used, u.status.equity)
            for u in updates
            if u.event.kind == "status_changed"
        ]
        assert changes == [
            ("status safe -> warning", pb.RISK_STATE_WARNING, "505.00", "49495.00"),
            ("status warning -> danger", pb.RISK_STATE_DANGER, "730.00", "49270.00"),
            ("status danger -> locked", pb.RISK_STATE_LOCKED, "1005.00", "48995.00"),
        ]
        first = next(u for u in updates if u.event.kind == "rules_changed")
        assert (first.status.state, first.status.daily_loss_used, first.status.equity) == (
            pb.RISK_STATE_SAFE,
            "0",
            "50000",
        )
        for update in updates:  # each entry's own state and the status sent with it agree: both as of then
            assert update.status.state == update.event.state
