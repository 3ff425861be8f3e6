"""While an emergency stop is in force, a confirmed signal places no bracket: the refusal is recorded on it."""

from __future__ import annotations

from pathlib import Path

import grpc

from core_server.app import start
from core_server.feeds.catalog import FeedPlan
from core_server.feeds.replay import ReplayFeed
from core_server.model.clock import TestClock
from core_server.signals.model import SignalEventKind
from tests.acceptance.test_signal_to_confirmation import (
    AFTER_TAPE,
    HEADER,
    PART_1,
    PART_2,
    PAUSE_AT,
    START,
    SUBMITTED_AT,
    PausingTickSource,
    settled,
    signal_input,
)
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from vigil.v1 import execution_pb2 as xpb
from vigil.v1 import execution_pb2_grpc as xpb_grpc
from vigil.v1 import risk_pb2, risk_pb2_grpc
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc


async def test_a_signal_confirmed_during_an_emergency_stop_records_its_bracket_as_refused(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "tape.csv"
    path.write_text(HEADER + PART_1 + PART_2)
    clock = TestClock(START)
    source = PausingTickSource(path, PAUSE_AT)
    plan = FeedPlan(ReplayFeed(source, clock, speed=0.0), realtime=False, quote_only=False, store_ticks=False)
    running = await start(server_config(database_url, symbols=("NQZ2026",)), clock=clock, feed_plan=plan)
    try:
        await source.paused.wait()
        clock.set_ns(SUBMITTED_AT)
        async with grpc.aio.insecure_channel(running.address) as channel:
            signals = pb_grpc.SignalServiceStub(channel)
            execution = xpb_grpc.ExecutionServiceStub(channel)
            risk = risk_pb2_grpc.RiskServiceStub(channel)
            await risk.EmergencyStop(risk_pb2.EmergencyStopRequest(reason="test"))
            signal = (await signals.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(1)))).signal
            clock.set_ns(AFTER_TAPE)
            source.resume.set()
            await settled(signals, signal.signal_id, pb.SIGNAL_STATUS_CONFIRMED)

            async def refusal() -> str:
                stored = await running.signals.get(signal.signal_id)
                refused = [e.detail for e in stored.events if e.kind is SignalEventKind.ORDER_REFUSED]
                return refused[0] if refused else ""

            reason = await eventually(refusal)
            orders = (await execution.ListOrders(xpb.ListOrdersRequest(account_id="paper"))).orders
    finally:
        await running.stop()
    assert reason == "bracket not placed: emergency stop: automatic execution is stopped"
    assert not orders
