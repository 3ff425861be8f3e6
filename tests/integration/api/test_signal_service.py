"""SignalService over a real server (replayed ticks, TestClock, real PostgreSQL): request validation field by
field, decisions and duplicates, lookups, cancel/approve preconditions and the event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from core_server.app import RunningServer, start
from core_server.model.clock import NS_PER_SECOND, TestClock
from core_server.model.feed_status import FeedState
from tests.kit.eventually import eventually
from tests.kit.server import server_config
from tests.kit.time import utc
from vigil.v1 import common_pb2
from vigil.v1 import signals_pb2 as pb
from vigil.v1 import signals_pb2_grpc as pb_grpc

CSV = """ts,contract,kind,bid,ask,bid_size,ask_size,price,size,aggressor
2026-11-19T15:30:01Z,NQZ6,trade,,,,,25335.00,1,buy
2026-11-19T15:30:45Z,NQZ6,trade,,,,,25340.00,1,buy
"""
SIGNAL_TIME = utc(2026, 11, 19, 15, 30, 50)
NOW = SIGNAL_TIME + 2 * NS_PER_SECOND


@pytest.fixture
def clock() -> TestClock:
    return TestClock(utc(2026, 11, 19, 15, 29))


@pytest.fixture
async def server(database_url: str, tmp_path: Path, clock: TestClock) -> AsyncIterator[RunningServer]:
    path = tmp_path / "ticks.csv"
    path.write_text(CSV)
    config = server_config(database_url, feed="replay", replay_file=path, replay_speed=0.0, symbols=("NQZ2026",))
    running = await start(config, clock=clock)
    try:
        binding = running.engine.bindings[0]
        await eventually(lambda: binding.state is FeedState.FINISHED)
        clock.set_ns(NOW)
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def stub(server: RunningServer) -> AsyncIterator[pb_grpc.SignalServiceStub]:
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield pb_grpc.SignalServiceStub(channel)


def signal_input(**changes: Any) -> pb.SignalInput:
    fields: dict[str, Any] = {
        "symbol": "NQ1!",
        "direction": pb.SIGNAL_DIRECTION_BULLISH,
        "signal_price": "25340.25",
        "signal_time_ns": SIGNAL_TIME,
        "timeframe": common_pb2.TIMEFRAME_1M,
        "strategy": "orb",
        "source": "sdk",
    }
    fields.update(changes)
    return pb.SignalInput(**fields)


async def submit(stub: pb_grpc.SignalServiceStub, **changes: Any) -> pb.SubmitSignalResponse:
    return await stub.SubmitSignal(pb.SubmitSignalRequest(input=signal_input(**changes)))


def bad_field(error: grpc.aio.AioRpcError) -> str:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)
    assert status is not None
    detail = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(detail)
    return detail.field_violations[0].field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"symbol": "XX1!"}, "input.symbol"),
        ({"symbol": ""}, "input.symbol"),
        ({"direction": pb.SIGNAL_DIRECTION_UNSPECIFIED}, "input.direction"),
        ({"direction": 9}, "input.direction"),
        ({"signal_price": "25340.10"}, "input.signal_price"),
        ({"signal_price": "abc"}, "input.signal_price"),
        ({"signal_price": ""}, "input.signal_price"),
        ({"signal_price": "0"}, "input.signal_price"),
        ({"signal_price": "-25340.25"}, "input.signal_price"),
        ({"signal_price": "NaN"}, "input.signal_price"),
        ({"signal_time_ns": 0}, "input.signal_time_ns"),
        ({"signal_time_ns": -1}, "input.signal_time_ns"),
        ({"quantity": -1}, "input.quantity"),
        ({"quantity": 1001}, "input.quantity"),
        ({"timeframe": 42}, "input.timeframe"),
        ({"bar_time_ns": -1}, "input.bar_time_ns"),
        ({"raw_payload": "x" * (64 * 1024 + 1)}, "input.raw_payload"),
        ({"strategy": "s" * 257}, "input.strategy"),
        ({"raw_payload": "a\x00b"}, "input.raw_payload"),  # PostgreSQL text cannot store it
    ],
)
async def test_submit_refuses_a_bad_field_with_invalid_argument_naming_it(
    stub: pb_grpc.SignalServiceStub, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await submit(stub, **changes)
    assert bad_field(raised.value) == field


async def test_submit_defaults_quantity_and_timeframe_and_takes_the_largest_allowed_values(
    stub: pb_grpc.SignalServiceStub,
) -> None:
    signal = (await submit(stub, quantity=0, timeframe=common_pb2.TIMEFRAME_UNSPECIFIED)).signal
    assert (signal.input.quantity, signal.input.timeframe) == (1, common_pb2.TIMEFRAME_1M)
    assert signal.status == pb.SIGNAL_STATUS_PENDING and signal.waiting_for == "1m signal candle to close"
    payload = "x" * (64 * 1024)
    signal = (await submit(stub, quantity=1000, raw_payload=payload, strategy="max")).signal
    assert (signal.input.quantity, signal.input.raw_payload) == (1000, payload)


async def test_a_pending_signal_comes_back_with_exact_prices_checks_and_the_key_used(
    stub: pb_grpc.SignalServiceStub,
) -> None:
    response = await submit(stub, raw_payload='{"a":1}', htf_bias="bullish", session="NY AM")
    signal = response.signal
    assert not response.duplicate
    assert (signal.contract_id, signal.input.symbol, signal.input.signal_price) == ("NQZ2026", "NQ1!", "25340.25")
    assert len(signal.input.idempotency_key) == 64  # derived from the content: sha256 hex
    assert [c.name for c in signal.checks] == [
        "authentic_and_new",
        "staleness_price",
        "staleness_age",
        "session",
        "confirmation",
        "pivot_stop",
        "entry_risk",
    ]
    assert [c.outcome for c in signal.checks] == [pb.CHECK_OUTCOME_PASSED] * 4 + [pb.CHECK_OUTCOME_WAITING] * 3
    assert signal.checks[2].detail == "age 2 s <= 120 s"
    assert (signal.received_ns, signal.decided_ns, signal.expires_after_candles) == (NOW, 0, 10)
    assert [e.kind for e in signal.events] == ["received", "pending"]
    assert signal.events[1].status == pb.SIGNAL_STATUS_PENDING


async def test_a_rejection_is_a_decision_not_an_error(stub: pb_grpc.SignalServiceStub) -> None:
    signal = (await submit(stub, signal_price="25400.00")).signal
    assert signal.status == pb.SIGNAL_STATUS_REJECTED and signal.decided_ns == NOW
    assert signal.checks[1].outcome == pb.CHECK_OUTCOME_FAILED
    assert signal.checks[1].detail == "|25400.00 - 25340.00 (last trade)| = 60.00 > 5"
    assert [e.kind for e in signal.events] == ["received", "rejected"]


async def test_duplicates_return_the_original_decision(stub: pb_grpc.SignalServiceStub) -> None:
    first = await submit(stub, raw_payload="first body")
    again = await submit(stub, raw_payload="retried body")
    other_form = await submit(stub, symbol="CME_MINI:NQZ2026", quantity=3)
    assert not first.duplicate and again.duplicate and other_form.duplicate
    assert again.signal == first.signal and other_form.signal == first.signal
    keyed = await submit(stub, idempotency_key="alert-1")
    same_key = await submit(stub, idempotency_key="alert-1", signal_price="25339.00")
    assert same_key.duplicate and same_key.signal.signal_id == keyed.signal.signal_id
    assert keyed.signal.input.idempotency_key == "alert-1"
    listed = await stub.ListSignals(pb.ListSignalsRequest())
    assert len(listed.signals) == 2


async def test_get_and_list_signals(stub: pb_grpc.SignalServiceStub, clock: TestClock) -> None:
    pending = (await submit(stub)).signal
    clock.advance_ns(NS_PER_SECOND)
    rejected = (await submit(stub, signal_price="25400.00", strategy="vwap")).signal
    got = await stub.GetSignal(pb.GetSignalRequest(signal_id=pending.signal_id))
    assert got.signal == pending
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetSignal(pb.GetSignalRequest(signal_id="no-such-signal"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND

    async def ids(**fields: Any) -> list[str]:
        return [s.signal_id for s in (await stub.ListSignals(pb.ListSignalsRequest(**fields))).signals]

    assert await ids() == [rejected.signal_id, pending.signal_id]  # newest first
    assert await ids(statuses=[pb.SIGNAL_STATUS_PENDING]) == [pending.signal_id]
    assert await ids(statuses=[pb.SIGNAL_STATUS_PENDING, pb.SIGNAL_STATUS_REJECTED], limit=1) == [rejected.signal_id]
    assert await ids(strategy="vwap") == [rejected.signal_id]
    assert await ids(symbol="NQ1!") == [rejected.signal_id, pending.signal_id]  # the front month now: NQZ2026
    assert await ids(symbol="ESZ2026") == []
    assert await ids(from_ns=NOW, to_ns=NOW + 1) == [pending.signal_id]
    assert await ids(from_ns=NOW + 1) == [rejected.signal_id]
    assert await ids(to_ns=NOW) == []
    for fields, field in (
        ({"limit": 1001}, "limit"),
        ({"limit": -1}, "limit"),
        ({"from_ns": NOW, "to_ns": NOW}, "from_ns"),
        ({"from_ns": NOW + 1, "to_ns": NOW}, "from_ns"),
        ({"to_ns": -1}, "to_ns"),
        ({"statuses": [42]}, "statuses"),
        ({"symbol": "XX"}, "symbol"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.ListSignals(pb.ListSignalsRequest(**fields))
        assert bad_field(raised.value) == field


async def test_cancel_and_approve_check_the_signal_state(stub: pb_grpc.SignalServiceStub) -> None:
    pending = (await submit(stub)).signal
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ApproveSignal(pb.ApproveSignalRequest(signal_id=pending.signal_id))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "pending" in (raised.value.details() or "")

    cancelled = (await stub.CancelSignal(pb.CancelSignalRequest(signal_id=pending.signal_id, reason="news"))).signal
    assert cancelled.status == pb.SIGNAL_STATUS_CANCELLED and cancelled.decided_ns == NOW
    assert (cancelled.events[-1].kind, cancelled.events[-1].detail) == ("cancelled", "news")
    assert [c.outcome for c in cancelled.checks[4:]] == [pb.CHECK_OUTCOME_SKIPPED] * 3
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CancelSignal(pb.CancelSignalRequest(signal_id=pending.signal_id))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "cancelled" in (raised.value.details() or "")

    for call in (
        stub.CancelSignal(pb.CancelSignalRequest(signal_id="no-such-signal")),
        stub.ApproveSignal(pb.ApproveSignalRequest(signal_id="no-such-signal")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CancelSignal(pb.CancelSignalRequest(signal_id=""))
    assert bad_field(raised.value) == "signal_id"


async def test_the_event_stream_sends_the_pending_signals_first_then_events_as_they_happen(
    stub: pb_grpc.SignalServiceStub, server: RunningServer, clock: TestClock
) -> None:
    pending = (await submit(stub)).signal
    subscribers = server.bus.subscriber_count()
    stream = stub.StreamSignalEvents(pb.StreamSignalEventsRequest(send_pending=True))
    first = await stream.read()
    assert (first.signal.signal_id, first.event.kind, first.signal.status) == (
        pending.signal_id,
        "pending",
        pb.SIGNAL_STATUS_PENDING,
    )
    await eventually(lambda: server.bus.subscriber_count() == subscribers + 1)
    await stub.CancelSignal(pb.CancelSignalRequest(signal_id=pending.signal_id))
    clock.advance_ns(NS_PER_SECOND)
    rejected = (await submit(stub, signal_price="25400.00")).signal
    seen = [await stream.read() for _ in range(3)]
    assert [(r.event.signal_id, r.event.kind) for r in seen] == [
        (pending.signal_id, "cancelled"),
        (rejected.signal_id, "received"),
        (rejected.signal_id, "rejected"),
    ]
    assert seen[0].signal.status == pb.SIGNAL_STATUS_CANCELLED
    stream.cancel()
    await eventually(lambda: server.bus.subscriber_count() == subscribers)


def test_manual_approval_is_a_configuration_choice() -> None:
    from core_server.config import Config, ConfigError

    assert Config.from_env({"VIGIL_SIGNAL_APPROVAL": "manual"}).signal_approval == "manual"
    assert Config.from_env({}).signal_approval == "auto"
    try:
        Config.from_env({"VIGIL_SIGNAL_APPROVAL": "sometimes"})
    except ConfigError as error:
        assert error.variable == "VIGIL_SIGNAL_APPROVAL"
    else:
        raise AssertionError("a bad approval mode was accepted")
