"""A server that starts on stored trades reads them in the background (never holding up its start), so the first
analytics query finds them in memory: the same figures as the server that made them."""

from __future__ import annotations

import grpc
from structlog.testing import capture_logs

from core_server.app import RunningServer, start
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import analytics_pb2 as pb
from vigil.v1 import analytics_pb2_grpc as pb_grpc
from vigil.v1 import trades_pb2 as tpb


async def test_a_restarted_server_reads_the_stored_trades_at_start(
    database_url: str, server: RunningServer, two_trades: list[tpb.TrackedTrade]
) -> None:
    await server.stop()
    with capture_logs() as logs:
        restarted = await start(server_config(database_url))
        try:
            warm = next(t for t in restarted.service_tasks if t.get_name() == "analytics-warm")
            await eventually(warm.done)
            assert [e["trades"] for e in logs if e["event"] == "analytics.warmed"] == [2]
            async with grpc.aio.insecure_channel(restarted.address) as channel:
                stub = pb_grpc.AnalyticsServiceStub(channel)
                answer = await stub.GetStatistics(pb.GetStatisticsRequest())
            assert (answer.overall.trades, answer.overall.net_pnl) == (2, "-1020.00")
        finally:
            await restarted.stop()
