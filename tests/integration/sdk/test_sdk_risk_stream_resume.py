"""stream_risk_events across a dropped stream: resumes with since_seq (the last seq delivered) and skips anything
already delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from clients.sdk import RiskState, VigilClient
from vigil.v1 import risk_pb2, risk_pb2_grpc


def entry(seq: int) -> risk_pb2.StreamRiskEventsResponse:
    event = risk_pb2.RiskEvent(seq=seq, kind="order_allowed", account_id="A-1", ts_ns=1000 + seq, state=1)
    return risk_pb2.StreamRiskEventsResponse(event=event)


class DroppingRiskService(risk_pb2_grpc.RiskServiceServicer):
    """Sends entries 1-3 then drops the stream as a restarting server would; then replays 2-3 and sends 4-5."""

    def __init__(self) -> None:
        self.requests: list[risk_pb2.StreamRiskEventsRequest] = []

    async def StreamRiskEvents(
        self, request: risk_pb2.StreamRiskEventsRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> AsyncIterator[risk_pb2.StreamRiskEventsResponse]:
        self.requests.append(request)
        if len(self.requests) == 1:
            for seq in (1, 2, 3):
                yield entry(seq)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "server restarting")
        for seq in (2, 3, 4, 5):
            yield entry(seq)


async def test_a_resumed_risk_stream_replays_what_it_missed_without_duplicates() -> None:
    service = DroppingRiskService()
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    risk_pb2_grpc.add_RiskServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with VigilClient(f"127.0.0.1:{port}") as client:
            stream = client.stream_risk_events("A-1", replay=2)
            seqs = []
            async for update in stream:
                seqs.append(update.event.seq)
                assert update.event.state is RiskState.SAFE and update.status is None
                if len(seqs) == 5:
                    break
            await stream.aclose()
        assert seqs == [1, 2, 3, 4, 5]
        requests = [(r.account_id, r.replay, r.since_seq) for r in service.requests]
        assert requests == [("A-1", 2, 0), ("A-1", 0, 3)]
    finally:
        await server.stop(None)
