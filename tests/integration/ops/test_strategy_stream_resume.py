"""StreamStrategyEvents with since_seq on a real server and PostgreSQL: dropped and resumed after the last seq it
received, it gets exactly the events stored meanwhile, in order, then the live ones, with no gap and no duplicate."""

from __future__ import annotations

import asyncio

import grpc

from core_server.app import RunningServer
from tests.integration.strategies.test_strategy_service import server  # noqa: F401
from vigil.v1 import strategies_pb2 as pb
from vigil.v1 import strategies_pb2_grpc as pb_grpc


async def _read(
    call: grpc.aio.UnaryStreamCall[object, pb.StreamStrategyEventsResponse], count: int
) -> list[pb.StrategyEvent]:
    events = []
    async with asyncio.timeout(30):
        while len(events) < count:
            response = await call.read()
            events.append(response.event)
    return events


async def test_a_strategy_stream_resumed_after_a_seq_gets_what_it_missed_then_live(
    server: RunningServer,  # noqa: F811  (the fixture of test_strategy_service)
) -> None:
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = pb_grpc.StrategyServiceStub(channel)
        first = stub.StreamStrategyEvents(pb.StreamStrategyEventsRequest(strategy_id="momentum", replay=10))
        [loaded] = await _read(first, 1)
        first.cancel()

        # While away: activated, then deactivated.
        await stub.ActivateStrategy(pb.ActivateStrategyRequest(strategy_id="momentum"))
        await stub.DeactivateStrategy(pb.DeactivateStrategyRequest(strategy_id="momentum"))

        request = pb.StreamStrategyEventsRequest(strategy_id="momentum", since_seq=loaded.seq)
        resumed = stub.StreamStrategyEvents(request)
        missed = await _read(resumed, 2)
        await stub.ActivateStrategy(pb.ActivateStrategyRequest(strategy_id="momentum"))  # live
        live = await _read(resumed, 1)
        resumed.cancel()
        stored = (await stub.GetStrategy(pb.GetStrategyRequest(strategy_id="momentum", events=10))).events

    assert loaded.kind == "loaded"
    assert [e.kind for e in missed] == ["activated", "deactivated"]
    assert [e.kind for e in live] == ["activated"]
    assert [(e.seq, e.kind) for e in (loaded, *missed, *live)] == [(e.seq, e.kind) for e in stored]
