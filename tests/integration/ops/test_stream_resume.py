"""StreamRiskEvents with since_seq: every stored entry after it, then live, with no gap and no duplicate."""

from __future__ import annotations

import grpc
import pytest

from tests.integration.execution.desk import bad_field
from tests.integration.risk.risk_desk import RiskDesk, open_risk_desk
from tests.kit.eventually import eventually
from tests.kit.feeds import ES
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import risk_pb2 as pb


async def _order(rd: RiskDesk) -> None:
    buy = xpb.OrderSpec(symbol=ES.id, side=xpb.ORDER_SIDE_BUY, type=xpb.ORDER_TYPE_MARKET, quantity=1)
    await rd.orders.SubmitOrder(xpb.SubmitOrderRequest(account_id="paper", order=buy))


async def test_a_stream_resumed_after_a_seq_replays_the_rest_then_goes_live(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        await rd.risk.SetRules(pb.SetRulesRequest(account_id="paper", preset="topstep_50k"))
        for _ in range(3):
            await _order(rd)

        async def stored() -> list[int]:
            records = await rd.desk.running.risk.recent("paper", 1000)
            return [r.seq for r in records] if len(records) >= 4 else []

        seqs = await eventually(stored)
        resume_after = seqs[1]
        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(account_id="paper", since_seq=resume_after))
        received: list[int] = []
        async for update in stream:
            received.append(update.event.seq)
            if len(received) == len(seqs) - 2:
                break
        assert received == seqs[2:]  # exactly what came after, in order
        await _order(rd)  # a live entry after the replay
        async for update in stream:
            received.append(update.event.seq)
            break
        stream.cancel()
    assert received[-1] > seqs[-1]
    assert len(received) == len(set(received))


async def test_a_negative_since_seq_is_refused_naming_the_field(database_url: str) -> None:
    async with open_risk_desk(database_url) as rd:
        stream = rd.risk.StreamRiskEvents(pb.StreamRiskEventsRequest(since_seq=-1))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in stream:
                pass
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field(refused.value) == "since_seq"
